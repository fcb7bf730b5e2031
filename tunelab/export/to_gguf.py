"""A Llama, Mistral or Qwen2 model as one GGUF file for llama.cpp and Ollama, written the way
llama.cpp's own converter writes it: its tensor names, Q/K rows permuted for its RoPE layout
(Llama and Mistral, which llama.cpp runs as one architecture; Qwen2 keeps HF's layout and its
Q/K/V biases), and the byte-level BPE tokenizer (tokens, types, merges, special ids, chat
template) embedded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from tunelab.data.files.write_files import cannot_write, check_writable
from tunelab.data.prompts.chat_template import turn_end
from tunelab.errors import TunelabError
from tunelab.export.merged import Loader, load_merged
from tunelab.meant import check_choice
from tunelab.models.names import EMBEDDED_NAME
from tunelab.next_step import command, made_here
from tunelab.run import Run

FILE_TYPES = ("f16", "f32", "q8_0")
LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# llama.cpp's token types (gguf.TokenType): how a token may appear in text.
NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5
# HF parameter names inside one decoder layer -> llama.cpp's names.
LAYER_NAMES = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "post_attention_layernorm": "ffn_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
TOP_NAMES = {"model.embed_tokens": "token_embd", "model.norm": "output_norm", "lm_head": "output"}
# transformers' model_type -> llama.cpp's architecture (Mistral runs as Llama there, as its
# converter writes it; the sliding window is not carried over, as llama.cpp's converter drops it).
ARCHITECTURES = {"llama": "llama", "mistral": "llama", "qwen2": "qwen2"}


def export_gguf(
    name: str | Run,
    out_file: str | Path,
    file_type: str = "f16",
    overwrite: bool = False,
    load: Loader | None = None,
) -> Path:
    """Write `name` (a run, merged first if LoRA, or any Llama, Mistral or Qwen2 model) to one
    GGUF file; an existing file is replaced only with `overwrite`. `load`: as export_merged's."""
    check_choice("--gguf-type", file_type, FILE_TYPES)
    out = Path(out_file)
    check_gguf_target(out, overwrite)
    model, tokenizer = load() if load else load_merged(name)
    if model.config.model_type not in ARCHITECTURES:
        raise TunelabError(
            f"GGUF export supports {', '.join(ARCHITECTURES)} models; {name!r} is "
            f"{model.config.model_type!r}: use --merged and llama.cpp's convert_hf_to_gguf.py"
        )
    if getattr(model.config, "use_sliding_window", False):
        raise TunelabError(
            f"{name!r} uses a sliding attention window, which llama.cpp's qwen2 lacks"
        )
    spec = gguf_vocabulary(tokenizer, name)
    # Written beside the target, then renamed over it: a failed export leaves the old file whole.
    # Its folder is made now, not by the check before the merge (a refusal left it empty).
    partial = out.with_name(out.name + ".part")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_gguf(model, tokenizer, spec, partial, file_type, title=Path(str(name)).name)
        partial.replace(out)
    except OSError as err:
        raise cannot_write(out, err) from None
    finally:
        partial.unlink(missing_ok=True)
    return out


def check_gguf_target(out: Path, overwrite: bool) -> None:
    """Refuse, before a minute of merging, a target that is a folder, an existing file (unless
    `overwrite`: a user's file is never replaced unasked) or a place that cannot be written."""
    if out.exists() and not out.is_dir() and not overwrite:
        raise TunelabError(
            f"{out} exists: pass --overwrite (overwrite=True in Python) to replace it"
        )
    check_writable(out)


