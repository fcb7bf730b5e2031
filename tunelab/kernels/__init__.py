"""Decoding's matrix products through oneDNN rather than MKL, for a float32 model on a CPU.

A decoding step multiplies a few rows (one per reply in the batch) by every weight matrix. MKL's
sgemm, torch's default for float32, is slow on such thin products on the project's 2-core AMD
machine; oneDNN's kernel answered 64 lamini_docs questions in 9.4 s where MKL took 14.1 s, and
7.8 s with its weights packed once, with the same greedy text for all 64 (benchmarks/README.md,
"Generation"). Where tunelab's own kernel compiles (tunelab/kernels/thin.py), decoding's
products run it instead, on weights packed once into panels: 8 rows then cost about what 1 does.
The model is not changed: a torch function mode reroutes `F.linear` for the thread that enters
it, for as long as it does. The server's engine thread enters the same mode
(tunelab/serve/engine.py).

Training's products are no thinner, and oneDNN still wins: on that machine MKL runs its AVX2 code
(~190 GFLOP/s on two cores at the 135M model's shapes) where oneDNN runs AVX-512 (~350), so
training enters the same mode, with gradients (benchmarks/README.md, "Training throughput").
On an Intel CPU MKL runs its AVX-512 code, and there it is the faster (`training_linear`); so it
is on a CPU without AVX-512, where both run AVX2 code.
Under torch.compile (`train.compile`) the products are custom ops that inductor calls as they
are: left to itself it would lower them to MKL's sgemm, 37% slower a step."""

from __future__ import annotations

import contextlib
import functools
import os
import weakref

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from tunelab.kernels import thin

PACK_FOR_ROWS = 8


class OneDnnLinear(TorchFunctionMode):
    """Within it, `F.linear` of float32 CPU tensors runs oneDNN's kernel; anything else as usual.

    `packed`: for decoding, each weight is also packed once and kept for as long as this mode
    lives (one more copy of the weights): into panels for tunelab's thin kernel where it
    compiled (`thin_kernel` None), else into oneDNN's blocked layout. Products with it skip the
    reorder a plain call does every time: the 135M model's linear layers, one thread, took 19 ms
    for 1 row and 25 ms for 8 where the plain call took 27 and 41, and 17 and 21 with the thin
    kernel (benchmarks/README.md, "Serving under load"); either way a row's result does not
    depend on how many rows share the call.
    Training keeps the plain call: its weights change every step.
    A packed mode must not outlive the weights it saw: a weight's `_version` misses fused AdamW's
    update (training's optimizer on a CPU) and any write through `.data`, so a packed copy would
    go stale unseen. Each decode (a `Batch`, a serve engine, whose weights never change) makes
    its own mode, and held-out answers between training steps pack the new weights afresh."""

    def __init__(self, packed: bool = False, thin_kernel: bool | None = None):
        super().__init__()
        self.packed: dict[int, tuple[weakref.ref, int, torch.Tensor]] | None = (
            {} if packed else None
        )
        # None: tunelab's own kernel for the packed products wherever it compiles.
        self.thin = packed and (thin.available() if thin_kernel is None else thin_kernel)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is not F.linear:
            return func(*args, **kwargs)
        x, weight, bias = _linear_arguments(*args, **kwargs)
        if (
            cpu_float32(x)
            and cpu_float32(weight)
            # Autocast would have run this product in bfloat16; oneDNN's op is not on its list.
            and not torch.is_autocast_enabled("cpu")
            and _plain_shapes(weight, bias)
        ):
            if torch.compiler.is_compiling():
                return compiled_linear(x, weight, bias)
            if torch.is_grad_enabled() and any(
                t is not None and t.requires_grad for t in (x, weight, bias)
            ):
                return _LinearWithGradients.apply(x, weight, bias)
            if self.packed is not None and isinstance(weight, torch.nn.Parameter):
                return self._packed_product(x, weight, bias)
            return onednn_linear(x, weight, bias)
        return func(*args, **kwargs)

    def _packed_product(self, x, weight, bias):
        """x @ weight.T on the weight's packed copy (made on first use, again if its version
        moved; see the class's note on what does not move it): tunelab's thin kernel where it
        compiled, else oneDNN's blocked layout."""
        held, version = self.packed.get(id(weight)), _version(weight)
        if held is None or held[0]() is not weight or held[1] != version:
            if self.thin:
                copy = thin.pack(weight)
            else:
                # The hint is a row count to lay the blocks out for; 8 served 1 to 64 rows as
                # well as each count's own.
                copy = torch.ops.mkldnn._reorder_linear_weight(weight.detach(), PACK_FOR_ROWS)
            held = (weakref.ref(weight), version, copy)
            self.packed[id(weight)] = held
        if self.thin:
            return thin.linear(x, held[2], weight.shape[0], bias)
        return onednn_linear(x, held[2], bias)


