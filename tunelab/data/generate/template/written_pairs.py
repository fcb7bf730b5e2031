"""Pairs a document writes out in a form of their own, read as they stand: FAQ entries, the rows
of key-value tables, `Term: definition` lines ("What is term?") and `--help` output ("What does
--flag do?")."""

from __future__ import annotations

import re

from tunelab.data.documents.fields import NAMED
from tunelab.data.generate.template.blocks import DEFINITION, Block, clean
from tunelab.data.generate.template.capitals import lower_first, sentence_cased
from tunelab.data.generate.template.heading_grammar import DETERMINERS, NOT_VERBS, plural
from tunelab.data.generate.template.heading_words import STEP_VERBS
from tunelab.data.generate.template.headings import heading_question
from tunelab.data.generate.template.questions import LEANING, sentence_question
from tunelab.data.generate.template.sentence_end import full_stop
from tunelab.data.generate.template.titles import undecorated
from tunelab.data.generate.template.word_classes import (
    ADVERBS,
    AUXILIARIES,
    VERBS,
    english,
    has_past,
    plural_form,
    third_person,
)
from tunelab.data.text import VALUE_COLUMNS
from tunelab.data.text import sentences as split_sentences

# "X: 8.3 minutes", "Several GPUs: start ...": a measurement or a lead-in, not a definition;
# "Auto-off: the machine switches itself off after 30 minutes ..." says what the feature does.
NOT_DEFINED = re.compile(
    r"^[~\d]|^(?!(?:the|an?) [a-z]+ [a-z]+s )\S+(\s\S+){0,5}\s~?\d[\d.]*\s?"
    r"(s|ms|min|minutes|seconds|%)\b"
)
LEAD_IN = frozenset("several many some all each most every any is are not".split()) | LEANING
# Feature lists ("Fast: very high performance") name qualities, which "What is ...?" cannot ask.
ADJECTIVE = re.compile(
    r"(ive|ful|less|ous|based)$|^(fast|easy|short|simple|quick|large|small|"
    r"robust|safe|secure|free|open|lightweight|modern|clean|flexible|fewer|more|less|better)$"
)
SKIP_TERMS = frozenset(
    """note notes warning tip example e.g default usage options important http https step
    caution info cause fix solution symptom symptoms problem reason workaround verdict result
    results outcome conclusion summary tests""".split()
    + ["see also"]
)
# "Range: debug to error", "Range: 0 to 30 mm": a value, no term defined ("What is range?" asks
# of nothing named); under a setting's heading it is the setting's (`said_of_setting`).
SPAN = re.compile(r"(?:from )?\S+(?: \S+)? to \S+(?: \S+)?")
# An FAQ entry: "Q: How long does it last?" then "A: About 12 hours." on its line or the next,
# either bold ("**Q:**"), in a list or not; its answer runs to the next entry or a blank line.
_LABEL = r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*)?(?:{})(?:\*\*)?[ \t]*[:.][ \t]*(?:\*\*)?[ \t]*"
# Where an entry's question opens: a list item at any depth, or a line indented less than an
# indented code block's 4 spaces; a sample pair shown as code is data, not the document's FAQ.
_NOT_CODE = r"^(?=[ \t]*[-*+][ \t]| {0,3}\S)"
FAQ = re.compile(
    _NOT_CODE
    + _LABEL.format("Q|Question")
    + r"(?P<q>[^\n]+?\?)[ \t]*(?:\*\*)?[ \t]*\n?"
    + _LABEL.format("A|Answer").replace("^", "")
    + r"(?P<a>.+?)"
    + r"(?=\n"
    + _LABEL.format("Q|Question").replace("^", "")
    + r"|\n[ \t]*\n|\Z)",
    re.M | re.S,
)
# An FAQ written as a bold question, its answer on the same or the next lines ("**Is it free?**"
# then "Yes, for teams of up to 5."), to a blank line or the next bold question.
BOLD_FAQ = re.compile(
    _NOT_CODE + r"[ \t]*(?:[-*+][ \t]+)?\*\*(?P<q>[^*\n]+?\?)\*\*[ \t]*\n?[ \t]*(?P<a>[^\s*].*?)"
    r"(?=\n[ \t]*\n|\n[ \t]*(?:[-*+][ \t]+)?\*\*[^*\n]+?\?\*\*|\Z)",
    re.M | re.S,
)
# An FAQ entry folded in HTML: "<details><summary>Why 14 days?</summary> Most ... </details>".
DETAILS = re.compile(
    r"<details>\s*<summary>\s*(?P<q>[^<]+?\?)\s*</summary>\s*(?P<a>.+?)\s*</details>", re.S | re.I
)
OPTION = re.compile(r"^\s+((?:-\w,\s*)?--[\w-]+)(?:[ =]([A-Z][A-Z_]+|<[^>]+>))?\s+([A-Z].*)$")
USAGE = re.compile(r"^\s*Usage:\s+(.+)$", re.IGNORECASE)