def write_gguf(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    spec: dict,
    out: Path,
    file_type: str,
    title: str,
) -> None:
    import gguf

    arch = ARCHITECTURES[model.config.model_type]
    writer = gguf.GGUFWriter(str(out), arch=arch)
    _write_config(writer, model, file_type, title)
    _write_tokenizer(writer, tokenizer, spec, model.config.vocab_size)
    for hf_name, tensor in model.state_dict().items():
        gguf_name = _gguf_name(hf_name)
        if gguf_name is None or (gguf_name == "output.weight" and model.config.tie_word_embeddings):
            continue  # tied: llama.cpp reuses token_embd when output.weight is absent
        data = tensor.detach().float().cpu().numpy()
        kind = gguf_name.rsplit(".", 2)[-2]
        # Q/K biases (Llama's attention_bias) belong to the same output rows: permuted alike.
        if arch == "llama" and kind in ("attn_q", "attn_k"):
            heads = model.config.num_attention_heads
            if kind == "attn_k":
                heads = model.config.num_key_value_heads
            data = _permute(data, heads)
        _add_tensor(writer, gguf_name, data, file_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _write_config(writer, model: PreTrainedModel, file_type: str, title: str) -> None:
    import gguf

    c = model.config
    rope = dict(getattr(c, "rope_parameters", None) or {})
    if rope.get("rope_type", "default") != "default":
        raise TunelabError(f"GGUF export does not handle RoPE scaling {rope.get('rope_type')!r}")
    head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
    writer.add_name(title)
    writer.add_context_length(c.max_position_embeddings)
    writer.add_embedding_length(c.hidden_size)
    writer.add_block_count(c.num_hidden_layers)
    writer.add_feed_forward_length(c.intermediate_size)
    writer.add_head_count(c.num_attention_heads)
    writer.add_head_count_kv(c.num_key_value_heads)
    writer.add_rope_dimension_count(head_dim)
    if head_dim != c.hidden_size // c.num_attention_heads:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    writer.add_rope_freq_base(float(rope.get("rope_theta", getattr(c, "rope_theta", 10000.0))))
    writer.add_layer_norm_rms_eps(float(c.rms_norm_eps))
    writer.add_vocab_size(c.vocab_size)
    types = {
        "f32": gguf.LlamaFileType.ALL_F32,
        "f16": gguf.LlamaFileType.MOSTLY_F16,
        "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0,
    }
    writer.add_file_type(types[file_type])
    if file_type == "q8_0":
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)


def gguf_vocabulary(
    tokenizer: PreTrainedTokenizerBase, name: str | Run, merged: str | Path | None = None
) -> dict:
    """The spec (tokenizer.json) of `name`'s tokenizer, once it is known to be one a GGUF file
    can hold: checked before anything is written (an export with --merged too writes that
    first); `merged`, that --merged folder, which the advice then names."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    spec = json.loads(backend.to_str()) if backend is not None else {}
    bpe = spec.get("model", {})
    if bpe.get("type") != "BPE" or bpe.get("byte_fallback"):
        # A SentencePiece-style BPE (byte fallback: Llama 2, Mistral 7B) is another GGUF vocabulary.
        raise TunelabError(
            "GGUF export needs a byte-level BPE tokenizer (Llama 3, SmolLM, Qwen2); "
            f"{_tokenizer_of(name)} is SentencePiece-style: use --merged and llama.cpp's "
            "convert_hf_to_gguf.py"
        )
    if not bpe.get("merges"):
        # tiny-random's tokenizer (bytes only) stopped `export RUN --gguf` with no next step.
        raise TunelabError(
            f"{_tokenizer_of(name)} has no BPE merges: a GGUF file carries a byte-level BPE "
            "tokenizer, which llama.cpp rebuilds from its merges to split text into tokens, so "
            "it could not run this model. Export a Hugging Face folder instead, which "
            "transformers and tunelab generate, eval and serve read: "
            f"`{command('export', str(name), '--merged', merged or made_here(str(name), '_merged'))}`; "
            "for a GGUF, finetune a model with a byte-level BPE tokenizer, such as the "
            f"embedded default ({EMBEDDED_NAME})"
        )
    return spec


def _tokenizer_of(name: str | Run) -> str:
    """`name`'s tokenizer as an export's error names it: a run's is its base model's."""
    run = Run.find(name)
    return (
        f"{run}'s tokenizer (its base model {run.base_model}'s)" if run else f"{name}'s tokenizer"
    )


def _write_tokenizer(writer, tokenizer: PreTrainedTokenizerBase, spec: dict, vocab_size: int):
    bpe = spec["model"]
    count = len(tokenizer)
    if count > vocab_size:
        raise TunelabError(
            f"tokenizer has {count} tokens but the model only {vocab_size} embeddings"
        )
    tokens = tokenizer.convert_ids_to_tokens(list(range(count)))
    added = {t["id"]: t["special"] for t in spec.get("added_tokens", [])}
    types = [
        (CONTROL if added[i] else USER_DEFINED) if i in added else NORMAL for i in range(count)
    ]
    # Embedding rows beyond the tokenizer get placeholder tokens, as llama.cpp's converter does.
    tokens += [f"[PAD{i}]" for i in range(count, vocab_size)]
    types += [UNUSED] * (vocab_size - count)
    merges = [m if isinstance(m, str) else " ".join(m) for m in bpe["merges"]]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(_pre_tokenizer(tokens, spec))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    for key, token_id in {
        "bos": tokenizer.bos_token_id,
        "eos": tokenizer.eos_token_id,
        "unk": tokenizer.unk_token_id,
        "pad": tokenizer.pad_token_id,
    }.items():
        if token_id is not None:
            getattr(writer, f"add_{key}_token_id")(token_id)
    if (end := turn_end(tokenizer)) and end != tokenizer.eos_token:
        # A reply ends at its chat turn's end (chat_template.turn_end): llama.cpp stops there too.
        writer.add_eot_token_id(tokenizer.convert_tokens_to_ids(end))
    writer.add_add_bos_token(False)  # chat templates write their own start tokens
    writer.add_add_space_prefix(False)
    if getattr(tokenizer, "chat_template", None):
        writer.add_chat_template(tokenizer.chat_template)


def _pre_tokenizer(tokens: list[str], spec: dict) -> str:
    """llama.cpp's name for the regex that splits text before BPE; it knows vocabularies by name."""
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX as QWEN2

    smollm = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>"]
    if len(tokens) == 49152 and tokens[:4] == smollm:
        return "smollm"  # the embedded default and everything finetuned from it
    splits = json.dumps(spec.get("pre_tokenizer"))
    if json.dumps(QWEN2)[1:-1] in splits:
        return "qwen2"  # Qwen2 and 2.5
    if json.dumps(LLAMA3_SPLIT)[1:-1] in splits:
        return "llama-bpe"  # Llama 3
    if _is_gpt2_split(spec.get("pre_tokenizer") or {}):
        return "gpt-2"
    # llama.cpp refuses a name it does not know, and another name's regex splits text otherwise.
    raise TunelabError(
        "GGUF export knows the pre-tokenizers of Llama 3, Qwen2, SmolLM and GPT-2; this "
        "tokenizer splits text another way: use --merged and llama.cpp's convert_hf_to_gguf.py"
    )


