"""The specific terms of a text, found by their form (tunelab.evaluate.facts.propose proposes a
reference answer's as its facts): numbers with their units, dates, URLs, paths, code, options,
file and dotted names, versions, acronyms and proper names, most specific first. Their parts
beside it: amounts.py (a number with its unit), model_names.py (a model's size and variant) and
sentence_openers.py (the words that open a sentence and no name)."""

from __future__ import annotations

import re

import regex

from tunelab.data.text import AND_OR, NAME_THAT_IS_A_WORD, spaced, unspaced
from tunelab.evaluate.facts.amounts import AMOUNT, CLOCK, JOINED, RANGE, SPACED_UNIT
from tunelab.evaluate.facts.model_names import (
    ACRONYM_VARIANT,
    MODEL_SIZED,
    NAME_SIZED,
    NAME_WORD,
    NAMED_VARIANT,
    SIZED,
    SUBJECT_OF,
    VARIANT,
    VERB_AFTER,
    VERB_OR_PLURAL_S,
)
from tunelab.evaluate.facts.sentence_openers import (
    CLAUSE_START,
    COUNT_OPENING,
    NOT_A_NAME,
    OPENER,
    OPENING_VERB,
    TITLED,
    VERB_S_OPENING,
    WHOLE_VERSION_VERB,
)