QUALIFIERS = ("default", "maximum", "minimum", "recommended")  # said before the row's name
# A cell of only dashes or dots stands for no value: "| `--host` | - |" was answered "The default
# `--host` is -.", "| 3 | — |" "Code 3 means —.", a description "." "`Lid`: .".
PLACEHOLDER = re.compile(r"[-–—.…]+")


def table_pairs(blocks: list[Block], product: str = "") -> list[tuple[str, str]]:
    """Questions from key-value tables (an options table with a Default column, a limits table
    of two columns): one per row, its first cell the key; a specifications table's rows asked of
    the `product` the document is about ("What is the weight of the W200?"). A table of more
    columns and none of `VALUE_COLUMNS` (a benchmark's) is left alone: its rows ask nothing one
    answer gives."""
    pairs: list[tuple[str, str]] = []
    table: list[list[str]] = []
    text = "\n".join(block.text for block in blocks)  # where a row's name is said mid-sentence
    for block in [*blocks, Block("prose", "")]:
        if block.kind == "table":
            cells = [clean(c) for c in block.text.strip().strip("|").split("|")]  # "**info**"
            if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells):  # the header's rule
                table.append(["" if PLACEHOLDER.fullmatch(c) else c for c in cells])
            elif len(table) > 2:  # a second table right after the first: its header came last
                pairs += _rows_asked(table[0], table[1:-1], product, text)
                table = table[-1:]
            continue
        if len(table) > 1:
            pairs += _rows_asked(table[0], table[1:], product, text)
        table = []
    return pairs


# A troubleshooting table's columns: "| Symptom | Cause | Fix |", "| Problem | Check / next action |";
# a table of error codes, "| Code | Meaning | What to do |", is one too, its codes the symptoms.
SYMPTOM_COLUMNS = ("symptom", "symptoms", "problem", "issue", "error", "error message", "failure")
CODE_COLUMNS = ("code", "error code", "status code", "fault code", "alarm", "alarm code")
FIX_WORDS = ("fix", "solution", "action", "resolution", "workaround", "what to do", "remedy")
CAUSE_COLUMNS = ("cause", "likely cause", "reason", "why")
# A code a display shows, named by its kind ("code E03"), as a number is: not "What does E03 mean?"
CODE = re.compile(r"`?(?:[A-Z]{1,4}[- ]?\d{1,5}|0x[0-9A-Fa-f]+)`?")


def _troubles_asked(header: list[str], rows: list[list[str]]) -> list[tuple[str, str]] | None:
    """ "What should I do about X?" of each symptom of a troubleshooting table, answered by its
    cause and fix, and of a code with a meaning, "What does code E03 mean?", answered by its
    meaning and fix (a table of error codes gave no pair); None for a table of another kind."""
    names = [h.lower().strip("*` ") for h in header]
    fix = next((i for i, n in enumerate(names) if i and any(w in n for w in FIX_WORDS)), None)
    if names[0] not in SYMPTOM_COLUMNS + CODE_COLUMNS or fix is None:
        return None
    cause = next((i for i, n in enumerate(names) if i and n in CAUSE_COLUMNS), None)
    meaning = next((i for i, n in enumerate(names) if i and n in MEANING_COLUMNS), None)
    pairs = []
    for row in rows:
        if len(row) != len(names) or not row[0] or not row[fix]:
            continue
        said = [full_stop(row[i]) for i in (cause, fix) if i is not None and row[i]]
        if meaning is not None and row[meaning]:
            key = undecorated(row[0])
            asked, means = _meaning_asked(header[0], key, row[meaning].rstrip("."), "meaning")
            pairs.append((asked, " ".join([means, *said])))  # one fact, asked once
        else:
            pairs.append((_trouble_question(row[0]), " ".join(said)))
    return pairs


