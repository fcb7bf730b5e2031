"""The answer a section's heading question gets from the section under it: its lead sentences,
the steps or `Term: definition` lines it opens with, its table, a problem's cause and fix, and the
code a command's question asks for."""

from __future__ import annotations

import re

from tunelab.data.generate.template.blocks import Block, said_of_setting, said_with_name
from tunelab.data.generate.template.heading_grammar import DETERMINERS
from tunelab.data.generate.template.heading_words import GENERIC, STEP_VERBS
from tunelab.data.generate.template.questions import LEANING, sentence_question
from tunelab.data.generate.template.word_classes import AUXILIARIES, PARTICIPLES, POSSESSIVES
from tunelab.data.generate.template.written_pairs import definition, table_pairs
from tunelab.data.text import sentences as split_sentences

ASKS_FOR_CODE = re.compile(r"\b(how do i|commands?|call|run|install|usage)\b", re.IGNORECASE)
LEAD_WORDS = 12  # a lead sentence shorter than this takes the next sentence with it
MAX_CODE_LINES = 15
MAX_STEPS = 12  # of a list that answers a heading's question


# A question asking what to do about a problem, or what a release changed: its answer is the
# section's steps or entries, not its first sentence alone.
ASKS_WHAT_TO_DO = re.compile(
    r"(?:What (?:should|do|can) I do|How (?:do|can) I (?:fix|solve|resolve|recover|stop))\b"
)
# "What changed in yarl 1.22.0?", "What was fixed in ...?", "What bug fixes came in ...?": the
# release's entries, all of them.
ASKS_A_RELEASE = re.compile(r"What (?:changed|was [a-z]+|[\w -]+ came) in ")
FIX_SENTENCES = 5  # sentences of a troubleshooting section its answer keeps
# A generic heading's question asking for several things ("What are the limits of Ferrylog?",
# "What ports does Ferrylog use?"): its answer is all its section's paragraphs say, or its lead
# and its list. Not any "What are ...?": "What are recipes?" over an essay is answered by its lead.
ASKS_MANY = re.compile(
    "|".join(
        re.escape(GENERIC[heading]).replace(re.escape("{topic}"), ".+")
        for heading in (
            "limits",
            "defaults",
            "limitations",
            "features",
            "ports",
            "environment variables",
            "requirements",
            "dependencies",
            "specifications",
        )  # fmt: skip
    )
)


# "What is Click code?", "What are recipes?": what a heading names, asked for.
WHAT_IS = re.compile(r"What (?:is|are) (.+)\?")
# A sentence that says what a thing is: "Ferrytrack Agent is our internal tracking daemon."
DESCRIBES = re.compile(r"^[A-Z][\w\- ]{0,40}? (?:is|are) (?:a|an|our|the|your)\b")