_MONTH = (
    r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?|January|February|March|April|May|"
    r"June|July|August|September|October|November|December"
)
# A month before a name with its version dates it, and is no part of it: "In May Pelican 2.1".
_DATED = rf"(?:{_MONTH}) (?:[A-Z][A-Za-z]+ )+\d"
# Words that number a thing rather than name it: "Port 8443", "Step 3", "Release 2.1".
_NUMBERING = (
    r"(?:Version|Release|Build|Patch|Revision|Port|Step|Section|Page|Chapter|Figure|Table|Line|"
    r"Item|Option|Level|Phase|Stage|Tier|Plan|Number|No)"
)
# A list of names: its items after the first, a name with its version or not ("macOS 13",
# "Windows Server 2022") or a version alone ("3.11" of "Python 3.10, 3.11 and 3.12").
_LISTED_NAME = (
    rf"(?:[A-Z][A-Za-z]+ )*(?:{MODEL_SIZED}|{NAME_WORD}(?: \d+(?:\.\d+)*(?:{SIZED})?)?(?![\w-]))"
)
# Each may give its value in brackets: "Quick (30 min), Normal (60 min) and Long (120 min)".
_ASIDE = r"(?: \([^()\n]{1,30}\))?"
_LISTED = rf"(?:{_LISTED_NAME}|\d+(?:\.\d+)*(?![\w-])){_ASIDE}"
# Its first, opening a sentence: one word and its version ("Windows 10", "Chrome"; a sentence's
# first words may be a verb and its object, "Install Python 3.11 and Docker 24"), where another
# item is a name; where all others are numbers, a name with a dotted version ("Python 3.10,
# 3.11 and 3.12"), or with a whole one where the list is the subject of a verb ("Java 17 and 21
# are supported": "17" alone was proposed), unless a plural noun counts them ("Sizes 8, 16 and
# 32 work" names no "Sizes 8"; "Windows" is a name).
_PLURAL_NOUN = rf"(?!{NAME_THAT_IS_A_WORD} )[A-Z][a-z]*[^\Ws]s "
_FIRST_LISTED = (
    rf"(?:{MODEL_SIZED}|[A-Z][A-Za-z]+(?: \d+(?:\.\d+)*(?:{SIZED})?)?(?![\w-]))"
    rf"(?={_ASIDE}(?:, {_LISTED})*(?:, |,? {AND_OR} )"
    rf"{_LISTED_NAME})|[A-Z][A-Za-z]+ \d+(?:\.\d+)+(?![\w-])"
    rf"|(?!{_PLURAL_NOUN})[A-Z][A-Za-z]+ \d+(?![\w.-])"
    rf"(?=(?:, \d+)*,? {AND_OR} \d+(?![\w.-]){SUBJECT_OF})"
)
# A word in -s and capitalised words up to a version, not an amount ("Helps Python 3 users").
_VERB_S_BEFORE_VERSION = (
    rf"(?!{NAME_THAT_IS_A_WORD}\b)[A-Z][a-z]*{VERB_OR_PLURAL_S}(?: {TITLED})+"
    rf" \d+(?:\.\d+)*(?![\w.,%]| ?{SPACED_UNIT})"
)
# A name's title, taken for a name or a sentence's end otherwise ("Dr. Jane Smith").
TITLE = r"(?:Dr|Mr|Mrs|Ms|Prof|St)\."
# A range of versions, one fact as the scorer reads it ("Python 3.8 through 3.12" is "Python
# 3.8-3.12", as "3.8 to 3.12"; "3.8" and "3.12" were proposed apart).
_THROUGH = r"(?: through \d+(?:\.\d+)*)"
_VERSIONS_TO = rf"(?:{_THROUGH}|[-\u2013]\d+\.\d+(?:\.\d+)*)"  # "Python 3.8-3.12" too
# The forms a specific term takes, most specific first (`regex` for a currency symbol and a
# lookbehind of several lengths).
TERMS = [
    re.compile(r"https?://[^\s)>\]]*[^\s.,;:)>\]]"),  # a URL, without the sentence's full stop
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"),  # an e-mail address, whole
    re.compile(r"(?<![\w./~])(?:~|\.{1,2})?/[\w.-]+(?:/[\w.-]+)*/?(?<![.])"),  # a path: /var/lib/x
    re.compile(r"`([^`]+)`"),  # code
    re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*"),  # a command-line option
    re.compile(r"\b[\w<>-]*[A-Za-z][\w<>-]*(?:[./_][\w<>-]+)+/?"),  # a file, dotted or snake name
    # A file type alone (".zfw", ".PDF"; not ".Then" after a stray full stop).
    # (R's mixed-case ones too: ".R", ".Rmd", ".Rds".)
    re.compile(
        r"(?<![\w./])\.(?:[a-z][a-z0-9]{0,11}|[A-Z0-9]{2,6}|R|Rmd|Rds|Rdata|Rproj)\b(?!\.\w)"
    ),
    # A hyphenated name with a digit (gpt-4o), its variant too ("Phi-3 mini"), after a dotted
    # version too ("GPT-3.5 Turbo", "Phi-3.5 mini": the file name "GPT-3.5" and "Turbo" were two).
    re.compile(rf"\b(?=[\w-]*\d)[A-Za-z]\w*(?:-\w+(?:\.\d+)*)+(?:{NAMED_VARIANT})?"),
    # A name with a digit (A100; not "\\n1"), its variant too ("T5 small").
    re.compile(rf"(?<![\w\\-])[A-Za-z]+\d\w*(?![\w-])(?:{NAMED_VARIANT})?"),
    # A name and its version, one fact: "Java 21", "Python 3.10", "Windows 11", and a name
    # that opens in lower case, "macOS 14", "iOS 17" ("14" alone was proposed, which any
    # other system's 14 states).
    # (Not a word that only numbers a thing: "Version 3.8.2 was released" has the fact 3.8.2,
    # "Port 8443" 8443.)
    # The whole name the text capitalises before the version is the name: "the Zephyr Router
    # 4.2.1", "Beacon Lamp 2.3" ("Router 4.2.1" and "Lamp 2.3" were proposed).
    # (Not a month before it: "in May Pelican 2.1" is Pelican's.)
    re.compile(
        rf"(?<=[a-z0-9,;:&] )(?!{_DATED})(?:(?!{_NUMBERING}\b)[A-Z][A-Za-z]+ )*"
        rf"(?!{_NUMBERING}\b)(?:{NAME_WORD} \d+(?:\.\d+)*(?:{SIZED}|{_VERSIONS_TO}|{NAMED_VARIANT})?"
        rf"|{MODEL_SIZED})"
        r"(?![\w-]|\.\w)"  # a sentence's full stop after it ("under Apache 2.0.") is none of it
    ),
    # ...a sentence's first words too, where a dotted version and a verb follow it ("Pelican 2.1
    # reads its settings from…" proposed "2.1" alone, which says not what is at 2.1); an order
    # and its value are none ("Use 0.05 as the ratio", "Allow 2.5 GB", "Add 1.5 times more").
    # A model's size too, the word after it read as the name's verb ("Mistral 7B outperforms").
    regex.compile(
        rf"(?:^|(?<=[.!?] ))(?!{NOT_A_NAME}\b|{_DATED}|{VERB_S_OPENING})"
        rf"(?:(?!{_NUMBERING}s?\b)[A-Z][A-Za-z]+ )*"
        rf"(?!{_NUMBERING}s?\b)(?:{NAME_SIZED}|[A-Z][A-Za-z]+ \d+(?:\.\d+)+(?:{VARIANT})?)"
        rf"(?:{_THROUGH}(?={SUBJECT_OF})|{VERB_AFTER})"
    ),
    # ...and with a whole-number version, where the name's own verb follows ("Python 3 is
    # popular.", "Windows 11 needs TPM.": "3" and "11" were proposed alone, which any 3 or 11
    # states); not a first word that makes the number a count ("Install 3 packages.", "About 70
    # rows are": `COUNT_OPENING`), nor a plural the count says (`WHOLE_VERSION_VERB`).
    regex.compile(
        rf"(?:^|(?<=[.!?] ))(?!{NOT_A_NAME}\b|{COUNT_OPENING}|{_DATED})"
        rf"(?:(?!{_NUMBERING}s?\b)[A-Z][A-Za-z]+ )*"
        rf"(?!{_NUMBERING}s?\b){NAME_WORD} \d+(?![\w.-])(?:{VARIANT})?(?={WHOLE_VERSION_VERB})"
    ),
    # ...and a model's size mid-sentence where a clause opens, its verb after it ("In our tests,
    # Mistral 7B outperforms Llama 2 13B" proposed "7B" and "Mistral" apart).
    regex.compile(
        rf"(?<={CLAUSE_START})(?!{NOT_A_NAME}\b|{_DATED})(?:[A-Z][A-Za-z]+ )*"
        rf"(?:{NAME_SIZED}){VERB_AFTER}"
    ),
    re.compile(r"(?<![\w.-])\d+(?:[-/]\d+)+(?![\w-])"),  # a date (2023-05-01, 5/1/2023)
    re.compile(rf"(?<![\w.-])\d+\.\d+(?:\.\d+)*{_THROUGH}(?![\w-]|\.\w)"),  # "3.8 through 3.12"
    CLOCK,  # 10:30 PM, 16:9
    RANGE,
    JOINED,
    re.compile(  # a date in words (March 5, 2024; 5 March 2024; March 2024)
        rf"\b(?:(?:{_MONTH}) \d{{1,2}}(?:st|nd|rd|th)?(?:, \d{{4}})?|"
        rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTH})(?: \d{{4}})?|"
        rf"(?:{_MONTH}) \d{{4}})(?![\w-])"
    ),
    AMOUNT,  # a number, not a name's part
    # CamelCase, and a name whose capitals open it ("SQLite", "VMware", "MLCommons": missed).
    re.compile(r"\b(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[A-Z]{2,}[a-z]{2,}(?:[A-Z][a-z0-9]*)*)\b"),
    # An acronym (GPU, VPCs, BERT base), with its capitalised hyphened parts ("GPT-J", "JSON-RPC");
    # not one a hyphen and a digit follow, a name's part ("GPT" of "GPT-4" was proposed).
    re.compile(rf"\b[A-Z]{{2,}}[a-z]?(?:-[A-Z][A-Za-z]*)*\b(?!-[A-Z0-9])(?:{ACRONYM_VARIANT})?"),
    # A name of several capitalised words, a sentence's first too ("Harborline Gateway requires
    # ...": its "Gateway" alone was a fact), each with its hyphened parts ("Partially Extractive
    # Fine-Tuning": "Partially Extractive Fine" was one), but not one that opens with a function
    # word or a sentence's verb; an acronym opening it is its part ("LLM Engine Lamini": "Engine
    # Lamini" was a fact). Nor a first word in -s and the words up to a version: "Helps Python
    # 3 users migrate." gave "Helps Python", the verb kept and the version lost; as a name it is
    # "Helps Python 3", which the patterns above take where its verb follows.
    regex.compile(
        rf"(?<![\w.])(?!{NOT_A_NAME}\b|{_DATED}|{OPENING_VERB}|{_VERB_S_BEFORE_VERSION})"
        rf"(?:[A-Z]{{2,}} )?{TITLED}(?: {TITLED})+(?!\w|-[A-Z0-9])"
    ),
    # A proper name, of one word or more ("San Francisco"; "Jane Smith" of "Dr. Jane Smith"),
    # its hyphened parts too ("Wi-Fi": "Wi" alone was a fact; "Ctrl-C": "Ctrl"); not a model's
    # name's first part ("Phi" of "Phi-3-mini", a name with a digit).
    regex.compile(
        rf"(?<=[a-z0-9,;:&] |{TITLE} )(?!{TITLE}|{_DATED})[A-Z][a-z]+(?:-[A-Z][a-z]*)*"
        r"(?: [A-Z][a-z]+(?:-[A-Z][a-z]*)*)*\b(?![A-Za-z]|-\d)"
    ),
    # ...and the first item of a list of names that opens a sentence, with its version ("Windows
    # 10, macOS 13 and Ubuntu 22.04 are supported.", "Chrome, Firefox and Safari work.": "10"
    # alone was proposed, and no "Chrome"); not an opening word that says how ("Alternatively,
    # Chrome and Firefox...").
    regex.compile(
        rf"(?:^|(?<=[.!?] ))(?!{NOT_A_NAME}\b|{_NUMBERING}s?\b|{_DATED}|{OPENER}\b)(?:{_FIRST_LISTED})"
        rf"(?={_ASIDE}(?:, {_LISTED})*,? {AND_OR} {_LISTED}(?![\w-]))"
    ),
]


# A name by its capitals alone (the last three patterns): a list's item opens with its verb
# ("Choose Settings > Pairing"), no name.
CAPITALISED = TERMS[-3:]
# A URL, an e-mail address, a path, code, an option or a file name: specific by their form.
ADDRESS_OR_CODE = TERMS[:6]
ADDRESSES = TERMS[:2]  # a URL or an e-mail address


def specific_terms(text: str, patterns: list = TERMS) -> list[str]:
    """The specific terms of `text`, most specific kinds first, each once (in Chinese or
    Japanese text too: "設定はconfig.yamlです" holds "config.yaml")."""
    text, found = spaced(text), []
    for pattern in patterns:
        found += [m.group(1) if pattern.groups else m.group(0) for m in pattern.finditer(text)]
    return list(dict.fromkeys(unspaced(term).strip() for term in found))
