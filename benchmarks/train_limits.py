"""How far a trainer is from the machine's limit: the model FLOPs its documents need, a matmul
probe at the model's shapes (the attainable FLOP/s), and a profile of tunelab's steps by kind of
work. Used by train_throughput.py."""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class Shape:
    layers: int
    hidden: int  # attention width: heads x head_dim
    linears: list[tuple[int, int]]  # (in, out) of one decoder layer's matmuls
    vocab: int

    @property
    def body_weights(self) -> int:
        return self.layers * sum(i * o for i, o in self.linears)

    @property
    def head_weights(self) -> int:
        return self.hidden * self.vocab


def meta_model(name: str) -> nn.Module:
    """A model tunelab names, built from its config on the meta device (no weights loaded)."""
    from transformers import AutoConfig, AutoModelForCausalLM

    from tunelab.models.load import embedded_model_dir
    from tunelab.models.random_shapes import RANDOM_SHAPES
    from tunelab.models.random_weights import random_shape_config

    if name in RANDOM_SHAPES:
        config = random_shape_config(name, vocab_size=49152)
    else:
        config = AutoConfig.from_pretrained(embedded_model_dir())
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def model_shape(name: str) -> Shape:
    """The matmul shapes of a model tunelab names, read from its config (no weights loaded)."""
    model = meta_model(name)
    config = model.config
    layer = model.model.layers[0]
    linears = [(m.in_features, m.out_features) for m in layer.modules() if isinstance(m, nn.Linear)]
    heads_dim = config.num_attention_heads * getattr(
        config, "head_dim", config.hidden_size // config.num_attention_heads
    )
    return Shape(config.num_hidden_layers, heads_dim, linears, config.vocab_size)


