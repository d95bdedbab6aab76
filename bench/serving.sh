#!/usr/bin/env bash
# Serving latency and throughput: replays the markets into the embedded system (./xmrec demo --speed
# max), waits until every market is served from a trunk trained on all of it and the input is caught
# up, then drives the evaluator's endpoints with wrk: top-10 and top-100 recommendations and scoring
# of 100 candidates for random users of every market, at 2, 8 and 32 connections; and top 10 at 8
# connections once before, while the slow path still trains on both cores; then the same against
# `xmrec serve` started as a process of its own on the demo's broker and registry. Writes
# bench/results/serving.md with requests/s and latency percentiles. Run it alone.
#
#   bench/serving.sh [--data DIR] [--markets ca,de,fr,in,jp,mx,uk] [--seconds 20]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
. "$root/bench/lib.sh"
data="${XMREC_DATA_DIR:-}"
markets="ca,de,fr,in,jp,mx,uk"
seconds=20
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --markets) markets="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "serving.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
[ -n "$data" ] || { echo "serving.sh: needs --data DIR or XMREC_DATA_DIR" >&2; exit 2; }
command -v wrk >/dev/null || { echo "serving.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
work="$root/bench/runs/serving"
rm -rf "$work" && mkdir -p "$work" "$root/bench/results"
for m in ${markets//,/ }; do
  awk -v m="$m" 'NR > 1 {print m, $1}' "$data/${m}_5core.txt" | sort -u >> "$work/users.txt"
  awk -v m="$m" 'NR > 1 {print m, $2}' "$data/${m}_5core.txt" | sort -u >> "$work/items.txt"
done
port=18480
./xmrec --version >/dev/null
XMREC_NO_BUILD=1 setsid ./xmrec demo --data "$data" --markets "$markets" --speed max --port "$port" \
    > "$work/demo.out" 2> "$work/demo.err" &
demo=$!
trap 'kill -TERM -- -"$demo" 2>/dev/null || true' EXIT
n=$(echo "$markets" | tr ',' '\n' | wc -l)
start=$(date +%s)
until grep -q "replay done" "$work/demo.out" 2>/dev/null; do sleep 5; done
metric() { curl -s "localhost:$port/metrics" | awk -v k="$1" '$1 == k {print $2}'; }
all_served() {
  curl -s "localhost:$port/models" | python3 -c "import json,sys; d=json.load(sys.stdin); print(int(len(d) >= $n))"
}
top10() { # $1: connections, $2: output file
  env USERS="$work/users.txt" ITEMS="$work/items.txt" PATH_KIND=recommendations K=10 wrk -t2 -c"$1" -d"${seconds}s" \
      --latency -s bench/serving.lua "http://127.0.0.1:$port" > "$2" 2>&1
}
# while the slow path trains on the whole data (both cores busy): top 10 at 8 connections
until [ "$(all_served)" = 1 ]; do sleep 2; done
busy_trunk=$(metric xmrec_updater_trunk_interactions); busy_all=$(metric xmrec_updater_interactions_total)
top10 8 "$work/wrk-busy-top10-c8.txt"
echo "trunk_interactions=$busy_trunk interactions=$busy_all trunks=$(metric xmrec_updater_trunks_total)" > "$work/busy.txt"
# then idle: the input caught up, the newest trunk trained on every interaction read and served in every
# market, its references trained too (nothing training), and no model change for 20 s
quiet=0; last=""
while true; do
  models=$(curl -s "localhost:$port/models")
  curl -s "localhost:$port/metrics" > "$work/metrics.txt"
  trunks=$(awk '$1 == "xmrec_updater_trunks_total" {print $2}' "$work/metrics.txt") # the sample just fetched
  ready=$(settled_now "$work/metrics.txt" "$models" "$n")
  # why it is not idle yet, for when it never is
  echo "$(date +%T) ready=$ready trunks=$trunks quiet=$quiet models=$models" >> "$work/idle.log"
  if [ "$ready" = 1 ] && [ "$models" = "$last" ]; then quiet=$((quiet + 5)); else quiet=0; fi
  last="$models"
  [ "$quiet" -ge 20 ] && break
  [ $(( $(date +%s) - start )) -gt 2400 ] && { echo "serving.sh: no settled models after 40 min" >&2; break; }
  sleep 5
done
echo "$models" > "$work/models.json"
# every kind of request at 2, 8 and 32 connections against port $1, into $work/wrk-$2KIND-cC.txt
matrix() {
  local c kind env
  for c in 2 8 32; do
    for kind in top10 top100 scores100; do
      case "$kind" in
        top10) env=(PATH_KIND=recommendations K=10) ;;
        top100) env=(PATH_KIND=recommendations K=100) ;;
        scores100) env=(PATH_KIND=scores N=100) ;;
      esac
      env USERS="$work/users.txt" ITEMS="$work/items.txt" "${env[@]}" wrk -t2 -c"$c" -d"${seconds}s" --latency \
          -s bench/serving.lua "http://127.0.0.1:$1" > "$work/wrk-$2$kind-c$c.txt" 2>&1
    done
  done
}
matrix "$port" ""
# the same requests to `xmrec serve`, the role a shop runs (a process of its own following the demo's topics, as
# many replicas as the traffic needs), with the demo idle beside it
read -r bootstrap registry < <(sed -n 's/^xmrec demo: broker \([^,]*\), registry \(.*\)$/\1 \2/p' "$work/demo.out" | head -1)
sport=$((port + 1))
XMREC_NO_BUILD=1 setsid ./xmrec serve --bootstrap "$bootstrap" --registry "$registry" --port "$sport" \
    > "$work/serve.out" 2> "$work/serve.err" &
