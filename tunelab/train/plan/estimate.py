"""The memory a training run will take per device, worked out from the model's shape alone (no
weights, no download): weights, adapters, gradients, AdamW state, activations with and without
gradient checkpointing, and the loss, each a line a reader can check by hand.

The peak is held + max(forward, backward) + runtime. Weights and AdamW state are held throughout;
at the end of the forward pass every layer's activations and the loss's parts are alive; during
the backward pass they are freed layer by layer while the gradients fill in, so the two sides
peak at different moments and do not add up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tunelab.data.split import training_set_rows
from tunelab.terminal import n_things
from tunelab.train.plan.activations import FP32, Precision, checkpointed_layer, layer_activations
from tunelab.train.plan.settings import PlanConfig
from tunelab.train.plan.shapes import EMBED, HEAD, Shape, shape_of

GIB = 2**30
# bitsandbytes' NF4 with double quantization: 4 bits a weight, plus per 64 weights an 8-bit
# absmax, plus per 256 of those a float32 (Dettmers et al. 2023, section 3: 0.127 bits a weight).
NF4_BYTES = 0.5 + 1 / 64 + 4 / (64 * 256)
INT8_BYTES = 1.0  # LLM.int8(): a byte a weight, and a float32 scale per row (left out)
# The process itself: on the CPU, Python with torch, transformers, peft and datasets imported
# (0.52 GiB measured on this project's machine) and the math libraries' buffers after a first
# step; on a GPU the CUDA context, cuBLAS workspace and allocator slack (assumed: not measured
# yet, see benchmarks/README.md).
RUNTIME_GIB = {"cpu": 0.55, "cuda": 1.0}

Side = Literal["held", "forward", "backward", "runtime", "elsewhere"]


@dataclass(frozen=True)
class Part:
    name: str
    bytes: float
    how: str
    side: Side  # elsewhere: in CPU memory (cpu_offload), not on the device


@dataclass
class Plan:
    """The parts of a step's peak on one device, and one layer's activations per token."""

    config: PlanConfig
    shape: Shape
    device: str
    parts: list[Part]
    per_layer: list  # activations.Saved rows
    notes: list[str] = field(default_factory=list)

    def side(self, name: Side) -> float:
        return sum(p.bytes for p in self.parts if p.side == name)

    @property
    def peak(self) -> float:
        """Bytes at the step's peak on one device, the runtime included."""
        during = max(self.side("forward"), self.side("backward"))
        return self.side("held") + during + self.side("runtime")

    def largest(self) -> Part:
        """The part that weighs most in the peak: of the forward and backward sides only the one
        that peaks counts, so a large part of the other side cannot be named."""
        during = "forward" if self.side("forward") >= self.side("backward") else "backward"
        return max(
            (p for p in self.parts if p.side in ("held", "runtime", during)), key=lambda p: p.bytes
        )

    @property
    def tensors(self) -> float:
        """The peak without the runtime: what torch.cuda.max_memory_allocated would say."""
        return self.peak - self.side("runtime")


def pick_device(device: str, gpu_memory: float | None) -> str:
    if device != "auto":
        return device
    if gpu_memory:
        return "cuda"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def precision_of(device: str, weights: int, quantized: bool, sharded: bool) -> Precision:
    """How a layer's tensors are held: on a GPU the loop runs under bf16 autocast (and FSDP2
    gathers the layers in bf16); on the CPU everything is in the weights' dtype."""
    if device != "cuda":
        # peft casts a 16-bit layer's input to its float32 adapters, a copy for each.
        copy = 0 if weights == FP32 else FP32
        from tunelab.kernels import dropout, swiglu  # torch: imported where a plan is made

        fp32 = weights == FP32
        # The kernels compile here if they have not yet (once, ~30 s): training will run them.
        fp32_cpu = fp32 and device == "cpu"
        return Precision(
            weights,
            weights,
            False,
            FP32,
            copy,
            fused_norm=fp32,
            fused_mlp=fp32_cpu and swiglu.available(),
            fused_dropout=fp32_cpu and dropout.available(),
        )
    # Under autocast each adapter keeps the bf16 cast of its input, except beside bitsandbytes'
    # layers, where peft leaves the input as it is, and under FSDP's bf16 adapters.
    copy = 0 if quantized or sharded else 2
    return Precision(2 if sharded else weights, 2, True, mask=1, adapter_copy=copy)


