#!/usr/bin/env bash
# Runs one fuzz target for a while, on one core:
#
#   fuzz/run.sh TARGET [SECONDS] [extra libFuzzer flags…]
#
# New inputs go to a working corpus outside the repository's (FUZZ_WORK_DIR, default
# fuzz/work/, git-ignored) so the committed seeds stay small; the committed seeds under
# fuzz/corpus/TARGET are read too. Crashes, timeouts and slow units go to fuzz/artifacts/TARGET/.
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
set -euo pipefail
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: fuzz/run.sh TARGET [SECONDS] [libFuzzer flags…]}"
seconds="${2:-600}"
shift $(($# < 2 ? $# : 2))
work="${FUZZ_WORK_DIR:-$fuzz_dir/work}"
mkdir -p "$work/corpus/$target" "$work/logs/$target" "$fuzz_dir/artifacts/$target"
# Every target runs with leak checks: the library's CPU-heavy work (key generation, password
# hashing, RSA signatures, expensive claims) runs on a pool whose threads are joined when the last
# handle to it is dropped (src/cpu_pool.rs), so no thread of an input outlives it.
# With -jobs, libFuzzer's worker writes its output to fuzz-0.log in the working directory.
cd "$work/logs/$target"
status=0
cargo +nightly fuzz run --fuzz-dir "$fuzz_dir" "$target" \
    "$work/corpus/$target" "$fuzz_dir/corpus/$target" -- \
    -jobs=1 -workers=1 -max_total_time="$seconds" -timeout=2 -report_slow_units=1 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$fuzz_dir/artifacts/$target/" "$@" || status=$?
# The worker's closing lines: executions (`#N DONE`, stat::number_of_executed_units) or the
# crash with its stack.
if [ -f fuzz-0.log ]; then
    tail -n 40 fuzz-0.log | grep -v -E '^#[0-9]+\s+(NEW|REDUCE|pulse)' || true
fi
exit "$status"
