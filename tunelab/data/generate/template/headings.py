"""The question a reader would ask to land on a section, from its heading: "Installing the CLI"
-> "How do I install the CLI?", "The two commands" -> "What are the two commands?", "Loss is
NaN" -> "What should I do when loss is NaN?", "Human evaluation: `tunelab rate`" -> "What does
`tunelab rate` do?"."""

from __future__ import annotations

import re

from tunelab.data.generate.template.blocks import section_setting
from tunelab.data.generate.template.capitals import (
    lower_first,
    lower_title,
    sentence_cased,
    topic_mid_sentence,
    unshouted,
)
from tunelab.data.generate.template.heading_grammar import (
    DETERMINERS,
    NOT_VERBS,
    act_of_steps,
    base_verb,
    in_question_order,
    is_gerund,
    letter_step,
    names_a_command,
    names_by_number,
    plural,
    problem_said,
    said_of,
    statement,
    with_article,
)
from tunelab.data.generate.template.heading_words import (
    CODE_LISTS,
    GENERIC,
    GROUPS,
    IMPERATIVES,
    LONE_VERBS,
    NO_QUESTION,
    PLATFORMS,
    PRODUCT_VERBS,
    QUESTION_WORDS,
    STEP_VERBS,
    TASKS_ALONE,
    TITLE_FILLER,
    TROUBLE,
    names_trouble,
)
from tunelab.data.generate.template.questions import LEANING
from tunelab.data.generate.template.second_person import in_my_words
from tunelab.data.generate.template.subject_and_verb import participle
from tunelab.data.generate.template.titles import (
    MARKS,
    document_topic,
    filler_title,
    title_topic,
    undecorated,
)
from tunelab.data.generate.template.word_classes import english, has_past

# A changelog's release heading: "3.2.0 (2026-10-14)", "v1.4 - 2025-01-02", "[2.0.1] - 2024-05-01".
# A release's date: "2026-10-14", "March 2025", "March 14, 2025", "14 March 2025".
_DATE = (
    r"(?:\d{4}-\d{2}-\d{2}|(?:\d{1,2}\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?\d{4})"  # "April 30th, 2020"
)
RELEASE = re.compile(
    r"\[?(?:v|version\s+)?(?P<version>\d+\.\d+(?:\.\d+)*(?:[-+.][\w.]+)?)\]?"
    rf"(?:\s*(?:[-–—]\s*)?\(?{_DATE}\)?)?",
    re.IGNORECASE,
)


