"""Models with random weights built from a config, no file read: `tiny-random` (a 2-layer Llama on
a byte-level tokenizer with SmolLM2's ChatML roles) for tests, and the RANDOM_SHAPES models (real
models' shapes on the embedded tokenizer) for throughput benchmarks; loaded by name through
tunelab.models.load."""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from tunelab.models.random_shapes import RANDOM_SHAPES, TINY_NAME, TINY_SHAPE

# SmolLM2's own ChatML template, given to the tiny test model so tests exercise the same rendering.
CHATML_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

TINY_SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level tokenizer (256 bytes + 3 specials, no merges) with SmolLM2's ChatML roles."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    vocab = {tok: i for i, tok in enumerate(TINY_SPECIAL_TOKENS)}
    # alphabet() comes from a hash set whose order changes per call: sort it, or token ids (and so
    # every result on this tokenizer) would differ from one load to the next.
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab.setdefault(ch, len(vocab))
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens(TINY_SPECIAL_TOKENS)
    return chatml_tokenizer(core)


def chatml_tokenizer(core) -> PreTrainedTokenizerFast:
    """Wrap a `tokenizers.Tokenizer` that has the ChatML special tokens, with SmolLM2's roles."""
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|im_end|>",
        unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    return tokenizer


def tiny_config(vocab_size: int, **overrides) -> LlamaConfig:
    return LlamaConfig(
        **(TINY_SHAPE | {"vocab_size": vocab_size, "tie_word_embeddings": True} | overrides)
    )


def random_shape_config(name: str, vocab_size: int) -> LlamaConfig:
    """The config of a RANDOM_SHAPES model; `vocab_size` unless the shape sets its own."""
    return tiny_config(**({"vocab_size": vocab_size} | RANDOM_SHAPES[name]))


def tiny_random(seed: int = 0, **overrides) -> tuple[LlamaForCausalLM, PreTrainedTokenizerFast]:
    """A 2-layer Llama with the tiny tokenizer; the same seed gives the same weights every time."""
    tokenizer = tiny_tokenizer()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(tiny_config(len(tokenizer), **overrides))
    model.config.name_or_path = TINY_NAME
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer
