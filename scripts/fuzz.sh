#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang, ASan+UBSan, build-fuzz/) and runs
# each for SECONDS (default 20) on a corpus seeded from data/vault, tests/data and fuzz/seeds.
#
#   scripts/fuzz.sh                 # 20 s per target (CI runs 15 s each via scripts/test-sanitize.sh)
#   scripts/fuzz.sh 3600 note_fuzzer   # one target for an hour
#
# New inputs accumulate in build-fuzz/corpus/<target>/ (kept between runs). A crash, leak,
# timeout (> 10 s for one input) or out-of-memory (> 2 GB) is saved under
# build-fuzz/crashes/<target>/ and makes the script fail; reproduce it with
#   build-fuzz/fuzz/<target> build-fuzz/crashes/<target>/crash-<sha1>
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
if (($# > 0)); then shift; fi
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(note_fuzzer frontmatter_fuzzer normalize_fuzzer link_fuzzer merge_fuzzer
           corpus_state_fuzzer index_fuzzer)
fi
# FUZZ_PRESET=sanitize reuses the CI build (scripts/test-sanitize.sh) instead of build-fuzz/.
preset=${FUZZ_PRESET:-fuzz}
out=build-$preset
JOBS=${JOBS:-$(nproc)}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j"$JOBS"

notes=(data/vault tests/data)
md_files() { find "${notes[@]}" -name '*.md' -type f -print0 | sort -z; }

# Seeds are rebuilt from the repository each run (read-only to libFuzzer).
seed() {
  local t=$1 dir=$out/seeds/$1
  rm -rf "$dir" && mkdir -p "$dir"
  case $t in
    note_fuzzer)
      md_files | xargs -0 -I{} sh -c 'cp "$1" "$2/$(cksum < "$1" | cut -d" " -f1).md"' _ {} "$dir" ;;
    frontmatter_fuzzer)
      cp fuzz/seeds/frontmatter/* "$dir/"
      md_files | xargs -0 awk -v dir="$dir" '
        FNR == 1 { inside = ($0 ~ /^---[ \t\r]*$/); n++; next }
        inside && /^(---|\.\.\.)[ \t\r]*$/ { inside = 0; next }
        inside { print > (dir "/fm-" n ".yaml") }' ;;
    normalize_fuzzer)
      md_files | xargs -0 grep -h -E '^[[:space:]]*([-*+]|[0-9]+[.)])[[:space:]]' | head -n 2000 |
        split -l 1 -a 4 - "$dir/line-" ;;
    link_fuzzer)
      cp fuzz/seeds/link/* "$dir/"
      md_files | xargs -0 grep -h -E '\[\[|\]\(|source_ref' | head -n 1000 |
        split -l 1 -a 4 - "$dir/line-" ;;
    corpus_state_fuzzer)
      # Three steering bytes, then a page's bullets as facts (see the target).
      local f n=0
      while IFS= read -r -d '' f; do
        n=$((n + 1))
        { printf "\\$(printf %03o $((n * 37 % 256)))\\$(printf %03o $((n * 11 % 256)))\\$(printf %03o $((n % 3)))"
          grep -m 60 -h -E '^[[:space:]]*[-*+][[:space:]]' "$f" || true; } >"$dir/page-$n"
      done < <(md_files) ;;
    index_fuzzer)
      # Four steering bytes, then a page's bullets as facts (see the target).
      local f n=0
      while IFS= read -r -d '' f; do
        n=$((n + 1))
        { printf "\\$(printf %03o $((n % 16)))\\$(printf %03o $((n * 7 % 256)))\\$(printf %03o $((n * 13 % 256)))\\$(printf %03o $((n * 29 % 256)))"
          grep -m 40 -h -E '^[[:space:]]*[-*+][[:space:]]' "$f" | sed -E 's/^[[:space:]]*[-*+][[:space:]]+//' || true; } >"$dir/page-$n"
      done < <(md_files) ;;
    merge_fuzzer)
      # base, ours, theirs as FuzzedDataProvider reads them: '\' doubled, "\|" ends a part.
      local f n=0
      while IFS= read -r -d '' f; do
        (($(wc -c <"$f") < 6000)) || continue
        n=$((n + 1))
        { sed 's/\\/\\\\/g' "$f"; printf '\\|'
          sed 's/\\/\\\\/g' "$f"; printf -- '- a fact added on ours\n\\|'
          cat "$f"; printf -- '- a fact added on theirs\n'; } >"$dir/triple-$n"
      done < <(md_files) ;;
  esac
}

max_len() {
  case $1 in
    note_fuzzer) echo 32768 ;;
    merge_fuzzer) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

failed=()
for t in "${targets[@]}"; do
  seed "$t"
  mkdir -p "$out/corpus/$t" "$out/crashes/$t"
  echo "fuzz: $t for ${secs}s ($(ls "$out/seeds/$t" | wc -l) seeds, $(ls "$out/corpus/$t" | wc -l) in corpus)" >&2
  if ! "$out/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len "$t")" -dict=fuzz/markdown.dict -print_final_stats=1 \
      -artifact_prefix="$out/crashes/$t/" "$out/corpus/$t" "$out/seeds/$t" \
      >"$out/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 60 "$out/$t.log" >&2
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' "$out/$t.log" \
    | sed "s/^/fuzz: $t: /" >&2 || true
done
if ((${#failed[@]} > 0)); then
  echo "fuzz: FAILED: ${failed[*]} (inputs under $out/crashes/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s) clean for ${secs}s each" >&2
