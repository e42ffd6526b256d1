//! Criterion micro-benchmarks: identifier normalize + SHA-256 (email, GAID, IDFA) and the
//! records encoder (a PATCH body of 1,900 digests). `cargo bench -p pinsync-bench`.
//! One token's drain needs 13,300 hashes/s and 7 bodies/s; `pinsync-bench hashing` prints
//! the same work as a ratio to that.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pinsync_core::identifier::IdentifierKind;

#[path = "../src/hashing_workload.rs"]
mod hashing_workload;

use hashing_workload::{RECORDS_PER_REQUEST, digests, encode_body, hash_one, raw_identifiers};

fn normalize_and_hash(c: &mut Criterion) {
    let mut group = c.benchmark_group("normalize_sha256");
    group.throughput(Throughput::Elements(1));
    for kind in IdentifierKind::ALL {
        let raw = raw_identifiers(*kind, 1_024);
        let mut next = 0;
        group.bench_function(BenchmarkId::from_parameter(kind.as_str()), |b| {
            b.iter(|| {
                next = (next + 1) % raw.len();
                hash_one(*kind, std::hint::black_box(&raw[next]))
            });
        });
    }
    group.finish();
}

fn encoder(c: &mut Criterion) {
    let records = digests();
    let mut group = c.benchmark_group("encoder");
    group.throughput(Throughput::Elements(RECORDS_PER_REQUEST as u64));
    group.bench_function("patch_body_1900_records", |b| {
        b.iter(|| encode_body(std::hint::black_box(&records)));
    });
    group.finish();
}

criterion_group!(benches, normalize_and_hash, encoder);
criterion_main!(benches);
