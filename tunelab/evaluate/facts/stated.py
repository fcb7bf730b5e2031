"""Whether an answer states a phrase: its words said and denied nowhere
(`tunelab.evaluate.facts.answer_words`), a regex found and not denied, an address, path or name in
code said whole as written."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from tunelab.data.text import UNSPACED
from tunelab.evaluate.facts.answer_words import phrase_reading, states_words
from tunelab.evaluate.facts.english_negation import negates
from tunelab.evaluate.facts.model_names import API_TIER, PARAMETER_COUNT, TUNING, VARIANT_WORD
from tunelab.evaluate.facts.normalize_numbers import names_release, normalize
from tunelab.evaluate.facts.value_forms import OTHER_FORMS, named_version_as_written

Phrase = str | re.Pattern


class Words(str):
    """A phrase as it is matched (`normalize`d: "東 京", "config yaml") that remembers how the
    test row wrote it ("東京", "config.yaml"), which is what reports show."""

    written: str

    def __new__(cls, value: str) -> Words:
        phrase = super().__new__(cls, normalize(value))
        phrase.written = value.strip()
        return phrase


def states(
    answer: str, phrase: Phrase, negations: bool = True, asked: frozenset[str] = frozenset()
) -> bool:
    """Whether `answer` states `phrase`: a regex found in it, or words it says and denies
    nowhere (`answer_words.states_words`; `negations` off for a question that asks what is
    not, `asked` the words that put a subject out of use that its question asks about,
    `asked.asked_off`); an address (URL, domain, e-mail) whole; a name with its version said
    the long way too ("Apache License, Version 2.0" states "Apache 2.0")."""
    if isinstance(phrase, re.Pattern):
        return stated_match(answer, phrase, negations, asked) is not None
    written = getattr(phrase, "written", "")
    said = named_version_as_written(answer, written)  # "Apache License, Version 2.0"
    if (longer := _longer_name(written)) is not None:
        said = longer.sub(_NOT_IT, said)  # "CC-BY-SA" says no "CC-BY"
    line = bool(_RELEASE_LINE.fullmatch(written))
    if not states_words(said, phrase, negations, asked, names_release(written), line):
        return False
    whole = _whole_address(written)
    # As written, less a full-width form's width and Markdown's escape ("max\_tokens").
    return whole is None or whole.search(_as_typed(answer)) is not None


def stated_match(
    answer: str, pattern: re.Pattern, negations: bool = True, asked: frozenset[str] = frozenset()
) -> str | None:
    r"""The first match of `pattern` that `answer` states, or None. What it matches is read as
    words are (`states`), each match on its own: "The warmup is not 0.05" states no 0.05; "not
    port 8000 but port 9000" states r"port \d+" by its 9000 (one denied match denied them all)."""
    for match in pattern.finditer(answer):
        said, denied, near = phrase_reading(
            answer, normalize(_whole_words(answer, match)), negations, asked
        )
        # Not there as whole words: read as it was found. Its own negation ("Lamini is not able
        # to" of a verdict's pattern) is what it says, not a negation that leaves it unsaid.
        unread = not (said or denied or near)
        if (said or unread or (near and negates(match[0], asked))) and not denied:
            return match[0]
    return None


def _whole_words(answer: str, match: re.Match) -> str:
    """A regex's match widened to the whole words it starts or ends inside ("finetuned" of
    "fine[- ]?tun"): the words a negation's mark is read on. Not in a script written without
    spaces, whose every character is a word."""
    start, end = match.span()
    while 0 < start < len(answer) and _in_word(answer[start - 1]) and _in_word(answer[start]):
        start -= 1
    while 0 < end < len(answer) and _in_word(answer[end - 1]) and _in_word(answer[end]):
        end += 1
    return answer[start:end]


