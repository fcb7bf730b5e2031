"""Rule-based Q&A from a document, no model needed, one pair per fact: a heading becomes the
question its section's lead sentences answer ("How do I ...?" for a task, with its code when it
asks for a command; section_answer.py); each plain statement becomes the question it answers
(questions.py); `Term: definition` lines become "What is term?", CLI help text "What does --flag
do?", and FAQ entries and table rows are pairs as they stand (written_pairs.py)."""

from __future__ import annotations

import re

from tunelab.data.documents.chunking import Chunk
from tunelab.data.documents.sections import fenced_parts
from tunelab.data.generate.same_ask import asked_keys
from tunelab.data.generate.template.blocks import (
    SPEC_LINE,
    Block,
    blocks_of,
    clean,
    said_of_setting,
    said_with_name,
    section_setting,
)
from tunelab.data.generate.template.capitals import lower_first, topic_mid_sentence
from tunelab.data.generate.template.entries import entry_pairs
from tunelab.data.generate.template.heading_grammar import opens_with_numbered
from tunelab.data.generate.template.heading_words import STEP_VERBS
from tunelab.data.generate.template.headings import heading_question
from tunelab.data.generate.template.questions import half_questions, sentence_question
from tunelab.data.generate.template.second_person import in_my_words
from tunelab.data.generate.template.section_answer import (
    commands,
    cut_code,
    lead_answer,
    listed,
    title_line,
)
from tunelab.data.generate.template.sentence_end import full_stop
from tunelab.data.generate.template.step_measures import (
    BEFORE,
    done_for,
    how_far,
    how_long,
    how_much,
    how_often,
    set_with,
    when_to_stop,
)
from tunelab.data.generate.template.titles import document_topic
from tunelab.data.generate.template.word_classes import has_past, plural_form
from tunelab.data.generate.template.written_pairs import (
    BOLD_FAQ,
    DETAILS,
    FAQ,
    SKIP_TERMS,
    cli_pairs,
    definition,
    spec_asked,
    table_pairs,
    without_faq,
)
from tunelab.data.text import sentences as split_sentences

# "To add an exclusion rule:" before its steps: "How do I add an exclusion rule?".
TASK_INTRO = re.compile(r"^To (?P<task>[a-z]\w+ [^:]{2,80}):$")
# "To set a proxy, add `HTTPS_PROXY` to the environment.": a task and its step in one sentence;
# "If the shot runs fast, set a finer grind.": a case and the step to take in it.
PURPOSE = re.compile(
    r"^(?P<opens>To|If) (?P<task>[a-z]\w+ [^,:]{2,80}), (?P<step>(?P<verb>[a-z]+) .+?)[.:]?$"
)
# Two steps offered, each its verb and the next word: "free space on the server or lower ...".
OFFERED = re.compile(
    r"(?P<verb>[a-z]+) (?P<object>\S+) .*\bor (?P<other>[a-z]+) (?P<other_object>\S+).*"
)
# "If a backup takes longer than 6 hours it is stopped ...": a case, no comma, and what then
# happens to the thing it names (not a step to take: "What happens if ...?").
IF_DONE = re.compile(
    r"^If (?P<task>[a-z]\w* [^,;:]{2,80}?) (?:it|they) (?:is|are|will|gets?) \S.*[^:]$"
)
# "This manual covers firmware 2.4.", "Applies to firmware 1.8 and later.", "Firmware: 3.1.2": the
# release a manual is written for, which a reader with another asks about.
COVERS = re.compile(
    r"^(?:(?:This|The) (?:manual|guide|document|handbook) (?:covers|describes|is for|applies to)"
    r" |Applies to |Covers |For )?(?:the )?(?P<what>firmware|software|version|release)"
    r"(?: version)?:? v?\d[\w.]*(?: (?:and|or) (?:later|newer|above|up))?\.?$",
    re.IGNORECASE,
)


