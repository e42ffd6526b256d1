#!/usr/bin/env bash
# Runs each cargo-fuzz target in fuzz/ for a bounded time and fails on the first crash or
# broken property. Only a stable toolchain is needed: RUSTC_BOOTSTRAP=1 lets stable rustc
# take the sanitizer flags cargo-fuzz passes. See docs/testing.md.
#
#   scripts/fuzz.sh                          # CI form: FUZZ_SECONDS=30 per target
#   FUZZ_SECONDS=3600 scripts/fuzz.sh canvas_json   # long form, one target
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TARGET_DIR (cargo target dir of the fuzz
# build; default fuzz/target, kept between runs so CI can cache it).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-30}
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$PWD/fuzz/target}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo install --locked cargo-fuzz
fi

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

for target in "${targets[@]}"; do
    seeds="fuzz/seeds/$target"
    mkdir -p "$seeds"
    dictionary=()
    if [[ -f "fuzz/dictionaries/$target.dict" ]]; then
        dictionary=("-dict=fuzz/dictionaries/$target.dict")
    fi
    echo "==> fuzz $target for ${seconds}s"
    # New inputs go to a scratch corpus, so the checked-in seeds stay as they are.
    scratch=$(mktemp -d)
    cargo fuzz run --fuzz-dir fuzz "$target" "$scratch" "$seeds" -- \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${dictionary[@]}"
    rm -rf "$scratch"
done
echo "fuzz: every target ran ${seconds}s without a failure"