def lead_answer(
    question: str, blocks: list[Block], used: set[str], setting: str | None = None
) -> str | None:
    """What a section's heading question is answered by: its first sentence (two when the first
    is short and is a step, or the second no question asks alone), and its first code block when
    the question asks for a command. `setting`: the one its heading names (`section_setting`),
    whose "Defaults to 3." is asked alone as "The default is 3." is."""
    prose = next((i for i, b in enumerate(blocks) if b.kind == "prose"), None)
    code = next((i for i, b in enumerate(blocks) if b.kind == "code"), None)
    if blocks and blocks[0].kind == "table" and not question.startswith("How"):
        return _table_answer(blocks)
    wants_code = bool(ASKS_FOR_CODE.search(question)) and code is not None
    if wants_code and (prose is None or code < prose):
        return cut_code(blocks[code].text)  # the section opens with its commands
    if prose is None:
        return None
    sentences = split_sentences(blocks[prose].text)
    opener = sentences[0].split()[0].lower().strip("`")
    tells_to_do = commands(sentences[0], False)  # "Support the ...", not "Support is available"
    fix = ASKS_WHAT_TO_DO.match(question) is not None or ASKS_A_RELEASE.match(question) is not None
    asks_how = question.startswith("How") or fix  # a command answers these
    many = ASKS_MANY.fullmatch(question) is not None
    # "Typer requires only a few dependencies:" and its list answer what Typer depends on.
    listing = many and prose + 1 < len(blocks) and bool(blocks[prose + 1].item)
    if not asks_how and (tells_to_do or opener in LEANING or (lead_in(sentences) and not listing)):
        return None  # "Now go to ...", "In summary, ...", "X stands on:": not what it is
    if len(sentences) == 1 and title_line(sentences[0]):
        return None  # a bare title line ("Harborline CLI Reference"): it answers nothing
    if question.startswith("How do I") and not tells_to_do and not blocks[prose].item:
        # "The D8 supports 2.4 GHz networks only. It does not support 5 GHz networks. Hold the
        # WIFI button for 5 seconds ...": a task's facts, then its step, which "How do I ...?"
        # needs too (the facts alone answered it). The facts a question asks alone stay free.
        steps = [i for i, s in enumerate(sentences) if commands(s, False)]
        if steps and steps[0] <= 2:
            run = next((i for i in range(steps[0], len(sentences)) if i not in steps), None)
            used.update(s for s in sentences[: steps[0]] if not _asked_alone(s, sentences, setting))
            return " ".join(sentences[:run])
    if question.startswith("How do I") and DESCRIBES.match(sentences[0]) and code is None:
        return None  # "X is our internal daemon." says what X is, not how to install it
    # Each limit is no sentence about "the limits", and is a fact of its own: "What are the
    # limits?" is answered by them all.
    if (what := WHAT_IS.fullmatch(question)) and not many and not defines(sentences[0], what[1]):
        return None  # "Ferrylog listens on port 7410 by default.": a fact, asked on its own
    if fix:
        return _fix_answer(blocks, prose, used)
    if defined := _defined(blocks[prose:]):
        return defined  # each is still asked about, "What is FERRYLOG_DEBUG?", so none is used
    lead = sentences[:2] if len(sentences[0].split()) < LEAD_WORDS else sentences[:1]
    # "What is Zephyrine?" is answered by what it is; "It indexes PDF files." after it was in
    # that answer and so asked nowhere, though it is a fact of its own. A step's next sentence
    # ("Run it again with `--resume`. Tunelab reads the last checkpoint ...") says how it works.
    if lead[1:] and not tells_to_do and _asked_alone(lead[1], sentences, setting):
        lead = lead[:1]
    # "Zephyrine requires Python 3.10 or later. Run `pip install zephyrine`.": a task's step
    # needs the fact before it, which is a fact of its own too ("What Python version does
    # Zephyrine require?" was asked nowhere), so it stays free to be asked.
    before_a_step = lead[1:] and asks_how and not tells_to_do and commands(lead[1], False)
    free = lead[:1] if before_a_step and _asked_alone(lead[0], sentences, setting) else []
    after = prose + 1
    # "The driver supports Windows 10, ... 1. Download the installer ...": a fact before a task's
    # steps is none of them. "How do I install the driver?" is answered by the steps (it was by
    # the fact, the steps after it), and the fact by its own question ("What Windows version
    # does the driver support?"). A lead no question asks ("Pairing links a workstation to one
    # vault.") stays with its steps.
    steps_follow = asks_how and after < len(blocks) and blocks[after].item
    if steps_follow and not blocks[prose].item and not tells_to_do and not lead[-1].endswith(":"):
        if all(_asked_alone(s, sentences, setting) for s in lead):
            return listed(blocks, after)
    if many and not blocks[prose].item:  # each paragraph may say one limit: all of them
        lead, after = _paragraphs(blocks, prose)
    # Each of several limits is asked on its own too: a fact asked only in a bundle of three
    # ("12 terms", "600 requests per minute") is hard to learn and to score. A lead of one
    # sentence is the bundle, which its own question would only ask again; a list the section
    # opens with is the answer whole, and its first item a limit like the others.
    if not many or (len(lead) == 1 and not blocks[prose].item):
        used.update(s for s in lead if s not in free)
    answer = " ".join(lead)
    # The steps a task's section lists, or the list its lead introduces ("To update it:"), are
    # the answer: its first step alone answered "How do I reset the router?".
    # So is a list a section opens with for "What does X require?" or "What are limits?": its
    # first item alone dropped "At least 2 GB of free disk space".
    if blocks[prose].item and (asks_how or question.startswith(("What does", "What are"))):
        return listed(blocks, prose)
    list_follows = after < len(blocks) and blocks[after].item
    if list_follows and (asks_how or many or lead[-1].endswith(":")):  # "Pairing links... 1. Open"
        answer += "\n" + listed(blocks, after)
    elif wants_code and code == after:
        answer += "\n\n" + cut_code(blocks[code].text)
    return answer