serve=$!
trap 'kill -TERM -- -"$serve" 2>/dev/null || true; kill -TERM -- -"$demo" 2>/dev/null || true' EXIT
serve_start=$(date +%s)
# ready once it holds the demo's versions of every market
until [ "$(curl -s "localhost:$sport/models" 2>/dev/null | python3 -c "
import json, sys
a, b = json.load(sys.stdin), json.load(open('$work/models.json'))
print(int(all(a.get(m, {}).get('version') == v.get('version') for m, v in b.items())))" 2>/dev/null)" = 1 ]; do
  [ $(( $(date +%s) - serve_start )) -gt 300 ] && { echo "serving.sh: xmrec serve not ready after 5 min" >&2; exit 1; }
  sleep 1
done
echo "$(( $(date +%s) - serve_start ))" > "$work/serve-ready-seconds.txt"
matrix "$sport" serve-
ps -o rss= -p "$(pgrep -f -n -- "--port $sport")" > "$work/serve-rss-kb.txt" 2>/dev/null || true
kill -TERM -- -"$serve" 2>/dev/null || true
curl -s "localhost:$port/recommendations/$(head -1 "$work/users.txt" | tr ' ' '/')?k=3" > "$work/sample.json"
# the top-k cost per market: sequential top-10 requests (one client, keep-alive) for 200 random users each
python3 - "$port" "$work/users.txt" > "$work/per-market.json" <<'PY2'
import http.client, json, random, sys, time
port, users = int(sys.argv[1]), {}
for line in open(sys.argv[2]):
    m, u = line.split()
    users.setdefault(m, []).append(u)
rng, conn, out = random.Random(42), http.client.HTTPConnection("127.0.0.1", port), {}
for m, us in sorted(users.items()):
    times = []
    for u in rng.sample(us, min(200, len(us))):
        t0 = time.perf_counter()
        conn.request("GET", f"/recommendations/{m}/{u}?k=10")
        conn.getresponse().read()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    out[m] = {"requests": len(times), "p50_ms": times[len(times) // 2], "p99_ms": times[int(len(times) * 0.99) - 1]}
print(json.dumps(out))
PY2
# one answer of every endpoint, for the README
u=$(awk '$1 == "in" {print $2; exit}' "$work/users.txt")
items=$(awk '$1 == "in" {print $2; if (++n == 2) exit}' "$work/items.txt" | paste -sd, -)
{
  echo "\$ curl -s localhost:8080/health"; curl -s "localhost:$port/health"; echo
  echo "\$ curl -s localhost:8080/models"; curl -s "localhost:$port/models"; echo
  echo "\$ curl -s 'localhost:8080/recommendations/in/$u?k=3'"; curl -s "localhost:$port/recommendations/in/$u?k=3"; echo
  echo "\$ curl -s 'localhost:8080/scores/in/$u?items=$items'"; curl -s "localhost:$port/scores/in/$u?items=$items"; echo
  echo "\$ curl -s localhost:8080/metrics | grep 'market=\"in\"'"; curl -s "localhost:$port/metrics" | grep 'market="in"' || true
} > "$work/endpoints.txt" 2>&1
if command -v chromium >/dev/null; then # the dashboard as it looks now, for the README
  # headless Chromium's virtual time never ends while a server-sent event stream is open, so the page is shot
  # through a proxy that answers /events with 204 (the page then shows the numbers /api/metrics gives)
  python3 - "$port" > /dev/null 2>&1 <<'PY3' &
import http.server, sys, urllib.request
port = int(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/events"):
            self.send_response(204); self.end_headers(); return
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{self.path}", timeout=10) as r:
                body, ctype, code = r.read(), r.headers.get("Content-Type"), 200
        except Exception:
            body, ctype, code = b"", "text/plain", 404
        self.send_response(code); self.send_header("Content-Type", ctype); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port + 10), H).serve_forever()
PY3
  proxy=$!
  sleep 1
  timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1250 \
      --virtual-time-budget=4000 --user-data-dir="$work/chromium" --screenshot="$work/dashboard.png" \
      "http://127.0.0.1:$((port + 10))/" > /dev/null 2>&1 || true
  kill "$proxy" 2>/dev/null || true
  rm -rf "$work/chromium"
fi
commit=$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)
python3 - "$work" "$markets" "$seconds" "$commit" > "$root/bench/results/serving.md" <<'PY'
import datetime, json, os, re, sys
work, markets, seconds, commit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def parse(f):
    t = open(f).read()
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", t, re.M))
    rps = re.search(r"Requests/sec:\s+(\S+)", t)
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    return lat, float(rps.group(1)) if rps else 0, int(errs.group(1)) if errs else 0
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
models = json.load(open(f"{work}/models.json"))
print("# Serving: recommendations and scores from the evaluator's endpoints and from `xmrec serve`\n")
print(f"- command: `bench/serving.sh --markets {markets} --seconds {seconds}`")
print(f"- commit: `{commit}`")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores; the whole embedded system (broker, Flink job, updater, evaluator) "
      "ran in the same JVM, idle after the replay; wrk ran on the same machine (2 threads)")