# "The K7 has the following ports:" before its list: "What ports does the K7 have?", answered by
# the list; "The D8 has four modes: Auto, ..." too, answered by itself.
FOLLOWING = re.compile(
    r"^(?P<subject>[A-Z`][^:,]{0,60}?) (?P<verb>has|have|supports?|includes?|offers?|provides?"
    r"|accepts?|uses?) (?:the following|two|three|four|five|six|seven|eight|nine|ten|\d+)"
    r" (?P<things>[a-z][a-z -]{1,40}):(?P<inline> \S.*)?$"
)


def template_pairs(chunk: Chunk, max_answer_tokens: int = 300) -> list[tuple[str, str]]:
    """Every (question, answer) the rules find in one chunk, one question per fact, no repeats."""
    # An FAQ's entries are pairs as they stand; the rest of the text is read for the others. In
    # code an entry is an example (a prompt format), not a pair.
    prose = [part for code, part in fenced_parts(chunk.text) if not code]
    blocks = _blocks(chunk)
    pairs: list[tuple[str, str]] = []
    used: set[str] = set()  # sentences already answering a question
    said_in = (chunk.text, chunk.title, chunk.document)  # how the text writes a name
    setting = section_setting(chunk.headings, chunk.text)  # "### volume": its "The default is 3."
    product, topic = _product(chunk), document_topic(chunk.headings, chunk.title)
    section = chunk.headings[-1] if len(chunk.headings) > 1 else ""  # a section under the title
    if chunk.part == 0 and chunk.headings:
        question = heading_question(chunk.headings, chunk.text, chunk.title, chunk.document)
        # "## Programs" over "Program 2 dries ...": each entry is asked alone, none is programs
        first = next((split_sentences(b.text)[0] for b in blocks if b.kind == "prose"), "")
        question = None if entry_pairs(first, chunk.headings, *said_in) else question
        if question and (answer := lead_answer(question, blocks, used, setting)):
            pairs.append((question, answer))
        pairs += _act_asked(chunk, blocks, question)
    pairs += [
        (clean(m["q"]), clean(m["a"]))
        for p in prose
        for faq in (FAQ, BOLD_FAQ, DETAILS)
        for m in faq.finditer(FAQ.sub("", p) if faq is BOLD_FAQ else p)
    ]
    pairs += table_pairs(blocks, product)
    for i, block in enumerate(blocks):
        if block.kind == "code":
            pairs += cli_pairs(block.text)
        elif block.kind == "prose":
            sentences = split_sentences(block.text)
            task = TASK_INTRO.match(sentences[-1])
            asked = _list_question(sentences[-1], chunk, inline=False)
            if (task or asked) and i + 1 < len(blocks) and blocks[i + 1].item:  # 1. 2.
                asked = asked or "How do I " + in_my_words(task["task"]) + "?"
                pairs.append((asked, f"{sentences[-1]}\n{listed(blocks, i + 1)}"))
                used.add(sentences[-1])
            shown = i + 1 < len(blocks) and blocks[i + 1].kind == "code"
            lead = sentences[-1]
            if shown and lead not in used and (q := _shown_question(lead, blocks[i + 1].text)):
                pairs.append((q, f"{lead}\n\n{cut_code(blocks[i + 1].text)}"))
                used.add(lead)
            if sentences[0] not in used and (defined := definition(block.text, chunk.text)):
                pairs.append(defined)
                used.add(sentences[0])
            elif (spec := SPEC_LINE.match(block.text)) and spec["key"].lower() not in LABELS:
                pairs.append(spec_asked(spec["key"], spec["value"], product))
                used.add(sentences[0])
            for sentence in sentences:
                stated = said_with_name(NOTE_LABEL.sub("", sentence), sentences)
                stated = said_of_setting(stated, setting)
                # Each of two facts asked alone, even where a heading's answer holds them both.
                pairs += [(q, stated) for q in half_questions(stated, *said_in)]
                if sentence in used or (len(sentences) == 1 and title_line(sentence)):
                    continue  # a title line says nothing to ask about
                if entry := entry_pairs(stated, chunk.headings, *said_in):
                    pairs += entry  # "Run 4 fires ..." under "## Programs": no step
                    continue
                step_for = done_for(stated, topic)
                purpose = _purpose(stated) or step_for or how_often(stated) or how_far(stated)
                purpose = purpose or how_long(stated, *said_in) or _span_had(stated, *said_in)
                purpose = purpose or _covered(stated, product) or how_much(stated)
                purpose = purpose or set_with(stated)
                purpose = purpose or when_to_stop(stated, section, *said_in)
                if not purpose and (listing := _list_question(stated, chunk, inline=True)):
                    purpose = listing, stated
                if not stated.endswith(":") and purpose:
                    pairs.append(purpose)
                    continue
                told = commands(stated, bool(block.item))
                if told and not opens_with_numbered(stated, chunk.headings):
                    continue  # "Run `x reload` so the agent reads...": a step, no statement
                if q := sentence_question(stated, *said_in):
                    pairs.append((q, _verdict(q, stated)))
    seen: set[str] = set()
    words = max_answer_tokens * 3 // 4  # tokens are approximate: about 3/4 of a word each
    unique = []
    for q, a in pairs:  # a question asked again, in its words or others, keeps its first answer
        keys = asked_keys(q, a)
        if not keys & seen and len(a.split()) <= words:
            seen |= keys
            unique.append((q, a))
    return unique


