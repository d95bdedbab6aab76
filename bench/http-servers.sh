#!/usr/bin/env bash
# The HTTP server decision: the JDK's server (what xmrec ships, with its bounded pool) against Jetty 12's own server,
# serving the same model's top 10 with the same request logic (bench/HttpServers.java), one server at a time, the
# two alternated for --rounds rounds so that drift of the machine falls on both. NMF is trained on --market first
# (2 epochs: serving does not depend on the model's quality). wrk drives each server: /ping (a fixed small body: the
# server's own cost) at 8 connections, top 10 for random users of the market at 2, 8 and 32 connections. Writes
# bench/results/http-servers.md. Run it alone.
#
#   bench/http-servers.sh [--data DIR] [--market ca] [--seconds 15] [--rounds 2]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
data="${XMREC_DATA_DIR:-}"
market=ca
seconds=15
rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --market) market="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "http-servers.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
[ -n "$data" ] || { echo "http-servers.sh: needs --data DIR or XMREC_DATA_DIR" >&2; exit 2; }
command -v wrk >/dev/null || { echo "http-servers.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
commit=$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)
work="$root/bench/runs/http-servers"
rm -rf "$work" && mkdir -p "$work" "$root/bench/results"
./xmrec --version >/dev/null
jetty_version=12.1.14 # the newest Jetty 12 whose modules resolve together here; not a dependency of the product
./mvnw -B -q dependency:get -Dartifact="org.eclipse.jetty:jetty-server:$jetty_version" >/dev/null
jars=""
for a in jetty-server jetty-http jetty-io jetty-util; do
  jars="$jars:$HOME/.m2/repository/org/eclipse/jetty/$a/$jetty_version/$a-$jetty_version.jar"
done
XMREC_NO_BUILD=1 ./xmrec offline --data "$data" --target "$market" --method nmf --epochs 2 --early-stopping 0 \
    --save-models "$work/models" > "$work/offline.log" 2>&1
awk -v m="$market" 'NR > 1 {print m, $1}' "$data/${market}_5core.txt" | sort -u > "$work/users.txt"
port=18620
wrk_run() { # $1 engine, $2 round, $3 kind (ping|top10), $4 connections
  local out="$work/wrk-$1-r$2-$3-c$4.txt"
  if [ "$3" = ping ]; then
    wrk -t2 -c"$4" -d"${seconds}s" --latency "http://127.0.0.1:$port/ping" > "$out" 2>&1
  else
    env USERS="$work/users.txt" PATH_KIND=recommendations K=10 wrk -t2 -c"$4" -d"${seconds}s" --latency \
        -s bench/serving.lua "http://127.0.0.1:$port" > "$out" 2>&1
  fi
}
for r in $(seq 1 "$rounds"); do
  for engine in jdk jetty; do
    mkfifo "$work/stdin"
    java -cp "app/target/xmrec.jar$jars" bench/HttpServers.java "$work/models/$market-nmf" "$data/${market}_5core.txt" \
        "$market" "$port" "$engine" < "$work/stdin" > "$work/server-$engine-r$r.log" 2>&1 &
    server=$!
    exec 3> "$work/stdin"
    until grep -q '^ready' "$work/server-$engine-r$r.log" 2>/dev/null; do
      kill -0 "$server" 2>/dev/null || { cat "$work/server-$engine-r$r.log" >&2; exit 1; }
      sleep 1
    done
    # warm-up: the JIT compiles the serving path before anything is measured
    env USERS="$work/users.txt" PATH_KIND=recommendations K=10 wrk -t2 -c8 -d10s -s bench/serving.lua \
        "http://127.0.0.1:$port" > /dev/null 2>&1
    wrk_run "$engine" "$r" ping 8
    for c in 2 8 32; do wrk_run "$engine" "$r" top10 "$c"; done
    ps -o rss= -p "$server" > "$work/rss-$engine-r$r.txt"
    exec 3>&-
    wait "$server" || true
    rm -f "$work/stdin"
    echo "round $r $engine done" >&2
  done