def heading_question(
    headings: list[str], context: str = "", title: str = "", document: str = ""
) -> str | None:
    """The question a reader would ask to land on this heading's section (None when none reads
    well). `context` is the section's text, to tell names from ordinary words; `title` names the
    document when its headings do not (a file name); `document` (its whole text) says its name
    where the section does not."""
    headings = [unshouted(undecorated(h), f"{context}\n{document}") for h in headings]
    heading = re.sub(r"(\*\*|__|\*)(.+?)\1", r"\2", headings[-1]).strip().rstrip(":").strip()
    heading = re.sub(r"^about\s+", "", heading, flags=re.IGNORECASE)  # "About FastAPI Cloud"
    topic = document_topic(headings, title)
    heading = sentence_cased(heading, f"{context}\n{document}", topic)  # "Barcodes do not scan"
    if version := RELEASE.fullmatch(heading):  # a changelog's "3.2.0 (2026-10-14)"
        return f"What changed in {_product(topic, title)}{version['version']}?"
    # "Step 2: Reuse and register scorers": the label says a step and its words are the task;
    # "What is step 2?" asks what every numbered guide has, and no answer is that step's alone.
    if label := re.match(r"step\s+\d+\b\s*[:.)–—-]?\s*", heading, re.IGNORECASE):
        task = heading[label.end() :].split(":")[0].strip()
        verb = task.split(" ", 1)[0].lower()
        done = verb in STEP_VERBS or (english(verb) and has_past(verb))
        if " " in task and done and not re.search(r"\bit\b", task):
            return f"How do I {lower_first(task, context, document=document)}?"
        return None
    # "3. Split off a test set (5 s)": a step's number and an aside ask nothing; a step is a task.
    heading, numbered = re.subn(r"^\d+(?:\.\d+)*[.)]?\s+(?=[A-Za-z`])", "", heading)
    heading = re.sub(r"\s*\([^()]*\)$", "", heading)
    if letter_step(heading.split(), context) == "step":
        return None  # "Press A" over "Press A to pause.": that sentence asks its task
    step = numbered and heading.split(" ", 1)[0].lower() in STEP_VERBS and " " in heading
    step = step and not names_by_number(heading.split(), context)  # "2. Run 9": a run, no task
    if step and "?" not in heading and not re.search(r"\bit\b", heading):
        return f"How do I {lower_first(heading, context, document=document)}?"
    if "?" in heading:  # "Does finetuning beat prompting? `tunelab compare`"
        asked = heading[: heading.index("?") + 1]
        label, _, after = asked.partition(": ")
        if not after or after.split()[0].lower() in QUESTION_WORDS:
            return (after[:1].upper() + after[1:]) if after else asked
        heading = label  # "Serving: `tunelab serve`, or the export?" asks no sentence
    if ":" in heading:  # "Human evaluation: `tunelab rate`"
        before, after = (part.strip() for part in heading.split(":", 1))
        if re.fullmatch(r"`[^`]+`", after):
            return f"What does {after} do?"
        heading = before
    heading = re.split(r"\s[—–-]\s", heading)[0]  # "Serve under load — x.py"
    # "Typer, the FastAPI of CLIs": a name and what it is, asked of the name ("How do I typer,
    # the FastAPI of CLIs?" read the name as a verb before its object).
    heading = re.sub(r",\s+(?:the|an?)\s.*$", "", heading)
    # "darkness sets ...", "The volume sets ...", "volume" under "Settings" over "Sets how loud
    # ...": a setting's name, asked "What does ... do?"
    setting = section_setting([*headings[:-1], heading], context)
    if setting and names_a_command(heading, context.strip().removeprefix("The ")):
        # "### Retries" names one setting: "What does retries do?" asked of many things.
        many = re.fullmatch(r"[a-z][a-z -]+", setting) and plural(setting)
        return f"What does {f'the {setting} setting' if many else setting} do?"
    if setting and " " in setting and is_gerund(setting.split()[0]):
        return None  # "Tracking mode" over "Chooses ...": a setting, not "How do I track mode?"
    if re.search(r"\bvs\.?\s", heading):
        return None  # a comparison's heading asks nothing one answer gives
    opener = heading.split()[0].lower() if heading else ""
    # Under "Troubleshooting", a heading names a problem: "High CPU usage", "No signal".
    trouble = any(names_trouble(h) for h in headings[:-1])
    if trouble and opener == "no" and len(heading.split()) > 1:
        return f"What should I do when there is {lower_first(heading, context, document=document)}?"
    if heading.lower() in (LONE_VERBS | IMPERATIVES) - GENERIC.keys():  # "Export", "Reproduce"
        return _lone_verb_question(heading.lower(), headings, context, topic)
    if not heading or heading.lower() in NO_QUESTION or opener in LEANING - QUESTION_WORDS:
        return None  # "Without `standard` dependencies" needs the heading before it
    if release := next((r for h in headings[:-1] if (r := RELEASE.fullmatch(h))), None):
        return _release_part(heading, release["version"], _product(topic, title))
    if " " not in heading and participle(heading):
        return None  # "Fixed", "Added" of a release not known as one: "What is fixed?"
    if heading.lower() in GENERIC:
        if not topic:
            return None
        # "## macOS" / "### Installation": one platform's way, not the product's only one
        on = next((h for h in headings[1:-1] if h.strip().lower() in PLATFORMS), None)
        # "Battery care" (battery_care.md) asked mid-sentence in one case, as any heading is.
        asked = GENERIC[heading.lower()].format(topic=topic_mid_sentence(topic, context, document))
        return f"{asked[:-1]} on {on.strip()}?" if on else asked
    done_with_it = False
    if re.search(r"\bit\b", heading):  # "Using it" under "tunelab": "How do I use tunelab?"
        # Under "Example" or "Teaching a small model facts", "it" names nothing a reader knows;
        # "Acme Sync Agent" (Title Case) and "tunelab" (no word) are names.
        named = topic and len(topic.split()) > 1 and all(w[0].isupper() for w in topic.split())
        if not topic or not named and all(english(w) for w in re.findall(r"[\w'-]+", topic)):
            return None
        # "Chat with it", "Keep it running": "it" after the first word is what a task is done
        # to or with, so the heading is that task ("What is chat with tunelab?" was asked).
        done_with_it = not heading.lower().startswith("it ")
        heading = re.sub(r"\bit\b", topic, heading)
    words = heading.split()
    first = words[0].lower()
    rest = " ".join(words[1:])
    if m := re.match(r"how to\s+(.+)", heading, re.IGNORECASE):
        return f"How do I {m.group(1)}?"
    if first in QUESTION_WORDS:
        return in_question_order(words) + "?"
    # "Opening hours" over "The studio opens at 09:00" names a thing (asked as one below), no task
    task = is_gerund(first) and not (
        len(words) == 2 and _done_by_others(base_verb(first), words[1], context)
    )
    if task:
        if len(words) > 1 and _noun_compound([words[0], words[1].strip(",;:")], context):
            return None  # "Monitoring thread, intervals": "a monitoring thread", no task
        verb = base_verb(first)
        if not rest and topic and verb in TASKS_ALONE | {"configure", "use"}:
            rest = topic  # "Installing" in rich's README: "How do I install rich?"
        elif not rest and verb in TASKS_ALONE:
            return f"How do I {verb}?"
        elif not rest:  # "Pricing", "Networking", "Licensing": a topic, not a task to do
            # "in Tunelab", not "in Configuration": a topic that is a common word names nothing.
            where = f" in {topic}" if topic and not english(topic) else ""
            return f"How does {first} work{where}?"
        if rest != topic:  # a Title Case heading's object in one case: "Restoring Files"
            rest = " ".join(lower_title(heading, context, topic, document).split()[1:])
        if re.match(r"&|(?:and|or)$", rest) or rest.endswith((" and", " or", " &")):
            return None  # "Citing & Authors": two topics, no task
        # "Combining and reversing facts": two tasks, each asked by its verb.
        rest = re.sub(
            r"^(and|or) (\w+)",
            lambda m: f"{m[1]} {base_verb(m[2]) if is_gerund(m[2].lower()) else m[2]}",
            rest,
        )
        return f"How do I {verb}{' ' + rest if rest else ''}?"
    imperative = (  # "Reset the router", "Select all"; not "All the options", "Under the hood",
        # "Rules the engine follows" (a verb's base form seldom ends in a single s), nor "Title
        # A" or "Appendix A" (a letter that names: no article with nothing after it)
        len(words) > 1
        and words[1].lower() in DETERMINERS
        and not (len(words) == 2 and len(words[1]) == 1)
        and first not in NOT_VERBS
        and not (first.endswith("s") and not first.endswith(("ss", "us", "is", "as")))
    )
    if imperative and participle(first):
        return None  # a changelog's "Fixed the handling of ...": done, no task nor thing
    if statement(words) and not (trouble or re.search(PROBLEM, heading, re.I)):
        return None  # "Imports run one way": no question reads well; its sentences are asked
    if first in IMPERATIVES and len(words) == 2 and is_gerund(words[1].lower()):
        # "Rate limiting", "Load balancing": a noun of two, no task ("How do I rate limiting?")
        return f"How does {heading.lower()} work?"
    problem = problem_said(
        lower_first(heading, context, document=document), f"{context}\n{document}"
    )
    if trouble and len(words) > 1 and re.fullmatch(PROBLEM, words[1], re.I):
        return f"What should I do when {problem}?"  # "Build fails ..."
    if (
        (first in IMPERATIVES and not _noun_compound(words, context))
        or imperative
        or (done_with_it and first.isalpha() and first not in NOT_VERBS)
    ):  # "Use Typer in your code": "How do I use Typer in my code?"
        task = in_my_words(lower_title(heading, context, topic, document))
        task = task[:1].lower() + task[1:]  # the verb, when a name keeps the rest as written
        return f"How do I {task}?"
    if re.search(PROBLEM, heading, re.I) or (trouble and said_of(words)):
        return f"What should I do when {problem}?"
    if (
        trouble
        and words[0].lower() in DETERMINERS
        and any(re.fullmatch(r"[a-z]+[^s']s", w) for w in words[2:-1])
    ):
        return None  # "The status LED zorps red": a sentence whose verb no rule reads, no thing
    # "Factory reset", "Error codes" under troubleshooting: an act, a table's kind; no problem
    act = 2 <= len(words) <= 3 and words[-1].lower() in STEP_VERBS | CODE_LISTS
    if (trouble and not act) or re.match(r"error\s+\S*\d", heading, re.I):  # "Error HB-401"
        return f"What should I do about {lower_first(heading, context, document=document)}?"
    if act := act_of_steps(words, context):  # "Factory reset" over "1. Unplug the router."
        act = lower_title(act, context, topic, document)
        return f"How do I do {'an' if act[0] in 'aeiou' else 'a'} {act}?"
    if len(headings) == 1:
        heading = title_topic(heading)
    asked = with_article(lower_title(heading, context, topic, document), context)
    return f"What {'are' if plural(heading) else 'is'} {asked}?"