def _act_asked(chunk: Chunk, blocks: list[Block], asked: str | None) -> list[tuple[str, str]]:
    """ "How do I do a factory reset?" of a heading naming an act whose numbered steps follow a
    lead ("A factory reset returns every setting to its default." then "1. Turn off ..."),
    answered by the steps: the lead answered "What is a factory reset?" and the steps were in
    no row."""
    start = next((i for i, b in enumerate(blocks) if b.item in ("1.", "1)")), None)
    if not start or (asked or "").startswith("How do I") or not blocks[start - 1].kind == "prose":
        return []
    steps = listed(blocks, start)
    how = heading_question(chunk.headings, f"{steps}\n{chunk.text}", chunk.title, chunk.document)
    return [(how, steps)] if how and how.startswith("How do I do ") else []


# "The default configuration looks like this:": what it looks like is the code after it.
LOOKS_LIKE = re.compile(r"^(?P<thing>\S.{2,60}?) looks? like (?:this|the following):$")


# "Each `[[source]]` block ...": a thing named by code, which the code after it shows; "The
# `total` is ..." names no kind of thing ("What does a `total` is look like?" was asked).
CODE_THING = re.compile(
    r"^(?:Each|Every|An?|The) (?P<thing>`[^`]+`(?: (?!(?:is|are|was|were|has|have)\b)[a-z]+)?)\b"
)


def _shown_question(lead: str, code: str) -> str | None:
    """The question a sentence introducing code answers with it ("The default configuration
    looks like this:" -> "What does the default configuration look like?"; "Each `[[source]]`
    block names a file to follow:" + one -> "What does a `[[source]]` block look like?"); None
    for a step ("Run:"), a pointer ("For example:") or a lead-in no rule reads."""
    if not lead.endswith(":") or commands(lead, False):
        return None
    if purpose := _purpose(lead):  # "To pin a proxy, add this to the file:"
        return purpose[0]
    if looks := LOOKS_LIKE.match(lead):
        return f"What does {lower_first(looks['thing'], lead)} look like?"
    # A thing named by code the code shows: what it looks like is what the code answers.
    thing = CODE_THING.match(lead)
    if thing and thing["thing"].split()[0].strip("`") in code:
        article = "an" if thing["thing"][1] in "aeiou" else "a"
        return f"What does {article} {thing['thing']} look like?"
    # "Each X does ...:" says of every X what a question asks of one.
    stated = re.sub(r"^(?:Each|Every) (?=\S)", "A ", lead[:-1]) + "."
    return sentence_question(stated)


