#!/usr/bin/env bash
# Incremental index benchmark (issue #6): on a generated vault, a cold full `scan --json`
# without the index, then — with a warm index — `check` of a change touching 10 notes (a
# paraphrase bullet added to 10 account pages) against the unchanged copy (--base-dir), and
# the same change in a git repository against the commit (--base HEAD, as in CI).
# Prints the times and the ratios, plus `check` without the index for the same change, and
# verifies that scan --json is byte-identical with no index, a cold index and a warm index,
# and that the three checks print the same findings. Also prints the floor of a check against
# another copy (reading, tokenizing and hashing every note of both copies: bench/bare_pass_tool)
# and how the cold scan and the warm check compare with it.
#
#   bench/index_bench.sh                 # 100k facts
#   FACTS=10000 bench/index_bench.sh
#   REPEAT=5 bench/index_bench.sh        # each timed run 5 times (default 3): the median, then
#                                        # every run in parentheses
#
# Needs a build (scripts/build.sh; BUILD_DIR as there). Work files go to $WORK (default a
# temp folder, removed at the end unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
FACTS=${FACTS:-100000}
REPEAT=${REPEAT:-3}
WORK=${WORK:-$(mktemp -d)}
BIN="$BUILD_DIR/cli/factdedup"
BARE="$BUILD_DIR/bench/bare_pass_tool"
for tool in "$BIN" "$BUILD_DIR/bench/gen_vault_tool" "$BARE"; do
  [[ -x "$tool" ]] || { echo "index_bench.sh: $tool not built (run scripts/build.sh)" >&2; exit 2; }
done
cleanup() { [[ "${KEEP:-0}" == 1 ]] || rm -rf "$WORK"; }
trap cleanup EXIT

