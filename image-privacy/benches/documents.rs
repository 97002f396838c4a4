//! Cleaning documents natively: a 50-page, 20 MB scanned PDF and a 12-megapixel HEIC photo,
//! made by `bench/make-documents.py` into `ONCELINK_BENCH_DOCUMENTS` (default
//! `target/bench/documents`); `scripts/bench.sh documents` makes them.

use criterion::{Criterion, criterion_group, criterion_main};

fn documents(c: &mut Criterion) {
    let dir = std::env::var("ONCELINK_BENCH_DOCUMENTS").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench/documents").to_owned()
    });
    let (Ok(pdf), Ok(heic)) = (
        std::fs::read(format!("{dir}/scan50.pdf")),
        std::fs::read(format!("{dir}/photo12mp.heic")),
    ) else {
        eprintln!("no benchmark documents in {dir}: run scripts/bench.sh documents");
        return;
    };
    let mut group = c.benchmark_group("image-privacy");
    group.sample_size(10);
    group.bench_function(
        format!("clean 50-page scanned PDF ({} bytes)", pdf.len()),
        |b| b.iter(|| image_privacy::clean_pdf(std::hint::black_box(&pdf))),
    );
    group.bench_function(format!("clean 12 MP HEIC ({} bytes)", heic.len()), |b| {
        b.iter(|| image_privacy::clean_heif(std::hint::black_box(&heic)))
    });
    group.finish();
}

criterion_group!(benches, documents);
criterion_main!(benches);
