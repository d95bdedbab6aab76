#!/usr/bin/env bash
# Does `./xmrec demo` complete on data N times XMarket's size? Generates the synthetic markets (xmrec synth, seed
# 42; once), runs the demo on them at --speed max with the training budget given, samples it every 30 s (RSS,
# what the updater has read and trained on, the models served), waits until it has settled (the input read to its
# end, no trunk training, the newest trunk trained on every training interaction read, every market served from
# it, no model change for a minute), then checks the holdout job's final state against the offline split of the
# files (xmrec holdouts --dump-only, bench/offline_split_check.py), stops the demo and appends a section to
# bench/results/demo-scale.md. Run it alone: two cores and most of the memory are its.
#
#   bench/demo-scale.sh [--scale 100] [--heap 16g] [--settle-max 10800] [-- DEMO FLAGS...]
#   (default demo flags: --method forec --epochs 1 --maml-max-steps 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
scale=100
heap=16g
settle_max=10800
flags=(--method forec --epochs 1 --maml-max-steps 1000)
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --heap) heap="$2"; shift 2 ;;
    --settle-max) settle_max="$2"; shift 2 ;;
    --) shift; flags=("$@"); break ;;
    *) echo "demo-scale.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
./xmrec --version >/dev/null # builds once
provenance
work=bench/runs/demo-scale-$scale
data=bench/runs/scale/data-$scale
mkdir -p "$work" bench/results
if [ ! -s "$data/uk_5core.txt" ]; then
  ./xmrec synth --out "$data" --scale "$scale" --seed 42 > /dev/null 2> "$work/synth.log"