def estimate(cfg: PlanConfig, shape: Shape | None = None) -> Plan:
    """The plan of `cfg`; `shape` saves looking the model up again."""
    shape = shape or shape_of(cfg.model)
    unpacked = shape.carries_state and cfg.packing
    if unpacked:  # training turns packing off for it (train/setup.row_packing)
        cfg = cfg.model_copy(update={"packing": False})
    asked = cfg.batch_size
    rows, said = data_batch(cfg)
    if rows < asked:  # the loop makes no batch larger than the data
        cfg = cfg.model_copy(update={"batch_size": rows})
    width, padded = row_width(cfg)
    if width != cfg.max_length:  # nor wider than its longest row
        cfg = cfg.model_copy(update={"max_length": width})
    device = pick_device(cfg.device, cfg.gpu_memory)
    sharded = device == "cuda" and cfg.parallel == "fsdp"
    precision = precision_of(device, cfg.weight_bytes(), cfg.method == "qlora", sharded)
    plan = Plan(cfg, shape, device, [], [])
    _state(plan)
    _activations(plan, precision, sharded)
    _loss(plan, precision)
    if device == "cpu":
        runtime = "Python, torch and libraries (measured here)"
    else:
        runtime = "CUDA context and allocator slack (assumed)"
    plan.parts.append(Part("runtime", RUNTIME_GIB[device] * GIB, runtime, "runtime"))
    if shape.context and cfg.max_length > shape.context:
        # Training does not stop it (RoPE extends), so the plan counts what was asked, but says so.
        plan.notes.append(
            f"max_length {cfg.max_length:,} is beyond the model's context of {shape.context:,} "
            "tokens: positions past it were never trained"
        )
    if unpacked:
        plan.notes.append(
            "data.packing off: the model carries state along a row (a convolution or a "
            "recurrence), so each row holds one document, padded: the same tokens a row at most, "
            "fewer of them trained"
        )
    if padded:
        plan.notes.insert(0, padded)
    if cfg.batch_size < asked:
        plan.notes.insert(0, f"batch {asked} → {said}")
    if cfg.data_unread:  # else a plan of the settings alone passes for one of the data
        plan.notes.insert(
            0, f"the data was not read ({cfg.data_unread}): batch and rows planned as set"
        )
    if cfg.cpu_offload:
        plan.notes.append("cpu_offload: weights, gradients and AdamW state are in CPU memory")
    if device == "cpu":
        # Measured on the embedded model, 2026-12-01: 1.0-1.13x without checkpointing, 1.31-1.85x
        # with LoRA and it (more at larger batches); 0.97x with return_freed_memory.
        plan.notes.append(
            "on a CPU the process's resident memory runs above this peak by default (glibc keeps "
            "freed tensors: up to 1.35x measured, 1.85x with LoRA and gradient checkpointing); "
            "train.return_freed_memory: true keeps it near the plan, at slower steps"
        )
    return plan


def data_batch(cfg: PlanConfig) -> tuple[int, str]:
    """The rows of the largest batch the loop makes of the data, and how the data says so (for
    a batch smaller than batch_size); batch_size when the data is not known."""
    bound = "at most " if cfg.rows_at_most else ""
    if cfg.packing and cfg.packed_rows:
        n = cfg.packed_rows
        return n, f"{bound}{n} rows: {training_set_rows(n, True, cfg.rows_at_most)}"
    if cfg.training_examples and cfg.packing:
        n = cfg.training_examples
        return n, (
            f"at most {n} rows: the training set has {bound}{n_things(n, 'example')}, packed "
            "into as many rows or fewer"
        )
    if cfg.training_examples:
        n = cfg.training_examples
        return n, f"{bound}{n} rows: {training_set_rows(n, False, cfg.rows_at_most)}"
    return cfg.batch_size, ""