def _plain_shapes(weight: torch.Tensor, bias: torch.Tensor | None) -> bool:
    """A weight matrix with columns, and no bias or one of its rows' count: the products oneDNN's
    and tunelab's kernels take (F.linear also takes a vector weight or a bias that broadcasts,
    which torch's own kernel then runs)."""
    return (
        weight.dim() == 2
        and weight.shape[1] > 0
        and (bias is None or (cpu_float32(bias) and bias.shape == weight.shape[:1]))
    )


def _linear_arguments(input, weight, bias=None):
    """(input, weight, bias) of an F.linear call, however they were passed (peft's HRA names
    all three)."""
    return input, weight, bias


def onednn_linear(x: torch.Tensor, weight: torch.Tensor, bias=None) -> torch.Tensor:
    """x @ weight.T (+ bias) by oneDNN; `weight` may be a transposed view."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], "")


def training_linear(x: torch.Tensor, weight: torch.Tensor, bias=None) -> torch.Tensor:
    """x @ weight.T (+ bias) for a training step's products: MKL's sgemm where `mkl_trains`,
    else oneDNN's. `weight` may be a transposed view, as `x` may be where `turned` made it."""
    if not mkl_trains():
        return onednn_linear(x, weight, bias)
    rows = x.reshape(-1, x.shape[-1])
    # torch.mm, not F.linear: within OneDnnLinear F.linear would come back to oneDNN.
    out = torch.mm(rows, weight.t()) if bias is None else torch.addmm(bias, rows, weight.t())
    # Reshaped as torch.matmul does, not viewed: a view of the rows' 2-D product passed that
    # product to the next decoder layer as its input's base, whose first size (tokens) the
    # compiler guards against the input's (rows): a compiled sharded run compiled each layer a
    # second time at its second step (tests/test_fsdp.py). No copy either way.
    return torch.ops.aten._unsafe_view(out, (*x.shape[:-1], weight.shape[0]))


@functools.cache
def mkl_trains() -> bool:
    """Whether training's products run MKL's sgemm rather than oneDNN's: on an Intel CPU, where
    MKL runs its AVX-512 code (elsewhere it runs AVX2, oneDNN AVX-512: see the module's note).
    On a 2-core Intel Xeon (AVX-512) MKL took 0.85-0.95 of oneDNN's time for the 135M model's
    decoder products and 0.57 for the loss's input gradient; a step 1.08x LoRA, 1.05x full
    (paired medians of 16 steps, benchmarks/README.md). On a CPU without AVX-512 (AMD Zen 2)
    oneDNN's AVX2 products ran at 104-106 GFLOP/s inside a full step and MKL's at 115.
    TUNELAB_TRAINING_PRODUCTS=mkl|onednn chooses."""
    chosen = os.environ.get("TUNELAB_TRAINING_PRODUCTS", "").lower()
    if chosen in ("mkl", "onednn"):
        return chosen == "mkl" and torch.backends.mkl.is_available()
    return torch.backends.mkl.is_available() and (
        _cpu_vendor() == "GenuineIntel" or not _cpu_has_avx512()
    )


