#!/usr/bin/env bash
# API fuzz: runs schemathesis against a real `pinsync serve` on a free loopback port, driven by
# the served OpenAPI document (/api/v1/openapi.json), and fails on any 5xx answer
# (`not_a_server_error`). See docs/testing.md.
#
#   scripts/api-fuzz.sh                       # CI form: API_FUZZ_EXAMPLES=25 per operation
#   API_FUZZ_EXAMPLES=500 scripts/api-fuzz.sh # long form
#
# Environment: PINSYNC_BIN (a built pinsync binary; default: build it with cargo),
# API_FUZZ_EXAMPLES (examples per operation), API_FUZZ_SEED (reproduce a run),
# API_FUZZ_PHASES (default examples,fuzzing,stateful: schemathesis 4.32's coverage phase
# crashes inside hypothesis on Python 3.11.7 with "AST constructor recursion depth mismatch"),
# API_FUZZ_REPORT_DIR (where schemathesis writes its JUnit report).
set -euo pipefail
cd "$(dirname "$0")/.."

examples=${API_FUZZ_EXAMPLES:-25}
report_dir=${API_FUZZ_REPORT_DIR:-target/api-fuzz}

if ! command -v schemathesis >/dev/null; then
    echo "api-fuzz: installing schemathesis from PyPI"
    python3 -m pip install --quiet --user 'schemathesis>=4,<5'
    export PATH="$HOME/.local/bin:$PATH"
fi

if [[ -z "${PINSYNC_BIN:-}" ]]; then
    cargo build --quiet --locked -p pinsync
    PINSYNC_BIN="${CARGO_TARGET_DIR:-target}/debug/pinsync"
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export PINSYNC_DATA_DIR="$work/data" PINSYNC_LOG=warn

"$PINSYNC_BIN" migrate
key=$("$PINSYNC_BIN" admin create-key 2>/dev/null)
"$PINSYNC_BIN" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if curl -fsS "$base/readyz" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        cat "$work/serve.log"
        echo "api-fuzz: pinsync serve exited before it was ready" >&2
        exit 1
    fi
    sleep 0.1
done

seed_args=()
if [[ -n "${API_FUZZ_SEED:-}" ]]; then
    seed_args=(--seed "$API_FUZZ_SEED")
fi

echo "api-fuzz: $examples examples per operation against $base"
status=0
schemathesis run "$base/api/v1/openapi.json" \
    --url "$base/api/v1" \
    --header "Authorization: Bearer $key" \
    --checks not_a_server_error \
    --phases "${API_FUZZ_PHASES:-examples,fuzzing,stateful}" \
    --max-examples "$examples" \
    --workers 2 \
    --request-timeout 30 \
    --suppress-health-check all \
    --no-color \
    --report junit --report-dir "$report_dir" \
    "${seed_args[@]}" || status=$?

if grep -q '"level":"ERROR"\| ERROR ' "$work/serve.log"; then
    echo "api-fuzz: pinsync logged errors:" >&2
    grep '"level":"ERROR"\| ERROR ' "$work/serve.log" | head -20 >&2
fi
exit "$status"
