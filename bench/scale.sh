#!/usr/bin/env bash
# End-to-end scale benchmark (issue #7): generates vaults of each size, then for each prints
# wall time, facts/s, peak RSS, the bare-pass floor (read + split + XXH3 of every note, same
# run) and the ratio to it, the per-stage times, and the family precision/recall of the
# clusters against the generator's true families.
#
#   bench/scale.sh                      # 10k, 100k, 1M facts
#   SIZES="10000 100000" bench/scale.sh
#   THREADS=1 bench/scale.sh            # factdedup --threads (default 0 = all cores)
#
# Needs a build (scripts/build.sh; BUILD_DIR as there). Vaults go to $WORK (default a temp
# folder, removed at the end unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
SIZES=${SIZES:-"10000 100000 1000000"}
THREADS=${THREADS:-0}
WORK=${WORK:-$(mktemp -d)}
BIN="$BUILD_DIR/cli/factdedup"
for tool in "$BIN" "$BUILD_DIR/bench/gen_vault_tool" "$BUILD_DIR/bench/bare_pass_tool" \
            "$BUILD_DIR/bench/family_eval_tool"; do
  [[ -x "$tool" ]] || { echo "scale.sh: $tool not built (run scripts/build.sh)" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "scale.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
cleanup() { [[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK"; }
trap cleanup EXIT

echo "factdedup scale benchmark: $(nproc) cores, threads=$THREADS, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| facts | notes | wall s | facts/s | peak RSS MB | RSS B/fact | bare pass s | ratio | family P | family R | candidates |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
declare -a STAGES
for n in $SIZES; do
  dir="$WORK/v$n"
  "$BUILD_DIR/bench/gen_vault_tool" --facts "$n" --seed 1 --out "$dir" >/dev/null
  # Warm the page cache for both runs alike: the bare pass reads everything first.
  "$BUILD_DIR/bench/bare_pass_tool" "$dir/vault" >/dev/null
  bare=$("$BUILD_DIR/bench/bare_pass_tool" "$dir/vault" | sed 's/.*seconds=//')
  files=$("$BUILD_DIR/bench/bare_pass_tool" "$dir/vault" | sed 's/^files=\([0-9]*\).*/\1/')
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" \
    "$BIN" scan "$dir/vault" --json --timings --threads "$THREADS" >"$dir/scan.json" 2>"$dir/stderr.txt" || true
  read -r wall rss_kb <"$dir/time.txt"
  quality=$("$BUILD_DIR/bench/family_eval_tool" "$dir/families.tsv" "$dir/scan.json")
  p=$(sed 's/.*precision=\([0-9.]*\).*/\1/' <<<"$quality")
  r=$(sed 's/.*recall=\([0-9.]*\).*/\1/' <<<"$quality")
  cand=$(sed -n 's/.*(\([0-9.kM]*\) candidates).*/\1/p' "$dir/stderr.txt")
  awk -v n="$n" -v f="$files" -v w="$wall" -v kb="$rss_kb" -v b="$bare" -v p="$p" -v r="$r" -v c="$cand" \
    'BEGIN { printf "| %d | %d | %.2f | %.0f | %.0f | %.0f | %.3f | %.1fx | %.3f | %.3f | %s |\n",
             n, f, w, n / w, kb / 1024, kb * 1024 / n, b, w / b, p, r, c }'
  STAGES+=("$n: $(grep '^factdedup: ' "$dir/stderr.txt" | sed 's/^factdedup: //')")
done
echo
echo "Stages (factdedup scan --timings):"
for s in "${STAGES[@]}"; do echo "- $s"; done
