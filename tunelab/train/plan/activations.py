"""What one Llama-style decoder layer keeps for the backward pass, per token, tensor by tensor.

Read off the autograd graph (torch.autograd.graph.saved_tensors_hooks) of transformers' Llama
layer with sdpa attention and peft's LoRA, and checked against it to the byte on the CPU
(tests/test_plan_activations.py): autograd keeps an input only when a gradient needs it, so a
frozen projection keeps no input, and a product with a constant (RoPE's cos and sin) keeps nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from tunelab.train.plan.shapes import ATTENTION, MLP, Shape

FP32 = 4


@dataclass(frozen=True)
class Precision:
    """The bytes of what a layer holds. `weights`: the weights' dtype, which the residual stream
    keeps; `compute`: the matmuls' (bf16 under autocast); `autocast`: the step runs under bf16
    autocast; `mask`: a LoRA dropout mask element (the CPU keeps a float32 noise tensor, CUDA's
    fused dropout a bool); `adapter_copy`: the bytes of the copy of its input each LoRA adapter
    keeps even without dropout (peft casts the input to the adapters' float32, autocast casts that
    to bf16), or 0 where the adapters share what the layer keeps; `fused_norm`: the norms are
    tunelab's (a CPU, float32 weights: tunelab/train/layers/rms_norm.py), which keep one tensor of the
    input's size (its kernel the input, its closed form the normalised output) for both the
    input's gradient and the weight's, where transformers' keeps the normalised output as well;
    `fused_mlp`: the MLP's SwiGLU is tunelab's kernel (a CPU with AVX2, float32:
    tunelab/train/layers/mlp.py), which keeps gate and up but no SiLU output; `fused_dropout`: LoRA's
    dropout is tunelab's kernel (the same CPUs: tunelab/train/layers/lora_layers.py), which keeps
    neither a mask nor the dropped input, only the input it shares with the layer, as without
    dropout."""

    weights: int
    compute: int
    autocast: bool
    mask: int
    adapter_copy: int = 0
    fused_norm: bool = False
    fused_mlp: bool = False
    fused_dropout: bool = False

    @property
    def casts_inputs(self) -> bool:
        """Autocast on a float32 residual stream: each projection casts its own bf16 input."""
        return self.autocast and self.weights == FP32


@dataclass(frozen=True)
class Saved:
    what: str
    per_token: int  # bytes per token in one layer


def layer_activations(
    shape: Shape,
    precision: Precision,
    *,
    trained: str,
    targets: tuple[str, ...] = (),
    r: int = 0,
    dropout: bool = False,
    repeated_kv: bool = True,
    mask_length: int = 0,
) -> list[Saved]:
    """Bytes per token one layer keeps, by tensor. trained: "full" (every weight has a gradient)
    or "lora" (adapters of rank r on `targets`, the layer's own weights frozen). repeated_kv: sdpa
    with a mask (packed rows) gets k and v repeated to every query head; mask_length: the row
    length when each layer builds its own float mask of it (packed rows under sdpa), else 0."""
    h, i, kv, heads = shape.hidden, shape.intermediate, shape.kv_heads * shape.dim, shape.heads
    q = heads * shape.dim
    c, full = precision.compute, trained == "full"
    inputs = {n: a for n, (a, _) in shape.projections().items()}
    rows = [
        Saved(
            "RMSNorm inputs (or outputs), in float32, and 1/rms (2 norms)", 2 * h * FP32 + 2 * FP32
        )
    ]
    if full and not precision.fused_norm:
        rows.append(
            Saved("RMSNorm outputs before the weight, for its gradient", 2 * h * precision.weights)
        )
    rows += [
        Saved("attention: q and output", 2 * q * c),
        Saved(
            "attention: k and v" + (", repeated to every head" if repeated_kv else ""),
            2 * (q if repeated_kv else kv) * c,
        ),
        Saved("attention: log-sum-exp per head", heads * FP32),
        Saved("MLP: gate and up outputs", 2 * i * c),
    ]
    if not precision.fused_mlp:
        rows.append(Saved("MLP: SiLU output", i * c))
    if mask_length:
        rows.append(Saved("attention mask of the packed row, made per layer", mask_length * c))
    if full:
        # Every projection needs its input for the weight gradient. Without autocast the four
        # projections that read a norm's output share it; with autocast each casts its own copy
        # (o_proj and down_proj already get bf16: sdpa's output, the MLP product).
        shared = 5 * h if precision.casts_inputs else 2 * h
        rows += [
            Saved("projection inputs (q/k/v and gate/up: the norms' outputs)", shared * c),
            Saved("MLP product (down_proj's input)", i * c),
        ]
        return rows
    if not targets:  # frozen below a trained embedding: the rows above, no adapter's
        return rows
    a_out = c if precision.autocast else FP32  # A's output: bf16 under autocast, else float32
    dropout = dropout and not precision.fused_dropout
    rows.append(Saved(f"LoRA: A's outputs (rank {r})", len(targets) * r * a_out))
    if precision.adapter_copy or dropout:
        copies = sum(inputs[n] for n in targets)
        copy = precision.adapter_copy or c  # else dropout's output, in the layer's dtype
        rows.append(Saved("LoRA: each adapter's own copy of its input", copies * copy))
        if dropout:
            rows.append(Saved("LoRA: dropout masks", copies * precision.mask))
        return rows
    # o_proj's input, sdpa's output, is already kept by sdpa.
    shared = (h if set(targets) & set(ATTENTION[:3]) else 0) + (
        h if set(targets) & set(MLP[:2]) else 0
    )
    rows.append(Saved("LoRA: the norms' outputs, the adapters' input", shared * c))
    if "down_proj" in targets:
        rows.append(Saved("MLP product (down_proj's adapter input)", i * c))
    return rows


def checkpointed_layer(shape: Shape, precision: Precision) -> list[Saved]:
    """With gradient checkpointing a layer keeps only its input (the residual stream) until the
    backward pass recomputes it."""
    return [Saved("layer input (the residual stream)", shape.hidden * precision.weights)]
