"""What the loop is given before its first step: the device, the attention kernel, the model
wrapped for LoRA or full finetuning, and the optimizer."""

from __future__ import annotations

import importlib.util

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from tunelab.config import LoraConfig, TrainConfig
from tunelab.errors import TunelabError
from tunelab.kernels import training_kernels
from tunelab.meant import closest_name
from tunelab.models.architecture import carries_state, decoder_layers
from tunelab.models.load import import_bitsandbytes_offline, model_summary
from tunelab.train.layers import document_attention, lora_layers, mlp, rms_norm, rotary


def pick_device(name: str) -> torch.device:
    """train.device: "auto" takes the GPU when there is one."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise TunelabError(
            f"train.device: unknown device {name!r}: use auto, cpu or cuda"
        ) from None
    usable = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    if not usable.get(device.type, True) or (
        device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count()
    ):
        raise TunelabError(
            f"train.device: {name} is not available on this machine (torch {torch.__version__}, "
            f"{torch.cuda.device_count()} CUDA devices): use auto, or cpu"
        )
    return device


def weights_dtype(name: str, quantize: str | None = None) -> torch.dtype:
    """model.dtype as a torch dtype: auto keeps float32 weights (autocast does the rest on a GPU),
    or bfloat16 beside a quantized base (as QLoRA does: the base is frozen, nothing to update)."""
    if name == "auto":
        return torch.bfloat16 if quantize else torch.float32
    return getattr(torch, name)


def set_attention(model, choice: str, device: torch.device) -> None:
    """Switch the attention kernel as `train.attention` says (see TrainConfig.attention)."""
    if choice == "auto":
        if device.type == "cpu" and document_attention.suits(model.config):
            choice = "documents"
        elif device.type == "cuda" and importlib.util.find_spec("flash_attn") is not None:
            choice = "flash_attention_2"
        else:
            return
    if choice == "flash_attention_2" and device.type != "cuda":
        raise TunelabError("train.attention=flash_attention_2 needs a CUDA device")
    if choice == "documents":
        if not document_attention.suits(model.config):
            raise TunelabError(
                "train.attention=documents is plain causal attention; this model windows or "
                "soft-caps its attention: use sdpa"
            )
        choice = document_attention.NAME
    try:
        model.set_attn_implementation(choice)
    except (ValueError, ImportError) as err:
        raise TunelabError(f"train.attention={choice}: {err}") from None


class _PassThrough(TorchDispatchMode):
    """A mode that changes nothing: what a compiled checkpoint is given instead of the kernels
    (`torch.compile` takes only dispatch modes there, and plans the recomputation itself)."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        return func(*args, **(kwargs or {}))


def prepare_model(model, cfg: TrainConfig):
    """Wrap for LoRA or unfreeze all for full finetuning; optional gradient checkpointing."""
    # Its norms' backward in fewer passes on a CPU (tunelab/train/layers/rms_norm.py).
    rms_norm.use_for_training(model)
    # Its rotary embedding in fewer passes on a CPU (tunelab/train/layers/rotary.py).
    rotary.use_for_training(model)
    # Its MLPs' SwiGLU in one pass each way on a CPU (tunelab/train/layers/mlp.py).
    mlp.use_for_training(model)
    if cfg.gradient_checkpointing:
        # The recomputation runs the kernels the forward pass ran (tunelab/kernels/__init__.py), or it
        # saves other tensors and torch's checkpoint refuses it. A layer that `train.compile`
        # traces whole has its recomputation planned by the compiler, which takes no other mode
        # (full finetuning, compiled and checkpointed, failed on a CPU; a GPU's null context is
        # refused alike).
        def kernels():
            if torch.compiler.is_compiling():
                return _PassThrough(), _PassThrough()
            return training_kernels(model), training_kernels(model)

        model.gradient_checkpointing_enable(
            gradient_checkpointing_kwargs={"use_reentrant": False, "context_fn": kernels}
        )
    model.config.use_cache = False
    if cfg.method == "full":
        model.requires_grad_(True)
        return model
    import_bitsandbytes_offline()  # peft imports it
    from peft import LoraConfig, get_peft_model

    # Compiled, a layer's code is guarded on whether its input asks for gradients: the frozen
    # embeddings' output alone asks for none, so the first layer's code was compiled again for
    # the others, a second compile as long as the first (tests/test_overfit.py).
    if cfg.gradient_checkpointing or cfg.compile:
        model.enable_input_require_grads()
    targets = cfg.lora.target_modules
    # PEFT reads a string as a regex of the whole module path, so `target_modules: q_proj` (one
    # module, as YAML writes it) matched nothing; a plain name is meant as a list of one.
    if isinstance(targets, str) and targets != "all-linear" and targets.isidentifier():
        targets = [targets]
    lora = LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    names = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if _linear(m)})
    # PEFT refuses a list only when none of its names matches: [q_proj, v_porj] trained q_proj
    # alone, the typo unsaid.
    if isinstance(targets, list) and (missing := _unmatched(model, targets)):
        raise TunelabError(
            f"train.lora.target_modules {cfg.lora.target_modules!r}: no module of the model is "
            f"named {', '.join(_with_nearest(missing, names))}. This model's linear layers: "
            f"{', '.join(names)} (or all-linear)."
        )
    try:
        model = get_peft_model(model, lora)
    except ValueError as err:  # PEFT's NoMatchingPeftModuleError and "not found" are ValueErrors
        raise TunelabError(
            f"train.lora.target_modules {cfg.lora.target_modules!r}: {str(err).splitlines()[0]} "
            f"This model's linear layers: {', '.join(names)} (or all-linear)."
        ) from None
    # Each adapted layer one autograd node on a CPU (tunelab/train/layers/lora_layers.py).
    lora_layers.use_for_training(model)
    return model