def _asked_alone(sentence: str, paragraph: list[str], setting: str | None) -> bool:
    """Whether a sentence after a definition is a fact a question asks on its own ("It indexes
    PDF files." after "Zephyrine is a search tool."): in the definition's answer it was asked
    nowhere else. One no rule asks ("This keeps it small.") stays with the definition, where
    its fact is in a row."""
    return (
        sentence_question(said_of_setting(said_with_name(sentence, paragraph), setting)) is not None
    )


# "The account is deleted after 30 days": what is done to a thing, not what the thing is.
# Not a clause's: "tear_offset sets how far the label is fed ..." says what the setting does.
_NO_CLAUSE = r"(?:(?!\b(?:how|what|where|when|which|whether|that)\b)[^,;:])"
DONE_TO = re.compile(rf"^{_NO_CLAUSE}{{1,60}}? (?:is|are) (?:\w+ed|{'|'.join(PARTICIPLES)})\b")
# Questions a sentence answers that ask one fact of a thing, not what it is.
ASKS_A_FACT = (
    *("Where", "When", "At ", "How", "Which"),  # "At what size are logs rotated?"
    *("Is ", "Are ", "Does ", "Do ", "Can ", "Did "),
)
# "To set a proxy, add ...": a task's purpose and its step, which say how to do it, not what
# the heading names ("What is network?" was answered so).
PURPOSE_FIRST = re.compile(r"^To [a-z]+\b[^,]*,")


def defines(sentence: str, term: str | None = None) -> bool:
    """Whether a section's lead says what its heading names, `term` ("Ferrylog is a log
    shipper.", "Ferrylog ships logs to a collector."), not one fact about it ("Ferrylog listens
    on port 7410 by default."): "What is Ferrylog?" answered by the port left the port unasked.
    A sentence about something else ("Typer used to depend on Click" for "Click code") says
    nothing of what the term is."""
    if term is not None and not about(sentence, term):
        return False
    if DESCRIBES.match(sentence) or definition(sentence, ""):
        return True
    if DONE_TO.match(sentence) or PURPOSE_FIRST.match(sentence):
        return False
    asked = sentence_question(sentence)
    # "The remote control uses two AAA batteries.": a count is one fact about it, asked alone.
    return not (asked and (asked.startswith(ASKS_A_FACT) or _COUNT.search(sentence)))


_COUNT = re.compile(r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve)\b", re.I)


def about(sentence: str, term: str) -> bool:
    """Whether `sentence` has `term` as its subject ("The agent tails ..." for "the agent",
    "Every recipe uses ..." for "recipes") or says what it is ("... `facts` means ...")."""
    words = _plain(term).split()
    if words and words[0] in DETERMINERS:
        words = words[1:]
    if not words:
        return False
    said = _plain(sentence)
    named = re.escape(" ".join(words))
    if words[-1].endswith("s") and not words[-1].endswith("ss"):
        named += "?"  # "Recipes" over "A recipe is ..."
    opener = "|".join(map(re.escape, DETERMINERS | POSSESSIVES))
    # Chinese and Japanese write no space after a word ("默认端口是 8080。").
    end = "" if re.search(r"[\u3000-\u9fff]$", named) else r"(?!\w)"
    subject = rf"^(?:(?:{opener}) )?{named}{end}"
    return bool(re.match(subject, said) or re.search(rf"\b{named} (?:is|are|means)\b", said))


def _plain(text: str) -> str:
    """Lower case, without the marks code and links add: "[Click](...) code" -> "click code"."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(re.sub(r"[`*_]", "", text).lower().split())


def _paragraphs(blocks: list[Block], start: int) -> tuple[list[str], int]:
    """The sentences of the paragraphs from blocks[start] up to the first list, code or table
    (MAX_STEPS of them at most), and the index of the block after them."""
    said, end = [], start
    while end < len(blocks) and blocks[end].kind == "prose" and not blocks[end].item:
        said += split_sentences(blocks[end].text)
        end += 1
    return said[:MAX_STEPS], end


def _defined(blocks: list[Block]) -> str | None:
    """The `Term: definition` lines a section opens with, one a line, if more than one: all of
    them answer its heading ("Environment variables"), not the first alone."""
    defined = []
    for block in blocks[:MAX_STEPS]:
        if block.kind != "prose" or block.item or not definition(block.text, ""):
            break
        defined.append(block.text)
    return "\n".join(defined) if len(defined) > 1 else None


def _table_answer(blocks: list[Block]) -> str | None:
    """The table a section opens with, as written, when its rows make no pairs ("## Ports" over
    Port | Protocol | Used by); an options table's rows are its pairs, and its heading gets none."""
    rows = []
    for block in blocks:
        if block.kind != "table":
            break
        rows.append(block)
    if table_pairs(rows) or len(rows) > MAX_STEPS + 2:  # a header, its rule, the rows
        return None
    return "\n".join(row.text for row in rows)


