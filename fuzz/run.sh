#!/usr/bin/env bash
# Builds every fuzz target and runs each for a while:
#
#   fuzz/run.sh [seconds per target, default 30]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz
# --locked`). Each target starts from its committed seeds in
# fuzz/seeds/<target> plus what earlier runs found in fuzz/corpus/<target>
# (gitignored; new inputs go there, never into the seeds). Exits non-zero
# if any target crashes, panics, times out or runs out of memory, after
# printing the input that did it: its file under fuzz/artifacts/<target>/
# and its bytes in base64 (`echo … | base64 -d > crash` gets the file back
# from a CI log).
#
# Turning a finding into a regression test:
#   1. Reproduce: cargo +nightly fuzz run <target> fuzz/artifacts/<target>/crash-…
#      (`cargo +nightly fuzz fmt <target> <file>` prints the input).
#   2. Add the input as a case to the unit test next to the code, so plain
#      `cargo test` keeps it fixed: serde_devalue/src/tests.rs
#      (devalue_decode), the tests in mochi/src/signing.rs (token_verify),
#      mochi/src/protocol.rs (island_query), mochi/src/render.rs
#      (props_block). For devalue, also add the text to `hostile()` or the
#      corpus in tests/tests/devalue_node.rs so the client decoder sees it.
#   3. Fix, then copy the input into fuzz/seeds/<target>/ as well.
#
# CARGO_BUILD_JOBS, if set, limits the build's parallelism.
set -euo pipefail

seconds="${1:-30}"
cd "$(dirname "$0")/.."

targets=(devalue_decode token_verify island_query props_block)

cargo +nightly fuzz build --debug-assertions

failed=()
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    artifacts="fuzz/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    marker="$(mktemp)"
    echo "== $target: ${seconds}s"
    if ! cargo +nightly fuzz run --debug-assertions "$target" "$corpus" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1; then
        failed+=("$target")
        # The input, in full, in the log too: a CI machine's files are gone
        # once the job ends. `base64 -d` turns it back into the file.
        found=0
        while read -r file; do
            found=1
            echo "FUZZ FAILURE in $target: $file ($(wc -c <"$file") bytes), base64:" >&2
            base64 -w 0 "$file" >&2
            echo >&2
        done < <(find "$artifacts" -type f -newer "$marker")
        ((found)) || echo "FUZZ FAILURE in $target: no new input under $artifacts (see above)" >&2
    fi
    rm -f "$marker"
done

if ((${#failed[@]})); then
    echo "fuzzing failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzzing: all ${#targets[@]} targets ran ${seconds}s each without a finding"