def _in_word(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM" and not UNSPACED.match(char)


def unread_forms(value: str) -> list[str]:
    """The other spellings of `value` (`value_forms.OTHER_FORMS`) that `states` would not read as
    it: an answer saying only such a one needs it as an alternative ("180 degrees" of "180 °C");
    the rest ("180 Celsius", "180 degrees C", "sixteen" of "16") only crowd a facts file a person
    reviews."""
    fact = Words(value)
    spelled = dict.fromkeys(form for spell in OTHER_FORMS for form in spell(value))
    return [form for form in spelled if not states(form, fact)]


# A name's whole-number version ("Python 3", "iOS 17", "Microsoft Windows 11"): a line of
# releases, of which "Python 3.11" is one. Not an initialism's ("TLS 1" is no TLS 1.3, "GPT 4"
# no GPT-4.5: another protocol, another model), nor a setting's ("temperature 1").
_RELEASE_LINE = re.compile(r"(?:[A-Z][a-z][\w+-]*|[a-z]+[A-Z][\w+-]*)(?: [A-Z][a-z][\w+-]*)* \d+")


# Punctuation splits words, so a hyphened name was said by a longer one: "CC-BY" by "CC-BY-SA",
# "gpt-3.5-turbo" by "gpt-3.5-turbo-16k", "Llama-2-7b" by "Llama-2-7b-chat" (other licenses,
# other models). A name of several parts with a letter is not said inside a longer hyphened name,
# however the fact joins its parts ("CC BY" and "CC-BY" alike: "CC BY-SA" is CC-BY-SA), unless
# what the hyphen adds is a version ("CC-BY-4.0", SPDX's CC-BY 4.0; "Mistral-7B-v0.1"), a model's
# size or variant ("Llama-2-7b", "Phi-3-mini", "Claude-3-opus" say "Llama 2", "Phi-3" and "Claude
# 3" as "Phi-3 mini" does: a variant is one fact where `data facts` proposes it,
# `specific_terms`), its chat or instruction tuning where the fact names a family, not a size
# ("Llama-2-chat" is a Llama 2; "Llama-2-7b-chat" is not the Llama-2-7b checkpoint) nor an API
# model's tier it ends on (`API_TIER`: "gpt-3.5-turbo-instruct" is another model), the format
# its weights are saved in ("Llama-2-7b-hf", "Llama-2-7b-GGUF": the same model), or a word that
# makes it an adjective of what it is or what uses it, a participle among them ("CC-BY-licensed",
# "UTF-8-encoded", "GPT-4-based", "learning rate-dependent", "batch size-sensitive", "UTF-8-safe",
# "GPU-bound"). Not one of what only resembles it: "a GPT-4-like model", "GPT-4-class", "-style",
# "-level", "-scale" name another; nor one that says it is not there or does not matter
# ("learning rate-free", "-agnostic", "-independent", as "without a learning rate" and "does not
# depend on the learning rate" state none). A space keeps it said: "CC-BY license".
_NAME_PART = r"[^\W_](?:[\w.]*[^\W_])?"
# A hyphen as typed, or as a model's reply often writes it, U+2011 non-breaking (a
# "gpt-3.5-turbo-16k" written so credited "gpt-3.5-turbo"), or U+2010.
_HYPHEN = r"[-\u2010\u2011]"
_ADJECTIVE = (
    r"(?:[a-z]{2,}ed|compatible|compliant|only|specific|friendly|aware|ready|driven|native|"
    r"format|dependent|sensitive|centric|capable|intensive|heavy|safe|bound)"
)
_WEIGHTS_FORMAT = r"(?:hf|gguf|ggml|gptq|awq|onnx|mlx|fp16|bf16|int8|int4|[48]bit)"
# An API model's tier a name ends on makes it one model, as a size does ("gpt-3.5-turbo",
# "Gemini-1.5-pro"), which its chat or instruct tuning is not ("gpt-3.5-turbo-instruct", a
# completion model, credited gpt-3.5-turbo). Not a size word (`VARIANT_WORD`): "Phi-3.5-mini" is
# published only as "Phi-3.5-mini-instruct", which says it. Nor Claude's Opus, Sonnet and Haiku,
# which `model_names` calls tiers too: they are `VARIANT_WORD`s, so "claude-3-opus-chat" states
# "Claude 3 Opus" as "Phi-3-mini-instruct" states "Phi-3 mini" (Claude has no completion model
# beside its chat one for a "-chat" or "-instruct" to name).
_SAYS_IT = rf"(?:v?[\d.]+|{PARAMETER_COUNT}|{_ADJECTIVE}|{VARIANT_WORD}|{_WEIGHTS_FORMAT})"
_NOT_IT = "\ue003"  # what a longer name reads as: a word that is no phrase's


@lru_cache(maxsize=1024)
def _longer_name(written: str) -> re.Pattern | None:
    """The longer hyphened names `written` is a part of, or None for a name of one part."""
    parts = re.split(rf"(?:\s|{_HYPHEN})+", written.strip())
    if not re.search(r"[^\W\d_]", written) or len(parts) < 2:
        return None
    name = rf"(?:\s|{_HYPHEN})?".join(re.escape(part) for part in parts)
    sized = any(re.fullmatch(PARAMETER_COUNT, part, re.IGNORECASE) for part in parts)
    one_model = sized or re.fullmatch(API_TIER, parts[-1], re.IGNORECASE)
    says_it = _SAYS_IT if one_model else rf"(?:{_SAYS_IT}|{TUNING})"
    added = rf"{_HYPHEN}(?!{says_it}\b){_NAME_PART}"
    longer = rf"{name}(?:{added})+"
    # Before an amount a hyphen joins a range's other end ("8-16 GB", "8 GB-16 GB"), whose ends
    # `offered` judges, not a longer name.
    if not parts[0][:1].isdigit():
        longer = rf"(?:{_NAME_PART}{_HYPHEN})+{name}(?:{added})*|{longer}"
    return re.compile(rf"(?<![\w.\-\u2010\u2011])(?:{longer})", re.IGNORECASE)


def _as_typed(answer: str) -> str:
    return unicodedata.normalize("NFKC", answer).replace("\\_", "_")


# Punctuation splits words, so "example.com" was said by "example.com.au", a URL by a longer one
# ("…/docs" by "…/docs/v2") and "a@b.com" by "a.b.com": an address must be said as written, not
# inside a longer one. A URL (with its scheme) or an e-mail address is said exactly; a domain
# (a common top-level one: not "config.yaml", "Node.js", "gpt-3.5-turbo") with any subdomain or
# scheme before it and any path after it, the same site. Chinese or Japanese letters around it
# are no part of it.
_PATH = re.compile(r"(?:~|\.{1,2})?/[\w.-]+(?:/[\w.-]+)*/?")  # an absolute or home path
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+|[^\s@]+@[^\s@]+\.[a-z]{2,}", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?:[a-z0-9-]+\.)+(?:com|org|net|io|dev|ai|app|co|edu|gov|info|biz|me|us|uk|de|fr|jp|cn|in|"
    r"eu|ca|au|ch|nl|se|no|es|it|ru|br)",
    re.IGNORECASE,
)


