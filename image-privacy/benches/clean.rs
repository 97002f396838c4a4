//! Cleaning a large photo natively. The photo comes from `bench/make-big-jpeg.py`
//! (`ONCELINK_BENCH_JPEG`, default `target/bench/big24.jpg`); `scripts/bench.sh` makes it.

use criterion::{Criterion, criterion_group, criterion_main};

fn clean(c: &mut Criterion) {
    let path = std::env::var("ONCELINK_BENCH_JPEG").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/big24.jpg").to_owned()
    });
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("no benchmark photo at {path}: run scripts/bench.sh");
        return;
    };
    let mut group = c.benchmark_group("image-privacy");
    group.sample_size(20);
    group.bench_function(format!("clean 24 MP JPEG ({} bytes)", bytes.len()), |b| {
        b.iter(|| image_privacy::clean(std::hint::black_box(&bytes)))
    });
    group.finish();
}

criterion_group!(benches, clean);
criterion_main!(benches);