def _trouble_question(symptom: str) -> str:
    """As a troubleshooting heading asks it ("Agent import fails": "What should I do when ...?"),
    else about the symptom as written (code, an error message, "Missing MLflow/import/CLI")."""
    asked = None if "`" in symptom else heading_question(["Troubleshooting", symptom])
    if asked and asked.startswith("What should I do"):
        return asked
    return f"What should I do about {lower_first(symptom, '')}?"


def _rows_asked(
    header: list[str], rows: list[list[str]], product: str, text: str
) -> list[tuple[str, str]]:
    names = [h.lower().strip("*` ") for h in header]
    if (troubles := _troubles_asked(header, rows)) is not None:
        return troubles
    if names[0] in SPEC_COLUMNS and names[1:] in (["value"], ["values"], ["details"]):
        return [spec_asked(row[0], row[1], product) for row in rows if len(row) == 2 and all(row)]
    values = [i for i, n in enumerate(names) if n in VALUE_COLUMNS and i > 0]
    if len(names) > 2 and {names[i] for i in values} == {"range"}:
        values = []  # beside measures, with no default, a range is their spread: a benchmark's
    if not values and (len(header) != 2 or not names[1] or len(names[1].split()) > 2):
        # a second column named by a phrase ("the implementation it follows") or by nothing
        # ("What is the  of Release notes?"): no noun
        return []
    described = next((i for i, n in enumerate(names) if n in ("description", "meaning")), None)
    pairs = []
    for value in values or [1]:  # each value column: "Minimum" and "Recommended" both
        column = names[value]
        for row in rows:
            if len(row) != len(header) or not row[0] or not row[value]:
                continue
            key, said = row[0], row[value]
            if column in MEANING_COLUMNS:  # "Code | Meaning": not "What is the meaning of 3?"
                key = undecorated(key)
                if column == "meaning":  # "Solid green" asked mid-sentence: "What does solid ..."
                    key = lower_first(sentence_cased(key, text, product), text, product)
                pairs.append(_meaning_asked(header[0], key, said, column))
                continue
            # "the minimum memory", "the default `retries`", "the minimum Python" (a name, as
            # its cell writes it); "the value of Readers per gateway"
            named = (
                f"{column} {lower_first(key, key)}"
                if column in QUALIFIERS
                else f"{column} of {_thing(key)}"
            )
            question, answer = f"What is the {named}?", _said_of(named, said)
            if described is not None and row[described]:
                answer += f" {key}: {row[described]}"
            pairs.append((question, answer))
            # A reader asks by what a row is for ("the port of the admin console") as often as
            # by an option's name, which they may not know: the same fact, asked so too.
            if described is not None and (meant := _meaning_side(row[described], column)):
                pairs.append((meant, answer))
    return pairs


# A specifications table's first column: "| Specification | Value |", each row a property of the
# product, asked as a reader does ("What is the weight of the W200?"), not "What is the value of
# Weight?"; "| Item | Value |" as well.
SPEC_COLUMNS = frozenset(
    "specification specifications spec specs property characteristic item parameter".split()
)


def spec_asked(key: str, value: str, product: str) -> tuple[str, str]:
    """A row of a specifications table (or a `blocks.SPEC_LINE`), asked of the `product` where
    the document names one and answered as the row says it (a product's name its section does
    not say is no grounded word)."""
    prop = lower_first(key, "")
    of = f" of {product}" if product else ""
    verb = "are" if plural(prop) and not prop.endswith("ss") else "is"
    stop = "" if value.endswith((".", "!", "?")) else "."
    return f"What {verb} the {prop}{of}?", f"The {prop} {verb} {value}{stop}"


def _thing(key: str) -> str:
    """A row's key as a question names it: "the admin console" (common words, which a sentence
    says with "the": "What is the port of admin console?" was asked), else as written (code, a
    name: "`zephyr-sync`", "HTTP API", "vllm")."""
    words = key.split()
    common = re.fullmatch(r"[a-z][a-z -]*", key) and (len(words) > 1 or english(key))
    return f"the {key}" if common and words[0] not in DETERMINERS else key


