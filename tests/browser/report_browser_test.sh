#!/usr/bin/env bash
# Renders the HTML report of data/vault and of tests/data/hostile_vault in headless Chromium
# and checks the DOM (the filter/sort script ran; one element per cluster; filtering by page
# and sorting work; no injected markup or script took effect) and a screenshot (a real PNG).
#
# Usage: report_browser_test.sh FACTDEDUP_BIN SOURCE_DIR OUT_DIR
# OUT_DIR keeps the reports, DOM dumps and screenshots. Exits 77 (ctest SKIP_RETURN_CODE)
# when chromium is not installed (scripts/install-deps.sh --with-browser) or when
# FACTDEDUP_BROWSER_TESTS=0.
set -euo pipefail
BIN=$1 SRC=$2 OUT=$3
export LC_ALL=C
if [[ "${FACTDEDUP_BROWSER_TESTS:-1}" == 0 ]]; then
  echo "SKIP: FACTDEDUP_BROWSER_TESTS=0"
  exit 77
fi
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$CHROMIUM" ]]; then
  echo "SKIP: chromium is not installed (scripts/install-deps.sh --with-browser)"
  exit 77
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PROFILES=$(mktemp -d)
trap 'rm -rf "$PROFILES"' EXIT
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# Headless Chromium with a fresh profile and no background network traffic.
chrome() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$PROFILES")" "$@" 2>>"$OUT/chromium.log"
}

# Occurrences of fixed string $1 in file $2.
count() {
  { grep -oF -- "$1" "$2" || true; } | wc -l
}

# The value of attribute $2 on <body> in DOM dump $1 ("" when absent).
body_attr() {
  grep -o '<body[^>]*>' "$1" | grep -o " $2=\"[^\"]*\"" | sed 's/^[^"]*"//; s/"$//' || true
}

urlencode() {
  local s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [a-zA-Z0-9._~/-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

html_escape() {
  sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' -e "s/'/\&#39;/g" \
    <<<"$1"
}

# Clusters in report $1 with a member on page $2 (escaped as in the file).
clusters_on_page() {
  awk -v pat="data-page=\"$2\"" 'BEGIN { RS = "<article class=\"cluster\"" }
    NR > 1 { if (index(substr($0, 1, index($0, "</article>")), pat)) n++ } END { print n + 0 }' "$1"
}

# Id of the first largest cluster in report $1.
largest_cluster() {
  grep -o '<article class="cluster" id="[^"]*" data-index="[0-9]*" data-size="[0-9]*"' "$1" |
    sed 's/.* id="\([^"]*\)".* data-size="\([0-9]*\)"/\2 \1/' |
    awk '$1 > best { best = $1; id = $2 } END { print id }'
}

check_report() {
  local name=$1 vault=$2 page=$3
  local html="$OUT/$name.html" dom="$OUT/$name.dom.html" filtered="$OUT/$name.filtered.dom.html"
  local png="$OUT/$name.png"
  "$BIN" report "$vault" --format html -o "$html" 2>/dev/null || { fail "$name: report failed"; return; }
  local expected
  expected=$(count '<article class="cluster"' "$html")
  [[ $expected -gt 0 ]] || fail "$name: the report has no cluster"

  chrome --dump-dom "file://$html" >"$dom" || { fail "$name: chromium --dump-dom failed"; return; }
  [[ "$(body_attr "$dom" data-ready)" == 1 ]] || fail "$name: the report's script did not run"
  local in_dom
  in_dom=$(count '<article class="cluster"' "$dom")
  [[ $in_dom -eq $expected ]] || fail "$name: $in_dom cluster elements in the DOM, expected $expected"
  [[ "$(body_attr "$dom" data-visible)" == "$expected" ]] || fail "$name: not every cluster visible"
  # Nothing injected took effect: no attribute or element created by note text, one script.
  grep -q 'data-pwned="' "$dom" && fail "$name: injected script ran (data-pwned)"
  grep -q '<title>factdedup report' "$dom" || fail "$name: the title was changed"
  for tag in img svg iframe object embed; do
    grep -qi "<$tag[ >]" "$dom" && fail "$name: a <$tag> element exists"
  done
  [[ $(count '<script' "$dom") -eq 1 ]] || fail "$name: more than the report's script"

  # Filtered by page and sorted by size through the URL fragment.
  local want
  want=$(clusters_on_page "$html" "$(html_escape "$page")")
  chrome --dump-dom "file://$html#page=$(urlencode "$page")&sort=size" >"$filtered" ||
    { fail "$name: chromium --dump-dom (filtered) failed"; return; }
  [[ "$(body_attr "$filtered" data-visible)" == "$want" ]] ||
    fail "$name: filter by '$page' shows $(body_attr "$filtered" data-visible), expected $want"
  [[ "$(body_attr "$filtered" data-sort)" == size ]] || fail "$name: not sorted by size"
  local first
  first=$(body_attr "$filtered" data-order | cut -d' ' -f1)
  [[ "$first" == "$(largest_cluster "$html")" ]] || fail "$name: largest cluster not first ($first)"
  [[ $(count ' hidden=""' "$filtered") -eq $((expected - want)) ]] ||
    fail "$name: hidden clusters do not match the filter"

  chrome --screenshot="$png" --window-size=1280,2000 "file://$html" >/dev/null ||
    { fail "$name: chromium --screenshot failed"; return; }
  [[ -f "$png" ]] || { fail "$name: no screenshot"; return; }
  [[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] ||
    fail "$name: the screenshot is not a PNG"
  local size
  size=$(wc -c <"$png")
  [[ $size -gt 20000 ]] || fail "$name: the screenshot is only $size bytes"
  echo "$name: $expected clusters, filter '$page' -> $want, screenshot $size bytes"
}

check_report sample "$SRC/data/vault" "Meetings/2025-11-12 - Microsoft AI capacity and VAST.md"
check_report hostile "$SRC/tests/data/hostile_vault" "Meetings/2026-01-02 <b>Sync 'x' & y.md"
hostile_dom="$OUT/hostile.dom.html"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$hostile_dom" ||
  fail "hostile: the <script> text is not shown escaped"
grep -q '&lt;img src=x onerror=alert(1)&gt;' "$hostile_dom" ||
  fail "hostile: the <img onerror> text is not shown escaped"
grep -q 'href="javascript:' "$hostile_dom" && fail "hostile: a javascript: link exists"

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed; see $OUT"
  exit 1
fi
echo "report browser test: all checks passed"