def row_width(cfg: PlanConfig) -> tuple[int, str]:
    """The tokens a row is padded to (`collate`'s width: the longest row's, up to a multiple of
    8), and how the data says so; max_length when the longest row is not known."""
    from tunelab.data.pack import padded_width

    longest = cfg.longest_packed_row if cfg.packing else cfg.longest_example
    rows = cfg.packed_rows if cfg.packing else cfg.training_examples
    if not longest or not rows:
        return cfg.max_length, ""
    width = padded_width(longest)
    if width == cfg.max_length:
        return width, ""
    of = ("at most " if cfg.rows_at_most else "") + n_things(
        rows, "packed row" if cfg.packing else "row"
    )
    return (
        width,
        f"rows padded to {width} tokens, the longest of {of} (max_length {cfg.max_length})",
    )


def _state(plan: Plan) -> None:
    """Weights, adapters, gradients and AdamW state, split over the processes under fsdp."""
    cfg, shape, add = plan.config, plan.shape, plan.parts.append
    shards = cfg.processes if cfg.parallel == "fsdp" else 1
    split = f" / {shards} processes" if shards > 1 else ""
    held: Side = "elsewhere" if cfg.cpu_offload else "held"
    w, total = cfg.weight_bytes(), shape.parameters()
    if cfg.method == "qlora":
        q = NF4_BYTES if cfg.quantize == "nf4" else INT8_BYTES
        matrices = shape.layers * shape.layer_matrices()
        rest = total - matrices
        how = f"{matrices / 1e6:,.0f}M in layers x {q:.3f} B ({cfg.quantize}) + {rest / 1e6:,.0f}M x {w} B"
        add(Part("weights", (matrices * q + rest * w) / shards, how + split, held))
    else:
        kind = "float32" if w == FP32 else "16-bit"
        add(Part("weights", total * w / shards, f"{_count(total)} x {w} B ({kind}){split}", held))
    trainable, grad = total, w
    if cfg.method != "full":
        trainable, grad = shape.lora_parameters(cfg.lora_r, cfg.targets()), FP32
        how = f"{_count(trainable)} x 4 B (float32, rank {cfg.lora_r})"
        add(Part("LoRA adapters", trainable * FP32 / shards, how, held))
    # AdamW keeps m and v in the dtype of the weights it updates.
    where: Side = "elsewhere" if cfg.cpu_offload else "backward"
    how = f"{_count(trainable)} trained x {grad} B{split}"
    add(Part("gradients", trainable * grad / shards, how, where))
    how = f"m and v: {_count(trainable)} x {2 * grad} B{split}"
    add(Part("AdamW state", trainable * 2 * grad / shards, how, held))
    if cfg.parallel == "ddp" and cfg.processes > 1:
        # DDP all-reduces through flat buckets as large as the gradients, allocated when it wraps
        # the model: a second copy, as gradient_as_bucket_view is off
        # (train/parallel/distributed.py).
        how = f"{_count(trainable)} x {grad} B, all-reduced, a copy of the gradients"
        add(Part("DDP gradient buckets", trainable * grad, how, "held"))
    if cfg.parallel == "fsdp" and plan.device == "cuda":
        layer = shape.layer_parameters()
        outer = total - shape.layers * shape.layer_parameters()
        if cfg.method != "full":  # the adapters: a layer's with it, lm_head's with the head
            adapters = shape.layer_lora_parameters(cfg.lora_r, cfg.targets())
            layer += adapters
            outer += trainable - shape.layers * adapters
        how = "embeddings, head and 2 layers (running, prefetched) whole, in bf16"
        add(Part("FSDP gathered weights", (outer + 2 * layer) * 2, how, "held"))
        if cfg.method == "full":
            how = "one layer's, in float32 before the reduce-scatter"
            add(Part("FSDP unsharded gradients", layer * FP32, how, "backward"))