def _purpose(sentence: str) -> tuple[str, str] | None:
    """The task a sentence opening with its purpose does, asked as the reader would, and its
    step ("To change your password, run `ferry passwd`." -> "How do I change my password?",
    "Run `ferry passwd`."); the case a sentence opens with, and the whole sentence ("If you
    hear a rattle, refill the tank." -> "What should I do if I hear a rattle?"; with no comma,
    what then happens: "What happens if a backup takes longer than 6 hours?"); None when what
    follows the purpose is no step ("To be safe, the agent keeps a copy"), is a pointer
    elsewhere ("To learn more, see ...") or does a task named by what came before ("To try this
    out, ...")."""
    if happens := IF_DONE.match(sentence):
        return f"What happens if {in_my_words(happens['task'])}?", full_stop(sentence)
    m = PURPOSE.match(sentence)
    # A step of a verb no list holds, known by its past and what it is done to ("refill the tank")
    done_to = m and has_past(m["verb"]) and m["step"].split()[1:2] in (["the"], ["your"])
    # or one of two steps offered, each a verb with a past ("free space ... or lower the limit"),
    # neither followed by an -s word, which makes it a noun ("water pressure or flow drops")
    offered = m and OFFERED.fullmatch(m["step"])
    done_to = done_to or (
        offered
        and has_past(offered["verb"])
        and has_past(offered["other"])
        and not any(plural_form(offered[k].strip("`")) for k in ("object", "other_object"))
    )
    step = m and (m["verb"] in STEP_VERBS - {"see"} or (m["opens"] == "If" and done_to))
    if not step or BEFORE & set(m["task"].split()):
        return None
    if m["opens"] == "If":  # the case is the question, the whole sentence its answer
        return f"What should I do if {in_my_words(m['task'])}?", full_stop(sentence, ".:")
    task = in_my_words(m["task"])
    if re.search(r"\b(?:it|them)\b", m["step"]):  # "stop it": what "it" is, only the purpose says
        return f"How do I {task}?", full_stop(sentence, ".:")
    return f"How do I {task}?", m["step"][0].upper() + m["step"][1:] + "."


def _product(chunk: Chunk) -> str:
    """The product a chunk's document is about, as a question names it mid-sentence ("the Beacon
    R5"), or "" where the document names none."""
    # The lead under the title, as a section under it: the title names the product.
    headings = chunk.headings if len(chunk.headings) > 1 else [*chunk.headings, ""]
    topic = document_topic(headings, chunk.title)
    name = topic_mid_sentence(topic, chunk.text, chunk.document) if topic else ""
    return f"the {name.removeprefix('the ')}" if name else ""


def _covered(sentence: str, product: str) -> tuple[str, str] | None:
    """The release a manual says it is written for, asked of the product's manual ("This manual
    covers firmware 2.4." -> "Which firmware does the Beacon R5 manual cover?"; "this manual"
    where the document names no product: one per manual, not a question every manual asks);
    `product` is `_product` of its chunk."""
    if not (m := COVERS.match(sentence)):
        return None
    manual = f"{product} manual" if product else "this manual"
    return f"Which {m['what'].lower()} does {manual} cover?", full_stop(sentence)


# "The W200 has a 2-year limited warranty.", "Each plan comes with a 30-day trial.": a span of
# time a thing has, which a reader asks how long it is.
SPAN_HAD = re.compile(
    r"^(?P<subject>(?:The|Each|Every|Your|All) [^,;:]{1,40}?|[A-Z][\w-]*(?: [A-Z0-9][\w-]*)?) "
    r"(?:has|have|comes with|come with|includes|include|offers|offer) an? (?P<span>\d+[- ]"
    r"(?:year|month|week|day|hour|minute))s? (?:(?:limited|full|free|standard|extended) )?"
    r"(?P<thing>[a-z]+(?: [a-z]+)?)\.?$"
)


def _span_had(sentence: str, *said_in: str) -> tuple[str, str] | None:
    """How long a span of time a thing has is ("The W200 has a 2-year limited warranty." -> "How
    long is the warranty of the W200?"); None for a sentence of another form."""
    if not (m := SPAN_HAD.match(sentence)) or re.search(r"\b(?:it|they)\b", m["subject"], re.I):
        return None
    subject = in_my_words(lower_first(m["subject"], *said_in))
    subject = re.sub(r"^(?:each|every|all) ", "a ", subject)  # "of a plan", not "of each plan"
    return f"How long is the {m['thing']} of {subject}?", full_stop(sentence)