def _fix_answer(blocks: list[Block], start: int, used: set[str]) -> str:
    """What to do about a problem is the cause and then the fix: the section's prose from its lead
    on (FIX_SENTENCES sentences; the fix after "The clock is probably wrong." was in no pair),
    with its commands and steps where they stand ("Test the connection:" lost its command)."""
    parts: list[tuple[str, str]] = []  # (kind, text): "prose", "item" or "code"
    told = 0
    for block in blocks[start:]:
        if told >= FIX_SENTENCES:
            break
        if block.kind == "code":
            parts.append(("code", cut_code(block.text)))
        elif block.kind == "prose":
            sentences = split_sentences(block.text)
            sentences = sentences if block.item else sentences[: FIX_SENTENCES - told]
            told += 0 if block.item else len(sentences)
            used.update(sentences)
            said = " ".join(sentences)
            parts.append(("item", f"{block.item} {said}") if block.item else ("prose", said))
    answer = parts[0][1]
    for (before, _), (kind, text) in zip(parts, parts[1:]):
        gap = "\n\n" if "code" in (before, kind) else "\n" if "item" in (before, kind) else " "
        answer += gap + text
    return answer


def commands(sentence: str, step: bool) -> bool:
    """Whether a sentence tells the reader what to do: it opens with a verb ("Run ...", "Support
    the ..."; not "Support is ..."), or, as a list's step, with a word and then an article
    ("Enter the vault address ...")."""
    words = [w.lower().strip("*") for w in sentence.split()[:4]]
    if len(words) < 2 or words[0].startswith("`"):  # "`make test-fast` skips ...": a name
        return False
    # "Sync logs are kept for 14 days": a noun that is also a verb, then the sentence's own verb.
    if words[0] in STEP_VERBS and not AUXILIARIES & set(words[1:]):
        return True
    return step and words[1] in DETERMINERS and words[0] not in DETERMINERS


def listed(blocks: list[Block], start: int) -> str:
    """The list that starts at blocks[start], one item a line, as written (up to MAX_STEPS), with
    the code of each step ("1. Download the package:" then its command)."""
    lines, items = [], 0
    for i, block in enumerate(blocks[start:], start):
        if block.kind == "code" and lines and _step_code(lines[-1], block, blocks[i + 1 :]):
            lines.append(cut_code(block.text))
            continue
        if block.kind != "prose" or not block.item or items == MAX_STEPS:
            break
        lines.append(f"{block.item} {block.text}")
        items += 1
    return "\n".join(lines)


def _step_code(step: str, code: Block, after: list[Block]) -> bool:
    """Whether code after a list's step is the step's: the step introduces it ("Download the
    package:"), it is indented under the step, or another step follows it. Code flush left after
    the last step may be anything (an example of the result), so the list ends before it."""
    return step.endswith(":") or code.text[:1].isspace() or bool(after and after[0].item)


# Words a title leaves in lower case: "Getting Started with the Harborline CLI".
TITLE_SMALL_WORDS = frozenset("a an the of to with for and or in on at by from".split())


def title_line(line: str) -> bool:
    """A line that names rather than says: no end mark, and its words capitalized but for small
    ones ("Getting Started with the Harborline CLI"), or in a script without capitals ("命令行参考";
    "默认端口是 8080。" says, by its end mark). Not "The default port is 8080"."""
    if re.search(r"[.!?:;)\]`\"'。！？]$", line.rstrip()):
        return False
    return all(  # a caseless first letter (Chinese): its script has no capitals to show
        w[:1].isupper()
        or not w[:1].isalpha()
        or w in TITLE_SMALL_WORDS
        or w[:1].lower() == w[:1].upper()
        for w in line.split()
    )


def lead_in(sentences: list[str]) -> bool:
    """The first sentence only introduces what follows it ("It needs:")."""
    return sentences[0].rstrip().endswith(":")


def cut_code(code: str) -> str:
    lines = code.splitlines()
    if len(lines) <= MAX_CODE_LINES + 2:
        return code
    return "\n".join([*lines[: MAX_CODE_LINES + 1], lines[-1]])  # keep the closing fence