def _activations(plan: Plan, precision: Precision, sharded: bool) -> None:
    """What the layers keep for the backward pass (the table of one layer in activations.py), and
    LoRA on embed_tokens its own part."""
    cfg, shape, add = plan.config, plan.shape, plan.parts.append
    targets = tuple(t for t in cfg.targets() if t not in (HEAD, EMBED))  # the layers'
    tokens = cfg.batch_size * cfg.max_length
    # A layer's backward holds the gradients of its largest intermediates, a few at a time.
    working = (3 * shape.intermediate + 4 * shape.hidden) * precision.compute
    # Gradient checkpointing makes the embeddings' output require a gradient (train/setup.py).
    below_head = targets or EMBED in cfg.targets() or cfg.gradient_checkpointing
    if cfg.method != "full" and not below_head:
        # LoRA on lm_head alone: nothing below it has a gradient, so autograd keeps nothing in
        # the layers, and their intermediates live one layer at a time during the forward pass.
        how = f"{tokens:,} tokens x {working:,} B: one layer's intermediates at a time"
        add(Part("forward working set", tokens * working, how, "forward"))
        return
    if EMBED in cfg.targets():
        _embedding_adapter(plan, precision, sharded)
    packed_sdpa = cfg.packing and cfg.attention == "sdpa"
    plan.per_layer = layer_activations(
        shape,
        precision,
        trained="full" if cfg.method == "full" else "lora",
        targets=targets,
        r=cfg.lora_r,
        dropout=cfg.lora_dropout > 0 and cfg.method != "full",
        repeated_kv=packed_sdpa,
        mask_length=cfg.max_length if packed_sdpa else 0,
    )
    per_token = sum(r.per_token for r in plan.per_layer)
    one_layer = tokens * per_token
    # Autocast's bf16 copies of float32 weights stay alive until the backward pass uses them.
    casts = 0
    if precision.autocast and not sharded:
        adapters = shape.layer_lora_parameters(cfg.lora_r, targets)
        casts = ((shape.layer_matrices() if precision.casts_inputs else 0) + adapters) * 2
    copies = f" + {casts / 2**20:,.0f} MiB of bf16 weight copies autocast keeps" if casts else ""
    if cfg.gradient_checkpointing:
        kept = sum(r.per_token for r in checkpointed_layer(shape, precision))
        how = f"{shape.layers} layers x {tokens:,} tokens x {kept:,} B, kept through the step"
        add(Part("activations: layer inputs", shape.layers * tokens * kept, how, "held"))
        how = f"{tokens:,} tokens x {per_token:,} B (table below){copies}, in its backward"
        add(Part("activations: one layer recomputed", one_layer + casts, how, "backward"))
    else:
        how = f"{shape.layers} layers x {tokens:,} tokens x {per_token:,} B (table below)"
        how += f"{copies} a layer" if casts else ""
        add(Part("activations", shape.layers * (one_layer + casts), how, "forward"))
    how = f"{tokens:,} tokens x {working:,} B: gradients of one layer's intermediates"
    add(Part("backward working set", tokens * working, how, "backward"))


def _embedding_adapter(plan: Plan, precision: Precision, sharded: bool) -> None:
    """LoRA on embed_tokens (peft's lora.Embedding: A's rows looked up, then times B) keeps, for
    the whole step (its backward comes last), each token's id for A's gradient and A's output for
    B's; no dropout (peft applies none to an embedding); under autocast also B's bf16 copy."""
    cfg, shape = plan.config, plan.shape
    tokens = cfg.batch_size * cfg.max_length
    a_out = precision.compute if precision.autocast else FP32
    kept = 8 + cfg.lora_r * a_out  # 8: the id (int64)
    copy = cfg.lora_r * shape.hidden * 2 if precision.autocast and not sharded else 0
    how = f"{tokens:,} tokens x {kept:,} B: the ids and A's output (rank {cfg.lora_r})"
    how += f" + B's bf16 copy, {copy:,} B" if copy else ""
    plan.parts.append(Part("activations: LoRA on embed_tokens", tokens * kept + copy, how, "held"))


