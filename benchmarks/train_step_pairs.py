"""One training change against its absence, step against step, in one process.

    python benchmarks/train_step_pairs.py --change lora-layers    # peft's LoRA layers vs one node
    python benchmarks/train_step_pairs.py --change rotary         # Llama's rotary vs three passes
    python benchmarks/train_step_pairs.py --change products       # oneDNN's products vs MKL's
    python benchmarks/train_step_pairs.py --change swiglu         # autograd's SwiGLU vs one pass
    python benchmarks/train_step_pairs.py --change rms-norm       # closed-form norms vs a kernel
    python benchmarks/train_step_pairs.py --change clipping       # clip_grad_norm_ vs in AdamW
    python benchmarks/train_step_pairs.py --change head-gradient  # fresh memory vs kept (full)
    python benchmarks/train_step_pairs.py --change dropout --dropout 0.05  # torch's vs a kernel
    python benchmarks/train_step_pairs.py --change swiglu-in-place  # fresh gradients vs over gate/up
    python benchmarks/train_step_pairs.py --change keep-freed --method full  # glibc trims vs keeps
    python benchmarks/train_step_pairs.py --change merged-weight  # LoRA: x(W + sBA) in one product
    python benchmarks/train_step_pairs.py --change attention  # sdpa per document vs the kernel

Two copies of the embedded model, the same batches (lamini_docs, as train_throughput.py), their
steps alternated, the median of the paired step-time ratios printed with each side's median step
and trained tokens/s. A paired ratio cancels the drift of a shared VM that separate runs suffer
(benchmarks/README.md, session 24: a peer's speed moved 38% between runs an hour apart).
keep-freed is a process-wide setting of glibc's, so a step pays for what the step before it
freed under the other side's setting: its sides take turns in blocks of `--block` steps (4),
the first of each block untimed, and the i-th timed step of each side is paired."""

from __future__ import annotations

import argparse
import copy
import math
import statistics
import time

import torch
from train_peers import LR, SHAPES, load_documents, rows_per_step

from tunelab import kernels
from tunelab.config import TrainConfig
from tunelab.data.pipeline import iterate_batches, make_rows
from tunelab.kernels import attention as attention_kernel
from tunelab.kernels import dropout as dropout_kernel
from tunelab.kernels import rms_norm as norm_kernel
from tunelab.kernels import swiglu as swiglu_kernel
from tunelab.kernels import training_linear
from tunelab.run import load_model
from tunelab.train import memory
from tunelab.train.clipping import clip_gradients
from tunelab.train.layers import head_gradient, lora_layers
from tunelab.train.loop import accumulate_gradients
from tunelab.train.setup import make_optimizer, prepare_model, set_attention


def _without_lora_layers(model):
    """The model with peft's own LoRA layers back (prepare_model gave them one node)."""
    for layer in model.modules():
        if getattr(layer, "in_one_node", False):
            layer.__class__ = type(layer).__mro__[1]
    return model


def _without_fused_mlps(model):
    """The model with its MLPs' own forward back (prepare_model gave them the SwiGLU kernel)."""
    from tunelab.train.layers import mlp

    for layer in model.modules():
        if type(layer).__module__ == mlp.__name__:
            layer.__class__ = type(layer).__mro__[1]
    return model


class _MergedLora(torch.autograd.Function):
    """A LoRA layer without dropout as one product with the weight W + scaling * B @ A, made
    each forward and kept for the backward's input gradient: two thin products and two passes
    of adding over the layer's rows fewer than tunelab's node, for one merge (a pass over the
    weight) and the merged weight held until the backward. Pays where the rows outnumber the
    layer's inputs, so only there (`_MergedWhereRowsOutnumber`)."""

    @staticmethod
    def forward(ctx, x, weight, bias, a, b, scaling):
        merged = torch.addmm(weight, b, a, alpha=scaling)
        ctx.save_for_backward(x, training_linear(x, a).mul_(scaling), merged, a, b)
        ctx.scaling = scaling
        return training_linear(x, merged, bias)

    @staticmethod
    def backward(ctx, grad):
        x, thin, merged, a, b = ctx.saved_tensors
        grad_x = training_linear(grad, merged.t()) if ctx.needs_input_grad[0] else None
        grad_thin = training_linear(grad, b.t()).mul_(ctx.scaling)
        grad_a, grad_b = lora_layers.a_gradient(grad_thin, x), lora_layers.b_gradient(thin, grad)
        return grad_x, None, None, grad_a, grad_b, None