def _list_question(lead: str, chunk: Chunk, inline: bool) -> str | None:
    """ "What ports does the K7 have?" of "The K7 has the following ports:", which a list follows,
    or (`inline`) of "The K7 has two ports: LAN and WAN.", which lists them itself."""
    if not (m := FOLLOWING.match(lead)) or bool(m["inline"]) != inline:
        return None
    verb, subject = m["verb"], lower_first(m["subject"], chunk.text, chunk.title, chunk.document)
    subject = in_my_words(subject)
    one = verb.endswith("s")
    base = "have" if verb in ("has", "have") else verb[:-1] if one else verb
    return f"What {m['things']} {'does' if one else 'do'} {subject} {base}?"


def code_leads(chunk: Chunk) -> list[str]:
    """The sentences of a chunk's prose that introduce a code block ("Each `[[source]]` block
    names a file to follow:"): what the code shows is in no row unless a pair holds them."""
    blocks = _blocks(chunk)
    return [
        split_sentences(block.text)[-1]
        for block, after in zip(blocks, blocks[1:])
        if block.kind == "prose" and after.kind == "code" and block.text.endswith(":")
    ]


def _blocks(chunk: Chunk) -> list[Block]:
    """A chunk's blocks as the rules read them: code as code, prose without its FAQ entries (a
    code block dropped from between two sentences joined them: "Run this to upgrade: Upgrades
    from 2.3 are not supported.")."""
    parts = fenced_parts(chunk.text)
    return blocks_of("".join(part if code else without_faq(part) for code, part in parts))


def prose_sentences(chunk: Chunk) -> list[tuple[str, str]]:
    """The sentences of a chunk's prose (not its code, tables or FAQ entries, which make pairs of
    their own), as `template_pairs` reads them: each as written, less its label, and as a pair's
    answer states it (with the name its "It" stands for; a purpose's step alone)."""
    found = []
    setting = section_setting(chunk.headings, chunk.text)
    for block in _blocks(chunk):
        sentences = split_sentences(block.text) if block.kind == "prose" else []
        # "Learning rate\n: How far ..." is answered "Learning rate: How far ..." (`definition`)
        defined = definition(block.text, chunk.text) if sentences else None
        for sentence in sentences:
            written = NOTE_LABEL.sub("", sentence)  # stated without its label, as its answer is
            stated = said_of_setting(said_with_name(written, sentences), setting)
            stated = defined[1] if defined and sentence == sentences[0] else stated
            found.append((written, purpose[1] if (purpose := _purpose(stated)) else stated))
    return found


# "Weight: 6.4 kg" is a table's row in prose; "Default: 3" is a label, and "Firmware: 2.4" says
# the release a manual covers (`COVERS`).
LABELS = SKIP_TERMS | {"range", "firmware", "software", "version", "release"}
# "Note: The agent never uploads ...": the label says how to read it, the rest is the statement.
NOTE_LABEL = re.compile(r"^(?:Note|Tip|Important|Warning|Caution|Info)\s*:\s+(?=[A-Z`])")


def _verdict(question: str, statement: str) -> str:
    """A yes-or-no question's answer says yes or no before the statement that it is so or not:
    the statement alone says the question again, and the quality filters drop it as no answer;
    a statement that denies more than its question does ("IPv6 is not supported") says no."""
    if question.split(" ", 1)[0] not in ("Is", "Are", "Does", "Do", "Did", "Can", "Will"):
        return statement
    denies = len(NEGATION.findall(statement)) > len(NEGATION.findall(question))
    denies |= " enabled " in question and " disabled " in statement  # "Is X enabled ...?"
    return f"{'No' if denies else 'Yes'}. {statement}"


NEGATION = re.compile(r"\b(?:not|never|no|cannot)\b|n't\b", re.IGNORECASE)
