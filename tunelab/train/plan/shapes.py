"""A model's shape without its weights: a table of well-known models (so a plan needs no download
and no network), or the config.json of a Hugging Face folder, a run folder or a file; and the
parameter counts that follow from a shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from tunelab.errors import TunelabError
from tunelab.models.names import (
    check_model_name,
    did_you_mean,
    folder_listing,
    folders_beside,
    meant_beside,
    meant_here,
)

# A decoder layer's projections, as transformers names them in Llama-style models.
ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")
MLP = ("gate_proj", "up_proj", "down_proj")
HEAD = "lm_head"  # the output projection, which LoRA may adapt too
EMBED = "embed_tokens"  # the input embedding, which LoRA may adapt too


@dataclass(frozen=True)
class Shape:
    """What memory depends on: a Llama-style decoder (RMSNorm, GQA attention, SwiGLU MLP)."""

    vocab: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    tied: bool
    qkv_bias: bool = False  # Qwen2's q, k and v projections have a bias
    o_bias: bool = False  # Llama's attention_bias puts one on o_proj too
    head_dim: int = 0  # 0: hidden / heads
    context: int = 0  # max_position_embeddings; 0: not known
    # Why the loss cannot be fused (the forward does more to its logits than the projection,
    # architecture.decoder_and_head), as "<class> <what>"; "" when it is, or the class is not known.
    unfused: str = ""
    carries_state: bool = False  # trained unpacked, one document a row (setup.row_packing)

    @property
    def dim(self) -> int:
        return self.head_dim or self.hidden // self.heads

    def projections(self) -> dict[str, tuple[int, int]]:
        """Each projection of one layer: (in features, out features)."""
        h, q, kv, i = (
            self.hidden,
            self.heads * self.dim,
            self.kv_heads * self.dim,
            self.intermediate,
        )
        return {
            "q_proj": (h, q),
            "k_proj": (h, kv),
            "v_proj": (h, kv),
            "o_proj": (q, h),
            "gate_proj": (h, i),
            "up_proj": (h, i),
            "down_proj": (i, h),
        }

    def layer_matrices(self) -> int:
        """Weights of one layer's projections (what LoRA adapts and QLoRA quantizes)."""
        return sum(a * b for a, b in self.projections().values())

    def layer_parameters(self) -> int:
        bias = (self.heads + 2 * self.kv_heads) * self.dim if self.qkv_bias else 0
        bias += self.hidden if self.o_bias else 0
        return self.layer_matrices() + bias + 2 * self.hidden  # two RMSNorm weights

    def embedding(self) -> int:
        return self.vocab * self.hidden

    def parameters(self) -> int:
        """All weights, a tied output projection counted once (as model.parameters() does)."""
        head = 0 if self.tied else self.embedding()
        return self.embedding() + head + self.layers * self.layer_parameters() + self.hidden

    def lora_parameters(self, r: int, targets: tuple[str, ...]) -> int:
        """A rank-r adapter's weights (A: r x in, B: out x r) on each targeted projection, lm_head
        included: one adapter on the head alone, tied to the embedding or not (as peft does); and
        on embed_tokens, peft's lora_embedding_A (r x vocab) and lora_embedding_B (hidden x r)."""
        outer = sum(r * (self.hidden + self.vocab) for name in (HEAD, EMBED) if name in targets)
        return self.layers * self.layer_lora_parameters(r, targets) + outer

    def layer_lora_parameters(self, r: int, targets: tuple[str, ...]) -> int:
        """The adapters' weights in one layer."""
        return sum(r * (a + b) for n, (a, b) in self.projections().items() if n in targets)


def _llama(vocab, hidden, layers, heads, kv, inter, tied, **more) -> Shape:
    return Shape(vocab, hidden, layers, heads, kv, inter, tied, **more)