# A changelog's own words in its title: "Changelog", "Release notes" name no product.
CHANGELOG_WORDS = re.compile(
    r"\s*\b(?:change ?log|release[ _-]notes|changes|history|news)\b", re.IGNORECASE
)


def _product(topic: str | None, title: str) -> str:
    """What a changelog's release is of, followed by a space, or "": its title less the
    changelog's words, else its file's name ("Changelog" of httpcore.md: "httpcore 0.10.0"); no
    version ("1.22.0" above "Features") nor a file's stem its prose never writes
    ("faq_and_releases")."""
    for name in (topic or "", title_topic(title) if title and not filler_title(title) else ""):
        named = CHANGELOG_WORDS.sub("", name).strip()
        if named and not RELEASE.fullmatch(named):
            return "" if "_" in named else f"{named} "
    return ""


def _release_part(heading: str, version: str, named: str) -> str | None:
    """What a changelog release's subsection lists, asked of that release and its product
    (`named`): "Fixed" under "3.5.3" -> "What was fixed in charset-normalizer 3.5.3?",
    "Features" -> "What features came in yarl 1.22.0?" (not "What features does 1.22.0 have?");
    None for any other heading ("How do I contributor-fac changes?", "How do I package updates
    and notes for downstreams?")."""
    words = heading.split()
    if len(words) == 1 and participle(words[0]):
        return f"What was {heading.lower()} in {named}{version}?"
    if len(words) <= 3 and all(w.replace("-", "").isalpha() for w in words) and plural(heading):
        return f"What {heading.lower()} came in {named}{version}?"
    return None