def _unmatched(model: torch.nn.Module, targets: list[str]) -> list[str]:
    """The names in `targets` that no module's path ends with, as PEFT matches a list's names."""
    paths = [name for name, _ in model.named_modules()]
    return [t for t in targets if not any(p == t or p.endswith(f".{t}") for p in paths)]


def _with_nearest(missing: list[str], names: list[str]) -> list[str]:
    """Each missing name with the linear layer it most likely meant (v_porj: v_proj), as a
    misspelt setting's key is answered: among a model's dozen names the typo hid."""
    nearest = {t: closest_name(t.rsplit(".", 1)[-1], names, cutoff=0.6) for t in missing}
    return [f"{t} (did you mean {near}?)" if (near := nearest[t]) else t for t in missing]


def _linear(module: torch.nn.Module) -> bool:
    return isinstance(module, (torch.nn.Linear, torch.nn.Conv1d)) or type(module).__name__ in (
        "Conv1D",  # GPT-2's linear layers
        "Linear4bit",
        "Linear8bitLt",
    )


# How compile_layers' layers are traced (torch 2.13's defaults: all False); see there.
_TRACING = {
    "nested_graph_breaks": True,
    "specialize_float": True,
    "skip_fwd_side_effects_in_bwd_under_checkpoint": True,
}


def compile_layers(model) -> None:
    """torch.compile each decoder layer in place (`train.compile`), not the decoder whole: the
    layers are one code, compiled once and reused by all of them ("regional compilation"), where
    the whole decoder is traced layer after layer. The embedded model's first step on a CPU, sdpa
    attention: 12.6 s against 110.7 s whole (3.7 s not compiled), later steps alike (2.1 s). In
    place, so the loss function's direct use of the decoder runs the compiled code.

    Traced under _TRACING: the CPU's attention is left out of the graphs (document_attention), and
    by default each function on the stack at that break was traced again as a frame of its own,
    down to the break, and each float a layer is given (its dropout, its norms' epsilon) was
    traced as a symbol, then all over again as a constant: the embedded model's first compiled
    step took 59 s where it takes 30 (under load), the tiny model sharded (fsdp, whose layer
    forward transformers wraps twice) compiled 21 frames where it compiles 4. A checkpointed layer
    was not compiled at all, unsaid: the `kernels` package's attention wrapper sets and resets a
    context variable, a side effect dynamo would replay in the recomputation and so refused; it
    is skipped there (set, then reset: nothing to replay). With sdpa (the GPU's attention) such a
    layer now compiles; with the CPU's it still runs eager, as a break inside a checkpoint must.

    The settings hold for the process, not around each call: a recompile (a new shape) may come at
    any call, and setting them around every layer's call cost ~45 us a call, on the hot path.
    A batch of one row is compiled apart (dynamo specialises a size of 1; the tiny model: 5
    frames, then 4 more): torch 2.13's backed_size_oblivious (experimental, for export) failed
    the compiled backward's stride check at the next batch shape, and mark_unbacked on the first
    layer's input compiled 5 more."""
    for name, value in _TRACING.items():
        setattr(torch._dynamo.config, name, value)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    for layer in decoder_layers(model) or [base.get_decoder()]:
        layer.compile(dynamic=True)


def make_optimizer(model, cfg: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    # No weight decay on norms and biases (1-D tensors), as in GPT-2/LLaMA recipes.
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    # Where the (sharded) weights are: on the CPU with train.cpu_offload, even beside a GPU.
    # Fused on the CPU too: one pass over each tensor instead of foreach's several, 0.99 -> 0.21 s
    # a step for the 135M model's full finetuning on one core (benchmarks/README.md).
    fused = device.type == "cpu" or (device.type == "cuda" and not cfg.cpu_offload)
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.999), fused=fused)


def unused_lora(cfg: TrainConfig) -> str | None:
    """train.lora set away from its defaults on a full finetune, which has no adapter: it was
    dropped without a word (r: 64 with method: full, or --set train.method=full)."""
    if cfg.method != "full":
        return None
    default = LoraConfig()
    changed = [f"{key} {value}" for key, value in cfg.lora if value != getattr(default, key)]
    if not changed:
        return None
    return (
        f"train.lora ({', '.join(changed)}) is not used: train.method is full, which trains "
        "every weight; set train.method: lora to train an adapter"
    )


def describe(model, cfg: TrainConfig) -> str:
    """E.g. "lora, 921,600 of 135,436,608 parameters trained (0.68%)"."""
    s = model_summary(model)
    return f"{cfg.method}, {s['trainable']:,} of {s['parameters']:,} parameters trained ({s['trainable_pct']:.2f}%)"


def row_packing(model, packing: bool) -> tuple[bool, str | None]:
    """data.packing as this model can train it, and a note when that is not what was asked: a
    model that carries state along a row (architecture.carries_state) gets one document a row, train
    and test alike, as restarting positions would not keep a packed row's documents apart."""
    if packing and carries_state(model):
        name = type(getattr(model, "get_base_model", lambda: model)()).__name__
        return False, (
            f"data.packing off: {name} carries state along a row (a convolution or a "
            "recurrence), so each row holds one document"
        )
    return packing, None
