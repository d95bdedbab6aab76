#!/usr/bin/env bash
# The roles as separate processes on this machine, as a deployment runs them: broker (xmrec broker),
# registry, topics, holdout job, N updaters in one group, evaluator, and a replay of the markets at a
# fixed speed. Measures each role's peak resident memory and CPU time (what the Kubernetes requests
# are sized from), how the markets spread over the updaters, the models each published, and, with
# --kill-after, how long the surviving updaters take to own and publish a killed updater's markets.
# Writes bench/results/scale-out.md.
#
#   bench/scale-out.sh [--data DIR] [--markets ca,de,fr,in,jp,mx,uk] [--speed 10] [--updaters 2]
#                      [--kill-after SECONDS] [--settle 60] [--heap 2g]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${XMREC_DATA_DIR:-}"
markets="ca,de,fr,in,jp,mx,uk"
speed=10
updaters=2
kill_after=0
settle=60
heap=2g
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --markets) markets="$2"; shift 2 ;;
    --speed) speed="$2"; shift 2 ;;
    --updaters) updaters="$2"; shift 2 ;;
    --kill-after) kill_after="$2"; shift 2 ;;
    --settle) settle="$2"; shift 2 ;;
    --heap) heap="$2"; shift 2 ;;
    *) echo "scale-out.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
[ -n "$data" ] || { echo "scale-out.sh: --data DIR or XMREC_DATA_DIR is needed" >&2; exit 2; }
work=bench/runs/scale-out
rm -rf "$work"
mkdir -p "$work" bench/results
./xmrec --version >/dev/null # builds once
export XMREC_NO_BUILD=1 XMREC_TOPIC_PREFIX="bench." XMREC_JAVA_OPTS="-Xmx$heap"

declare -A pid
roles=()
stats() { # role -> "peak_rss_kib cpu_seconds" (while it runs)
  local p=${pid[$1]}
  local hwm ticks
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
  ticks=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
  echo "$hwm $(python3 -c "print(round($ticks / $(getconf CLK_TCK), 1))")"
}
start() { # name, then xmrec arguments; env from the caller
  local name="$1"
  shift
  ./xmrec "$@" > "$work/$name.log" 2>&1 &
  pid[$name]=$!
  roles+=("$name")
}
stop_all() {
  for r in "${roles[@]}"; do kill -TERM "${pid[$r]}" 2>/dev/null || true; done
  sleep 5
  for r in "${roles[@]}"; do kill -KILL "${pid[$r]}" 2>/dev/null || true; done
}
trap stop_all EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # seconds, command...
  local until=$(( $(date +%s) + $1 ))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$until" ] || return 1
    sleep 1
  done
}
metrics() { curl -sf "$1" 2>/dev/null || true; }
metric() { # text name label-value -> value or empty
  printf '%s\n' "$1" | awk -v n="$2" -v l="$3" '$1 == n || index($1, n "{") == 1 && index($1, l) > 0 {print $2; exit}'
}

t0=$(date +%s)
start broker broker --bootstrap-file "$work/bootstrap"
wait_for 120 test -s "$work/bootstrap" || { echo "broker did not start: $work/broker.log" >&2; exit 1; }
export XMREC_BOOTSTRAP=$(cat "$work/bootstrap")
reg_port=$(free_port)
export XMREC_REGISTRY="http://127.0.0.1:$reg_port"
XMREC_PORT=$reg_port start registry registry
wait_for 60 curl -sf "$XMREC_REGISTRY/subjects" -o /dev/null || { echo "registry did not start" >&2; exit 1; }
./xmrec topics --markets "$markets" > "$work/topics.log" 2>&1
start holdouts holdouts
declare -A upd_url
for i in $(seq 1 "$updaters"); do
  port=$(free_port)
  XMREC_HTTP_PORT=$port XMREC_SESSION_TIMEOUT_MS=10000 start "updater-$i" updater
  upd_url[updater-$i]="http://127.0.0.1:$port/metrics"
