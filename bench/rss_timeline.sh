#!/usr/bin/env bash
# Memory over time of one scan (issue #7): runs `BIN scan VAULT --json --timings [ARGS]`,
# samples its resident set every 0.25 s, and prints the timeline ("seconds:MB"), the peak
# (VmHWM) and the scan's stage summary, from which each stage's window can be read.
#
#   bench/rss_timeline.sh build/cli/factdedup /tmp/v1m/vault              # index written
#   bench/rss_timeline.sh build/cli/factdedup /tmp/v1m/vault --no-index
#
# Every run starts cold: an index already in VAULT/.factdedup is moved aside for the run and put
# back afterwards (also when the scan fails or the script is interrupted); the index the run
# writes is removed. The peak is the kernel's VmHWM, so it holds even a peak shorter than the
# 0.25 s between samples; the timeline can miss such a peak.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 BIN VAULT [scan args]" >&2; exit 2; }
BIN=$1 V=$2
shift 2
err=$(mktemp)
saved=""
if [[ -e "$V/.factdedup" ]]; then
  saved=$(mktemp -d "$V/.factdedup-saved.XXXXXX")
  mv "$V/.factdedup" "$saved/"
fi
restore() {
  rm -f "$err"
  rm -rf "$V/.factdedup"
  if [[ -n $saved ]]; then mv "$saved/.factdedup" "$V/" && rmdir "$saved"; fi
}
trap restore EXIT
"$BIN" scan "$V" --json --timings "$@" >/dev/null 2>"$err" &
pid=$!
t=0 line="" hwm=0
while kill -0 "$pid" 2>/dev/null; do
  r=$(awk '/VmRSS/{print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || true)
  h=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$pid/status" 2>/dev/null || true)
  [[ -n $h ]] && hwm=$h
  [[ -n $r ]] && line="$line $t:$r"
  sleep 0.25
  t=$(awk -v t="$t" 'BEGIN{print t+0.25}')
done
wait "$pid" || { echo "scan failed:" >&2; cat "$err" >&2; exit 1; }
echo "RSS MB timeline:$line" | fold -w 100
echo "peak (VmHWM) MB: $hwm"
tail -1 "$err"