def model_flops(shape: Shape, mode: str, lengths: list[int], trained: list[int]) -> float:
    """The work training on these documents needs, whoever does it.

    Forward: 2 FLOPs per weight per token for the decoder's matmuls (every token), for the LM head
    only where a token is trained; causal attention within each document, 2 matmuls (QK^T, PV) of
    2 d FLOPs per (query, key) pair, L(L+1)/2 pairs. Full finetuning: 3x forward (gradients for
    activations and weights). LoRA: 2x for the frozen matmuls (no weight gradient; the adapters
    are not counted), 3x for attention, which has no weights. Padding, logits of prompt tokens
    and attention across documents are not needed, so not counted.
    """
    passes = 3 if mode == "full" else 2
    matmuls = 2 * passes * (shape.body_weights * sum(lengths) + shape.head_weights * sum(trained))
    pairs = sum(n * (n + 1) // 2 for n in lengths)
    attention = 3 * 2 * 2 * shape.hidden * pairs * shape.layers
    return matmuls + attention


def _time_linear(
    n_in: int, n_out: int, tokens: int, mode: str, device: str, dtype, seconds: float, kernels
) -> tuple[float, float]:
    """(FLOPs, seconds) of forward + backward through one bias-free linear layer, repeated for
    about `seconds`: the kernels autograd runs in training (weight gradient only when full),
    the forward pass inside `kernels`."""
    layer = nn.Linear(n_in, n_out, bias=False, device=device, dtype=dtype)
    layer.requires_grad_(mode == "full")
    x = torch.randn(tokens, n_in, device=device, dtype=dtype, requires_grad=True)
    grad = torch.randn(tokens, n_out, device=device, dtype=dtype)

    def once() -> None:
        with kernels():
            out = layer(x)
        out.backward(grad)
        x.grad = layer.weight.grad = None

    return _repeat(once, _linear_flops(n_in, n_out, tokens, mode), device, seconds)


def _time_transposed(
    n_in: int, n_out: int, tokens: int, mode: str, seconds: float
) -> tuple[float, float]:
    """The same products by oneDNN in the other operand order: the output made transposed,
    [out, tokens] = weight @ x.T, whose gradient then gives the weight's without a transposed
    copy, and the input's gradient after one (as tunelab's fused loss does for the LM head, where
    oneDNN is faster this way round)."""
    from tunelab.kernels import onednn_linear

    weight = torch.randn(n_out, n_in)
    x = torch.randn(tokens, n_in)
    grad_t = torch.randn(n_out, tokens)

    def once() -> None:
        onednn_linear(weight, x)  # the output, transposed
        onednn_linear(grad_t.t(), weight.t())  # the input's gradient
        if mode == "full":
            onednn_linear(grad_t, x.t())  # the weight's gradient

    return _repeat(once, _linear_flops(n_in, n_out, tokens, mode), "cpu", seconds)


def _linear_flops(n_in: int, n_out: int, tokens: int, mode: str) -> int:
    """A linear layer's forward and backward: the weight's gradient only in full finetuning."""
    return 2 * tokens * n_in * n_out * (3 if mode == "full" else 2)


def _repeat(once, per_call: float, device: str, seconds: float) -> tuple[float, float]:
    once()  # first call allocates and picks kernels
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    calls, start = 0, time.perf_counter()
    while True:
        once()
        calls += 1
        sync()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return per_call * calls, elapsed


def gemm_probe(
    shape: Shape, mode: str, tokens: int, trained: int, device: str, seconds: float = 1.0
) -> float:
    """FLOP/s this device reaches on the model's own matmuls: each decoder-layer shape at
    `tokens` rows, the LM head at `trained` rows, weighted as one step of training uses them.
    Each shape by the fastest of the kernels torch offers here: its default (MKL on a CPU) and,
    for float32 on a CPU, oneDNN (which tunelab trains with, tunelab/kernels/__init__.py) in either
    operand order."""
    from tunelab.kernels import OneDnnLinear

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    flops = total = 0.0
    for (n_in, n_out), count, rows in [
        *((linear, shape.layers, tokens) for linear in shape.linears),
        ((shape.hidden, shape.vocab), 1, trained),
    ]:
        timings = [_time_linear(n_in, n_out, rows, mode, device, dtype, seconds, nullcontext)]
        if device == "cpu":
            timings.append(
                _time_linear(n_in, n_out, rows, mode, device, dtype, seconds, OneDnnLinear)
            )
            timings.append(_time_transposed(n_in, n_out, rows, mode, seconds))
        f, s = max(timings, key=lambda fs: fs[0] / fs[1])
        flops, total = flops + count * f, total + count * s
    return flops / total


# The kinds of work a step's time is split into, by the profiled op's name or enclosing range.
MATMUL = {
    "aten::mm",
    "aten::addmm",
    "aten::bmm",
    "aten::baddbmm",
    "aten::matmul",
    "aten::linear",
    "mkldnn::_linear_pointwise",
}
KINDS = [
    "matmul (decoder, LM head)",
    "attention kernel",
    "loss: softmax, exp, gather",
    "optimizer + grad clipping",
    "data (batching)",
    "elementwise, norms, copies",
    "Python, autograd, dispatch",
]


def _kind(name: str, scope: str) -> str:
    if scope == "data":
        return KINDS[4]
    if scope == "optimizer":
        return KINDS[3]
    if name.startswith("tunelab_attention::"):  # tunelab's own kernel, short documents
        return KINDS[1]
    if not name.startswith(("aten::", "mkldnn::")):
        return KINDS[6]  # a range's own time, autograd nodes, the engine
    if name in MATMUL:
        return KINDS[0]
    if "scaled_dot_product" in name or "flash_attention" in name:
        return KINDS[1]
    if scope == "loss":
        return KINDS[2]
    return KINDS[5]


def profile_tunelab(args, steps: int = 3, warmup: int = 2) -> dict:
    """Seconds per step by kind of work over `steps` steps of tunelab's step (the loop's own
    functions: collate, accumulate_gradients, clip, AdamW), after `warmup` steps."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile, record_function
    from train_peers import LR, SHAPES, load_documents

    from tunelab.config import TrainConfig
    from tunelab.data.pipeline import iterate_batches, make_rows
    from tunelab.run import load_model
    from tunelab.train import loss as loss_module
    from tunelab.train.loop import accumulate_gradients
    from tunelab.train.setup import make_optimizer, prepare_model, set_attention

    cfg = TrainConfig(method=args.mode, lr=LR, lora={"dropout": 0.0}, attention=args.attention)
    model, tokenizer = load_model(SHAPES[args.shape])
    items = load_documents(tokenizer, args.docs, args.max_length)
    rows = make_rows(items, args.max_length, packing=True)
    rows_per_step = max(1, round(args.batch_size * len(rows) / len(items)))
    device = torch.device(args.device)
    set_attention(model, cfg.attention, device)
    model = prepare_model(model, cfg).to(device)
    optimizer = make_optimizer(model, cfg, device)
    stream = iterate_batches(rows, rows_per_step, 0, True, tokenizer.pad_token_id)
    trainable = [p for p in model.parameters() if p.requires_grad]
    # The loss's own ops are told apart from the decoder's by a range around its function.
    fused = loss_module.LinearCrossEntropy.forward

    def labelled(*a, **k):
        with record_function("loss"):
            return fused(*a, **k)

    loss_module.LinearCrossEntropy.forward = staticmethod(labelled)

    def step() -> None:
        with record_function("data"):
            _, _, batch = next(stream)
        with record_function("model"):
            accumulate_gradients(model, [batch], device)
        with record_function("optimizer"):
            torch.nn.utils.clip_grad_norm_(trainable, cfg.max_grad_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    # On a GPU each op is charged the device time of the kernels it launched itself, and what is
    # left of the wall time is time the GPU ran nothing: waiting on the host (Python, launches).
    gpu = device.type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if gpu else [])
    for _ in range(warmup):
        step()
    sync = torch.cuda.synchronize if gpu else (lambda: None)
    sync()
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        sync()
        wall = time.perf_counter() - start
    seconds: dict[str, float] = defaultdict(float)
    for event in prof.events():
        if event.device_type != DeviceType.CPU:
            continue  # a kernel (or a range's span) on the GPU: its time is its launching op's
        scope, parent = "", event
        while parent is not None:
            if parent.name in ("data", "optimizer", "loss"):
                scope = parent.name
                break
            parent = parent.cpu_parent
        own = event.self_device_time_total if gpu else event.self_cpu_time_total
        seconds[_kind(event.name, scope)] += own / 1e6
    # What no event covers (the loop around the ranges) is Python too; on a GPU, idle time.
    seconds[KINDS[6]] += max(0.0, wall - sum(seconds.values()))
    return {
        "wall_per_step": wall / steps,
        "per_step": {k: seconds[k] / steps for k in KINDS},
        "docs_per_step": len(items) / len(rows) * rows_per_step,
    }