done
eval_port=$(free_port)
XMREC_PORT=$eval_port XMREC_STATE_DIR="$work/evaluator-state" start evaluator evaluator
eval_url="http://127.0.0.1:$eval_port/metrics"
sleep 5
t_ingest=$(date +%s)
XMREC_DATA="$data" start ingest ingest --markets "$markets" --speed "$speed"

killed=""
kill_time=0
handover=""
owned_before=""
while kill -0 "${pid[ingest]}" 2>/dev/null; do
  sleep 2
  if [ "$kill_after" -gt 0 ] && [ -z "$killed" ] && [ $(( $(date +%s) - t_ingest )) -ge "$kill_after" ]; then
    killed="updater-$updaters"
    killed_markets=$(metrics "${upd_url[$killed]}" | sed -n 's/^xmrec_updater_owns{market="\([^"]*\)"} 1\(\.0\)\{0,1\}$/\1/p' | paste -sd' ' -)
    owned_before="${killed_markets:-none}"
    read -r rss cpu <<< "$(stats "$killed")"
    echo "$killed $rss $cpu" > "$work/killed.stats"
    kill -KILL "${pid[$killed]}"
    kill_time=$(date +%s)
    echo "killed $killed (owning: $owned_before) at $(( kill_time - t_ingest )) s" >&2
  fi
  if [ -n "$killed" ] && [ -z "$handover" ]; then
    # every market the killed updater owned is owned by a survivor
    owned_now=""
    for u in "${!upd_url[@]}"; do
      [ "$u" = "$killed" ] && continue
      owned_now+=" $(metrics "${upd_url[$u]}" | sed -n 's/^xmrec_updater_owns{market="\([^"]*\)"} 1\(\.0\)\{0,1\}$/\1/p' | paste -sd' ' -)"
    done
    all_moved=1
    for m in $killed_markets; do
      case " $owned_now " in *" $m "*) ;; *) all_moved=0 ;; esac
    done
    [ "$all_moved" = 1 ] && handover=$(( $(date +%s) - kill_time ))
  fi
done
t_replayed=$(date +%s)
# settle: until a trunk exists and no updater's counters changed for --settle seconds (at most 20 minutes)
last=""
same_since=$(date +%s)
while [ $(( $(date +%s) - same_since )) -lt "$settle" ] && [ $(( $(date +%s) - t_replayed )) -lt 1200 ]; do
  now=""
  for u in "${!upd_url[@]}"; do
    [ "$u" = "$killed" ] && continue
    now+=$(metrics "${upd_url[$u]}" | grep -E '^xmrec_updater_(snapshots|row_deltas|head_deltas|refused|references|trunks)_total |^xmrec_updater_trunk_training ')
  done
  # nothing trained yet, or a trunk in training: not settled
  case "$now" in *"xmrec_updater_trunk_training 1"*|"") same_since=$(date +%s) ;; esac
  printf '%s\n' "$now" | grep -qE '^xmrec_updater_trunks_total [1-9]' || same_since=$(date +%s)
  if [ "$now" != "$last" ]; then last=$now; same_since=$(date +%s); fi
  sleep 5
done
t_end=$(date +%s)

{
  for r in "${roles[@]}"; do
    [ "$r" = "$killed" ] && { cat "$work/killed.stats"; continue; }
    [ "$r" = ingest ] && continue
    echo "$r $(stats "$r")"
  done
} > "$work/roles.txt"
for u in "${!upd_url[@]}"; do
  [ "$u" = "$killed" ] && continue
  metrics "${upd_url[$u]}" > "$work/$u.metrics"