def _cpu_has_avx512() -> bool:
    """Whether torch runs its AVX-512 code on this CPU (and so oneDNN, which asks the CPU alike)."""
    return torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def _cpu_vendor() -> str:
    """The x86 CPU's vendor string (GenuineIntel, AuthenticAMD), "" where Linux does not say."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("vendor_id"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


class _LinearWithGradients(torch.autograd.Function):
    """F.linear whose three products (output, input gradient, weight gradient) all run
    `training_linear`.
    Eager; under torch.compile the same products are the custom ops below (an op call costs
    ~35 us more a layer's forward and backward here, 0.4-0.8% of a training step)."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        _keep_for_gradients(ctx, (x, weight, bias), None)
        return training_linear(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        return _gradients_asked(ctx, grad, _products)


def _keep_for_gradients(ctx, inputs, output):
    # Keep only what the gradients asked for need, as torch's own linear does: a frozen weight
    # (LoRA's base layer) needs no input kept, which matters when dropout made it.
    x, weight, bias = inputs
    want_x, want_weight = ctx.needs_input_grad[:2]
    ctx.save_for_backward(x if want_weight else None, weight if want_x else None)
    ctx.has_bias = bias is not None


def _gradients_asked(ctx, grad, products):
    """(input's, weight's, bias's gradient), None for one not asked for; `products` makes the
    first two."""
    x, weight = ctx.saved_tensors
    want_x, want_weight, want_bias = ctx.needs_input_grad[:3]
    grad_x, grad_weight = products(grad, x, weight, want_x, want_weight)
    grad_bias = grad.reshape(-1, grad.shape[-1]).sum(0) if ctx.has_bias and want_bias else None
    return grad_x if want_x else None, grad_weight if want_weight else None, grad_bias


def _products(grad, x, weight, want_x: bool, want_weight: bool):
    """The input's and the weight's gradients, each only where asked for (else None)."""
    grad_x = grad_weight = None
    if want_x:
        grad_x = training_linear(grad, weight.t())
    if want_weight:
        rows = grad.reshape(-1, grad.shape[-1])
        # oneDNN makes no primitive for a sum over no rows (an input of no tokens): zeros.
        grad_weight = (
            training_linear(turned(rows), x.reshape(-1, x.shape[-1]).t())
            if len(rows)
            else grad.new_zeros((grad.shape[-1], x.shape[-1]))
        )
    return grad_x, grad_weight


def turned(rows: torch.Tensor) -> torch.Tensor:
    """rows.T as `training_linear` reads a first operand best: for oneDNN contiguous (it would
    copy the transposed view itself, by torch's copy, ~10x slower than tunelab's own transpose,
    transpose.cpp, where that compiled; the same values either way, so the same gradients to the
    bit); MKL reads the view as it is."""
    if mkl_trains():
        return rows.t()
    if rows.dtype == torch.float32 and rows.device.type == "cpu" and _transpose_kernel():
        return torch.ops.tunelab_transpose.transposed(rows)
    return rows.t()


@functools.cache
def _transpose_kernel() -> bool:
    return thin.available() and torch.ops.tunelab_transpose.available()


# The same products as custom ops, for torch.compile: inductor fuses what lies between them and
# calls them as they are. Measured on the 135M model's full finetuning (benchmarks/README.md):
# 165 tok/s compiled with inductor's own products; with these 248-265, as not compiled (258-266).
@torch.library.custom_op("tunelab::onednn_linear", mutates_args=())
def compiled_linear(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    return training_linear(x, weight, bias)


@compiled_linear.register_fake
def _(x, weight, bias):
    return x.new_empty((*x.shape[:-1], weight.shape[0]))


@torch.library.custom_op("tunelab::onednn_linear_gradients", mutates_args=())
def _compiled_products(
    grad: torch.Tensor,
    x: torch.Tensor | None,
    weight: torch.Tensor | None,
    want_x: bool,
    want_weight: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """_products as one op, so that the traced backward calls it as it is; an empty tensor for
    a gradient not asked for (a custom op returns tensors only)."""
    grad_x, grad_weight = _products(grad, x, weight, want_x, want_weight)
    empty = grad.new_empty(0)
    return grad_x if want_x else empty, grad_weight if want_weight else empty


@_compiled_products.register_fake
def _(grad, x, weight, want_x, want_weight):
    empty = grad.new_empty(0)
    grad_x = grad.new_empty((*grad.shape[:-1], weight.shape[1])) if want_x else empty
    grad_weight = grad.new_empty((grad.shape[-1], x.shape[-1])) if want_weight else empty
    return grad_x, grad_weight


compiled_linear.register_autograd(
    lambda ctx, grad: _gradients_asked(ctx, grad, _compiled_products),
    setup_context=_keep_for_gradients,
)


def decoding_kernels(model: torch.nn.Module) -> contextlib.AbstractContextManager:
    """What to run a model's forward passes in while decoding: oneDNN's linear for a float32
    model on a CPU whose torch has it, else nothing different."""
    return _kernels(model, packed=hasattr(torch.ops.mkldnn, "_reorder_linear_weight"))


def training_kernels(model: torch.nn.Module) -> contextlib.AbstractContextManager:
    """The same for a training step's forward pass, unpacked; the backward pass follows
    without it."""
    return _kernels(model, packed=False)


def _kernels(model: torch.nn.Module, packed: bool) -> contextlib.AbstractContextManager:
    if not uses_onednn(next(model.parameters())):
        return contextlib.nullcontext()
    return OneDnnLinear(packed)


def uses_onednn(weight: torch.Tensor) -> bool:
    """Whether products with this weight go through oneDNN: float32 on a CPU whose torch has it."""
    return (
        cpu_float32(weight)
        and torch.backends.mkldnn.is_available()
        and hasattr(torch.ops.mkldnn, "_linear_pointwise")
    )


def _version(weight: torch.Tensor) -> int:
    """How many times the weight was changed in place; an inference-mode tensor keeps no count
    (and can only be changed in inference mode, which no tunelab path does)."""
    try:
        return weight._version
    except RuntimeError:
        return 0


def storage_uses(t: torch.Tensor) -> int | None:
    """How many hold t's memory, by torch's (private) storage use count: t's own tensor, the
    storage object asked for here, and each other tensor on it (a view, the base t is a view of);
    None where this torch lacks the count. What tunelab writes over memory it reuses asks this."""
    count = getattr(torch._C, "_storage_Use_Count", None)
    return None if count is None else count(t.untyped_storage()._cdata)


def cpu_float32(t: torch.Tensor) -> bool:
    """A plain float32 tensor on a CPU: what tunelab's CPU kernels take (a DTensor under FSDP,
    or a quantized parameter, keeps its own ops)."""
    return (
        type(t) in (torch.Tensor, torch.nn.Parameter)
        and t.dtype == torch.float32
        and t.device.type == "cpu"
    )
