#!/usr/bin/env bash
# xmrec on real clusters under faults (issue 27): three KRaft brokers in network namespaces of their own
# (replication 3, min ISR 2), a Flink session cluster (a JobManager, two TaskManagers) running the holdout
# job, the registry, two updaters in one group, two serve replicas and the evaluator, each its own JVM;
# a replay at a fixed speed while two clients keep asking the replicas. One fault at a time with its
# recovery: a broker SIGKILLed, the leader of xmrec.train SIGKILLed, a broker cut off for 30 s, a
# TaskManager and the JobManager SIGKILLed, an updater SIGSTOPped past its session timeout, a serving
# replica SIGKILLed. Then the accounting (nothing lost, nothing twice, the offline split, model
# versions). A second run without faults gives the quality to compare with.
# The driver is io.xmrec.app.FaultBench (with the app's tests). Needs root (ip netns).
# Writes bench/results/faults.md.
#
# Run "faults" starts the faults 90 s into the replay (the pipeline under faults while it streams; the
# thin markets have no model yet, so serving is asked little); run "faults-late" (not in the default
# runs) starts them once both replicas serve every market (serving under faults; most of the replay
# is over by then). `--runs ""` only writes the results file from the runs there are.
# The soak (run "soak", not in the default runs): the replay looped for at least --soak-minutes (the
# reviews since 2017, shifted back a window per loop, with new user ids), no faults, every process's RSS
# and heap after GC, the consumer groups' lag and the updaters' freshness sampled every 10 s.
# Each run's section stays in the results file until that run is made again.
#
#   bench/faults.sh [--data DIR] [--markets "ca de fr in jp mx uk"] [--speed 10] [--runs "faults undisturbed"]
#                   (runs: faults, faults-late, undisturbed, soak)
#                   [--soak-minutes 30]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source bench/lib.sh
speed=10
runs="faults undisturbed"
soak_minutes=30
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --speed) speed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --soak-minutes) soak_minutes="$2"; shift 2 ;;
    *) echo "faults.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
[ -n "$data" ] || { echo "faults.sh: --data DIR or XMREC_DATA_DIR is needed" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "faults.sh: needs root (it makes network namespaces with ip netns)" >&2; exit 2; }
command -v ip >/dev/null || { echo "faults.sh: needs iproute2 (ip)" >&2; exit 2; }
ls app/target/xmrec.jar stream-processors/target/*-job.jar app/target/test-classes/io/xmrec/app/FaultBench.class >/dev/null 2>&1 \
  || ./mvnw -B -q install -DskipTests
# the driver runs on the app's test class path (the test support it shares with the tests; flink-runtime-web, which
# a session cluster needs for its REST jar upload)
mkdir -p bench/runs
./mvnw -B -q dependency:build-classpath -pl app -Dmdep.includeScope=test -Dmdep.outputFile="$root/bench/runs/faults.cp" >/dev/null
grep -q '/flink-runtime-web-' "$root/bench/runs/faults.cp" \
  || { echo "faults.sh: flink-runtime-web not found on the app's test class path" >&2; exit 1; }
mlist=$(echo "$markets" | tr ' ' ',')
commit="$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)"
for r in $runs; do
  work="$root/bench/runs/faults/$r"
  rm -rf "$work"
  mkdir -p "$work"
  case "$r" in
    faults) extra=(--faults all) ;;
    faults-late) extra=(--faults all --faults-after ready) ;;
    undisturbed) extra=(--faults none) ;;
    soak) extra=(--faults none --soak-minutes "$soak_minutes") ;;
    *) echo "faults.sh: unknown run '$r' (faults, faults-late, undisturbed, soak)" >&2; exit 2 ;;
  esac
  printf '%s\n' "bench/faults.sh --markets \"$markets\" --speed $speed --runs $r$([ "$r" = soak ] && echo " --soak-minutes $soak_minutes")" \
    "$commit" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$work/meta.txt"
  echo "faults: run '$r' (logs in $work)" >&2
  java -Xmx2g -Dxmrec.home="$root" -cp "$root/app/target/xmrec.jar:$root/app/target/test-classes:$(cat "$root/bench/runs/faults.cp")" io.xmrec.app.FaultBench \
    --data "$(cd "$data" && pwd)" --markets "$mlist" --speed "$speed" "${extra[@]}" --work "$work" 2> "$work/bench.log" \
    || echo "faults: run '$r' failed or found a problem (see $work/bench.log)" >&2
done
python3 - "$root/bench/runs/faults" "$mlist" > bench/results/faults.md <<'PY'
import sys, os, csv
work, markets = sys.argv[1:]
runs = " ".join(r for r in ("faults", "faults-late", "undisturbed", "soak") if os.path.exists(os.path.join(work, r, "meta.txt")))
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
print("# Faults on real clusters\n")
print(f"- machine: {cpu}, {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
      "nothing else ran; every part its own JVM on this machine: three brokers (each in a network namespace on a bridge), "
      "a Flink JobManager and two TaskManagers, the registry, two updaters, two serve replicas, the evaluator, the replay, "
      "the two load clients (in the driver)")
print("- the driver: `io.xmrec.app.FaultBench` (app/src/test/java); each run's logs and timeline under `bench/runs/faults/<run>/`")
notes = os.path.join(work, "notes.md")  # what the runs showed, written by whoever ran them
if os.path.exists(notes):
    print("\n" + open(notes).read().strip())
for r in runs.split():
    f = os.path.join(work, r, "result.md")
    command, commit, date = open(os.path.join(work, r, "meta.txt")).read().splitlines()[:3]
    print(f"\n## Run: {r}\n")
    print(f"- command: `{command}`\n- commit: `{commit}`\n- date: {date}")
    print(open(f).read() if os.path.exists(f) else "(no result: the run failed; see its bench.log)")
qs = {}
for r in runs.split():
    f = os.path.join(work, r, "quality.tsv")
    if os.path.exists(f):
        qs[r] = {row["market"]: row for row in csv.DictReader(open(f), delimiter="\t")}
for a, b in (("faults", "undisturbed"), ("faults-late", "undisturbed")):
    if a not in qs or b not in qs:
        continue
    print(f"\n## Quality at the end: {a} against {b}\n")
    print("The evaluator's test nDCG@10 / HR@10 of each market's newest model (99 sampled negatives, every eligible user).\n")
    print(f"| market | nDCG@10 {a} | nDCG@10 {b} | ratio | HR@10 {a} | HR@10 {b} | users |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for m in markets.split(","):
        x, y = qs[a].get(m, {}), qs[b].get(m, {})
        try:
            ratio = f"{float(x['ndcg10']) / float(y['ndcg10']):.3f}"
        except (KeyError, ValueError, ZeroDivisionError):
            ratio = "-"
        f4 = lambda v: f"{float(v):.4f}" if v not in (None, "") else "-"
        print(f"| {m} | {f4(x.get('ndcg10'))} | {f4(y.get('ndcg10'))} | {ratio} | {f4(x.get('hr10'))} | {f4(y.get('hr10'))} | "
              f"{f4(x.get('users'))[:-5] if x.get('users') else '-'} |")
PY
echo "wrote bench/results/faults.md" >&2
