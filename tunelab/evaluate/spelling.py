"""Misspellings in an answer: the words its language's dictionary (pyspellchecker, one of
`SPELLING_LANGUAGES`) does not know, leaving out the field's words (`FIELD_WORDS`), the words of the
question, reference and data, words made of a known one by a suffix the dictionary lacks
("customizable"), and what is no word (an address, a path, code)."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tunelab.data.quality.typos import slip_table, word_rows
from tunelab.data.text import words

if TYPE_CHECKING:
    from spellchecker import SpellChecker

# Words of the trade an English dictionary lacks; the training data and test set add their own.
FIELD_WORDS = frozenset(
    "dataset datasets dataframe dataframes finetune finetuned finetuning pretrain pretrained "
    "pretraining tokenizer tokenizers tokenize tokenized hyperparameter hyperparameters subword "
    "overfitting underfitting softmax relu qlora chunking embeddings safetensors gguf ggml vllm "
    "ollama cpp cuda onnx llm llms nlp ml mlops automl chatbot chatbots chatgpt openai "
    "huggingface pytorch tensorflow keras numpy scikit sklearn jupyter gpu gpus cpu cpus tpu "
    "npu ssd api apis sdk sdks cli gui ui ux url urls http https html css json yaml xml csv pdf "
    "sql nosql postgres postgresql mysql sqlite mongodb redis hadoop kubernetes github gitlab "
    "repo repos macos golang config configs backend frontend fullstack runtime workflow "
    "workflows middleware serverless microservice microservices async codebase refactor "
    "refactoring devops preprocess preprocessed preprocessing metadata timestamp timestamps username login localhost "
    "hostname ip ipv6 dns vpn ssl tls oauth jwt webhook webhooks cron crontab stdout stderr "
    "stdin enum enums struct structs iterable regex regexes utf ascii emoji emojis app apps "
    "smartphone smartphones blockchain cryptocurrency cybersecurity malware wifi ecommerce "
    "fintech edtech tech dev devs signup toolkits analytics hashtag hashtags podcasts livestream "
    "superset supersets esports env envs "
    "obj args kwargs params init str int bool dict dicts tuple tuples src dst tmp namespace "
    "namespaces dataclass dataclasses filename filenames filepath filepaths subfolder subfolders "
    "changelog readme checkbox dropdown multimodal leaderboard leaderboards anonymize anonymized "
    "pseudonymize pseudonymized".split()
)
_LETTERS = re.compile(r"[^\W\d_]+")  # runs of letters, any script
# Letters and digits, kept whole across an apostrophe (the dictionary knows "isn't", not "isn")
# and a hyphen ("pre-trained": a prefix before a hyphen is no word of its own).
_TOKEN = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
# Prefixes the dictionaries lack, written before a hyphen: "pre-trained" reported "pre".
HYPHEN_PREFIXES = frozenset(
    "pre multi tri mis bio neo proto intra trans omni cyber nano giga tera pico milli".split()
)
_CAMEL = re.compile(r"[A-Za-z][a-z]+")  # "JavaScript" -> Java, Script
# pyspellchecker's dictionaries for languages written in Latin letters (only ASCII words are
# checked), English first: it wins a tie.
SPELLING_LANGUAGES = ("en", "fr", "de", "es", "pt", "it", "nl")


@functools.cache
def _dictionary(language: str) -> SpellChecker:
    from spellchecker import SpellChecker

    return SpellChecker(language=language)


def spelling_dictionary(text: str) -> SpellChecker | None:
    """The dictionary of the language `text` is written in: of SPELLING_LANGUAGES, the one that
    knows the most of its words, when that is more than half of them; None for a language
    without one (Swedish, Hindi), whose every word a dictionary would report."""
    text_words = set(words(text))
    english = _dictionary("en")
    if not english.unknown(text_words):  # most rows: the other dictionaries need not be loaded
        return english
    best = max(
        (_dictionary(language) for language in SPELLING_LANGUAGES),
        key=lambda dictionary: len(dictionary.known(text_words)),
    )
    return best if 2 * len(best.known(text_words)) > len(text_words) else None


def misspellings(row: dict[str, Any], known: set[str]) -> list[str]:
    """Words of the answer its language's dictionary does not know, leaving out words of the
    question, reference or data; none where no dictionary fits. The question and reference say
    the language too: an answer of typos alone is not in any."""
    # Not spelling: a web address, a path or a model id ("EleutherAI/pythia-410m" read as
    # "eleuther"), code in backticks; nor the word a reply cut off at its token limit ends in
    # ("...the `crit" read "crit").
    answer = _NOT_WORDS.sub(" ", row["answer"]).replace("\u2019", "'")
    tokens = _TOKEN.findall(answer)
    if row.get("finish_reason") == "length" and re.search(r"\w$", row["answer"].rstrip("`*_")):
        tokens = tokens[:-1]
    candidates = {p for t in tokens for p in _spelled_parts(t, known) if len(p) > 2} - known
    if not candidates:  # no dictionary to load (a Chinese answer, one of the data's own words)
        return []
    dictionary = spelling_dictionary(f"{row['question']} {row['reference']} {answer}")
    if dictionary is None:
        return []
    return sorted(
        word
        for word in dictionary.unknown(candidates)
        if not any(stem in known or dictionary.known([stem]) for stem in _stems(word))
    )


# English suffixes the dictionaries lack many words of ("customizable", "explainability",
# "tokenization", "versioning": an answer's right words were called misspelt): a word whose stem
# is known is spelt. "-ing" only on a stem of 5 letters or more, so "runing" stays a misspelling.
_SUFFIXES = ("ability", "able", "ation", "ing")


def _stems(word: str) -> list[str]:
    """The words `word` may be made from by one of _SUFFIXES: custom(iz)able -> customize,
    debuggable -> debug, explainability -> explain."""
    stems = []
    for suffix in _SUFFIXES:
        stem = word.removesuffix(suffix)
        if stem == word or len(stem) < (5 if suffix == "ing" else 3):
            continue
        stems += [stem, stem + "e"]
        if suffix != "ing" and len(stem) > 3 and stem[-1] == stem[-2]:
            stems.append(stem[:-1])  # debuggable
    return stems


def data_typos(
    docs: Sequence[Collection[str]], named: Collection[str] = ()
) -> dict[str, tuple[str, list[int]]]:
    """The words the data itself misspells: {word: (the word it slipped from, the docs that say
    it)}. A typo by `data check`'s rule (`slip_table`: a word of one row, one slip from a word
    of several, "fostes" beside "fosters") that no dictionary knows, slipped from one it knows,
    other than by its last letter ("initializer" is no typo of "initialize"), and no name of
    `named` (`names`). Every word of the data was taken as spelt right, so an answer that
    learnt a typo was never called misspelt."""
    rows = word_rows(sorted(doc) for doc in docs)
    slips = {
        word: {w for w in slipped if w[:-1] not in (word, word[:-1]) and word[:-1] != w}
        for word, slipped in slip_table(rows).items()
        if word.isascii() and word not in FIELD_WORDS and word not in named
    }
    if not slips:
        return {}
    dictionary = _dictionary("en")  # most data: the other six need not be loaded (6 s)
    if 2 * len(dictionary.known(rows)) <= len(rows):
        dictionary = spelling_dictionary(" ".join(rows))
    if dictionary is None:
        return {}
    typos = {}
    for word in dictionary.unknown(slips):
        if right := dictionary.known(slips[word]):
            if not any(dictionary.known([stem]) for stem in _stems(word)):
                usual = max(sorted(right), key=rows.__getitem__)
                typos[word] = (usual, [i for i, doc in enumerate(docs) if word in doc])
    return typos


def names(texts: Iterable[str]) -> set[str]:
    """The lower-cased words `texts` write capitalised inside a sentence and never in lower case:
    names of products and tools ("a service mesh such as Istio or Linkerd"), which are no typos
    of the common word one letter away ("linked"), where a typo is written as its word is
    ("The company fostes ...")."""
    capital: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        capital.update(w.lower() for w in _MID_SENTENCE_CAPITAL.findall(text))
        lower.update(_LOWER_WORD.findall(text))
    return capital - lower


_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+\b")
_LOWER_WORD = re.compile(r"\b[a-z]+\b")
_NOT_WORDS = re.compile(
    r"https?://\S+|www\.\S+|`[^`]*`?|\b[\w.-]+/[\w./-]+|\b\w+\.(?:com|org|io|net|ai|dev)\b\S*"
)


def _spelled_parts(token: str, known: set[str]) -> list[str]:
    """The lower-cased pieces of one token to look up in the dictionary."""
    # A known word is known whole: cut at case or digits, "NumPy" and "gpt4" from the question
    # would be reported as "num" and "gpt".
    if token.lower() in known:
        return []
    # Cutting "café" or "東京" at its accent (below) would report fragments ("caf"), so only
    # all-ASCII words are checked.
    if not token.isascii():
        return []
    if "-" in token:  # "pre-trained" is known as "pretrained" too, else by its words
        *before, last = token.split("-")
        if token.replace("-", "").lower() in known:
            return []
        pieces = [p for p in before if p.lower() not in HYPHEN_PREFIXES] + [last]
        return [part for piece in pieces for part in _spelled_parts(piece, known)]
    token = re.sub(r"'s$", "", token, flags=re.I)  # "tunelab's" is "tunelab"
    if "'" in token:
        return [token.lower()]
    return [p.lower() for run in _LETTERS.findall(token) for p in _CAMEL.findall(run)]
