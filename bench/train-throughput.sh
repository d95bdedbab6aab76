#!/usr/bin/env bash
# Training throughput of xmrec's engines (the plain-Java kernel and DeepLearning4J, --engine) against
# PyTorch on the same work: one market's training interactions, fresh negatives every epoch, batch
# 1024, Adam; GMF, MLP and NMF (1) in the paper's configuration and in xmrec's defaults on de, and
# (2) at widths 8, 16, 64 and 256 (embedding width W, tower 2W-4W-2W-W, xmrec's other defaults) on a
# smaller market (jp), where the wide networks still train in seconds per epoch. xmrec is timed from
# its per-epoch log (the median of the epochs after the first, which warms the JIT up), PyTorch
# (bench/pytorch_ncf.py, CPU) the same way, with 1 and 2 threads. Writes
# bench/results/train-throughput.md. Run it alone: it measures speed.
#
#   bench/train-throughput.sh [--data DIR] [--market de] [--epochs 4] [--width-market jp] [--widths "8 16 64 256"]
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
data="${XMREC_DATA_DIR:-}"
market=de
epochs=4
wmarket=jp
widths="8 16 64 256"
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --market) market="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --width-market) wmarket="$2"; shift 2 ;;
    --widths) widths="$2"; shift 2 ;;
    *) echo "train-throughput.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
[ -n "$data" ] || { echo "train-throughput.sh: needs --data DIR or XMREC_DATA_DIR (PyTorch reads the file)" >&2; exit 2; }
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "train-throughput.sh: PyTorch is missing; installing Debian's python3-torch (apt-get, needs root)" >&2
  apt-get install -y -q python3-torch >&2
fi
work="$root/bench/runs/train-throughput"
mkdir -p "$work" "$root/bench/results"
./xmrec --version >/dev/null
paper=(--gmf-dim 8 --mlp-dim 8 --layers 16,64,32,16,8 --l2 1e-7 --negatives 4 --no-item-bias)
defaults=()
for cfg in paper defaults; do
  if [ "$cfg" = paper ]; then flags=("${paper[@]}"); else flags=(); fi
  XMREC_NO_BUILD=1 ./xmrec offline --data "$data" --target "$market" --method gmf,mlp,nmf --epochs "$epochs" \
      --early-stopping 0 --no-epoch-validation --no-full "${flags[@]+"${flags[@]}"}" > /dev/null 2> "$work/xmrec-$cfg.log"
done
for threads in 1 2; do
  for arch in gmf mlp nmf; do
    /usr/bin/python3 bench/pytorch_ncf.py "$data/${market}_5core.txt" --arch "$arch" --dim 8 --layers 16,64,32,16,8 \
        --negatives 4 --l2 1e-7 --epochs "$epochs" --threads "$threads" >> "$work/pytorch-paper.jsonl.tmp"
    /usr/bin/python3 bench/pytorch_ncf.py "$data/${market}_5core.txt" --arch "$arch" --dim 16 --layers 32,64,32,16 \
        --negatives 8 --l2 1e-5 --item-bias --epochs "$epochs" --threads "$threads" >> "$work/pytorch-defaults.jsonl.tmp"
  done
done
mv "$work/pytorch-paper.jsonl.tmp" "$work/pytorch-paper.jsonl"
mv "$work/pytorch-defaults.jsonl.tmp" "$work/pytorch-defaults.jsonl"
# the engines at four widths
for w in $widths; do
  layers="$((2 * w)),$((4 * w)),$((2 * w)),$w"
  for engine in kernel dl4j; do
    XMREC_NO_BUILD=1 ./xmrec offline --data "$data" --target "$wmarket" --method gmf,mlp,nmf --epochs "$epochs" \
        --early-stopping 0 --no-epoch-validation --no-full --gmf-dim "$w" --mlp-dim "$w" --layers "$layers" \
        --engine "$engine" > /dev/null 2> "$work/xmrec-w$w-$engine.log"
  done
  : > "$work/pytorch-w$w.jsonl.tmp"
  for threads in 1 2; do
    for arch in gmf mlp nmf; do
      /usr/bin/python3 bench/pytorch_ncf.py "$data/${wmarket}_5core.txt" --arch "$arch" --dim "$w" --layers "$layers" \
          --negatives 8 --l2 1e-5 --item-bias --epochs "$epochs" --threads "$threads" >> "$work/pytorch-w$w.jsonl.tmp"
    done
  done
  mv "$work/pytorch-w$w.jsonl.tmp" "$work/pytorch-w$w.jsonl"
