//! `crypto-core` natively: seal and open at 1 KiB, 1 MiB and 10 MiB (AES-256-GCM with the
//! HKDF-derived payload key), and one Argon2id passphrase stretch.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crypto_core::{MasterKey, SecretId};

fn seal_open(c: &mut Criterion) {
    let key = MasterKey::generate().expect("randomness");
    let id = SecretId::generate().expect("randomness");
    let mut group = c.benchmark_group("crypto-core");
    for (name, size) in [("1 KiB", 1024), ("1 MiB", 1 << 20), ("10 MiB", 10 << 20)] {
        let plain = vec![0x5a_u8; size];
        let sealed = crypto_core::seal(&key, &id, &plain).expect("seal");
        group.throughput(Throughput::Bytes(size as u64));
        if size > 1 << 20 {
            group.sample_size(20);
        }
        group.bench_with_input(BenchmarkId::new("seal", name), &plain, |b, plain| {
            b.iter(|| crypto_core::seal(&key, &id, std::hint::black_box(plain)))
        });
        group.bench_with_input(BenchmarkId::new("open", name), &sealed, |b, sealed| {
            b.iter(|| crypto_core::open(&key, &id, std::hint::black_box(sealed)))
        });
    }
    group.sample_size(10);
    group.bench_function("argon2id 32 MiB t=2 (passphrase)", |b| {
        b.iter(|| key.stretch_passphrase(std::hint::black_box("correct horse")))
    });
    group.finish();
}

criterion_group!(benches, seal_open);
criterion_main!(benches);