done
metrics "$eval_url" > "$work/evaluator.metrics"
events=$(grep -oE 'ingested [0-9,]+ events' "$work/ingest.log" | tail -1 | tr -dc '0-9' || true)
commit=$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)
python3 - "$work" "$markets" "$speed" "$updaters" "$kill_after" "$settle" "$heap" "$commit" \
    "$(( t_replayed - t_ingest ))" "$(( t_end - t0 ))" "${killed:-}" "${handover:-}" "${owned_before:-}" "${events:-}" \
    > bench/results/scale-out.md <<'PY'
import sys, os, re, glob, datetime
(work, markets, speed, updaters, kill_after, settle, heap, commit, replay_s, wall_s, killed, handover, owned_before,
 events) = sys.argv[1:]
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
print("# Scale-out: the roles as separate processes\n")
args = f"--markets {markets} --speed {speed} --updaters {updaters} --settle {settle} --heap {heap}"
if int(kill_after):
    args += f" --kill-after {kill_after}"
print(f"- command: `bench/scale-out.sh {args}`")
print(f"- commit: `{commit}`")
print(f"- date: {datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
      f"every role a JVM with -Xmx{heap} on this one machine, topics under the prefix `bench.`")
ev = f"{int(events):,} events" if events else "the events"
print(f"- replay: {ev} at {speed} days/s took {replay_s} s; {wall_s} s from the broker's start to the end of settling")
if killed:
    print(f"- `{killed}` (owning {owned_before}) was killed with SIGKILL {kill_after} s into the replay; "
          + (f"the other updaters owned its markets **{handover} s** later (session timeout 10 s)" if handover
             else "the others did not own its markets before the replay ended"))
print("\n## Memory and CPU per role\n")
print("| role | peak RSS (MiB) | CPU seconds |")
print("|---|---:|---:|")
for line in open(os.path.join(work, "roles.txt")):
    name, rss, cpu_s = line.split()
    print(f"| {name}{' (killed)' if name == killed else ''} | {int(rss) / 1024:,.0f} | {float(cpu_s):,.0f} |")
print("\n## Updaters\n")
print("| updater | owned markets | trunk | input kept (markets: training interactions) | trunks trained | snapshots | row deltas | head deltas | refused | users folded in | model versions |")
print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|")
def val(text, name):
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    return f"{float(m.group(1)):.0f}" if m else "-"
for f in sorted(glob.glob(os.path.join(work, "updater-*.metrics"))):
    t = open(f).read()
    vs = ", ".join(f"{m} v{float(v):.0f}" for m, v in re.findall(r'^xmrec_updater_model_version\{market="([^"]+)"\} (\S+)$', t, re.M))
    name = os.path.basename(f)[:-len(".metrics")]
    trunk = "yes" if val(t, "xmrec_updater_trunk_owner") == "1" else "no"
    kept = re.findall(r'^xmrec_updater_held_interactions\{market="([^"]+)"\} (\S+)$', t, re.M)
    kept_s = (f"{len(kept)}: {sum(float(v) for _, v in kept):,.0f}") if kept else "-"
    print(f"| {name} | {val(t, 'xmrec_updater_owned_markets')} | {trunk} | {kept_s} | {val(t, 'xmrec_updater_trunks_total')} | "
          f"{val(t, 'xmrec_updater_snapshots_total')} | {val(t, 'xmrec_updater_row_deltas_total')} | "
          f"{val(t, 'xmrec_updater_head_deltas_total')} | {val(t, 'xmrec_updater_refused_total')} | "
          f"{val(t, 'xmrec_updater_folded_in_users_total')} | {vs} |")
t = open(os.path.join(work, "evaluator.metrics")).read()
rows = re.findall(r'^xmrec_eval_ndcg_at_10\{market="([^"]+)",split="test"\} (\S+)$', t, re.M)
if rows:
    print("\n## Evaluator at the end (test nDCG@10, 99 sampled negatives)\n")
    print("| " + " | ".join(m for m, _ in rows) + " |")
    print("|" + "---:|" * len(rows))
    print("| " + " | ".join(f"{float(v):.4f}" for _, v in rows) + " |")
PY
cat bench/results/scale-out.md