done
commit=$(git rev-parse HEAD)$(git diff --quiet -- . ':!*.md' || echo -dirty)
python3 - "$work" "$market" "$epochs" "$commit" "$wmarket" "$widths" > "$root/bench/results/train-throughput.md" <<'PY'
import datetime, json, os, re, sys
work, market, epochs, commit, wmarket, widths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6].split()
def xmrec(cfg):
    rates = {}
    for line in open(f"{work}/xmrec-{cfg}.log"):
        m = re.match(r"\[\w+ (gmf|mlp|nmf)\] epoch (\d+)/\d+ .* (\d+) samples/s", line)
        if m and int(m.group(2)) > 1:
            rates.setdefault(m.group(1), []).append(int(m.group(3)))
    return {a: sorted(r)[len(r) // 2] for a, r in rates.items()}
def torch(cfg):
    out = {}
    for line in open(f"{work}/pytorch-{cfg}.jsonl"):
        r = json.loads(line)
        out[(r["arch"], r["threads"])] = r["samples_per_second"]
        fw = r["framework"]
    return out, fw
cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].split(":")[1].strip()
print("# Training throughput: xmrec's engines (kernel, DL4J) against PyTorch\n")
print(f"- command: `bench/train-throughput.sh --market {market} --epochs {epochs} --width-market {wmarket} --widths \"{' '.join(widths)}\"`")
print(f"- commit: `{commit}`")
print(f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}")
print(f"- machine: {cpu}, {os.cpu_count()} cores; nothing else ran")
print(f"- work: the training interactions of `{market}` (leave-one-out), fresh negatives every epoch, batch 1024, "
      "Adam, binary cross-entropy; samples per second of the median epoch after the first (negative sampling included); "
      "xmrec on one thread (its trainer is single-threaded), PyTorch on the CPU with 1 and 2 threads\n")
for cfg, label in (("paper", "the paper's configuration: dimension 8, tower 16-64-32-16-8, 4 negatives, L2 1e-7"),
                   ("defaults", "xmrec's defaults: dimension 16, tower 32-64-32-16, 8 negatives, L2 1e-5, item bias")):
    x = xmrec(cfg)
    t, fw = torch(cfg)
    print(f"## {label}\n")
    print(f"| network | xmrec (1 thread) | {fw}, 1 thread | {fw}, 2 threads | xmrec / PyTorch 1 thread |")
    print("|---|---|---|---|---|")
    for a in ("gmf", "mlp", "nmf"):
        print(f"| {a} | {x.get(a, 0):,.0f} | {t.get((a, 1), 0):,.0f} | {t.get((a, 2), 0):,.0f} | "
              f"{x.get(a, 0) / max(t.get((a, 1), 1), 1):.2f} |")
    print()
print(f"## The engines at four widths: `{wmarket}`, embedding width W, tower 2W-4W-2W-W, 8 negatives, L2 1e-5, item bias\n")
print("samples/s of the median epoch after the first; the kernel on one thread, DL4J on ND4J's native backend with "
      "its default threads (one per core, 2 here), PyTorch with 1 and 2 threads; the faster xmrec engine in bold\n")
print("| width | network | kernel | dl4j | pytorch, 1 thread | pytorch, 2 threads | dl4j / kernel |")
print("|---|---|---|---|---|---|---|")
for w in widths:
    k, d = xmrec(f"w{w}-kernel"), xmrec(f"w{w}-dl4j")
    t, fw = torch(f"w{w}")
    for a in ("gmf", "mlp", "nmf"):
        kk, dd = k.get(a, 0), d.get(a, 0)
        ks = f"**{kk:,.0f}**" if kk >= dd else f"{kk:,.0f}"
        ds = f"**{dd:,.0f}**" if dd > kk else f"{dd:,.0f}"
        print(f"| {w} | {a} | {ks} | {ds} | {t.get((a, 1), 0):,.0f} | {t.get((a, 2), 0):,.0f} | {dd / max(kk, 1):.2f} |")
print()
PY
echo "wrote bench/results/train-throughput.md" >&2
