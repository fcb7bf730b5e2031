"""Fact scoring: does an answer state the facts its question needs, and does it state a known
wrong answer? Token overlap rewards style words; this rewards only the facts.

A test row may carry
    "facts": [["CPU"], ["GPU", "graphics card"], {"regex": "resum(e|ing)"}]
(every entry is one fact; a list gives alternatives, any of which counts) and
    "wrong": ["Yes", "loss.jsonl"]
(phrases whose presence is a hallucination). Phrases match whole words of the answer as
`tunelab.evaluate.answer_words` reads them (numbers whole, negated words not stated); a
`{"regex": ...}` entry or a string starting with `re:` is searched in the raw answer,
case-insensitively."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from tunelab.data.read import DataError, read_rows
from tunelab.errors import first_few
from tunelab.evaluate.answer_words import (
    affirms,
    asks_what_is_not,
    denied_by_question,
    denies_words,
    normalize,
    states_words,
)

Phrase = str | re.Pattern


@dataclass
class FactCheck:
    facts: list[list[Phrase]] = field(default_factory=list)  # each fact: its alternatives
    wrong: list[Phrase] = field(default_factory=list)
    # Its question asks what is not ("Which OS is not supported?"): the answer's negations say
    # its facts ("Windows is not supported") and deny none; a clause that affirms what it
    # denies (`denied`'s stems: "Windows is supported") states none.
    negative: bool = False
    denied: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.facts or self.wrong)


def _phrase(value: Any, source: str) -> Phrase:
    if isinstance(value, dict) and set(value) == {"regex"}:
        value = "re:" + str(value["regex"])
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{source}: a fact or wrong phrase must be non-empty text, got {value!r}")
    if value.startswith("re:"):
        try:
            return re.compile(value[3:], re.IGNORECASE)
        except re.error as err:
            raise DataError(f"{source}: bad regex {value[3:]!r} ({err})") from None
    if not (words := Words(value)):
        raise DataError(
            f"{source}: fact {value!r} is empty once punctuation and symbols are ignored"
        )
    return words


class Words(str):
    """A phrase as it is matched (`normalize`d: "東 京", "config yaml") that remembers how the
    test row wrote it ("東京", "config.yaml"), which is what reports show."""

    written: str

    def __new__(cls, value: str) -> Words:
        phrase = super().__new__(cls, normalize(value))
        phrase.written = value.strip()
        return phrase


def parse_fact_check(row: dict[str, Any], source: str) -> FactCheck:
    """The `facts` and `wrong` fields of one test row (absent fields: an empty check). A CSV
    cell holds them as JSON text (`[["CPU"]]`); a near miss of their names is refused, as a row
    so named was scored by its wording alone."""
    for key in row:
        if isinstance(key, str) and key != "facts" and key.strip().lower() in MISNAMED_FACTS:
            raise DataError(f"{source}: column {key!r} is read as nothing: name it 'facts'")
    facts, wrong = (_json_cell(row.get(key), key, source) or [] for key in ("facts", "wrong"))
    if not isinstance(facts, list) or not isinstance(wrong, list):
        raise DataError(f"{source}: 'facts' and 'wrong' must be lists")
    if [] in facts:
        raise DataError(
            f"{source}: fact {facts.index([]) + 1} is an empty list: give it at least one phrase "
            "(its alternatives), or remove it"
        )
    return FactCheck(
        facts=[
            [_phrase(alt, source) for alt in (fact if isinstance(fact, list) else [fact])]
            for fact in facts
        ],
        wrong=[_phrase(w, source) for w in wrong],
        negative=asks_what_is_not(_asked(row)),
        denied=denied_by_question(_asked(row)),
    )


def _asked(row: dict[str, Any]) -> str:
    """The question of a test row in any shape tunelab reads (its last user turn in a chat)."""
    for key in ("question", "instruction", "prompt"):
        if isinstance(row.get(key), str):
            return row[key]
    turns = row.get("messages") or row.get("conversations") or []
    users = [
        str(t.get("content", t.get("value", "")))
        for t in turns
        if isinstance(t, dict) and t.get("role", t.get("from")) in ("user", "human")
    ]
    return users[-1] if users else ""


MISNAMED_FACTS = {"fact", "facts", "fact_list", "key_facts"}


def _json_cell(value: Any, key: str, source: str) -> Any:
    """A list written as JSON text (a CSV cell, a spreadsheet export), as the list."""
    if not isinstance(value, str) or not value.strip().startswith("["):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        raise DataError(f"{source}: '{key}' is not a JSON list ({err.msg})") from None


def read_fact_checks(path: str | Path) -> dict[str, FactCheck]:
    """`file:line` → FactCheck for every row of a test file that has facts or wrong phrases."""
    return fact_checks(read_rows(Path(path)))


def fact_checks(rows: Iterable[tuple[str, Any]]) -> dict[str, FactCheck]:
    """`file:line` → FactCheck of each (source, row) read that has facts or wrong phrases."""
    checks = {}
    for source, row in rows:
        if isinstance(row, dict) and (check := parse_fact_check(row, source)):
            checks[source] = check
    return checks


def states(answer: str, phrase: Phrase, negations: bool = True) -> bool:
    """Whether `answer` states `phrase`: a regex found in it, or words it says and denies
    nowhere (`answer_words.states_words`; `negations` off for a question that asks what is
    not); an address (URL, domain, e-mail) whole."""
    if isinstance(phrase, re.Pattern):
        # What it matches is read as words are: "The warmup is not 0.05" does not state 0.05.
        found = [m[0] for m in phrase.finditer(answer)]
        return bool(found) and not any(denies_words(answer, normalize(m), negations) for m in found)
    if not states_words(answer, phrase, negations):
        return False
    written = getattr(phrase, "written", "")
    whole = _whole_address(written)
    # As written, less a full-width form's width and Markdown's escape ("max\_tokens").
    return whole is None or whole.search(_as_typed(answer)) is not None


def stated_for(answer: str, phrase: Phrase, check: FactCheck) -> bool:
    """Whether `answer` states `phrase` as its test row's question reads it: plainly (`states`),
    or, where the question asks what is not, said under a negation ("Windows is not supported")
    or in a clause that does not affirm what the question denies ("Windows." but not "Windows
    is supported", nor the wrong "Linux" in "Linux is supported")."""
    if not check.negative:
        return states(answer, phrase)
    if not states(answer, phrase, negations=False):
        return False  # not said, or taken back
    if not check.denied or not states(answer, phrase):
        return True  # a negation covers it
    clauses = [c for c in _CLAUSE.split(answer) if c and states(c, phrase, negations=False)]
    return not clauses or not all(affirms(c, check.denied) for c in clauses)


# An answer's clauses, for what each affirms: sentence marks and commas before a space, a new
# line, and the words that turn to a contrast ("Linux is supported but Windows is not").
_CLAUSE = re.compile(
    r"[.;:!?,](?=\s|$)|\n|\b(?:but|however|whereas|while|although|though|yet|except|unlike)\b",
    re.IGNORECASE,
)


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
        return re.compile(
            rf"(?<![\w/.~-]){re.escape(written.rstrip('/'))}/?(?![\w-]|[/.]\w)", re.ASCII
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


def echoed_facts(questions: dict[str, str], checks: dict[str, FactCheck]) -> list[str]:
    """The test rows (`file:line`) with a fact their question says itself, in any alternative:
    an answer that repeats the question states it ("Does tunelab read Parquet?" gives the fact
    "Parquet" to "Tunelab reads Parquet?", right or wrong)."""
    from tunelab.data.markers import plain_question

    echoed = []
    for source, check in checks.items():
        asked = f" {normalize(plain_question(questions.get(source, '')))} "
        if any(
            isinstance(alt, Words) and f" {alt} " in asked for fact in check.facts for alt in fact
        ):
            echoed.append(source)
    return echoed


def echo_note(echoed: list[str]) -> str:
    """What `echoed_facts` found, said to a person, or ""."""
    if not echoed:
        return ""
    return (
        f"{len(echoed)} test rows have a fact their own question says ({first_few(echoed)}): an "
        "answer that repeats the question states it; give such a row a fact only a right answer "
        "says"
    )


def score_facts(answer: str, check: FactCheck) -> dict[str, float]:
    """fact_recall (share of facts stated), fact_accuracy (all stated and no wrong phrase:
    "8, 16, 32 or 64" does not know it is 16, nor "8-16 GB" that it is 16 GB), hallucination
    (a wrong phrase stated); a key is absent when the row gives nothing to score it by."""
    out: dict[str, float] = {}
    hallucinated = any(stated_for(answer, w, check) for w in check.wrong)
    if check.facts:
        stated = [
            any(stated_for(answer, alt, check) for alt in fact)
            and not _offered(answer, fact, check)
            for fact in check.facts
        ]
        out["fact_recall"] = sum(stated) / len(stated)
        out["fact_accuracy"] = float(all(stated) and not hallucinated)
    if check.wrong:
        out["hallucination"] = float(hallucinated)
    return out


# Values offered as a choice: "16 or 32", "8, 16, 32 or 64", "$5/$10 or $20", each with its
# unit or its name again ("3 epochs or 4 epochs", "Python 3.9 or Python 3.10").
_VALUE = r"\p{Sc}?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+\u2212]?\d+)?(?:\s?%|\s?(?!or\b)[A-Za-z]+\b)?"
_NAMED = rf"(?:(?P=name)\s+)?{_VALUE}"
_CHOICE = regex.compile(
    rf"(?:\b(?P<name>[A-Za-z]+)\s+)?(?<![\w.]){_VALUE}(?:\s*[,/]\s*{_NAMED})*(?P<comma>,?)\s+or\s+"
    + _NAMED,
    regex.IGNORECASE,
)
_OFFERED_VALUE = regex.compile(_VALUE)


# A numeric range: "1-3", "8–16 GB", "8 GB-16 GB", "$10-$20", "3-4x", "1 to 3 epochs", "from -3
# to 3", "between 1 and 3". Not a part of a longer code, date or phone number ("2024-01-15",
# "555-123-4567", "+1 555-1234"), nor a name's number ("HB-401-403", "GPT-3-4", "v1.2-3"), nor
# a sign ("1 -3"); `_ranges` keeps those that go up.
_NUMBER = r"\p{Sc}?\d+(?:,\d{3})*(?:\.\d+)?"
_UNIT = r"(?:\s?%|\s?(?![eE][-+\u2212]?\d)(?!(?:to|and|or|through)\b)[A-Za-z]+\b)?"
_RANGE = regex.compile(
    rf"(?P<between>\bbetween\s+)?(?<![\w.,/:#+\-\u2212\u2013\u2014])(?<!\d\)?\s)"
    rf"(?P<low>[-\u2212]?{_NUMBER}{_UNIT})"
    r"(?(between)\s+and\s+|(?:\s+(?:(?:up\s+)?to|through)\s+|\s[-\u2013]\s|[-\u2013\u2014]))"
    rf"(?P<high>(?:(?<=\s)[-\u2212])?{_NUMBER}{_UNIT})(?![.,]?\d|[-\u2013\u2014/]\d)",
    regex.IGNORECASE,
)
_RANGE_NUMBER = regex.compile(r"[-\u2212]?\d[\d,]*(?:\.\d+)?")
# "from 4 to 8" after a verb of change is a change, not a range: "raised it from 4 to 8 GPUs"
# states 8 (and `PAST_VALUE` takes the 4 back).
_CHANGE = re.compile(
    r"\b(?:(?:chang|increas|decreas|rais|lower|reduc|bump|updat|mov|jump|climb|grow|drop|dropp)"
    r"(?:e|es|ed|ing|s)?|go|goes|went|gone|going|grew|rose|rise|rises|fell|fall|falls|cut|cuts)"
    r"(?:\s+[\w.'’]+){0,4}?\s+from\s+$",
    re.IGNORECASE,
)


def _ranges(answer: str) -> list[regex.Match]:
    """The numeric ranges `answer` says: each going up ("10-5" is a score, "2024-01" a month,
    "3.9-3.10" goes up as versions do), with no end written with a leading zero ("555-0100" is
    a number) and no change of a value ("changed from 4 to 8")."""
    found = []
    for match in _RANGE.finditer(answer):
        low, high = (_RANGE_NUMBER.search(match[k])[0].replace(",", "") for k in ("low", "high"))
        low, high = (n.replace("\u2212", "-") for n in (low, high))
        if any(re.match(r"-?0\d", n) for n in (low, high)):
            continue
        if _CHANGE.search(answer, max(0, match.start() - 60), match.start()):
            continue
        versions = "." in low and "." in high and "-" not in low + high
        if float(low) < float(high) or (
            versions and [int(p) for p in low.split(".")] < [int(p) for p in high.split(".")]
        ):
            found.append(match)
    return found


def _offered(answer: str, fact: list[Phrase], check: FactCheck) -> bool:
    """Whether the answer gives a value fact only as one of several it offers ("16 or 32" does
    not know it is 32) or as an end of a range ("1-3 epochs" does not know it is 3), some of
    which the row does not expect ("3.10 or 3.11" may be its two facts, "1-3" its facts 1 and
    3, or its one fact). Two values with a comma before "or" are one said again or an
    alternative to it, no guess ("1 GB, or 1024 MB", "32, or 64 on an A100")."""
    values = [alt for alt in fact if isinstance(alt, Words) and any(c.isdigit() for c in alt)]
    if not values:
        return False
    expected = [alt for f in check.facts for alt in f if isinstance(alt, Words)]
    offers, spans = [], []
    for choice in _CHOICE.finditer(answer):
        spans.append(choice.span())
        items = _OFFERED_VALUE.findall(choice[0])
        if not (len(items) == 2 and choice["comma"]) and any(states(choice[0], v) for v in values):
            offers.append(items)
    for bounds in _ranges(answer):
        spans.append(bounds.span())
        ends = [bounds["low"], bounds["high"]]
        if any(states(bounds[0], v) and not any(states(e, v) for e in ends) for v in values):
            return False  # the range is the fact ("5-10 GB")
        if any(states(end, v) for end in ends for v in values):
            offers.append(ends)
    pieces, last = [], 0
    for start, end in sorted(spans):  # the answer less its choices and ranges
        pieces.append(answer[last:start])
        last = max(last, end)
    rest = " ".join([*pieces, answer[last:]])
    if not offers or any(states(rest, v) for v in values):
        return False  # said outside a choice or a range too ("It is 32; 16 or 32 both run")
    return any(not any(states(item, e) for e in expected) for items in offers for item in items)


def shown_phrase(phrase: Phrase) -> str:
    """A phrase as reports show it, and as `stated_in` reads it back: a regex as "re:<pattern>"."""
    if isinstance(phrase, re.Pattern):
        return "re:" + phrase.pattern
    return getattr(phrase, "written", phrase)


def stated_in(shown: list[str], texts: list[str]) -> dict[str, list[int]]:
    """For each phrase as `missed_facts` and `missed_alternatives` show it, the indices of the
    `texts` that state it: a fact an answer missed is either in the training answers (the model
    did not learn it) or in none of them (nothing taught it)."""
    phrases = {s: _phrase(s, "missed fact") for s in dict.fromkeys(shown)}
    found: dict[str, list[int]] = {s: [] for s in phrases}
    for i, text in enumerate(texts):  # text by text: `states` normalizes each once (its cache)
        for s, phrase in phrases.items():
            if states(text, phrase):
                found[s].append(i)
    return found


def missed_facts(answer: str, check: FactCheck) -> list[str]:
    """The facts an answer did not state, each shown by its first alternative."""
    return [alternatives[0] for alternatives in missed_alternatives(answer, check)]


def missed_alternatives(answer: str, check: FactCheck) -> list[list[str]]:
    """The facts an answer did not state, each with all its alternatives as shown."""
    return [
        [shown_phrase(alt) for alt in fact]
        for fact in check.facts
        if not any(stated_for(answer, alt, check) for alt in fact)
    ]


def wrong_stated(answer: str, check: FactCheck) -> list[str]:
    """The wrong phrases an answer states."""
    return [shown_phrase(w) for w in check.wrong if stated_for(answer, w, check)]