# A description that names what a row's value is of: "Port of the admin console".
VALUE_OF = re.compile(r"(?P<what>[A-Z]?[a-z]+(?: [a-z]+)?) of (?P<thing>(?:the|an?) [^.,;:()]+)")
# A description that is a question folded into a clause: "How often wiki pages are re-crawled".
FOLDED = re.compile(
    r"(?P<wh>How (?:often|long|many \w+|much \w+)|When|Where) (?P<subject>[a-z][\w -]*?) "
    r"(?P<verb>is|are) (?P<rest>[a-z][^.,;:()]*)"
)


def _meaning_side(description: str, column: str) -> str | None:
    """The question a row's description asks its value by ("Port of the admin console" ->
    "What is the default port of the admin console?", "How often wiki pages are re-crawled" ->
    "How often are wiki pages re-crawled by default?"); None for one of another form ("Results
    returned per query")."""
    description = description.strip().rstrip(".")
    if m := VALUE_OF.fullmatch(description):
        qualifier = f"{column} " if column in QUALIFIERS else ""
        return f"What is the {qualifier}{m['what'].lower()} of {m['thing']}?"
    if m := FOLDED.fullmatch(description):
        qualifier = " by default" if column == "default" else ""
        return f"{m['wh']} {m['verb']} {m['subject']} {m['rest']}{qualifier}?"
    return None


MEANING_COLUMNS = ("meaning", "description")


def _said_of(named: str, said: str) -> str:
    """A row's answer: "The default `retries` is 3.", or a cell that is a sentence of its own
    ("Use the intended table; verify ...") quoted after its name, not run into ours ("... is
    Use the intended table")."""
    first = said.split(" ", 1)[0]
    sentence = (
        " " in said
        and first[:1].isupper()
        and (said.endswith(".") or ";" in said or (english(first) and has_past(first.lower())))
    )
    stop = "" if said.endswith((".", "!", "?")) else "."
    return f"The {named}{':' if sentence else ' is'} {said}{stop}"


# What a table's first column may name its rows by, each a kind of thing a question can name.
KINDS = frozenset(
    "class component module guide extra backend feature command function method package plugin"
    " task".split()
)


def _meaning_asked(kind: str, key: str, said: str, column: str) -> tuple[str, str]:
    """A row of a table of meanings: "What does code 3 mean?" (a number is named by its kind,
    the first column's name), "What does epoch mean?"; a row of descriptions asks what its
    thing is, or what a flag does ("vllm | vLLM fast inference" was asked "What does vllm
    mean?" and answered "Vllm means vLLM fast inference.")."""
    if column == "description" and re.search(r"[A-Za-z]", key):
        # "| Class | Description |": "What is the `Dataset` class?", the row's kind said.
        kind = kind.strip("*` ").lower()
        kind_said = kind in KINDS and not key.lower().endswith(kind)  # not "the Task Guide guide"
        thing = f"the {key} {kind}" if kind_said else key
        asked = f"What does {key} do?" if key.strip("`").startswith("-") else f"What is {thing}?"
        return asked, f"{key}: {full_stop(said)}"
    coded = not re.search(r"[A-Za-z]", key) or CODE.fullmatch(key)  # "code 3", "code E03"
    # "EC" in a "Code" column is a code too: "What does code EC mean?", as E1 beside it is asked
    coded = coded or (kind.strip("*` ").lower() == "code" and re.fullmatch(r"[A-Z]{1,4}", key))
    named = f"{lower_first(kind.strip('*` '), '')} {key}" if coded else key
    named_said = f"{named[:1].upper()}{named[1:]}"
    if said.endswith(".") and " " in said:  # a sentence of its own: "The printer is ready."
        return f"What does {named} mean?", f"{named_said}: {said}"
    return f"What does {named} mean?", f"{named_said} means {full_stop(said)}"  # not "Ready.."


def without_faq(prose: str) -> str:
    """Prose without its FAQ entries, which are pairs as they stand."""
    return BOLD_FAQ.sub("", FAQ.sub("", DETAILS.sub("", prose)))


def cli_pairs(text: str) -> list[tuple[str, str]]:
    """Questions from `--help` output: how to call the program and what each option does."""
    pairs = []
    program = None
    for line in text.splitlines():
        if m := USAGE.match(line):
            program = re.split(r"\s+(?=\[|[A-Z]{2,}|<)", m.group(1).strip())[0]
            pairs.append((f"How do I call {program}?", f"Usage: {m.group(1).strip()}"))
        elif m := OPTION.match(line):
            flags, metavar, description = m.groups()
            if flags.endswith("--help"):
                continue
            long_flag = flags.split(",")[-1].strip()
            where = f" of {program}" if program else ""
            shown = f"{flags} {metavar}" if metavar else flags
            question = f"What does the {long_flag} option{where} do?"
            pairs.append((question, f"`{shown}`: {description.strip()}"))
    return pairs


