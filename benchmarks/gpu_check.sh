#!/usr/bin/env bash
# The GPU checks of issues 3, 16 and 17, as one script for a lent machine (its image has PyTorch,
# transformers, peft and accelerate, but not pydantic, trl or datasets, and none of ../shared).
#
# Here, once, from the repository root:
#   bash benchmarks/gpu_check.sh prepare
# Then through the device tool, carrying what prepare made:
#   run(command="bash benchmarks/gpu_check.sh run", carry=[".whl", ".gpu-cache"], timeout_s=600)
# A lent machine has minutes, not hours, so `run` works to a deadline (GPU_CHECK_SECONDS, 530 by
# default) and takes its sections most important first, each under its own time cap: full
# finetuning of the 1B shape (tunelab, Trainer, TRL, TRL+Liger: issue 17's GPU columns), LoRA of
# it, a profile of tunelab's full step, the plan against measured peaks, FSDP2, then train.compile,
# the 135M shape and flex_attention if time is left. A section that fails or runs out of time is
# reported, and the next one runs; each section's output lands in $OUT/<section>.txt as it is
# made (after the sixth, in $OUT/more.txt). `run fsdp`, `run plan`, `run throughput` run one
# section group alone.
set -uo pipefail
only="${2:-all}"
cache=.gpu-cache
if [ "${1:-}" = prepare ]; then
  set -e
  grep -qsx '/.whl/' .git/info/exclude || echo /.whl/ >> .git/info/exclude
  grep -qsx '/.gpu-cache/' .git/info/exclude || echo /.gpu-cache/ >> .git/info/exclude
  rm -rf .whl && mkdir -p .whl
  # tunelab's one import the image lacks, at the versions the project's venv has (Python 3.12 there).
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5
  # Newer than the image's transformers; pure Python. 5.24.0, not this venv's 5.25.0: 5.25 asks
  # for huggingface-hub >= 2.4 and `kernels`, where the image has hub 1.33 (5.24 asks >= 1.31).
  python3 -m pip download -q --no-deps -d .whl transformers==5.24.0 peft==0.21.2
  # The peers of train_throughput.py (pure Python); TRL needs `datasets`, which the image lacks.
  # For the image's Python 3.12: multiprocess ships a wheel per Python version, and pip would
  # take this machine's (py311), which pip there installs but which is 3.11's multiprocessing.
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 -d .whl \
    trl==1.16.0 liger-kernel==0.8.5 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 \
    fsspec==2026.9.0
  # The random shapes need only the embedded tokenizer; the data is the shared lamini_docs file.
  source="${TUNELAB_CACHE:-$HOME/.cache/tunelab}/models/smollm2-135m-instruct"
  # A fresh machine has no cache yet: the embedded model's first load writes it (~20 s).
  [ -f "$source/tokenizer.json" ] || "$( [ -x .venv/bin/python ] && echo .venv/bin/python ||
    echo python3)" -c "from tunelab.models.load import embedded_model_dir; embedded_model_dir()"
  mkdir -p "$cache/models/smollm2-135m-instruct"
  cp "$source"/tokenizer.json "$source"/tokenizer_config.json "$source"/chat_template.jinja \
    "$cache/models/smollm2-135m-instruct/"
  cp ../shared/data/instructions/lamini_docs/lamini_docs.jsonl "$cache/"
  du -sh .whl "$cache"
  exit 0
fi
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD" TUNELAB_CACHE="$PWD/$cache" PYTHONUNBUFFERED=1
export TUNELAB_LAMINI="$PWD/$cache/lamini_docs.jsonl" HF_HUB_OFFLINE=1
out="${OUT:-/tmp}"
deadline=$((SECONDS + ${GPU_CHECK_SECONDS:-530}))

# section NAME CAP_SECONDS COMMAND...: runs COMMAND for at most CAP seconds and what the deadline
# leaves, its output to the screen and to $out/NAME.txt (the device tool brings back 8 files at
# most, gpu.txt among them: sections past the sixth go to $out/more.txt); a failure is reported,
# not fatal.
sections=0
section() {
  local name=$1 cap=$2 left=$((deadline - SECONDS)) file
  shift 2
  sections=$((sections + 1))
  file="$out/$name.txt"
  [ "$sections" -le 6 ] || file="$out/more.txt"
  if [ "$left" -lt 40 ]; then
    echo "== $name: skipped, ${left} s left before the deadline" | tee -a "$file"
    return
  fi
  [ "$cap" -le "$left" ] || cap=$left
  echo "== $name (at most ${cap} s; $((SECONDS)) s into the run)" | tee -a "$file"
  local started=$SECONDS
  timeout -k 10 "$cap" "$@" 2>&1 | tee -a "$file"
  local status=${PIPESTATUS[0]}
  echo "== $name: exit $status after $((SECONDS - started)) s" | tee -a "$file"
}

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import torch, transformers, peft; print('torch', torch.__version__, 'cuda', \
torch.version.cuda, 'transformers', transformers.__version__, 'peft', peft.__version__)"
  python3 -c "import trl, datasets; print('trl', trl.__version__, 'datasets', datasets.__version__)"
  python3 -c "import liger_kernel; print('liger-kernel imports')"
  python3 -c "import tunelab.train.loop, tunelab.config; print('tunelab imports')"
} 2>&1 | tee "$out/gpu.txt"
throughput="python3 benchmarks/train_throughput.py --device cuda --steps 12 --reps 1"
if [ "$only" = all ] || [ "$only" = throughput ]; then
  # Most important first: the 1B shape, full finetuning (the MFU figure), then LoRA.
  section full 220 $throughput --shapes random-1b --modes full
  section lora 150 $throughput --shapes random-1b --modes lora
  # Where a full-finetuning step's time goes on the GPU (each op's kernels, and the GPU's idle
  # time): what the 17.9% MFU of the first GPU run leaves unexplained.
  section profile 90 $throughput --shapes random-1b --modes full --profile --no-compare
fi
if [ "$only" = all ] || [ "$only" = plan ]; then
  # Issue 16, part 3: `tunelab plan` beside the measured peak (max_memory_allocated) of the two
  # random shapes, full and LoRA, 8 rows x 1024 tokens, 4 steps each.
  section plan 110 python3 benchmarks/plan_check.py --device cuda
fi
if [ "$only" = all ] || [ "$only" = fsdp ]; then
  # Issue 16, part 1: FSDP2 where the CPU tests cannot go (bf16 MixedPrecisionPolicy, CPU offload,
  # NCCL, a sharded checkpoint resumed on CUDA); one GPU is a group of one process.
  section fsdp 90 python3 benchmarks/fsdp_check.py --data "$TUNELAB_LAMINI"
fi
if [ "$only" = all ] || [ "$only" = throughput ]; then
  # train.compile, now one layer compiled and reused (the whole decoder did not end 12 steps in
  # 214 s on the first GPU run): its first step and its steps after it.
  section compile 150 $throughput --shapes random-1b --modes full --peers tunelab --compile on
  section small 120 $throughput --shapes random-135m --modes full,lora
  section flex 90 $throughput --shapes random-1b --modes full --peers tunelab \
    --attention flex_attention
fi
echo "== done, $SECONDS s"