_ONE_NODE = lora_layers.LoraLinearFunction


class _MergedWhereRowsOutnumber:
    """Stands in for LoraLinearFunction: _MergedLora where it pays, the node elsewhere."""

    @staticmethod
    def apply(x, dropped, weight, bias, a, b, scaling, dropping=None):
        rows = x.numel() // x.shape[-1]
        if dropped is None and dropping is None and rows >= weight.shape[1]:
            return _MergedLora.apply(x, weight, bias, a, b, scaling)
        return _ONE_NODE.apply(x, dropped, weight, bias, a, b, scaling, dropping)


def _glibc_keeps(keep: bool) -> None:
    """tunelab's setting (memory.keep_freed_memory), or what glibc's defaults come to in a
    training process: a 64 MiB trim threshold (twice the 32 MiB its mmap threshold rises to
    once a large block is freed) and a 128 KiB top pad."""
    if keep:
        memory.keep_freed_memory()
    else:
        memory.mallopt((memory.M_TRIM_THRESHOLD, 64 << 20), (memory.M_TOP_PAD, 128 << 10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--change",
        choices=[
            "lora-layers",
            "rotary",
            "products",
            "swiglu",
            "rms-norm",
            "clipping",
            "head-gradient",
            "dropout",
            "swiglu-in-place",
            "keep-freed",
            "merged-weight",
            "attention",
        ],
        required=True,
    )
    parser.add_argument("--method", default="lora", choices=["lora", "full"])
    parser.add_argument("--steps", type=int, default=10, help="timed steps a side (+2 untimed)")
    parser.add_argument("--dropout", type=float, default=0.0, help="LoRA's dropout")
    parser.add_argument("--block", type=int, help="steps a side takes in a row (keep-freed: 4)")
    args = parser.parse_args()
    if args.change in ("lora-layers", "dropout", "merged-weight") and args.method != "lora":
        parser.error(f"--change {args.change} needs --method lora")
    if args.change == "dropout" and not args.dropout:
        parser.error("--change dropout needs --dropout above 0")
    torch.manual_seed(0)
    cfg = TrainConfig(method=args.method, lr=LR, lora={"dropout": args.dropout})
    model, tokenizer = load_model(SHAPES["smollm2-135m"])
    items = load_documents(tokenizer, 160, 256)
    rows = make_rows(items, 256, packing=True)
    step_rows = rows_per_step(rows, items)
    device = torch.device("cpu")
    set_attention(model, cfg.attention, device)
    before, after = prepare_model(copy.deepcopy(model), cfg), prepare_model(model, cfg)
    if args.change == "lora-layers":
        _without_lora_layers(before)
    if args.change == "swiglu":
        _without_fused_mlps(before)
    # The rotary change is its module's function, for both copies: swapped per step below.
    from transformers.models.llama import modeling_llama

    fast = modeling_llama.apply_rotary_pos_emb
    assert getattr(fast, "in_three_passes", False), "prepare_model gave no rotary change"
    sides = {"before": before, "after": after}
    usable = norm_kernel.usable
    kept_buffers = head_gradient.KEPT
    dropout_usable = dropout_kernel.usable
    attention_usable = attention_kernel.usable
    state = {
        name: (
            make_optimizer(m, cfg, device),
            iterate_batches(rows, step_rows, 0, True, tokenizer.pad_token_id),
        )
        for name, m in sides.items()
    }
    seconds = {name: [] for name in sides}
    tokens = dict.fromkeys(sides, 0)
    block = args.block or (4 if args.change == "keep-freed" else 1)
    if block == 1:  # (side, timed): two untimed rounds, then one step a side in turn
        turns = [(name, step >= 2) for step in range(args.steps + 2) for name in sides]
    else:  # an untimed round of blocks, then blocks whose first step is untimed
        rounds = 1 + math.ceil(args.steps / (block - 1))
        turns = [(n, r > 0 and i > 0) for r in range(rounds) for n in sides for i in range(block)]
    taken = dict.fromkeys(sides, 0)
    memory.keep_freed_memory()  # as the training loop does on a CPU
    for name, timed in turns:
        m = sides[name]
        rotation = fast.__wrapped__ if args.change == "rotary" and name == "before" else fast
        modeling_llama.apply_rotary_pos_emb = rotation
        if args.change == "products":  # before: oneDNN's, after: MKL's sgemm
            kernels.mkl_trains = (lambda: False) if name == "before" else (lambda: True)
        if args.change == "rms-norm":  # before: the closed form's autograd ops
            norm_kernel.usable = (lambda *_: False) if name == "before" else usable
        if args.change == "head-gradient":  # before: the head's gradient in fresh memory
            head_gradient.KEPT = 0 if name == "before" else kept_buffers
        if args.change == "dropout":  # before: peft's dropout module (torch's bernoulli)
            dropout_kernel.usable = (lambda _: False) if name == "before" else dropout_usable
        if args.change == "attention":  # before: sdpa's flash kernel once per document
            attention_kernel.usable = (lambda *_: False) if name == "before" else attention_usable
        if args.change == "swiglu-in-place":  # before: SwiGLU's gradients in fresh memory
            swiglu_kernel.IN_PLACE = name == "after"
        if args.change == "keep-freed":  # before: glibc trims its heap's top as by default
            _glibc_keeps(name == "after")
        if args.change == "merged-weight":  # after: x(W + sBA) where rows >= the layer's inputs
            merged = name == "after"
            lora_layers.LoraLinearFunction = _MergedWhereRowsOutnumber if merged else _ONE_NODE
        optimizer, stream = state[name]
        _, _, batch = next(stream)
        torch.manual_seed(taken[name])  # the same dropout masks on both sides
        taken[name] += 1
        start = time.perf_counter()
        _, trained = accumulate_gradients(m, [batch], device)
        trained_params = [p for p in m.parameters() if p.requires_grad]
        if args.change == "clipping" and name == "before":
            torch.nn.utils.clip_grad_norm_(trained_params, 1.0)
        else:  # as the training loop clips
            clip_gradients(trained_params, 1.0, optimizer)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if timed:
            seconds[name].append(time.perf_counter() - start)
            tokens[name] += int(trained)
    modeling_llama.apply_rotary_pos_emb = fast
    lora_layers.LoraLinearFunction = _ONE_NODE
    norm_kernel.usable = usable
    swiglu_kernel.IN_PLACE = True
    head_gradient.KEPT = kept_buffers
    dropout_kernel.usable = dropout_usable
    attention_kernel.usable = attention_usable
    ratios = [b / a for b, a in zip(seconds["before"], seconds["after"])]
    print(f"{args.change}, {args.method}, {args.steps} paired steps")
    print("| side | median step s | trained tok/s |")
    print("|---|---|---|")
    for name in sides:
        rate = tokens[name] / sum(seconds[name])
        print(f"| {name} | {statistics.median(seconds[name]):.3f} | {rate:.1f} |")
    print(
        f"after ÷ before, paired median: {statistics.median(ratios):.3f}x "
        f"(range {min(ratios):.3f}–{max(ratios):.3f})"
    )


if __name__ == "__main__":
    main()
