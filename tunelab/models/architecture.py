"""What a model's own code does that tunelab must follow, read from the model (its class's source,
its config, its modules): whether its logits are the output projection and nothing more (so the
loss can fuse the projection), whether it carries state along a row (a convolution or a
recurrence: no packing, one sequence at a time), its repeated decoder blocks and its attention
window. Where the weights come from is tunelab.models.load."""

from __future__ import annotations

import ast
import functools
import inspect
import logging
import re
import textwrap
import types
import weakref

import torch
from transformers import PreTrainedModel

_log = logging.getLogger(__name__)


def llamas_code(function, name: str) -> bool:
    """Whether `function` is transformers' Llama `name` ("LlamaMLP.forward", "rotate_half")
    character for character: transformers copies Llama's code into Mistral, Qwen, SmolLM and
    many more, so a replacement written for Llama's computes the same there."""
    from transformers.models.llama import modeling_llama

    llamas = functools.reduce(getattr, name.split("."), modeling_llama)
    try:
        return inspect.getsource(unwrapped(function)) == inspect.getsource(unwrapped(llamas))
    except (OSError, TypeError):
        return False


def unwrapped(function):
    """The plain function behind transformers' hub-kernel wrapper, else `function` itself. Since
    transformers 5.25 (with the `kernels` package it requires) a function such as Llama's
    `apply_rotary_pos_emb` is an nn.Module instance, its forward calling the original (held in
    its closure as `func`) unless a hub kernel was chosen for it."""
    if not isinstance(function, torch.nn.Module):
        return function
    forward = getattr(type(function), "forward", None)
    try:
        inner = inspect.getclosurevars(forward).nonlocals.get("func")
    except TypeError:  # a forward that is no plain function
        return function
    return inner if isinstance(inner, types.FunctionType) else function


