#!/usr/bin/env bash
# The default demo's GRPO stage with each of #19's loss variants and #18's quantized rollouts, over
# three seeds, measured as the demo measures its models: greedy pass@1 (strict accuracy) on its
# held-out items.
#
#   bench/grpo_variants.sh DEMO_DIR OUT_DIR [--aha build/aha] [--seeds "1 2 3"] [--max-steps N]
#                          [--test-items N] [--threads N] [--variants "baseline q8rollout"]
#
# DEMO_DIR is a finished `aha demo DEMO_DIR` (its warm-up model DEMO_DIR/sft, its GRPO run's
# resolved DEMO_DIR/grpo/config.yaml and DEMO_DIR/summary.json). Each variant trains from the same
# warm-up model with the demo's GRPO config, changed only by the variant's keys and the seed:
#
#   baseline      the demo's own config (dapo, epsilon_high 0.28)
#   gspo          importance_sampling_level sequence, loss_type grpo, epsilon 3e-4, epsilon_high 4e-4
#                 (GSPO's paper's ranges for the sequence-level ratio)
#   cispo         loss_type cispo, epsilon_high 5 (ScaleRL's ε_max)
#   spg4          steps_per_generation 4 (one generation batch for 4 optimizer steps)
#   q8rollout     rollout_quantization q8_0 (rollouts from a q8_0 copy of the policy, TRL's default
#                 sequence_mask correction with cap 3)
#
# --variants picks some of them (default: baseline gspo cispo spg4).
# Every run writes OUT_DIR/<variant>/seed<S>/ (the GRPO run) and .../eval/ (the greedy
# evaluation); the table of greedy pass@1 per variant and seed, and each variant's mean, goes to
# stdout. --max-steps and --test-items shrink the runs for a smoke test (default: the demo's).
# At full size this is 4 variants x 3 seeds x a demo GRPO stage (about 12 times the demo's GRPO
# wall time); nothing here runs it on its own.
set -euo pipefail

usage() { sed -n '2,10p' "$0" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
demo=$1 out=$2
shift 2
aha=build/aha seeds="1 2 3" max_steps="" test_items="" threads="" variants="baseline gspo cispo spg4"
while [[ $# -gt 0 ]]; do
  case $1 in
    --aha) aha=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --max-steps) max_steps=$2; shift 2 ;;
    --test-items) test_items=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --variants) variants=$2; shift 2 ;;
    *) echo "grpo_variants.sh: unknown option $1" >&2; usage ;;
  esac
done
for f in "$demo/grpo/config.yaml" "$demo/summary.json" "$demo/sft/config.json"; do
  [[ -f $f ]] || { echo "grpo_variants.sh: $f: missing (run 'aha demo $demo' first)" >&2; exit 2; }
done
[[ -x $aha ]] || { echo "grpo_variants.sh: $aha: not an executable (build first or pass --aha)" >&2; exit 2; }

# The demo's measuring settings: its held-out items are generate_task(task, test, items, seed + 1).
summary() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$demo/summary.json" "$1"; }
task=$(summary task) seed=$(summary seed) max_tokens=$(summary max_completion_tokens)
[[ -n $test_items ]] || test_items=$(summary test_items)

declare -A keys=(
  [baseline]=""
  [gspo]="importance_sampling_level=sequence loss_type=grpo epsilon=3e-4 epsilon_high=4e-4"
  [cispo]="loss_type=cispo epsilon_high=5"
  [spg4]="steps_per_generation=4"
  [q8rollout]="rollout_quantization=q8_0"
)
for variant in $variants; do
  [[ -v keys[$variant] ]] || { echo "grpo_variants.sh: unknown variant $variant" >&2; exit 2; }
done

printf '%-10s %-6s %s\n' variant seed greedy_pass@1
for variant in $variants; do
  sum=0 n=0
  for s in $seeds; do
    dir="$out/$variant/seed$s"
    mkdir -p "$out/$variant"
    sets=(--set "model_name_or_path=$(realpath "$demo/sft")" --set "output_dir=$dir" --set "seed=$s")
    [[ -z $max_steps ]] || sets+=(--set "max_steps=$max_steps")
    for kv in ${keys[$variant]}; do sets+=(--set "$kv"); done
    "$aha" grpo --config "$demo/grpo/config.yaml" "${sets[@]}" --overwrite ${threads:+--threads "$threads"} \
      >"$dir.log" 2>&1 || { echo "grpo_variants.sh: $variant seed $s: aha grpo failed, see $dir.log" >&2; exit 1; }
    "$aha" eval --model "$dir" --task "$task" --split test --count "$test_items" --seed $((seed + 1)) \
      --samples 1 --k 1 --temperature 0 --max-tokens "$max_tokens" --out "$dir/eval" ${threads:+--threads "$threads"} \
      >>"$dir.log" 2>&1 || { echo "grpo_variants.sh: $variant seed $s: aha eval failed, see $dir.log" >&2; exit 1; }
    p=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics"]["pass@1"])' "$dir/eval/summary.json")
    printf '%-10s %-6s %.4f\n' "$variant" "$s" "$p"
    sum=$(/usr/bin/python3 -c "print($sum + $p)") n=$((n + 1))
  done
  printf '%-10s %-6s %.4f\n' "$variant" mean "$(/usr/bin/python3 -c "print($sum / $n)")"
done
