#!/usr/bin/env bash
# The GPU half of issue 3, as one script for a lent machine (its image has PyTorch, transformers,
# peft and accelerate, but not pydantic, and none of ../shared).
#
# Here, once, from the repository root:
#   bash benchmarks/gpu_check.sh prepare
# Then through the device tool, carrying what prepare made:
#   run(command="bash benchmarks/gpu_check.sh run", carry=[".whl", ".gpu-cache"], timeout_s=540)
# `run fsdp` runs only issue 16's FSDP2 section (about a minute of GPU time; `run throughput`
# only issue 3's; `run plan` only issue 16's plan-vs-measured peaks, about two minutes).
set -euo pipefail
only="${2:-all}"
cache=.gpu-cache
if [ "${1:-}" = prepare ]; then
  grep -qsx '/.whl/' .git/info/exclude || echo /.whl/ >> .git/info/exclude
  grep -qsx '/.gpu-cache/' .git/info/exclude || echo /.gpu-cache/ >> .git/info/exclude
  rm -rf .whl && mkdir -p .whl
  # tunelab's one import the image lacks, at the versions the project's venv has (Python 3.12 there).
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5
  # The peers of train_throughput.py (pure Python); TRL runs only where the image has `datasets`.
  python3 -m pip download -q --no-deps -d .whl trl==1.16.0 liger-kernel==0.8.5
  # The random shapes need only the embedded tokenizer; the data is the shared lamini_docs file.
  source="${TUNELAB_CACHE:-$HOME/.cache/tunelab}/models/smollm2-135m-instruct"
  mkdir -p "$cache/models/smollm2-135m-instruct"
  cp "$source"/tokenizer.json "$source"/tokenizer_config.json "$source"/chat_template.jinja \
    "$cache/models/smollm2-135m-instruct/"
  cp ../shared/data/instructions/lamini_docs/lamini_docs.jsonl "$cache/"
  du -sh .whl "$cache"
  exit 0
fi
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl
export PYTHONPATH="/tmp/site:$PWD" TUNELAB_CACHE="$PWD/$cache" PYTHONUNBUFFERED=1
export TUNELAB_LAMINI="$PWD/$cache/lamini_docs.jsonl" HF_HUB_OFFLINE=1
out="${OUT:-/tmp}"
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$out/gpu.txt"
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
if [ "$only" = all ] || [ "$only" = throughput ]; then
  # Most important first: the 1B shape, full finetuning (the MFU target), then 135M, then LoRA.
  # One repetition each (Trainer, tunelab, TRL, TRL+Liger) to fit the lent time.
  python3 benchmarks/train_throughput.py --device cuda --shapes random-1b,random-135m --modes full \
    --steps 20 --reps 1 2>&1 | tee "$out/full.txt"
  python3 benchmarks/train_throughput.py --device cuda --shapes random-1b --modes full \
    --steps 20 --reps 1 --peers tunelab --attention flex_attention 2>&1 | tee "$out/full_flex.txt"
  python3 benchmarks/train_throughput.py --device cuda --shapes random-135m,random-1b --modes lora \
    --steps 20 --reps 1 2>&1 | tee "$out/lora.txt"
fi
if [ "$only" = all ] || [ "$only" = fsdp ]; then
  # Issue 16, part 1: FSDP2 where the CPU tests cannot go (bf16 MixedPrecisionPolicy, CPU offload,
  # NCCL, a sharded checkpoint resumed on CUDA); one GPU is a group of one process.
  python3 benchmarks/fsdp_check.py --data "$TUNELAB_LAMINI" 2>&1 | tee "$out/fsdp.txt"
fi
if [ "$only" = all ] || [ "$only" = plan ]; then
  # Issue 16, part 3: `tunelab plan` beside the measured peak (max_memory_allocated) of the two
  # random shapes above, full and LoRA, 8 rows x 1024 tokens, 4 steps each.
  python3 benchmarks/plan_check.py --device cuda 2>&1 | tee "$out/plan.txt"
fi