def decoder_and_head(model: PreTrainedModel) -> tuple[torch.nn.Module, torch.nn.Module] | None:
    """The decoder (hidden states) and the output projection, for callers that project only the
    positions they need; None for models whose logits are more than that projection."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if not hasattr(base, "get_decoder") or base.get_output_embeddings() is None:
        return None
    head = base.get_output_embeddings()
    names = [name for name, child in base.named_children() if child is head]
    unless = projection_unless(type(base), names[0]) if len(names) == 1 else None
    if unless is None or capped_fields(unless, base.config.get_text_config()):
        _say_unfused(type(base))  # softcapped, scaled (Gemma 2, Granite, Cohere...)
        return None
    return base.get_decoder(), head


@functools.cache
def _say_unfused(cls: type) -> None:
    """Say once per class that its loss is not fused: its full logits can take much more memory
    than `tunelab train --plan` assumed (which counts the fused head's)."""
    _log.warning(
        "%s: its forward does more to its logits than the output projection (read from its "
        "code), so its loss runs through that forward, with all of the logits at once: more "
        "memory than the fused loss the plan assumes",
        cls.__name__,
    )


# What a causal LM's forward may do between its decoder's call and its loss for its logits to be
# the output projection of the decoder's last hidden states, nothing more (Llama's; 147 of the
# 196 causal LMs of transformers 5.24). Read from the code, as RMSNorm's (tunelab/train/layers/rms_norm.py): a config field's name
# says nothing of what the forward does with it (Granite divides by `logits_scaling`,
# HyperCLOVAX multiplies by it, MiniCPM3 divides the hidden states by it).
_PLAIN_STATEMENTS = {
    "hidden_states = outputs.last_hidden_state",
    "hidden_states = outputs[0]",
    "hidden_states = transformer_outputs[0]",
    "hidden_states = transformer_outputs.last_hidden_state",
    "hidden_states = slice_logits_to_keep(hidden_states, logits_to_keep)",
    "hidden_states = slice_logits_to_keep(outputs.last_hidden_state, logits_to_keep)",
    # Most trust_remote_code models' and transformers 4.45-5.0's, before the projection of
    # hidden_states[:, slice_indices, :] (all positions at logits_to_keep=0, training's).
    "slice_indices = slice(-logits_to_keep, None) if isinstance(logits_to_keep, int) "
    "else logits_to_keep",
}
# Softcapping left off by the config (Gemma 2 and 3 without it): `if <this> is not None: ...`
_OPTIONAL = re.compile(
    r"\(?(?:\w+ := )?self\.config(?:\.get_text_config\(\))?\.(\w+)\)? is not None"
)


@functools.cache
def projection_unless(cls: type, head: str) -> tuple[str, ...] | None:
    """When `cls.forward` makes its logits as `self.<head>(hidden states)` and nothing else: the
    config fields that must be None for that (their softcapping); None when it does more."""
    body = _forward_body(cls)
    if body is None:
        return None
    texts = [ast.unparse(s) for s in body]
    # The decoder's call: the first assignment from a call of another of its modules.
    called = [
        i
        for i, s in enumerate(body)
        if isinstance(s, (ast.Assign, ast.AnnAssign))
        and isinstance(s.value, ast.Call)
        and ast.unparse(s.value.func).startswith("self.")
        and ast.unparse(s.value.func) != f"self.{head}"
    ]
    ends = [i for i, text in enumerate(texts) if text == "loss = None"]
    if not called or not ends or ends[0] < called[0]:
        return None
    # Of all the hidden states, or of the last `logits_to_keep` (all of them at 0, training's).
    kept = r"(\[:, (slice_indices|-(num_)?logits_to_keep:), :\])?"
    projection = re.compile(
        rf"(lm_)?logits = self\.{head}\(hidden_states{kept}\)(\.float\(\)|\.contiguous\(\))?"
    )
    projected, unless = 0, []
    for s, text in zip(body[called[0] + 1 : ends[0]], texts[called[0] + 1 : ends[0]]):
        if isinstance(s, ast.If) and (optional := _OPTIONAL.fullmatch(ast.unparse(s.test))):
            if s.orelse:  # something else done to the logits when the field is None
                return None
            unless.append(optional[1])
        elif projection.fullmatch(text):
            projected += 1
        elif text not in _PLAIN_STATEMENTS:
            return None
    return tuple(unless) if projected == 1 else None


def _forward_body(cls: type) -> list[ast.stmt] | None:
    """The statements of the forward `cls` runs, read from the source of the class that defines
    it (a decorator without functools.wraps hides the function's own); a forward that only
    returns super()'s is that one. None when no source says."""
    mro = cls.__mro__
    at = next((i for i, owner in enumerate(mro) if "forward" in vars(owner)), None)
    if at is None:
        return None
    owner = mro[at]
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(owner)))
    except (OSError, TypeError, SyntaxError):
        return None
    defs = [
        s
        for s in getattr(tree.body[0], "body", [])
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "forward"
    ]
    if not defs:
        return None  # assigned, not defined here
    body = defs[-1].body
    if (
        len(body) == 1 + isinstance(body[0], ast.Expr)  # a docstring, then the return
        and isinstance(body[-1], ast.Return)
        and re.fullmatch(r"super\(\)\.forward\(.*\)", ast.unparse(body[-1].value or ast.Pass()))
        and at + 1 < len(mro)
    ):
        return _forward_body(mro[at + 1])
    return body


