#!/usr/bin/env bash
# Cost curves on synthetic data (xmrec synth, seed 42) at growing scales: how each part's cost grows with
# the data. Parts (run one or several, each alone on the machine):
#   trunk     the trunk's stages (GMF++, MLP++, NMF++, MAML) of `xmrec offline --target jp --source <the rest>
#             --method forec`: samples/s per stage and meta-steps/s, lazy table updates and, at the scales of
#             --dense-scales, dense ones (--table-updates lazy|dense)
#   holdouts  the Flink holdout job on the embedded broker (xmrec holdouts --embedded): events/s, and that
#             the final holdouts equal the offline split (bench/offline_split_check.py)
#   publish   a market's model published in parts and loaded by a new client: seconds and bytes
#   serving   top 10 over a market's catalogue (candidate retrieval, its recall against the exhaustive top 10),
#             over HTTP; the model published in parts and loaded by a new client (--item-scales "1 10 100 175":
#             175 is a catalogue of a million items)
#   system    the whole embedded system replaying the synthetic data at --speed days/s (default 10) at the scales of
#             --system-scales (default "1 10"): freshness, bytes per interaction, CPU per part per event, the
#             evaluator's lag, the JVM's peak heap and RSS (--system-heap, default 8g)
#   bench/scale.sh [--parts "trunk serving"] [--scales "1 10 100"] [--dense-scales "1"] [--epochs 1] [--item-scales ...]
#                  [--user-scale U] [--heap SIZE] [--system-scales "1 10"] [--system-heap 8g] [--speed 10]
# --heap: the trunk runs' maximum Java heap (-Xmx; default: the JVM's, a quarter of the machine's memory).
# --user-scale: the serving part's user scale at every item scale (default min(item scale, 20)); a catalogue
# needs users enough that its items are reviewed more than once, or the model learns nothing to rank by.
# Appends a section per part and scale to bench/results/scale-<part>.md (with the command, commit, date,
# machine); data is generated into bench/runs/scale/data-<scale> once and kept.
set -euo pipefail
cd "$(dirname "$0")/.."
parts="trunk"
scales="1 10 100"
dense_scales="1"
epochs=1
maml_steps=300
item_scales="1 10 100 175"
user_scale=""
heap=""
system_scales="1 10"
system_heap=8g
speed=10
while [ $# -gt 0 ]; do
  case "$1" in
    --parts) parts="$2"; shift 2 ;;
    --scales) scales="$2"; shift 2 ;;
    --dense-scales) dense_scales="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --maml-steps) maml_steps="$2"; shift 2 ;;
    --item-scales) item_scales="$2"; shift 2 ;;
    --user-scale) user_scale="$2"; shift 2 ;;
    --heap) heap="$2"; shift 2 ;;
    --system-scales) system_scales="$2"; shift 2 ;;
    --system-heap) system_heap="$2"; shift 2 ;;
    --speed) speed="$2"; shift 2 ;;
    *) echo "bench/scale.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
work=bench/runs/scale
mkdir -p "$work" bench/results
./mvnw -q -B -DskipTests package -pl app -am >/dev/null
export XMREC_NO_BUILD=1
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
command="bench/scale.sh --parts \"$parts\" --scales \"$scales\" --dense-scales \"$dense_scales\" --epochs $epochs --maml-steps $maml_steps${heap:+ --heap $heap}"
case " $parts " in *" system "*) command="$command --system-scales \"$system_scales\" --system-heap $system_heap --speed $speed" ;; esac
case " $parts " in *" serving "*) command="$command --item-scales \"$item_scales\"${user_scale:+ --user-scale $user_scale}" ;; esac

data_for() { # scale -> directory of synthetic files (generated once)
  local d="$work/data-$1"
  if [ ! -f "$d/.done" ]; then
    rm -rf "$d"
    ./xmrec synth --out "$d" --scale "$1" --seed 42 > /dev/null 2> "$work/synth-$1.log"
    touch "$d/.done"
  fi
  echo "$d"
}

