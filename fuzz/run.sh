#!/usr/bin/env bash
# Runs the fuzz targets: `fuzz/run.sh [SECONDS] [TARGET...]` (default 600 s each, all targets,
# two at a time). cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP lets the stable
# toolchain provide them. Crashes land in fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("${@:-config params response login}")
read -r -a targets <<<"${targets[*]}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
mkdir -p fuzz/logs
run() {
  mkdir -p "fuzz/corpus/$1"
  cargo fuzz run -O "$1" "fuzz/corpus/$1" "fuzz/seeds/$1" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"fuzz/logs/$1.log" 2>&1
  echo "$1: $(grep -E '^stat::number_of_executed_units' "fuzz/logs/$1.log" | awk '{print $2}') runs, exit 0"
}
i=0
for t in "${targets[@]}"; do
  run "$t" &
  i=$((i + 1))
  if ((i % 2 == 0)); then wait; fi
done
wait