def _lone_verb_question(
    verb: str, headings: list[str], context: str, topic: str | None
) -> str | None:
    """A heading of one verb asks about the thing the heading above it names, where its section
    names that thing too ("Export" under "Models", "Write the model as ..."), or about the product
    for a verb done to it ("Upgrade"); else nothing: "How do I export?" names nothing exported.
    What the section says the verb acts on comes first ("to reload the configuration")."""
    if done_to := _object_said(verb, context):
        return f"How do I {verb} {done_to}?"
    where = f" in {topic}" if topic and not english(topic) else ""
    parent = MARKS.sub("", headings[-2]).strip() if len(headings) > 1 else ""
    words = parent.lower().split()
    head = re.sub(r"(?<=[^s])s$", "", words[-1]) if words else ""
    if (
        0 < len(words) <= 2
        and all(w.isalpha() and english(w) for w in words)
        and parent.lower() not in GENERIC.keys() | NO_QUESTION | TROUBLE | GROUPS | TITLE_FILLER
        and not (LEANING | QUESTION_WORDS | IMPERATIVES) & set(words)
        and not is_gerund(words[0])
        and re.search(rf"\b{re.escape(head)}", context, re.IGNORECASE)
    ):
        return f"How do I {verb} {lower_title(parent, context, topic)}{where}?"
    if verb in PRODUCT_VERBS and where:
        return f"How do I {verb} {topic}?"
    return None


