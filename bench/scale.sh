#!/usr/bin/env bash
# End-to-end scale benchmark (issue #7): generates vaults of each size, then for each prints
# wall time, facts/s, peak RSS, the bare-pass floor (read + split + XXH3 of every note, same
# run) and the ratio to it, the per-stage times, and the family precision/recall of the
# clusters against the generator's true families.
#
#   bench/scale.sh                      # 10k, 100k, 1M facts
#   SIZES="10000 100000" bench/scale.sh
#   THREADS=1 bench/scale.sh            # factdedup --threads (default 0 = all cores)
#   REPEAT=3 bench/scale.sh             # each size scanned 3 times (cold: no index), median
#                                       # wall time, largest peak RSS (this VM varies +-20%)
#
# Needs a build (scripts/build.sh; BUILD_DIR as there). Vaults go to $WORK (default a temp
# folder, removed at the end unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
SIZES=${SIZES:-"10000 100000 1000000"}
THREADS=${THREADS:-0}
REPEAT=${REPEAT:-1}
WORK=${WORK:-$(mktemp -d)}
BIN="$BUILD_DIR/cli/factdedup"
for tool in "$BIN" "$BUILD_DIR/bench/gen_vault_tool" "$BUILD_DIR/bench/bare_pass_tool" \
            "$BUILD_DIR/bench/family_eval_tool"; do
  [[ -x "$tool" ]] || { echo "scale.sh: $tool not built (run scripts/build.sh)" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "scale.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
cleanup() { [[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK"; }
trap cleanup EXIT

echo "factdedup scale benchmark: $(nproc) cores, threads=$THREADS, runs per size=$REPEAT (median wall), $(date -u +%Y-%m-%dT%H:%MZ)"
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
  code=0
  walls=()
  rss_kb=0
  for ((run = 1; run <= REPEAT; run++)); do
    rm -rf "$dir/vault/.factdedup"  # every run cold: it builds the index, as the first does
    /usr/bin/time -f "%e %M" -o "$dir/time.txt" \
      "$BIN" scan "$dir/vault" --json --timings --threads "$THREADS" >"$dir/scan.json" 2>"$dir/stderr.txt" || code=$?
    read -r w kb < <(tail -1 "$dir/time.txt")
    walls+=("$w")
    ((kb > rss_kb)) && rss_kb=$kb
    [[ $code -eq 0 ]] || break
  done
  wall=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  [[ $REPEAT -gt 1 ]] && STAGES+=("$n: wall times of the $REPEAT runs: ${walls[*]} s (median in the table)")
  if [[ $code -ne 0 ]]; then
    # Killed (e.g. by the kernel's OOM killer: exit 137) or failed: say so, keep going.
    awk -v n="$n" -v f="$files" -v w="$wall" -v kb="$rss_kb" -v b="$bare" -v c="$code" \
      'BEGIN { printf "| %d | %d | failed after %.0f s (exit %d) | | %.0f | %.0f | %.3f | | | | |\n",
               n, f, w, c, kb / 1024, kb * 1024 / n, b }'
    STAGES+=("$n: failed with exit $code; last stderr: $(tail -1 "$dir/stderr.txt")")
    rm -rf "$dir"
    continue
  fi
  quality=$("$BUILD_DIR/bench/family_eval_tool" "$dir/families.tsv" "$dir/scan.json")
  p=$(sed 's/.*precision=\([0-9.]*\).*/\1/' <<<"$quality")
  r=$(sed 's/.*recall=\([0-9.]*\).*/\1/' <<<"$quality")
  cand=$(sed -n 's/.*(\([0-9.kM]*\) candidates).*/\1/p' "$dir/stderr.txt")
  awk -v n="$n" -v f="$files" -v w="$wall" -v kb="$rss_kb" -v b="$bare" -v p="$p" -v r="$r" -v c="$cand" \
    'BEGIN { printf "| %d | %d | %.2f | %.0f | %.0f | %.0f | %.3f | %.1fx | %.3f | %.3f | %s |\n",
             n, f, w, n / w, kb / 1024, kb * 1024 / n, b, w / b, p, r, c }'
  STAGES+=("$n: $(grep '^factdedup: ' "$dir/stderr.txt" | sed 's/^factdedup: //')")
  rm -rf "$dir"  # a 1M vault is 2 GB; keep the disk free for the next size
done
echo
echo "Stages (factdedup scan --timings):"
for s in "${STAGES[@]}"; do echo "- $s"; done
