"""A base model quantized by bitsandbytes, for QLoRA (model.quantize): loaded with its decoder
projections in nf4 or int8 for training, and turned back into plain weights (the exact values the
quantized layers computed with) for merging an adapter and exporting."""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, PreTrainedModel, PreTrainedTokenizerBase

from tunelab.errors import TunelabError
from tunelab.meant import check_choice
from tunelab.models.load import (
    ensure_pad_token,
    import_bitsandbytes_offline,
    load_pretrained,
    pretrained_tokenizer,
    weights_source,
)
from tunelab.models.random_shapes import RANDOM_SHAPES, TINY_NAME

KINDS = ("nf4", "int8")


def load_quantized(
    name: str, kind: str, dtype: torch.dtype, device: str | torch.device = "cpu"
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """`name` with every decoder projection quantized (nf4: 4-bit NormalFloat with double
    quantization, computing in bf16, as in QLoRA; int8: LLM.int8()); embeddings, norms and the
    output projection stay in `dtype`. Loaded straight onto `device`: bitsandbytes quantizes the
    weights as they arrive, so a model too big for the device in 16 bits never is."""
    settings = quantization_config(kind)
    if name == TINY_NAME or name in RANDOM_SHAPES:
        # Built in memory: written out once, so that it loads through bitsandbytes as any other.
        model, tokenizer = load_pretrained(name, dtype=dtype)
        with tempfile.TemporaryDirectory() as folder:
            model.save_pretrained(folder)
            model = _load(folder, kind, settings, dtype, device)
        model.config.name_or_path = name
    else:
        tokenizer = pretrained_tokenizer(name)
        model = _load(weights_source(name), kind, settings, dtype, device)
    ensure_pad_token(model, tokenizer)
    for module in model.modules():
        # bitsandbytes (0.50) repacks a 4-bit layer for a faster CPU kernel at its first forward
        # pass in eval mode and keeps that layout when training resumes; the kernel has no
        # backward, so the gradient stops at every quantized layer (the adapters below get
        # wrong gradients; tests/test_qlora.py). Training evaluates as it goes: never repack.
        if hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False
    return model, tokenizer


def quantization_config(kind: str):
    """bitsandbytes' settings for model.quantize, or a TunelabError saying what to install."""
    check_choice("model.quantize", kind, KINDS)
    if importlib.util.find_spec("bitsandbytes") is None:
        raise TunelabError(
            f"model.quantize: {kind} needs bitsandbytes: pip install 'tunelab[qlora]' "
            "(or drop model.quantize to train LoRA on the unquantized model)"
        )
    import_bitsandbytes_offline()  # before transformers' quantizer imports it
    from transformers import BitsAndBytesConfig

    if kind == "int8":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )


def _load(path: str | Path, kind: str, settings, dtype: torch.dtype, device) -> PreTrainedModel:
    try:
        return AutoModelForCausalLM.from_pretrained(
            path, dtype=dtype, quantization_config=settings, device_map={"": str(device)}
        )
    except OSError as err:
        raise TunelabError(f"model {str(path)!r} could not be read ({err})") from None
    except (RuntimeError, NotImplementedError, ValueError, ImportError) as err:
        # bitsandbytes without a backend here: a build with no CUDA, an unsupported device...
        first = str(err).splitlines()[0] if str(err) else ""
        raise TunelabError(
            f"model.quantize: {kind}: bitsandbytes cannot quantize on {device} here "
            f"({type(err).__name__}: {first}). Drop model.quantize, or train where bitsandbytes "
            "has a backend (CUDA; recent versions also the CPU)"
        ) from None


def dequantized(model: PreTrainedModel, dtype: torch.dtype) -> PreTrainedModel:
    """A quantized model as plain `dtype` weights: each projection holds the values its quantized
    layer computed with (what an adapter trained on it saw), so the adapter merges into it and
    the result runs without bitsandbytes."""
    if getattr(model, "hf_quantizer", None) is None:
        return model
    return model.dequantize().to(dtype)