fi
markets=$(cd "$data" && ls ./*_5core.txt | sed 's|^\./||; s|_5core.txt$||' | tr '\n' ' ')
lines=$(cat "$data"/*_5core.txt | wc -l)
port=18491
XMREC_NO_BUILD=1 XMREC_JAVA_OPTS="-Xmx$heap -XX:+UseTransparentHugePages" setsid /usr/bin/time -v \
    ./xmrec demo --data "$data" --speed max --port "$port" "${flags[@]}" > "$work/demo.out" 2> "$work/demo.err" &
demo=$!
trap 'kill -TERM -- -"$demo" 2>/dev/null || true' EXIT
start=$(date +%s)
metric() { awk -v k="$1" '$1 == k {print $2}' "$work/metrics.txt"; }
models() { curl -s --max-time 10 "localhost:$port/models" || echo '{}'; }
quiet=0; last=""; settled=0; replay_s=""; ended=0; m="{}"
: > "$work/timeline.txt" # this run's samples only (an earlier run's were appended to and reported again)
n=$(echo $markets | wc -w)
while true; do
  sleep 30
  now=$(( $(date +%s) - start ))
  if ! curl -s --max-time 10 "localhost:$port/metrics" > "$work/metrics.new" || [ ! -s "$work/metrics.new" ]; then
    if ! kill -0 "$demo" 2>/dev/null; then echo "demo-scale.sh: the demo ended (see $work/demo.err)" >&2; ended=1; break; fi
    continue # no answer this time: the figures stay those of the last sample that had them
  fi
  mv "$work/metrics.new" "$work/metrics.txt"
  m=$(models)
  java_pid=$(pgrep -f "xmrec.jar demo --data $data" | head -1 || true)
  rss=$(awk '/VmRSS/{print int($2 / 1024)}' "/proc/$java_pid/status" 2>/dev/null || echo 0)
  [ -z "$replay_s" ] && replay_s=$(sed -n 's/^replay done: .* in \([0-9.]*\)s;.*/\1/p' "$work/demo.out")
  read_n=$(metric xmrec_updater_interactions_total); trunk_n=$(metric xmrec_updater_trunk_interactions)
  trunks=$(metric xmrec_updater_trunks_total)
  whole=0
  if [ -n "$replay_s" ] && [ "$(settled_now "$work/metrics.txt" "$m" "$n")" = 1 ]; then whole=1; fi
  echo "$now s: rss ${rss} MiB, read ${read_n:-0}, newest trunk on ${trunk_n:-0}, trunks ${trunks:-0}, settled-so-far $whole," \
      "models $(echo "$m" | python3 -c "import json,sys; d=json.load(sys.stdin); print(' '.join(f'{k}:v{v[\"version\"]}/t{v[\"trunk_version\"]}' for k, v in sorted(d.items())))")" \
      >> "$work/timeline.txt"
  if [ "$whole" = 1 ] && [ "$m" = "$last" ]; then quiet=$((quiet + 30)); else quiet=0; fi
  last="$m"
  if [ "$quiet" -ge 60 ]; then settled=$now; break; fi
  if ! kill -0 "$demo" 2>/dev/null; then echo "demo-scale.sh: the demo ended (see $work/demo.err)" >&2; ended=1; break; fi
  if [ "$now" -gt "$settle_max" ]; then echo "demo-scale.sh: not settled after $settle_max s" >&2; break; fi
done
echo "$m" > "$work/models.json"
cp "$work/metrics.txt" "$work/metrics-end.txt"
bootstrap=$(sed -n 's/^xmrec demo: broker \([^,]*\), registry \(.*\)$/\1/p' "$work/demo.out")
registry=$(sed -n 's/^xmrec demo: broker \([^,]*\), registry \(.*\)$/\2/p' "$work/demo.out")
audit="not run"
if [ "$settled" != 0 ]; then
  XMREC_NO_BUILD=1 XMREC_JAVA_OPTS=-Xmx4g ./xmrec holdouts --bootstrap "$bootstrap" --registry "$registry" --dump-only \
      --dump "$work/holdouts.tsv" > "$work/audit.txt" 2>> "$work/audit.err" || true
  audit="$(cat "$work/audit.txt"); $(python3 bench/offline_split_check.py "$work/holdouts.tsv" "$data" $markets 2>&1 || true)"
fi
stop_s="n/a: the demo had ended before (stopped from outside, or it failed: see demo.err)"
if [ "$ended" = 0 ]; then
  t0=$(date +%s.%N)
  kill -TERM "$(pgrep -f "xmrec.jar demo --data $data" | head -1)" 2>/dev/null || true
  wait "$demo" || true
  stop_s=$(python3 -c "import time; print(f'{time.time() - $t0:.1f}')")
fi
wait "$demo" 2>/dev/null || true
trap - EXIT
peak=$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2 / 1048576}' "$work/demo.err")
out=bench/results/demo-scale.md
results_file "$out" "The one-JVM demo on data many times XMarket's size" bench/demo-scale.sh
{
  echo
  echo "## $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "- command: \`bench/demo-scale.sh --scale $scale --heap $heap -- ${flags[*]}\` (the demo: \`./xmrec demo --data <synthetic, ${scale}x> --speed max ${flags[*]}\`, heap $heap)"
  echo "- commit: \`$commit\`"
  echo "- machine: $machine"
  echo "- data: \`xmrec synth --scale $scale --seed 42\`, markets $markets, $(printf "%'d" "$lines") lines"
  echo
  echo "| what | value |"
  echo "|---|---|"
  echo "| replay of every event (s, the demo's own count) | ${replay_s:-not reached} |"
  echo "| settled (s after the start) | $([ "$settled" != 0 ] && echo "$settled" || echo "**not settled**") |"
  echo "| training interactions read by the updater, and in its newest trunk | ${read_n:-0}, ${trunk_n:-0} |"
  echo "| trunks trained | ${trunks:-0} |"
  echo "| models served at the end | $(python3 -c "import json; d=json.load(open('$work/models.json')); print(', '.join(f'{k} v{v[\"version\"]} (trunk v{v[\"trunk_version\"]}, {v[\"users\"]:,} users, {v[\"items\"]:,} items)' for k, v in sorted(d.items())))") |"
  echo "| holdout job's final state against the offline split | $audit |"
  echo "| peak RSS of the JVM (GiB) | $peak |"
  echo "| stop after SIGTERM (s) | $stop_s |"
  echo
  echo "Timeline (every 30 s):"
  echo
  echo '```'
  cat "$work/timeline.txt"
  echo '```'
} >> "$out"
echo "added a section to $out" >&2