def _is_gpt2_split(pre: dict) -> bool:
    """GPT-2's own split: its regex inside the byte-level step, no space put before the text."""
    byte_level = pre.get("type") == "ByteLevel" and pre.get("use_regex", True)
    return byte_level and not pre.get("add_prefix_space")


def _gguf_name(hf_name: str) -> str | None:
    stem, _, kind = hf_name.rpartition(".")
    if stem in TOP_NAMES:
        return f"{TOP_NAMES[stem]}.{kind}"
    parts = stem.split(".")
    if parts[:2] == ["model", "layers"] and ".".join(parts[3:]) in LAYER_NAMES:
        return f"blk.{parts[2]}.{LAYER_NAMES['.'.join(parts[3:])]}.{kind}"
    if "rotary_emb" in hf_name:
        return None  # recomputed from rope.freq_base
    raise TunelabError(f"GGUF export does not know where to put tensor {hf_name!r}")


def _permute(weight: np.ndarray, heads: int) -> np.ndarray:
    """HF's rotate-half Q/K row order -> llama.cpp's interleaved pairs (convert_hf_to_gguf.permute)."""
    return (
        weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def _add_tensor(writer, name: str, data: np.ndarray, file_type: str) -> None:
    import gguf

    # Norms and other 1-D tensors stay f32, as llama.cpp keeps them.
    if data.ndim == 1 or file_type == "f32":
        writer.add_tensor(name, data.astype(np.float32))
    elif (
        file_type == "q8_0"
        and data.shape[-1] % gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType.Q8_0][0] == 0
    ):
        q8 = gguf.GGMLQuantizationType.Q8_0
        writer.add_tensor(name, gguf.quants.quantize(data, q8), raw_dtype=q8)
    else:
        writer.add_tensor(name, data.astype(np.float16))
