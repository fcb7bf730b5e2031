"""The text of each token in `tunelab serve`'s logprobs and of a reply continuing a prompt, read
from its bytes: a character split over tokens, or left unfinished, a sentencepiece token's
space, a special token; offsets that point into the text at each token (the logprobs served:
test_serve_logprobs.py)."""

from __future__ import annotations


def test_offsets_and_tokens_of_characters_split_across_tokens():
    # Each token was decoded alone: "日" (3 bytes, 2 tokens) gave two "\ufffd" of length 1 each,
    # so text_offset ran past the text's end, and the two shared one top_logprobs key.
    from tests.test_export import small_bpe_tokenizer
    from tunelab.serve.logprobs import _logprobs

    class Served:
        tokenizer = small_bpe_tokenizer()

    text = "日本 é ok"
    ids = Served.tokenizer(text, add_special_tokens=False).input_ids
    scored = [(None, {})] + [(-1.0, {token: -1.0}) for token in ids[1:]]
    out = _logprobs(Served, ids, scored, text)
    assert len(ids) > len(text.split()) and any(t.startswith("bytes:") for t in out["tokens"])
    spelled(text, out)


def test_a_token_after_a_character_left_unfinished_starts_after_its_replacement_character():
    # A sampled byte that opens a character ("\xdd") and a next token that does not finish it
    # ("7") read as "\ufffd7": "7" was put at the U+FFFD's offset, not after it.
    from tests.test_export import small_bpe_tokenizer
    from tunelab.serve.logprobs import _logprobs

    class Served:
        tokenizer = small_bpe_tokenizer()

    by_text = Served.tokenizer.convert_tokens_to_ids
    ids = [by_text(c) for c in ["H", "i", "Ý", "7"]]  # byte-level BPE writes byte 0xDD as "Ý"
    text = Served.tokenizer.decode(ids)
    out = _logprobs(Served, ids, [(None, {})] + [(-1.0, {})] * 3, text)
    assert text == "Hi\ufffd7" and out["tokens"] == ["H", "i", "bytes:\\xdd", "7"]
    assert out["text_offset"] == [0, 1, 2, 3]


def sentencepiece_tokenizer():
    """Llama 2 / Mistral style: "▁" for a space, bytes it has no piece for as "<0xE6>", and the
    first space stripped on decoding."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    core.normalizer = normalizers.Sequence(
        [normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]
    )
    core.pre_tokenizer = pre_tokenizers.Split("▁", "merged_with_next")
    core.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
         decoders.Strip(" ", 1, 0)]
    )  # fmt: skip
    special = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=special)
    core.train_from_iterator(["The sky is blue. Hello world, the sky is the limit."] * 50, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )


def spelled(text: str, out: dict) -> None:
    """The logprobs' tokens put back together are `text`, each starting at its offset."""

    def raw(token: str) -> bytes:
        if token.startswith("bytes:"):
            return bytes(int(h, 16) for h in token.removeprefix("bytes:").split("\\x")[1:])
        return token.encode()

    assert b"".join(map(raw, out["tokens"])) == text.encode()
    assert out["text_offset"] == sorted(out["text_offset"]) and max(out["text_offset"]) < len(text)
    for token, start in zip(out["tokens"], out["text_offset"]):
        if not token.startswith("bytes:"):
            assert text[start:].startswith(token)


def test_a_sentencepiece_token_keeps_its_space_and_a_special_token_adds_no_text():
    # "▁is" decoded alone is "is": tokens lost their spaces, offsets fell short, and "▁is" and
    # "is" shared one top_logprobs key.
    from tunelab.serve.logprobs import _logprobs

    class Served:
        tokenizer = sentencepiece_tokenizer()

    text = "The sky is blue."
    ids = Served.tokenizer(text, add_special_tokens=False).input_ids
    scored = [(None, {})] + [(-1.0, {token: -1.0}) for token in ids[1:]]
    echoed = _logprobs(Served, ids, scored, text)
    assert "".join(echoed["tokens"]) == text
    spelled(text, echoed)
    prompt = len(Served.tokenizer("The sky", add_special_tokens=False).input_ids)
    after = _logprobs(Served, ids, scored, " is blue.", first=prompt, offset=len("The sky"))
    assert after["tokens"] == [" is", " blue."] and after["text_offset"] == [7, 10]
    end = Served.tokenizer.eos_token_id  # a special token in a reply: no text of its own
    scored_more = [*scored, (-1.0, {}), (-1.0, {})]
    with_end = _logprobs(Served, [*ids, end, ids[1]], scored_more, text + " sky")
    assert with_end["text_offset"][-2:] == [len(text), len(text)]
    assert with_end["tokens"][-2:] == ["</s>", " sky"]


def test_byte_fallback_characters_and_special_tokens_the_client_wrote_are_where_the_text_has_them():
    # Read from a window of decoded tokens, a Llama 2 byte-fallback "日" or emoji put offsets past
    # the text's end, and a "</s>" the client wrote in an echoed prompt counted no characters.
    from tunelab.serve.logprobs import _logprobs

    class Served:
        tokenizer = sentencepiece_tokenizer()

    text = "The sky 日本 is 🙂 blue.</s> Hello"
    ids = Served.tokenizer(text, add_special_tokens=False).input_ids
    assert Served.tokenizer.eos_token_id in ids and len(ids) > 15  # bytes, one token each
    scored = [(None, {})] + [(-1.0, {token: -1.0}) for token in ids[1:]]
    out = _logprobs(Served, ids, scored, text)
    spelled(text, out)
    assert out["text_offset"][ids.index(Served.tokenizer.eos_token_id)] == text.index("</s>")
    assert any(t.startswith("bytes:") for t in out["tokens"])
    # The likeliest tokens are keyed by their own bytes: a split character's are distinct keys.
    keys = [k for top in out["top_logprobs"][1:] for k in top]
    assert len(keys) == len(ids) - 1 and "bytes:\\xf0" in keys


def test_a_completion_continues_its_prompt_with_the_space_its_first_token_holds():
    # A completion's text was its tokens decoded alone: "The sky" + "▁is▁blue." read "is blue.",
    # where vLLM and OpenAI give " is blue.".
    from tunelab.generation.reply_text import ReplyText

    tokenizer = sentencepiece_tokenizer()
    prompt = tokenizer("The sky", add_special_tokens=False).input_ids
    reply = tokenizer("The sky is blue.", add_special_tokens=False).input_ids[len(prompt) :]
    for streamed in (True, False):
        text = ReplyText(tokenizer, {2}, None, 10, streamed=streamed, context=prompt[-6:])
        for token in [*reply, tokenizer.eos_token_id]:
            text.add(token)
        assert text.text == " is blue." and text.finish_reason == "stop"
    # A prompt of token ids that ends inside a character: the reply gives the whole character
    # (it gave the prompt's last words again, or dropped the character).
    from tests.test_export import small_bpe_tokenizer

    byte_level = small_bpe_tokenizer()
    ids = byte_level("The sky 日本 is blue.", add_special_tokens=False).input_ids
    cut = next(n for n in range(len(ids)) if byte_level.decode(ids[:n]).endswith("\ufffd"))
    for streamed in (True, False):
        rest = ids[cut:]  # ends at its length
        text = ReplyText(
            byte_level, set(), None, len(rest), streamed=streamed, context=ids[:cut][-6:]
        )
        for token in rest:
            text.add(token)
        assert text.text.endswith("日本 is blue.") and "sky" not in text.text
    alone = ReplyText(tokenizer, {2}, None, 10)  # a chat reply starts anew
    for token in reply:
        alone.add(token)
    assert alone.take() == "is blue."