# Seconds taken by a command (its stdout to $1); exit status 0 or 1 (findings) is fine.
timed() {
  local out=$1; shift
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$@" >"$out" 2>>"$WORK/stderr.txt" || rc=$?
  t1=$(date +%s.%N)
  [[ $rc -le 1 ]] || { echo "index_bench.sh: '$*' failed ($rc)" >&2; tail -3 "$WORK/stderr.txt" >&2; exit 2; }
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# `timed` REPEAT times (the same output file each time): "MEDIAN" to stdout; every run's
# seconds, in order, appended to the file named by $1 (for the table).
runs() {
  local log=$1; shift
  local all=() t
  for ((r = 0; r < REPEAT; r++)); do
    t=$(timed "$@")
    all+=("$t")
  done
  echo "${all[*]}" >"$log"
  printf '%s\n' "${all[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
# "MEDIAN (a / b / c)" of a runs() log.
shown() { echo "$1 ($(sed 's# # / #g' "$2"))"; }

"$BUILD_DIR/bench/gen_vault_tool" --facts "$FACTS" --seed 1 --out "$WORK" >/dev/null
V="$WORK/vault"
cp -r "$V" "$WORK/base"
cat "$V"/Accounts/*.md "$V"/Meetings/*.md >/dev/null  # page cache warm for every run alike

cold=$(runs "$WORK/cold.runs" "$WORK/cold.json" "$BIN" scan "$V" --json --no-index --quiet)
first=$(timed "$WORK/first.json" "$BIN" scan "$V" --json --quiet)   # writes the index
warm=$(timed "$WORK/warm.json" "$BIN" scan "$V" --json --quiet)
cmp -s "$WORK/cold.json" "$WORK/first.json" || { echo "scan --json differs: no index vs cold index" >&2; exit 1; }
cmp -s "$WORK/cold.json" "$WORK/warm.json" || { echo "scan --json differs: no index vs warm index" >&2; exit 1; }

# The change: a paraphrase of each page's first bullet, right after it, on 10 account pages.
n=0
for page in "$V"/Accounts/*.md; do
  awk 'BEGIN { done = 0 } { print } !done && /^- / { print "- As noted before, " substr($0, 3); done = 1 }' \
    "$page" >"$page.tmp" && mv "$page.tmp" "$page"
  n=$((n + 1)); [[ $n -lt 10 ]] || break
done

check_noindex=$(timed "$WORK/check0.txt" "$BIN" check "$V" --base-dir "$WORK/base" --no-index)
check_warm=$(runs "$WORK/check1.runs" "$WORK/check1.txt" "$BIN" check "$V" --base-dir "$WORK/base")
cmp -s "$WORK/check0.txt" "$WORK/check1.txt" || { echo "check output differs with the index" >&2; exit 1; }
findings=$(grep -c 'duplicate' "$WORK/check1.txt" || true)

# The same change in git, as CI sees it: the unchanged vault committed, the change in the
# working tree (git's index refreshed, as after a checkout), the warm index copied over.
G="$WORK/git/vault"
mkdir -p "$WORK/git"
cp -r "$WORK/base" "$G"
git -C "$WORK/git" init -q
git -C "$WORK/git" add -A
git -C "$WORK/git" -c user.email=bench@factdedup -c user.name=bench commit -qm base
cp -r "$V/.factdedup" "$G/"
(cd "$V" && tar cf - --exclude .factdedup Accounts) | (cd "$G" && tar xf -)
git -C "$WORK/git" status --porcelain >/dev/null
check_git=$(runs "$WORK/check2.runs" "$WORK/check2.txt" "$BIN" check "$G" --base HEAD)
cmp -s "$WORK/check1.txt" "$WORK/check2.txt" || { echo "check --base HEAD differs from --base-dir" >&2; exit 1; }
facts=$(grep -m1 '^  "facts"' "$WORK/cold.json" | tr -dc 0-9)
# The floor of a check against another copy: a process that only reads every note of both
# copies, splits tokens and hashes them (bench/bare_pass_tool, once per copy).
floor_vault=$(runs "$WORK/bare1.runs" "$WORK/bare1.txt" "$BARE" "$V")
floor_base=$(runs "$WORK/bare2.runs" "$WORK/bare2.txt" "$BARE" "$WORK/base")
floor=$(awk -v a="$floor_vault" -v b="$floor_base" 'BEGIN { printf "%.3f", a + b }')

echo "factdedup index benchmark: $facts facts, $(ls "$V"/Accounts | wc -l) account pages, $(nproc) cores;" \
  "timed runs: the median of $REPEAT (every run in parentheses)"
echo "| run | seconds |"
echo "|---|---|"
echo "| cold full scan --json, no index | $(shown "$cold" "$WORK/cold.runs") |"
echo "| scan --json, building the index | $first |"
echo "| scan --json, warm index | $warm |"
echo "| check --base-dir, 10 notes changed, no index | $check_noindex |"
echo "| check --base-dir, 10 notes changed, warm index | $(shown "$check_warm" "$WORK/check1.runs") |"
echo "| check --base HEAD (git), 10 notes changed, warm index | $(shown "$check_git" "$WORK/check2.runs") |"
echo "| floor: read + tokenize + hash every note (bare_pass_tool), vault / base | $(shown "$floor_vault" "$WORK/bare1.runs") / $(shown "$floor_base" "$WORK/bare2.runs") |"
awk -v c="$cold" -v w="$check_warm" 'BEGIN { printf "ratio cold scan / warm check (--base-dir): %.1fx\n", c / w }'
awk -v c="$cold" -v w="$check_git" 'BEGIN { printf "ratio cold scan / warm check (--base HEAD): %.1fx\n", c / w }'
awk -v c="$cold" -v f="$floor" 'BEGIN { printf "ratio cold scan / floor of a --base-dir check (both copies read): %.1fx\n", c / f }'
awk -v w="$check_warm" -v f="$floor" 'BEGIN { printf "warm check (--base-dir) / that floor: %.1fx\n", w / f }'
echo "check findings lines mentioning 'duplicate': $findings; scan --json identical with and without the index"
echo "stage times of the warm scan (scan --timings):"

"$BIN" scan "$V" --timings >/dev/null 2>"$WORK/t.txt" || true
grep '^factdedup: ' "$WORK/t.txt" | sed 's/^factdedup: /  /'