# Shapes from each model's config.json; the comment is the total its safetensors index reports,
# which tests/test_plan_shapes.py checks the counts against.
KNOWN = {
    "HuggingFaceTB/SmolLM2-135M": _llama(49152, 576, 30, 9, 3, 1536, True),  # 134,515,008
    "HuggingFaceTB/SmolLM2-360M": _llama(49152, 960, 32, 15, 5, 2560, True),  # 361,821,120
    "HuggingFaceTB/SmolLM2-1.7B": _llama(49152, 2048, 24, 32, 32, 8192, True),  # 1,711,376,384
    "meta-llama/Llama-3.2-1B": _llama(128256, 2048, 16, 32, 8, 8192, True, head_dim=64),
    "meta-llama/Llama-3.2-3B": _llama(128256, 3072, 28, 24, 8, 8192, True, head_dim=128),
    "meta-llama/Llama-3.1-8B": _llama(128256, 4096, 32, 32, 8, 14336, False),
    "meta-llama/Llama-3.1-70B": _llama(128256, 8192, 80, 64, 8, 28672, False),
    "Qwen/Qwen2.5-0.5B": _llama(151936, 896, 24, 14, 2, 4864, True, qkv_bias=True),
    "Qwen/Qwen2.5-1.5B": _llama(151936, 1536, 28, 12, 2, 8960, True, qkv_bias=True),
    "Qwen/Qwen2.5-3B": _llama(151936, 2048, 36, 16, 2, 11008, True, qkv_bias=True),
    "Qwen/Qwen2.5-7B": _llama(152064, 3584, 28, 28, 4, 18944, False, qkv_bias=True),
    "Qwen/Qwen2.5-14B": _llama(152064, 5120, 48, 40, 8, 13824, False, qkv_bias=True),
    "Qwen/Qwen2.5-32B": _llama(152064, 5120, 64, 40, 8, 27648, False, qkv_bias=True),
    "Qwen/Qwen2.5-72B": _llama(152064, 8192, 80, 64, 8, 29568, False, qkv_bias=True),
}
# max_position_embeddings by family, where known (SmolLM2's config.json: 8k; Llama 3.1 and 3.2's:
# 128k); a Qwen name plans without a check of max_length.
CONTEXT = {"HuggingFaceTB/SmolLM2": 8192, "meta-llama/Llama-3.": 131072}
KNOWN = {
    name: replace(shape, context=next((n for f, n in CONTEXT.items() if name.startswith(f)), 0))
    for name, shape in KNOWN.items()
}
# Other names of the same shapes: instruct variants share their base's shape.
ALIASES = {
    "smollm2-135m-instruct": "HuggingFaceTB/SmolLM2-135M",  # tunelab's embedded default
    "random-smollm2-135m": "HuggingFaceTB/SmolLM2-135M",
    "random-llama-1b": "meta-llama/Llama-3.2-1B",
    "meta-llama/Llama-3.3-70B": "meta-llama/Llama-3.1-70B",
    "meta-llama/Meta-Llama-3.1-8B": "meta-llama/Llama-3.1-8B",
    "meta-llama/Meta-Llama-3.1-70B": "meta-llama/Llama-3.1-70B",
}


def known_shape(name: str) -> Shape | None:
    """A table entry by hub id (any case; "-Instruct" or the organisation may be left off)."""
    wanted = name.lower().removesuffix("-instruct")
    for alias, target in ALIASES.items():
        if wanted in (alias.lower(), alias.lower().split("/")[-1]):
            return KNOWN[target]
    for key, shape in KNOWN.items():
        if wanted in (key.lower(), key.lower().split("/")[-1]):
            return shape
    return None


def shape_of(model: str) -> Shape:
    """The shape of `model`: a name in the table, a config.json file, or a folder holding one (a
    Hugging Face folder, or a run folder: its model/ or, for a LoRA run, its base model's)."""
    if model == "tiny-random":
        return Shape(259, 64, 2, 4, 2, 128, True)  # random_weights.tiny_config on its tokenizer
    path = Path(model)
    if path.is_file():
        return shape_from_config(path)
    if path.is_dir():
        for candidate in (path / "config.json", path / "model" / "config.json"):
            if candidate.is_file():
                return shape_from_config(candidate)
        run_config = path / "config.yaml"
        # A LoRA run (model/ holds the adapter alone), or one stopped before model/ was written
        # (a SIGTERM keeps the checkpoint alone): its base's shape. base_model() takes only a
        # run with model/ for a run, and a stopped one recursed on its own folder.
        if run_config.is_file():
            from tunelab.run import Run

            return shape_of(Run.open(path).base_model)
        raise TunelabError(f"{path} holds no config.json: give a Hugging Face model folder")
    shape = known_shape(model)
    if shape is None:
        # As loading a model tells them: a path that is not there, a run named alone ("mine").
        check_model_name(model)
        known = [k.split("/")[-1] for k in KNOWN]
        names = ", ".join(known)
        no_folder, beside = _no_folder(path)
        # runs/mime for runs/mine, as train and eval offer it; else a known model mistyped
        # ("Lama-3.1-8B"), which was listed among the rest and not named.
        meant = meant_here(model) or beside
        if not meant and (said := did_you_mean(model, {k: k for k in known})):
            meant = f".{said}"
        raise TunelabError(
            f"model {model!r}: {no_folder}no shape known without downloading it. Known: "
            f"{names}; or give a folder or config.json path (the config alone is enough: no "
            f"weights needed){meant}"
        )
    return shape


