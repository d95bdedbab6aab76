#!/usr/bin/env bash
# Streaming throughput on the embedded default: replays the XMarket files into the in-process broker
# (xmrec ingest, as fast as possible), then runs the Flink holdout job over all of it on a local
# mini-cluster, and reports events/s of both. The job's fixed cost (mini-cluster start, job
# submission, the final checkpoint) is taken out by a second run on in and jp alone: steady rate =
# (events of all - events of in,jp) / (seconds of all - seconds of in,jp). The exactly-once cost:
# the same runs with at-least-once sinks. Writes bench/results/stream-throughput.md. Run it alone.
#
#   bench/stream-throughput.sh [--data DIR] [--markets ca,de,fr,in,jp,mx,uk] [--parallelism 2]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${XMREC_DATA_DIR:-}"
markets="ca,de,fr,in,jp,mx,uk"
parallelism=2
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --markets) markets="$2"; shift 2 ;;
    --parallelism) parallelism="$2"; shift 2 ;;
    *) echo "stream-throughput.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
data_flag=()
[ -n "$data" ] && data_flag=(--data "$data")
work=bench/runs/stream-throughput
mkdir -p "$work" bench/results
./xmrec --version >/dev/null
run() { # name markets [--at-least-once]
  local name="$1" m="$2"
  shift 2
  local start end
  start=$(date +%s.%N)
  XMREC_NO_BUILD=1 ./xmrec holdouts --embedded "${data_flag[@]}" --markets "$m" --parallelism "$parallelism" "$@" \
      --dump "$work/$name.tsv" > "$work/$name.out" 2> "$work/$name.err"
  end=$(date +%s.%N)
  python3 -c "print(round($end - $start, 1))" > "$work/$name.wall"
}
run all-eo "$markets"
run small-eo in,jp
run all-alo "$markets" --at-least-once
run small-alo in,jp --at-least-once
commit=$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)
python3 - "$work" "$markets" "$parallelism" "$commit" > bench/results/stream-throughput.md <<'PY'
import datetime, os, re, sys
work, markets, par, commit = sys.argv[1:5]
def run(name):
    err, out = open(f"{work}/{name}.err").read(), open(f"{work}/{name}.out").read()
    ing = re.search(r"ingested ([\d,]+) events in ([\d.]+)s", err)
    job = re.search(r"holdout job: ([\d.]+)s", out)
    acc = re.search(r"accounted for: ([\d,]+) of ([\d,]+)", out)
    return dict(events=int(ing.group(1).replace(",", "")), ingest=float(ing.group(2)), job=float(job.group(1)),
                wall=float(open(f"{work}/{name}.wall").read()), accounted=acc.group(0) if acc else "?",
                line=out.splitlines()[0] if out else "")
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
print("# Stream throughput on the embedded default\n")
print(f"- command: `bench/stream-throughput.sh --markets {markets} --parallelism {par}`")
print(f"- commit: `{commit}`")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores; nothing else ran")
print(f"- setup: in-process KRaft broker (1 node), in-process schema registry over HTTP, review topics with 1 "
      f"partition, Flink local mini-cluster with parallelism {par}, checkpoints every 2 s; every event makes two to "
      "three output records (its holdout state, a promoted training interaction), each Avro-encoded\n")
print("| sinks | markets | events | ingest events/s | job seconds | job events/s | steady events/s | end to end seconds |")
print("|---|---|---|---|---|---|---|---|")
for mode, label in (("eo", "exactly-once (transactions)"), ("alo", "at-least-once")):
    a, s = run(f"all-{mode}"), run(f"small-{mode}")
    steady = (a["events"] - s["events"]) / max(a["job"] - s["job"], 1e-9)
    for r, m in ((s, "in,jp"), (a, markets)):
        print(f"| {label} | {m} | {r['events']:,} | {r['events'] / r['ingest']:,.0f} | {r['job']:.1f} | "
              f"{r['events'] / r['job']:,.0f} | {'%s' % format(round(steady), ',') if r is a else ''} | {r['wall']:.1f} |")
a = run("all-eo")
print(f"\n{a['line']}; {a['accounted']} input records (exactly-once run)")
print("\nThe steady rate takes the fixed cost out: the difference between the seven-market run and the run on in "
      "and jp alone, divided by the difference of their job times.")
PY
cat bench/results/stream-throughput.md
