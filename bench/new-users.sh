#!/usr/bin/env bash
# New users between trunk re-trainings, offline: for each target, 20% of its users are held back,
# NMF and FOREC (source uk; target uk: de) are trained without them and again with them, and the
# held-back users are evaluated with their embeddings folded in (UserFoldIn: fitted with every
# other parameter fixed, what the continual updater does), with the mean user, with popularity,
# and with the re-trained model. Writes bench/results/new-users.md (raw JSON under bench/runs/new-users/).
#
#   bench/new-users.sh [--data DIR] [--epochs N] [--jobs J] [--markets "in jp mx"] [--fraction F]
#                      [--fold-in STEPS,LR]   (default 60,0.05; other settings write new-users-<STEPS>steps.md)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
fraction=0.2
fold="60,0.05"
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
parse_common "$@"
set -- "${rest[@]+"${rest[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --fraction) fraction="$2"; shift 2 ;;
    --fold-in) fold="$2"; shift 2 ;;
    *) echo "new-users.sh: unknown argument '$1' (see the header of this script)" >&2; exit 2 ;;
  esac
done
steps="${fold%%,*}"
lr="${fold##*,}"
name=new-users
[ "$fold" != "60,0.05" ] && name="new-users-${steps}steps"
work="$root/bench/runs/$name"
command="bench/new-users.sh --epochs $epochs --jobs $jobs --markets \"$markets\" --fraction $fraction --fold-in $fold"
mkdir -p "$work" "$root/bench/results"
./xmrec --version >/dev/null   # builds the app once, before runs start in parallel

start=$(date +%s)
run_market() {
  local m="$1" src=uk
  [ "$m" = uk ] && src=de
  XMREC_NO_BUILD=1 ./xmrec offline "${data_flag[@]}" --target "$m" --source "$src" --method nmf,forec \
      --epochs "$epochs" --no-epoch-validation --new-users "$fraction" --fold-in-steps "$steps" --fold-in-lr "$lr" \
      --out "$work/$m.json" > "$work/$m.table.txt" 2> "$work/$m.log"
  echo "$m done ($(( $(date +%s) - start ))s)"
}
export -f run_market
export start work epochs fraction steps lr
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
run_markets "$jobs" "$work" $markets
total=$(( $(date +%s) - start ))

python3 - "$work" "$total" "$command" "$markets" > "$root/bench/results/$name.md" <<'PY'
import json, sys, os
work, total, command, markets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
runs = {m: json.load(open(os.path.join(work, m + ".json"))) for m in markets}
first = runs[markets[0]]["provenance"]
cols = [("pop", "reduced"), ("nmf", "retrained"), ("nmf", "fold-in"), ("nmf", "average-user"),
        ("forec", "retrained"), ("forec", "fold-in"), ("forec", "average-user")]
print("# New users between trunks: fold-in vs re-training, offline\n")
print(f"- command: `{command}`")
print(f"- commit: {first['git_commit']}, date: {first['date']}, wall: {total} s")
mach = first["machine"]
print(f"- machine: {mach if isinstance(mach, str) else ', '.join(f'{k} {v}' for k, v in mach.items())}")
print(f"- held back: {first['fraction']:.0%} of each target's users (seeded); sources uk (uk: de); "
      f"fold-in {first['fold_in_steps']} Adam steps, lr {first['fold_in_lr']}, 4 negatives per positive")
print("- evaluated: the held-back users only; 99 sampled negatives from the items the reduced models know\n")
for metric, title in (("test_ndcg10", "Test nDCG@10"), ("test_hr10", "Test HR@10"), ("valid_ndcg10", "Validation nDCG@10")):
    print(f"## {title} of the held-back users\n")
    print("| market | users | " + " | ".join(f"{m} {v}" for m, v in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    sums = [0.0] * len(cols)
    for m in markets:
        rows = {(r["method"], r["variant"]): r for r in runs[m]["rows"]}
        vals = [rows[c][metric] for c in cols]
        sums = [a + b for a, b in zip(sums, vals)]
        print(f"| {m} | {runs[m]['new_users']} | " + " | ".join(f"{v:.4f}" for v in vals) + " |")
    print("| **mean** | | " + " | ".join(f"**{s / len(markets):.4f}**" for s in sums) + " |\n")
print("## Fold-in cost\n")
print("| market | new users | known users | fold-in ms per user (both models) |")
print("|---|---|---|---|")
for m in markets:
    r = runs[m]
    print(f"| {m} | {r['new_users']} | {r['known_users']} | {r['fold_in_ms_per_user']:.2f} |")
PY
echo "wrote bench/results/$name.md (${total}s)"