def definition(text: str, context: str) -> tuple[str, str] | None:
    """("What is term?", "term: definition") for a block that defines a term."""
    first = split_sentences(text)[0]
    m = DEFINITION.match(first) or re.match(r"^(.{1,40}?)\s+:\s+(\S.{8,})$", first)
    if not m:
        return None
    term, definition = m.group(1).strip().strip("*"), m.group(2).strip()
    if re.fullmatch(NAMED, term):  # "What is the `path` parameter of `ship`?"
        return f"What is t{term[1:]}?", f"{term}: {definition}"
    words = term.strip("`").lower().split()
    if (
        term.lower() in SKIP_TERMS
        or (term.lower() == "range" and SPAN.fullmatch(definition.rstrip(".")))
        or not re.search(r"[^\W\d_]", term)  # "08/25/2007 : Creation of this page": a date
        or len(words) > 5
        or len(definition.split()) < 3
        or LEAD_IN & set(words)
        or words[0] in NOT_VERBS - DETERMINERS  # "Beside other busy processes: ...": a phrase
        or NOT_DEFINED.search(definition)
        or definition.endswith(":")  # "Spoiler alert: the guide includes:"
        or re.search(r"\(\d+\)$", term)  # "An invented description (43): ...": a tally's label
        # "Speed: `data check` on 10,000 rows ...: before 425, 330 ... rows/s": a measurement's
        # label, which "What is speed?" does not ask
        or (not term.startswith("`") and len(re.findall(r"\d+", definition)) >= 4)
        or (len(term) == 1 and term.isalpha())  # "A: `smollm2-135m-instruct` ...": a label
        or re.fullmatch(r"(?:[A-Za-z]\.){2,}", term)  # "N.B.: on Windows, ...": a label too
        # "Training keeps plain weights: they change ...", "Imports run one way: cli → ...": a
        # clause and what it says, no term
        or (len(words) > 2 and not term.startswith("`") and _clause(words))
        or (not term.startswith("`") and (words[0] in STEP_VERBS or _adjective(words)))
        or (not term.startswith("`") and _statement(definition))
    ):
        return None
    rest = context.replace(first, "").replace(term, "")  # judge its capitals by the rest
    purpose = definition.lower().startswith("to ")  # "`rich`: to show errors nicely"
    # "API details: ..." are several; "Kubernetes: ..." (a name) and "RAGAS: ..." one thing.
    last = term.split()[-1]
    dotted = re.search(r"\w\.\w", term)  # "tqdm.contrib.itertools": a module, one thing
    are = last.islower() and plural(term) and not purpose and not dotted
    question = (
        f"What {'are' if are else 'is'} {lower_first(term, rest)}{' for' if purpose else ''}?"
    )
    return question, f"{term}: {definition}"


def _clause(words: list[str]) -> bool:
    """Whether a term's words hold a verb: a listed one's -s form, its base after a plural
    ("Imports run"), or an auxiliary ("The D8 has four modes": no term to ask "What are ...?")."""
    return any(
        third_person(word) or word in AUXILIARIES or (word in VERBS and plural_form(before))
        for before, word in zip(words, words[1:])
    )


def _statement(definition: str) -> bool:
    """Whether what follows a term's colon is a statement, of the term or another thing, that no
    "What is term?" asks for: a verb ("Windows: additionally may require `colorama` ..."), a
    condition ("Exception: if you're fixing a typo, ..."), or a sentence of its own ("Avoid
    frequent refreshing: `mininterval` defines how long to wait ...")."""
    words = [w.lower() for w in definition.split()]
    first = next((w for w in words if w not in ADVERBS and not w.endswith("ly")), "")
    if first in AUXILIARIES | {"if", "when", "unless"} or sentence_question(definition):
        return True
    said = re.match(r"`[^`]+` (?:\w+ly )?([a-z]+s)\b", definition)  # "`mininterval` defines"
    return bool(said and (third_person(said[1]) or has_past(said[1][:-1])))


def _adjective(words: list[str]) -> bool:
    return bool(ADJECTIVE.search(words[-1]) or ADJECTIVE.search(words[0]))