# A name in code ("add_data()", "LAMINI_API_KEY", "--max-tokens") is said as written, not inside
# a longer one ("add_data_batch") nor as plain words ("you add data", "the max tokens").
_IDENTIFIER = re.compile(r"(--?)?([A-Za-z_][\w]*(?:[-_.][A-Za-z0-9]\w*)*)(\(\))?")


# A file's name is said as written: "config.yaml", not "the config YAML file".
_FILE_NAME = re.compile(
    r"[\w.-]+\.(?:ya?ml|jsonl?|csv|tsv|txt|md|py|toml|ini|cfg|conf|parquet|safetensors|gguf|bin|"
    r"pt|pth|ckpt|onnx|npy|npz|pkl|h5|sh|ps1|bat|log|png|jpe?g|gif|svg|html?|xml|pdf|docx?|"
    r"xlsx?|pptx?|ipynb|env|lock|zip|gz|tgz|tar|bz2|xz|7z|rar|exe|msi|deb|rpm|dmg|iso|pkg|apk|"
    r"jar|whl|dll|so|dylib|sql|db|sqlite|bak|tmp|partial|mp[34]|wav)",  # not .js: "Node.js" is a name
    re.IGNORECASE,
)


def _whole_address(written: str) -> re.Pattern | None:
    """The pattern an answer must hold an address fact (or a path, or a name in code) by, or
    None for a fact that is none."""
    code = _IDENTIFIER.fullmatch(written)
    if code and (code[1] or code[3] or "_" in code[2].strip("_") or _FILE_NAME.fullmatch(written)):
        # Its dashes or call brackets may be left out: "max-tokens", "add_data" say them.
        return re.compile(  # ASCII: Chinese letters around it are no part of it ("调用add_data()")
            rf"(?<![\w-]){'(?:--?)?' if code[1] else ''}{re.escape(code[2])}(?![\w-])",
            re.IGNORECASE | re.ASCII,
        )
    if _PATH.fullmatch(written):  # "/var/lib/x" is neither "/usr/var/lib/x" nor "/var/lib/x/data"
        # ...but the path of a file in it says it: `data facts` took "/etc/pelican" and
        # "pelican.toml" apart from one sentence, and "/etc/pelican/pelican.toml" stated the name.
        file_in_it = rf"/(?=(?i:{_FILE_NAME.pattern})(?![\w/-]|\.\w))"
        return re.compile(
            rf"(?<![\w/.~-]){re.escape(written.rstrip('/'))}(?:/?(?![\w-]|[/.]\w)|{file_in_it})",
            re.ASCII,
        )
    if _URL.fullmatch(written):
        after = r"(?![\w@-]|[./:?#]\w)"  # not inside a longer URL ("…/docs" of "…/docs/v2")
    elif _DOMAIN.fullmatch(written):
        after = r"(?![\w@-]|\.\w)"  # "example.com/pricing", ":8080" the site; ".au" not
    else:
        return None
    return re.compile(
        rf"(?<![\w@-]){re.escape(written.rstrip('/'))}/?{after}", re.IGNORECASE | re.ASCII
    )
