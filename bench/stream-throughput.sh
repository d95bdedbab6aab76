#!/usr/bin/env bash
# Streaming throughput on the embedded default: replay the XMarket files of the given markets into
# the in-process broker (xmrec ingest, as fast as possible), then run the Flink holdout job over all
# of it on a local mini-cluster (exactly-once sinks), and report events/s of both and the end-to-end
# time. Writes bench/results/stream-throughput.md.
#
#   bench/stream-throughput.sh [--data DIR] [--markets ca,de,fr,in,jp,mx,uk] [--parallelism P]
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
start=$(date +%s.%N)
XMREC_NO_BUILD=1 ./xmrec holdouts --embedded "${data_flag[@]}" --markets "$markets" --parallelism "$parallelism" \
    --dump "$work/holdouts.tsv" > "$work/out.txt" 2> "$work/err.txt"
end=$(date +%s.%N)
ingest=$(grep -E '^ingested ' "$work/err.txt" | tail -1)
job=$(grep -E '^holdout job: ' "$work/out.txt")
acc=$(grep -E '^accounted for: ' "$work/out.txt")
events=$(echo "$ingest" | sed -E 's/ingested ([0-9,]+) events.*/\1/' | tr -d ,)
ingest_s=$(echo "$ingest" | sed -E 's/.* in ([0-9.]+)s.*/\1/')
job_s=$(echo "$job" | sed -E 's/holdout job: ([0-9.]+)s.*/\1/')
total=$(python3 -c "print(round($end - $start, 1))")
commit=$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)
{
  echo "# Stream throughput on the embedded default"
  echo
  echo "- command: \`bench/stream-throughput.sh --markets $markets --parallelism $parallelism\`"
  echo "- commit: \`$commit\`"
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(uname -sr), $(java -version 2>&1 | head -1)"
  echo "- setup: in-process KRaft broker (1 node), in-process schema registry over HTTP, review topics with 1 partition,"
  echo "  Flink local mini-cluster with parallelism $parallelism, checkpoints every 2 s, exactly-once (transactional) sinks"
  echo
  echo "| stage | events | seconds | events/s |"
  echo "|---|---|---|---|"
  python3 - "$events" "$ingest_s" "$job_s" "$total" <<'PY'
import sys
n, i, j, t = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"| ingest (read files, Avro encode, idempotent produce) | {n:,} | {i:.1f} | {n / i:,.0f} |")
print(f"| holdout job (parse, validate, dedup, rolling holdout, 3 transactional sinks) | {n:,} | {j:.1f} | {n / j:,.0f} |")
print(f"| end to end (JVM start, broker, registry, ingest, job, read back) | {n:,} | {t:.1f} | {n / t:,.0f} |")
PY
  echo
  echo "$job"
  echo "$acc"
} > bench/results/stream-throughput.md
cat bench/results/stream-throughput.md