# Words that end the noun phrase a verb acts on: "reload the configuration without a restart".
PHRASE_ENDS = NOT_VERBS - DETERMINERS | frozenset(
    "and or as so if when then but using via like".split()
)


def _object_said(verb: str, context: str) -> str | None:
    """What a section says its verb is done to: "the configuration" in "Send SIGHUP to reload
    the configuration without a restart" (up to three words after the article)."""
    said = re.search(rf"\b{verb}\s+(the|your|an?)\s+([\w`-]+(?:\s+[\w`-]+){{0,2}})", context, re.I)
    if not said:
        return None
    words = []
    for word in said[2].split():
        if word.lower() in PHRASE_ENDS:
            break
        words.append(word)
    if not words:
        return None
    article = in_my_words(said[1].lower())
    return f"{article} {' '.join(words)}"


# A heading that names a problem ("Loss is NaN", "Spool directory keeps growing"): what to do.
PROBLEM = (
    r"\b(is|are|was|fails?|not|cannot|can't|doesn't|won't|keeps|hangs?|crash(?:es)?|freezes?|"
    r"leaks?|times out|runs out)\b"
)


# Verbs of IMPERATIVES that a heading of two words uses as a noun's modifier ("Rate Limits"):
# "Rate the answers" is still a task, by its determiner.
NOUN_MODIFIERS = frozenset(["rate"])
# Nouns that name a kind of an act, never what the act is done to: one exports a file, not a
# format, so "Export Formats", "Run Modes", "Install Options" name things. Only after verbs that
# are their act's noun too: one sets options and changes modes. ("Settings" and "types" are left
# out: one exports settings, and TypeScript exports types.)
KINDS_OF_ACT = frozenset("format formats mode modes option options".split())
ACTS = frozenset("export install run build deploy merge train serve".split())


def _noun_compound(words: list[str], context: str) -> bool:
    """A thing, not a task, though its first word is a verb: "Rate Limits", "Export Formats",
    "Run 9", "Load Balancer" (its section says "the load balancer", or "a concurrent monitoring
    thread" of "Monitoring thread"); "Install packages" stays a task."""
    if names_by_number(words, context):  # "Run A": a letter names it, no article
        return True
    if len(words) != 2 or words[1].lower() in DETERMINERS:
        return False
    if words[0].lower() in NOUN_MODIFIERS:
        return True
    if words[0].lower() in ACTS and words[1].lower() in KINDS_OF_ACT:
        return True
    first, noun = (re.escape(w.lower()) for w in (words[0], words[1].rstrip("s")))
    said = (
        rf"\b(?:the|a|an|your|our|its|their|these|those|this|that|each|per|of)\s+(?:\w+\s+)?"
        rf"{first}[\s-]{noun}"
    )
    return re.search(said, context, re.IGNORECASE) is not None


def _done_by_others(verb: str, noun: str, context: str) -> bool:
    """A gerund and a noun naming a thing, not a task: the section says someone or something
    does the verb ("The studio opens at 09:00", "Members may book the kiln") and never tells the
    reader to, nor does it to the noun, so "Opening hours" and "Booking rules" are no tasks ("How
    do I open hours?", "How do I book rules?" were asked); "Restoring files" over "Tunelab
    restores files ..." or "Restore the files ..." stays one."""
    v, thing = re.escape(verb), re.escape(noun.lower().rstrip("s"))
    by_others = re.search(
        rf"\b(?<!you )(?:{v}e?s|(?<!I )(?:may|can|must|will) {v})\b", context, re.IGNORECASE
    )
    to_the_noun = re.search(rf"\b{v}\w*\s+(?:[\w-]+\s+){{0,2}}{thing}", context, re.IGNORECASE)
    told = re.search(rf"(?:^|[.!:]\s+|\bto\s+){v}\b", context, re.IGNORECASE | re.MULTILINE)
    return bool(by_others) and not to_the_noun and not told