def _no_folder(path: Path) -> tuple[str, str]:
    """ "no folder runs/mine here (in runs/: a, b); as a hub id, " for an org/name that reads as
    a local folder (its org `runs`, or a folder here): `plan runs/mine` of a run not there said
    only that no hub id's shape was known. With it, the folder beside it that it likely meant
    (". Did you mean runs/mine?", or ""), from the one listing of its parent; ("", "") else."""
    org = path.parts[0] if len(path.parts) == 2 else None
    if org is None or not (org == "runs" or path.parent.is_dir()):
        return "", ""
    listing = folder_listing(path.parent)  # once, for both
    said = f"no folder {path} here{folders_beside(path, listing)}; as a hub id, "
    return said, meant_beside(path, listing or [])


# Mixture-of-Experts configs name their experts so: Mixtral, Qwen2/3-MoE, DeepSeek, DBRX, OLMoE...
EXPERT_FIELDS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")


def _refuse_experts(path: Path, raw: dict) -> None:
    """A Mixture-of-Experts model has several MLPs a layer, which the plan's dense shape would
    count as one: Mixtral-8x7B planned as 7.2B parameters and "fits" in 24 GiB, where its
    weights alone are 87 GiB."""
    for field in EXPERT_FIELDS:
        experts = raw.get(field)
        if isinstance(experts, int) and experts > 1:
            raise TunelabError(
                f"{path}: a Mixture-of-Experts model ({field}: {experts}); the plan sizes dense "
                "decoders, one MLP a layer, and would count a fraction of its weights"
            )


def shape_from_config(path: Path) -> Shape:
    """A Shape from a transformers config.json (Llama, Qwen2, Mistral, SmolLM... field names)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise TunelabError(f"{path}: not a readable config.json ({err})") from None
    outer = raw
    raw = raw.get("text_config", raw)  # multimodal configs nest the language model's
    _refuse_experts(path, raw)
    try:
        heads = raw["num_attention_heads"]
        return Shape(
            vocab=raw["vocab_size"],
            hidden=raw["hidden_size"],
            layers=raw["num_hidden_layers"],
            heads=heads,
            kv_heads=raw.get("num_key_value_heads") or heads,
            intermediate=raw["intermediate_size"],
            tied=bool(raw.get("tie_word_embeddings", True)),
            qkv_bias=bool(raw.get("attention_bias", raw.get("model_type") == "qwen2")),
            # Qwen2 has no such field and no o_proj bias; Llama's attention_bias covers all four.
            o_bias=bool(raw.get("attention_bias")),
            head_dim=raw.get("head_dim") or 0,
            context=raw.get("max_position_embeddings") or 0,
            unfused=_unfused(outer),
            carries_state=_carries_state(outer, raw),
        )
    except KeyError as err:
        raise TunelabError(
            f"{path}: no {err.args[0]} field; the plan knows Llama-style decoders "
            "(hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, vocab_size)"
        ) from None


def _unfused(outer: dict) -> str:
    """Why training cannot fuse this model's head and loss (architecture.decoder_and_head, read
    from its class's forward): "" when it can, or when its class is not one transformers has."""
    import transformers

    from tunelab.models.architecture import capped_fields, projection_unless

    name = (outer.get("architectures") or [""])[0]
    cls = getattr(transformers, name, None) if name else None
    if not isinstance(cls, type):
        return ""
    unless = projection_unless(cls, HEAD)
    if unless is None:
        return f"{name}'s forward does more to them than the projection"
    if not unless:
        return ""
    try:  # a field the file leaves out takes its config class's default (Gemma 2's cap: 30)
        config = cls.config_class.from_dict(outer).get_text_config()
    except Exception:  # noqa: BLE001 -- a config its class cannot read: plan it as Llama's
        return ""
    capped = capped_fields(unless, config)
    return f"{name} caps them ({', '.join(capped)})" if capped else ""


def _carries_state(outer: dict, text: dict) -> bool:
    """architecture.carries_state from the config alone: its model type and declared kinds of layer."""
    from types import SimpleNamespace

    from tunelab.models.architecture import config_carries_state

    return config_carries_state(SimpleNamespace(**text), outer.get("model_type", ""))
