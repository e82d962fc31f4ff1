#!/usr/bin/env bash
# Measures how reading holds up when pictures are damaged: `lpr-edge eval --degrade` on the
# crops-us held-out split and on endtoend-us, for each kind and amount in the table of
# docs/recognition.md ("Robustness"), and prints that table in Markdown. A long job (about
# 35 minutes on 2 cores): run it yourself and commit the figures, it is not part of CI.
#
# Usage: scripts/robustness.sh [--config FILE] [--out DIR] [DAMAGE...]
#   --config FILE  the unit config to read with (default: the embedded defaults)
#   --out DIR      where each run's JSON summary goes (default: a fresh temporary folder)
#   DAMAGE         --degrade values to measure instead of the default list ("none": undamaged)
# Environment:
#   DATASET        plate images (default ../shared/datasets/openalpr-dev)
set -euo pipefail
cd "$(dirname "$0")/.."

dataset=${DATASET:-../shared/datasets/openalpr-dev}
config=()
out=""
damages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=(--config "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "robustness.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) damages+=("$1"); shift ;;
  esac
done
if [ ${#damages[@]} -eq 0 ]; then
  damages=(none motion:0.03 motion:0.06 motion:0.1 dark:0.25 dark:0.1 dark:0.05 ir
    skew:5 skew:10 skew:15 slope:10 slope:15 shear:10 shear:20 low-res:20 low-res:15 low-res:11 jpeg:25 jpeg:10 "dark:0.1,motion:0.05")
fi
for set in crops-us endtoend-us; do
  [ -d "$dataset/$set" ] || { echo "robustness.sh: $dataset/$set not found (set DATASET)" >&2; exit 1; }
done
out=${out:-$(mktemp -d)}
mkdir -p "$out"
npm run --silent build

echo "| damage | crops exact | crops state right / wrong | frames exact | frames detection recall |"
echo "| --- | --- | --- | --- | --- |"
for damage in "${damages[@]}"; do
  degrade=()
  [ "$damage" != none ] && degrade=(--degrade "$damage")
  node dist/cli.js eval "$dataset/crops-us" --split held-out "${config[@]}" "${degrade[@]}" --json \
    >"$out/crops-$damage.json"
  node dist/cli.js eval "$dataset/endtoend-us" "${config[@]}" "${degrade[@]}" --json \
    >"$out/frames-$damage.json"
  # shellcheck disable=SC2016 # JavaScript, not shell: the ${...} are template literals
  node -e '
    const [crops, frames, damage] = process.argv.slice(1).map((a, i) => (i < 2 ? require(a) : a));
    const state = crops.state ? `${crops.state.correct} / ${crops.state.wrong} %` : "-";
    console.log(`| ${damage} | ${crops.exactTop1} % | ${state} | ${frames.exactTop1} % | ${frames.detectionRecall} % |`);
  ' "$(realpath "$out/crops-$damage.json")" "$(realpath "$out/frames-$damage.json")" "$damage"
done
echo "JSON summaries: $out" >&2