print(f"- models: " + ", ".join(f"{m} v{v.get('version')} ({v.get('users')} users, {v.get('items')} items, {v.get('catalogue')} sold)"
                                  for m, v in sorted(models.items())))
busy = open(f"{work}/busy.txt").read().split()
def matrix(prefix):
    """The table of every kind of request at 2, 8 and 32 connections, from the wrk files named with prefix."""
    print("| request | connections | requests/s | p50 | p75 | p90 | p99 | non-2xx |")
    print("|---|---|---|---|---|---|---|---|")
    for c in (2, 8, 32):
        for kind, label in (("top10", "top 10"), ("top100", "top 100"), ("scores100", "score 100 items")):
            lat, rps, errs = parse(f"{work}/wrk-{prefix}{kind}-c{c}.txt")
            print(f"| {label} | {c} | {rps:,.0f} | {lat.get('50','–')} | {lat.get('75','–')} | {lat.get('90','–')} | "
                  f"{lat.get('99','–')} | {errs} |")
print(f"- idle: measured once the input was caught up and every market served a model of the newest trunk, trained on "
      "every interaction (no training ran, only wrk and the HTTP server)")
print(f"- each request: a random (market, user) of the files; top-k over the market's catalogue minus what the user "
      "reviewed, or the scores of 100 random items of the market (POST)\n")
matrix("")
per = json.load(open(f"{work}/per-market.json"))
print("\nThe top-10 cost per market, idle, one client sending one request after the other (the whole request: HTTP, "
      "the user's seen items, scoring every item the market sells, the top 10):\n")
print("| market | items sold | requests | p50 ms | p99 ms |")
print("|---|---|---|---|---|")
for m, r in sorted(per.items()):
    print(f"| {m} | {models.get(m, {}).get('catalogue', '?')} | {r['requests']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} |")
lat, rps, errs = parse(f"{work}/wrk-busy-top10-c8.txt")
print("\nWhile the slow path trained a trunk on the whole data (both cores busy with training; "
      + ", ".join(busy) + " when it started):\n")
print("| request | connections | requests/s | p50 | p75 | p90 | p99 | non-2xx |")
print("|---|---|---|---|---|---|---|---|")
print(f"| top 10 | 8 | {rps:,.0f} | {lat.get('50','–')} | {lat.get('75','–')} | {lat.get('90','–')} | {lat.get('99','–')} | {errs} |")
ready = open(f"{work}/serve-ready-seconds.txt").read().strip()
rss = open(f"{work}/serve-rss-kb.txt").read().strip() if os.path.exists(f"{work}/serve-rss-kb.txt") else ""
print(f"\nThe same requests to `xmrec serve` (the serving role of its own: a separate JVM that follows the demo's "
      f"model and review topics, no training, no evaluator), the demo idle beside it on the same 2 cores; it held "
      f"every market's version {ready} s after its start"
      + (f", RSS {int(rss) / 1024:,.0f} MiB at the end" if rss.isdigit() else "") + ":\n")
matrix("serve-")
print("\nA response (top 3 for the first user):\n")
print("```json\n" + json.dumps(json.load(open(f"{work}/sample.json")), indent=1)[:1500] + "\n```")
PY
echo "wrote bench/results/serving.md" >&2