def _loss(plan: Plan, precision: Precision) -> None:
    """The fused projection + cross-entropy (train/loss.py): per token the final norm, the
    hidden states and their gradient; logits one chunk at a time; the output projection's
    gradient in float32 when it is trained (against the whole weight, so never sharded)."""
    from tunelab.train.loss import chunk_tokens

    cfg, shape, add = plan.config, plan.shape, plan.parts.append
    tokens = cfg.batch_size * cfg.max_length
    hidden = shape.hidden * precision.weights
    per_token = 3 * hidden + shape.hidden * FP32 + (hidden if cfg.method == "full" else 0)
    if shape.unfused:
        _unfused_loss(plan, precision, per_token)
        return
    chunk = min(chunk_tokens(shape.vocab), tokens)
    logit = FP32 + (2 if precision.compute == 2 else 0)  # float32, beside bf16 before the cast
    how = (
        f"{tokens:,} tokens x {per_token:,} B (final norm, hidden states, their gradient) + "
        f"{chunk:,} tokens x {shape.vocab:,} logits x {logit} B (one chunk)"
    )
    add(Part("loss", tokens * per_token + chunk * shape.vocab * logit, how, "forward"))
    if HEAD in cfg.targets():
        kept = _head_adapter(plan, precision)
        how = (
            f"{tokens:,} tokens x {kept:,} B: with LoRA on lm_head the loss is not fused, each "
            "chunk keeps its log-probabilities (float32) and targets, the adapter its input and "
            "A's output"
        )
        add(Part("loss: LoRA on lm_head", tokens * kept, how, "forward"))
    if cfg.method == "full":
        head = shape.vocab * shape.hidden
        how = f"{_count(head)} x 4 B, made during the forward pass by the fused loss"
        add(Part("output projection gradient", head * FP32, how, "forward"))


def _unfused_loss(plan: Plan, precision: Precision, per_token: int) -> None:
    """A model whose forward does more to its logits than the projection (Granite scales them,
    softcapped Gemma 2 caps them) trains through that forward (train/loss.py): its logits for
    every position at once, the trained positions' copy (cast to float32) and the log-softmax
    cross-entropy keeps; at the backward's start their gradients take the place of the copies.
    The head's gradient is then autograd's, counted with the other gradients."""
    cfg, shape = plan.config, plan.shape
    tokens = cfg.batch_size * cfg.max_length
    compute = precision.compute
    kept = 2 * compute + (FP32 if compute != FP32 else 0) + FP32
    cast = ", cast to float32" if compute != FP32 else ""
    how = (
        f"{tokens:,} tokens x {per_token:,} B (final norm, hidden states, their gradient) + "
        f"{tokens:,} tokens x {shape.vocab:,} logits x {kept} B: {shape.unfused}, so all of "
        f"them exist at once: the logits ({compute} B), the trained positions' copy{cast}, the "
        "log-softmax kept for the backward"
    )
    total = tokens * per_token + tokens * shape.vocab * kept
    plan.parts.append(Part("loss: logits not fused", total, how, "forward"))


def _head_adapter(plan: Plan, precision: Precision) -> int:
    """Bytes per token the loss keeps through the forward pass when LoRA adapts lm_head: the head
    is then no plain projection (train/loss.py), its chunks run through autograd one after the
    other, and each keeps what a layer's adapter keeps (activations.py) and its log-softmax."""
    cfg, shape = plan.config, plan.shape
    a_out = precision.compute if precision.autocast else FP32
    kept = shape.vocab * FP32 + cfg.lora_r * a_out + 8  # 8: the target's id (int64)
    dropout = cfg.lora_dropout > 0 and not precision.fused_dropout
    if precision.adapter_copy or dropout:
        kept += shape.hidden * (precision.adapter_copy or precision.compute)
        kept += shape.hidden * precision.mask if dropout else 0
    else:  # the hidden states of the trained positions, gathered for the head
        kept += shape.hidden * precision.weights
    return kept


def checkpointing_alternative(plan: Plan) -> Plan:
    """The same plan with gradient checkpointing switched the other way."""
    flipped = not plan.config.gradient_checkpointing
    update = {"gradient_checkpointing": flipped, "device": plan.device}
    return estimate(plan.config.model_copy(update=update), plan.shape)


def _count(n: float) -> str:
    return f"{n / 1e9:.2f}B" if n >= 1e9 else f"{n / 1e6:,.1f}M"