done
python3 - "$work" "$market" "$seconds" "$rounds" "$commit" "$jetty_version" > "$root/bench/results/http-servers.md" <<'PY'
import datetime, glob, os, re, statistics, sys
work, market, seconds, rounds, commit, jetty = sys.argv[1:7]
def ms(s):
    v = float(re.match(r"[\d.]+", s).group())
    return v / 1000 if s.endswith("us") else v * 1000 if s.endswith("s") and not s.endswith("ms") else v
def parse(f):
    t = open(f).read()
    lat = {k: ms(v) for k, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)", t, re.M)}
    rps = float(re.search(r"Requests/sec:\s+(\S+)", t).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    sock = re.search(r"Socket errors: (.*)", t)
    return lat, rps, int(bad.group(1)) if bad else 0, sock.group(1) if sock else ""
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
sold = re.search(r"\((\d+) items sold, (\d+) users\)", open(glob.glob(f"{work}/server-jdk-r1.log")[0]).read())
print("# HTTP servers: the JDK's against Jetty's, serving the same top 10\n")
print(f"- command: `bench/http-servers.sh --market {market} --seconds {seconds} --rounds {rounds}`")
print(f"- commit: `{commit}`")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores; one server JVM at a time and wrk (2 threads) on the same machine, "
      "nothing else running")
print(f"- servers: the JDK's (`com.sun.net.httpserver`, as xmrec ships it: 32 workers behind a queue of 256, "
      f"TCP_NODELAY) and Jetty {jetty} (`Server`, `ServerConnector`, a `QueuedThreadPool` of at most 36 threads, a "
      "native `Handler`); both call `RecommendationServer.recommendations` for the body and Jackson to write it")
print(f"- model: NMF on {market} (2 epochs), {sold.group(1)} items sold, {sold.group(2)} users; each request a random user "
      "of the market, top 10 over the catalogue minus what the user reviewed")
print(f"- each cell: wrk for {seconds} s after a 10 s warm-up of the same server; rounds alternate the two servers "
      "(jdk, jetty, jdk, jetty, ...)\n")
print("| request | connections | server | round | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | socket errors |")
print("|---|---|---|---|---|---|---|---|---|---|")
summary = {}
for kind, c in (("ping", 8), ("top10", 2), ("top10", 8), ("top10", 32)):
    for engine in ("jdk", "jetty"):
        for r in range(1, int(rounds) + 1):
            lat, rps, bad, sock = parse(f"{work}/wrk-{engine}-r{r}-{kind}-c{c}.txt")
            summary.setdefault((kind, c, engine), []).append((rps, lat.get("50"), lat.get("99")))
            label = "/ping" if kind == "ping" else "top 10"
            print(f"| {label} | {c} | {engine} | {r} | {rps:,.0f} | {lat.get('50', 0):.2f} | {lat.get('90', 0):.2f} | "
                  f"{lat.get('99', 0):.2f} | {bad} | {sock or '-'} |")
print("\nMeans over the rounds, Jetty / JDK (requests/s above 1: Jetty serves more; latency below 1: Jetty answers sooner):\n")
print("| request | connections | requests/s JDK | requests/s Jetty | Jetty/JDK requests/s | Jetty/JDK p50 | Jetty/JDK p99 |")
print("|---|---|---|---|---|---|---|")
for kind, c in (("ping", 8), ("top10", 2), ("top10", 8), ("top10", 32)):
    j = summary[(kind, c, "jdk")]
    e = summary[(kind, c, "jetty")]
    mean = lambda xs, i: statistics.mean(x[i] for x in xs)
    print(f"| {'/ping' if kind == 'ping' else 'top 10'} | {c} | {mean(j, 0):,.0f} | {mean(e, 0):,.0f} | "
          f"{mean(e, 0) / mean(j, 0):.2f} | {mean(e, 1) / mean(j, 1):.2f} | {mean(e, 2) / mean(j, 2):.2f} |")
rss = {e: [int(open(f).read()) // 1024 for f in sorted(glob.glob(f"{work}/rss-{e}-r*.txt"))] for e in ("jdk", "jetty")}
print(f"\nResident memory of the server JVM after its runs (MiB): JDK {rss['jdk']}, Jetty {rss['jetty']}.")
PY
echo "wrote bench/results/http-servers.md" >&2