header() { # file title: the file's title (once), then this run's section with command, commit, date and machine
  if [ ! -f "$1" ]; then
    printf '# %s\n\nEach section is one run of `bench/scale.sh` (command, commit, date and machine in its first lines); nothing else ran on the machine.\n' "$2" > "$1"
  fi
  {
    echo
    echo "## $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "- command: \`$command\`"
    echo "- commit: \`$(git rev-parse HEAD)\`"
    echo "- machine: $machine"
  } >> "$1"
}

markets_of() { # data dir -> its market codes, from the file names (synth writes <market>_5core.txt)
  ls "$1" | sed -n 's/_5core\.txt$//p' | tr '\n' ' '
}
market_list() { # data dir -> its market codes, comma-separated (for --markets)
  markets_of "$1" | tr ' ' ',' | sed 's/,$//'
}

trunk() {
  local out=bench/results/scale-trunk.md s mode flags log sources
  header "$out" "Trunk training cost against the data size"
  {
    echo "- each row: \`xmrec offline --data <synthetic, scale> --target jp --source <every other market of the data> --method forec --epochs $epochs --early-stopping 0 --maml-max-steps $maml_steps --no-full\`; samples/s of each stage's epoch, MAML meta-steps/s; Java heap: ${heap:-the JVM default, a quarter of the memory}"
    echo
    echo "| scale | table updates | interactions | users | items | gmf++ samples/s | mlp++ samples/s | nmf++ samples/s | maml meta-steps/s | forec samples/s | whole run s | peak RSS GiB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  } >> "$out"
  for s in $scales; do
    d=$(data_for "$s")
    for mode in lazy dense; do
      flags=(--table-updates "$mode")
      if [ "$mode" = dense ]; then
        case " $dense_scales " in *" $s "*) ;; *) continue ;; esac
      fi
      log="$work/trunk-$s-$mode.log"
      sources=$(markets_of "$d" | tr ' ' '\n' | grep -vx jp | paste -sd, -)
      XMREC_JAVA_OPTS="${heap:+-Xmx$heap}" /usr/bin/time -v ./xmrec offline --data "$d" --target jp --source "$sources" --method forec --epochs "$epochs" \
        --early-stopping 0 --maml-max-steps "$maml_steps" --no-full "${flags[@]+"${flags[@]}"}" > "$work/trunk-$s-$mode.txt" 2> "$log"
      rate() { grep -E "\[jp $1\] trained in" "$log" | tail -1 | sed -E 's/.*\(([0-9]+) samples\/s\).*/\1/'; }
      maml=$(grep -E "\[jp maml\] trained in|maml\] trained in" "$log" | tail -1 | sed -E 's/.*\(([0-9.]+) meta-steps\/s\).*/\1/')
      forec=$(grep -E "forec\] fine-tuned on" "$log" | tail -1 | sed -E 's/.*\(([0-9]+) samples\/s\).*/\1/')
      total=$(grep -E "^total " "$work/trunk-$s-$mode.txt" | awk '{print $2}')
      rss=$(awk '/Maximum resident set size/{printf "%.1f", $6/1048576}' "$log")
      n=$(tail -n +2 -q "$d"/*_5core.txt | wc -l)
      users=$(tail -n +2 -q "$d"/*_5core.txt | awk '{print $1}' | sort -u | wc -l)
      items=$(tail -n +2 -q "$d"/*_5core.txt | awk '{print $2}' | sort -u | wc -l)
      echo "| ${s}x | $mode | $n | $users | $items | $(rate 'gmf\+\+') | $(rate 'mlp\+\+') | $(rate 'nmf\+\+') | $maml | $forec | $total | $rss |" >> "$out"
    done
  done
}

# the holdout job on the embedded broker over every market of the synthetic data, exactly-once, parallelism 2;
# the final state compared with the offline split of the same files
holdouts() {
  local out=bench/results/scale-holdouts.md s d log check
  header "$out" "The holdout job against the data size"
  {
    echo "- each row: \`xmrec holdouts --embedded --data <synthetic, scale> --parallelism 2 --dump\` (every market of the data) (in-process broker and registry, Flink local mini-cluster, exactly-once sinks, checkpoints every 2 s to disk); the dump compared with the offline split by \`bench/offline_split_check.py\`"
    echo
    echo "- job events/s: all events over the job's whole time (start-up of the mini-cluster and the last checkpoint included); steady events/s: input records committed by the job's source (it commits at each completed checkpoint, after the sinks' transactions are prepared: exactly once) per second between 10% and 90% of what it committed, timed from the moments each commit was first seen (sampled every 0.2 s); first commit s: when the first came (start-up and the first checkpoint)"
    echo
    echo "| scale | events | ingest s | job s | job events/s | first commit s | steady events/s | accounted for | final state = offline split | peak RSS GiB |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
  } >> "$out"
  for s in $scales; do
    d=$(data_for "$s")
    log="$work/holdouts-$s"
    XMREC_JAVA_OPTS="-Xmx16g" /usr/bin/time -v ./xmrec holdouts --embedded --data "$d" \
      --markets "$(market_list "$d")" --parallelism 2 --dump "$log.tsv" > "$log.out" 2> "$log.err" || true
    check=$(python3 bench/offline_split_check.py "$log.tsv" "$d" $(markets_of "$d") 2>&1 || true)
    python3 - "$s" "$log" "$check" >> "$out" <<'PY'
import re, sys
s, log, check = sys.argv[1:4]
err, out = open(log + ".err").read(), open(log + ".out").read()
ing = re.search(r"ingested ([\d,]+) events in ([\d.]+)s", err)
job = re.search(r"holdout job: ([\d.]+)s", out)
acc = re.search(r"accounted for: ([\d,]+ of [\d,]+)", out)
com = re.search(r"the first after ([\d.]+|NaN)s; steady ([\d,]+|NaN) records/s", out)
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
ev = int(ing.group(1).replace(",", "")) if ing else 0
js = float(job.group(1)) if job else float("nan")
first, steady = (com.group(1), com.group(2)) if com else ("?", "?")
print(f"| {s}x | {ev:,} | {ing.group(2) if ing else '?'} | {js:.1f} | {ev / js:,.0f} | {first} | {steady} | {acc.group(1) if acc else 'failed: ' + (err.strip().splitlines() or ['?'])[-1][:120]} "
      f"| {check} | {(int(rss.group(1)) / 1048576 if rss else float('nan')):.1f} |")
PY
  done
}

# the whole embedded system (broker, holdout job, updater with all three paths, evaluator in one JVM) replaying the
# synthetic data at a fixed pace of event time, so 10x data is 10x the events per second; the bench driver
# ContinualCommand (as bench/freshness.sh) measures freshness, bytes on the wire, CPU per part, the evaluator's lag and
# the JVM's memory; it does not wait for a trunk after the replay (--settle-max 30)
system() {
  local out=bench/results/scale-system.md s d j
  header "$out" "The whole embedded system against the data size"
  {
    echo "- each row: \`java -Xmx$system_heap -cp app/target/xmrec.jar:app/target/test-classes io.xmrec.app.ContinualCommand --data <synthetic, scale> --speed $speed --settle-max 30\` (every market of the data; the slow path running; ranks of the served models on the offline split written but not waited for a final trunk)"
    echo "- freshness: seconds from an interaction's promotion by the holdout job to the first served model trained on it, steady part (after each market's first model), p50 and p99 of each market, shown as the best-worst market (per market: bench/runs/scale/system-<scale>.json); updater: promotion to read, and its own count (read to published); bytes: model snapshots and deltas published per training interaction, against republishing the whole model at every version; CPU: seconds per 1,000 events by part (thread names); evaluator lag: how old the version the evaluator measured last was when it measured it, sampled every 5 s, p50 and max over markets and samples; memory: the one JVM's peak heap and RSS"
    echo
    echo "| scale | events | replay s | events/s | training interactions | freshness p50 / p99 s | updater read p50 / p99 s | updater own p50 / p99 s | bytes per interaction (whole records) | CPU s per 1k events: updater / evaluator / holdout job / broker | trunks (s) | evaluator lag p50 / max s | peak heap / RSS MiB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  } >> "$out"
  for s in $system_scales; do
    d=$(data_for "$s")
    j="$work/system-$s"
    rm -rf "$j.ranks"
    java -Xmx"$system_heap" -Dxmrec.home="$(pwd)" -cp "app/target/xmrec.jar:app/target/test-classes" \
      io.xmrec.app.ContinualCommand --data "$d" --markets "$(market_list "$d")" \
      --speed "$speed" --settle-max 30 --ranks-dir "$j.ranks" > "$j.json" 2> "$j.log" || true
    python3 bench/summarise_scale.py system-row "$s" "$j.json" >> "$out" || echo "| ${s}x | failed: see $j.log |" >> "$out"
  done
}

# serving at catalogue scale: one synthetic market ("big", shaped like ca) whose catalogue grows with the item scale,
# users with min(scale, 20); NMF trained on it (lazy tables, 2 epochs); bench/ServingScale.java measures recall of the
# retrieved candidates, top-10 latency over HTTP with 2 clients, and the model published in parts and loaded.
serving() {
  local out=bench/results/scale-serving.md s d users j
  header "$out" "Serving and model transport against the catalogue size"
  {
    echo "- each row: \`xmrec synth --markets big --scale ${user_scale:-min(F, 20)} --item-scale F\`, \`xmrec offline --target big --method nmf --epochs 2 --early-stopping 0 --save-models\`, then \`java -cp app/target/xmrec.jar bench/ServingScale.java\` (recall on 300 users, 50 at the largest catalogues; the catalogue is the items with a training interaction, as a served model has rows for no other; HTTP top 10 with 2 clients for 20 s, excluding what the user reviewed; the model published in parts on an in-process broker and loaded by a new client)"
    echo
    echo "| item scale | catalogue (items with a training interaction) of the vocabulary | users | recall@10 of candidates | exhaustive ms | with retrieval ms | HTTP req/s | p50 ms | p99 ms | failed | model MB | records | publish s | load s | loaded = published |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  } >> "$out"
  for s in $item_scales; do
    users=${user_scale:-$(( s < 20 ? s : 20 ))}
    d="$work/serving-$s${user_scale:+-u$user_scale}"
    if [ ! -f "$d/.done" ]; then
      rm -rf "$d"; mkdir -p "$d"
      ./xmrec synth --out "$d/data" --markets big --scale "$users" --item-scale "$s" --seed 42 > /dev/null 2> "$d/synth.log"
      ./xmrec offline --data "$d/data" --target big --method nmf --epochs 2 --early-stopping 0 --no-full \
        --save-models "$d/models" > "$d/offline.txt" 2> "$d/offline.log"
      touch "$d/.done"
    fi
    j=$(java -Xmx12g -cp app/target/xmrec.jar bench/ServingScale.java "$d/models/big-nmf" "$d/data/big_5core.txt" big 20 2 \
      2> "$d/serving.log" | tail -1)
    echo "$j" > "$d/serving.json"
    python3 - "$s" "$j" >> "$out" <<'PY'
import json, sys
s, j = sys.argv[1], json.loads(sys.argv[2])
print(f"| {s} | {j['catalogue']:,} of {j['items']:,} | {j['users']:,} | {j['recall_at_10']:.4f} | {j['exhaustive_ms']:.2f} | {j['retrieval_ms']:.2f} "
      f"| {j['req_per_s']:.0f} | {j['p50_ms']:.2f} | {j['p99_ms']:.2f} | {j['failed']} | {j['model_bytes']/1e6:.1f} "
      f"| {j['model_records']} | {j['publish_s']:.2f} | {j['load_s']:.2f} | {j['loaded_scores_equal']} |")
PY
  done
}

for p in $parts; do
  case "$p" in
    trunk) trunk ;;
    holdouts) holdouts ;;
    serving) serving ;;
    system) system ;;
    *) echo "bench/scale.sh: unknown part '$p'" >&2; exit 2 ;;
  esac
done
python3 bench/summarise_scale.py report > bench/results/scale.md
echo "done: bench/results/scale-*.md, bench/results/scale.md (+ scale.svg)"