# Decoder families that carry state along a row, by `model_type` (prefixes: rwkv6, mamba2...),
# remote-code ones (fla's gla, delta_net, hgrn...) included; and the words in a decoder's own
# declared kinds of layer (`layer_types`, `block_types`...) that mean a convolution or recurrence.
# Whole model types, numbered versions and LFM2's variants only: "minimax_m2" is attention alone.
_STATE_MODEL_TYPES = re.compile(
    r"(rwkv\d*|xlstm|mamba\d*|falcon_mamba|recurrent_gemma|jamba|zamba\d*|bamba|falcon_h1"
    r"|lfm2(_\w+)?|qwen3_next|minimax|nemotron_h|granitemoehybrid|plamo2|gla|delta_net"
    r"|gated_deltanet|hgrn\d*|retnet|kimi_linear)"
)
_STATE_LAYER_WORDS = (
    "linear", "conv", "mamba", "recurrent", "ssm", "rwkv", "delta", "hybrid", "retention", "lstm",
)  # fmt: skip
_LAYER_KIND_FIELDS = ("layer_types", "block_types", "layers_block_type", "layer_type")
_state_of: weakref.WeakKeyDictionary[torch.nn.Module, bool] = weakref.WeakKeyDictionary()


def capped_fields(unless: tuple[str, ...], text_config) -> list[str]:
    """The fields of `unless` (projection_unless's) that `text_config` sets: each makes the forward
    post-process its logits (a soft cap), so the head cannot be fused."""
    return [field for field in unless if getattr(text_config, field, None) is not None]


def config_carries_state(text_config, model_type: str = "") -> bool:
    """carries_state as the decoder's config alone tells it: its model type (or `model_type`, the
    outer config's) and its declared kinds of layer."""
    kinds = []
    for field in _LAYER_KIND_FIELDS:
        value = getattr(text_config, field, None)
        kinds += [value] if isinstance(value, str) else list(value or [])
    model_type = str(getattr(text_config, "model_type", "") or model_type)
    return _STATE_MODEL_TYPES.fullmatch(model_type) is not None or any(
        word in str(kind).lower() for kind in kinds for word in _STATE_LAYER_WORDS
    )


def carries_state(model: torch.nn.Module) -> bool:
    """Whether tokens reach later ones other than through attention: a convolution over time or
    a recurrence (Mamba, LFM2, MiniMax's and Qwen3-Next's linear attention, RecurrentGemma, RWKV).
    Positions that restart do not stop those, so a packed row's documents would see one another.
    Read from the decoder's config (its type, its declared kinds of layer) and its layers' own
    convolutions, not another tower's (an audio encoder's Conv1d); once per model."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if base in _state_of:
        return _state_of[base]
    config = getattr(base, "config", None)
    try:
        text = config.get_text_config() if hasattr(config, "get_text_config") else config
    except ValueError:  # several text configs (MusicGen's): the model's own
        text = config
    found = config_carries_state(text, str(getattr(config, "model_type", ""))) or any(
        isinstance(m, torch.nn.Conv1d) for m in _decoder_blocks(base).modules()
    )
    _state_of[base] = found
    return found


def _decoder_blocks(base: torch.nn.Module) -> torch.nn.Module:
    """The decoder's repeated layers (its `layers`, `h`, `blocks`), else the decoder, else the
    model: where a text model's convolution over time would be, and no other tower's."""
    decoder = base.get_decoder() if hasattr(base, "get_decoder") else base
    for name in ("layers", "h", "blocks"):
        if isinstance(blocks := getattr(decoder, name, None), torch.nn.ModuleList):
            return blocks
    return decoder if isinstance(decoder, torch.nn.Module) else base


def decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The repeated blocks, by the class names transformers keeps whole when it splits a model
    over devices (LlamaDecoderLayer, Qwen2DecoderLayer, GPT2Block...), LoRA-wrapped or not; empty
    for a model that names none (_no_split_modules)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    names = set(getattr(base, "_no_split_modules", None) or [])
    return [m for m in base.modules() if type(m).__name__ in names]


def attention_window(config) -> int | None:
    """How far back a model's windowed attention layers look, None when no layer is windowed:
    Mistral-style configs window every layer, Gemma 2/3 and Qwen2 (use_sliding_window) the
    layers their `layer_types` call sliding."""
    size = getattr(config, "sliding_window", None)
    kinds = getattr(config, "layer_types", None)
    if not size or (kinds is not None and "sliding_attention" not in kinds):
        return None
    return size
