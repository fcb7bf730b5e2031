"""The question a sentence answers, by rules that prefer saying nothing to saying it badly: a
sentence whose subject and verb are plain ("`make test-fast` skips the slow tests", "The loop is
in loop.py", "The demo took 8.3 minutes") gets a question ("What does `make test-fast` skip?",
"Where is the loop?", "How long did the demo take?"); any other sentence gets none."""

from __future__ import annotations

import re
from functools import cache

# Base forms of the verbs documentation states facts with; their -s and -ed forms are derived.
VERBS = frozenset(
    """accept add allow answer apply ask build call change check compare contain continue copy
    count create cut decode default drop evaluate expect export fail find finetune finish generate give
    hold ignore include judge keep learn leave let limit list load log make mask match measure
    merge move need open pack pad pass pick plot print produce put rank read record refuse
    remove replace report require resume retry return rewrite run save say score send serve set
    show shuffle skip sort split start stop store stream support take tell test train turn use
    write upload download sync watch encrypt decrypt expire cover connect delete restore rename
    prune queue reject scan receive install uninstall update upgrade back exit listen
    bind""".split()
)
IRREGULAR_PAST = dict(
    pair.split(":")
    for pair in """took:take gave:give made:make ran:run wrote:write kept:keep left:leave
    found:find said:say held:hold read:read cut:cut set:set put:put let:let""".split()
)
PARTICIPLES = frozenset(
    """built cached checked computed counted cut done dropped given held kept loaded made
    masked measured merged named packed padded printed read refused removed run saved scored
    seeded set shown skipped sorted split stored taken tested trained used written""".split()
)
# Sentences opening with these lean on what came before ("It", "This", "But"): no question.
LEANING = frozenset(
    """it its this that these those they them their there here he she we you i our your both
    not no whoever whatever anyone everyone nobody someone each such but and or so then also otherwise
    however instead still yet thus hence only which who what when where why how if once while
    with without after before for from in on at by as unless since until though although because
    whether all some most many""".split()
)
DETERMINERS = frozenset("a an the every one two three four five several".split())
POSSESSIVES = frozenset("our your its their my his her".split())
PLACES = frozenset("in inside under at on into within".split())
PREPOSITIONS = frozenset("to from with by for after before until through over across as".split())
ADVERBS = frozenset("only always never also first then still just even again now".split())
# A subject holding these is a clause ("`serve --host` with any address"), not a noun phrase.
CLAUSE_WORDS = frozenset("with without when if unless once while that which who whom it".split())
AUXILIARIES = frozenset(
    "is are was were be been have has had can could will would must may might should".split()
)
# A span of time after "in" or "within": "4 business hours", "a day", "30 days".
DURATION = re.compile(
    r"(?:~?\d[\d.,]*|an?|one|two|three|four|five|six|seven|eight|nine|ten|a few)\s+(?:\w+\s+)?"
    r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|ms|s|min|h)\b"
)
# How often: "every 60 seconds", "every day", "every week".
EVERY = re.compile(
    r"\bevery\s+(?:" + DURATION.pattern + r"|(?:second|minute|hour|day|week|month|year)\b)"
)
TIME_UNITS = re.compile(r"^~?\d[\d.,]*\s*(s|ms|seconds?|minutes?|min|hours?|h)\b")
WORD = re.compile(r"`[^`]+`|[\w'./<>-]+")


def sentence_question(sentence: str, context: str = "") -> str | None:
    """The question `sentence` answers, or None when no rule fits it well. `context` (the text
    around it) tells a name the text always capitalises from a word that starts a sentence."""
    text = " ".join(sentence.split()).rstrip(".!").strip()
    if (
        not text
        or text.endswith(":")
        or "?" in text
        or not 4 <= len(text.split()) <= 60
        or not (text[0].isupper() or text[0] == "`")
    ):
        return None
    if text.startswith("To "):
        return None  # "To set a proxy, add ...": a purpose and its step, no subject
    tokens = list(WORD.finditer(text))
    if tokens[0].group().lower() in LEANING - {"your"}:
        return None  # "Your configuration ..." is the reader's own, which needs nothing before it
    for verb in tokens[1:7]:
        subject = text[: verb.start()].strip()
        subject = re.sub(r"\s*\([^)]*\)", "", subject)  # "Packing (default)" -> "Packing"
        words = [w.lower() for w in WORD.findall(subject)]
        # Code's own brackets ("`[[source]]` block") are no clause's.
        bare = re.sub(r"`[^`]+`", "code", subject)
        clause = re.search(r"[,;:()\[\]]|\s[-–—](\s|$)", bare) or len(words) > 6
        if clause or (CLAUSE_WORDS | AUXILIARIES) & set(words):
            return None  # a clause, not a noun phrase, comes before any verb
        word, after = verb.group().lower(), text[verb.end() :].strip()
        if set(words) <= DETERMINERS or after.split(" ", 1)[0].lower() in AUXILIARIES:
            continue  # "A resumed run", "The overlap scores are": not yet the verb
        never = False
        while " " in subject and subject.split()[-1].lower() in ADVERBS:
            never |= subject.split()[-1].lower() == "never"  # kept: "What does X never do?"
            subject = subject.rsplit(" ", 1)[0]  # "`tunelab eval` then reports"
        if subject.lower() in ADVERBS:
            return None
        subject = lower_first(subject, context or text)
        subject = re.sub(r"^[Yy]our\b", "my", subject)  # the reader asks about "my configuration"
        if word in ("is", "are", "was", "were"):
            return _copula(subject, word, after) or _by_default(text)
        if (negated := _said_no(word, after)) is not None:
            return _yes_or_no(subject, *negated)
        if word == "can" and (can := after.split(" ", 1)[0].lower()) in VERBS:
            # "What can X do?" is any one ability's question: asked with what it does it to.
            asked = _verb_question(subject, "can", can, after.partition(" ")[2])
            return None if asked.endswith(" do?") else asked
        if (base := _third_person(word)) and _singular(subject):
            return _verb_question(subject, "does", base, after, never)
        if base := _past(word):
            if word == "used" and after.startswith("to "):
                return None  # "Typer used to depend on Click": what was, no use
            return _verb_question(subject, "did", base, after, never)
        if base := _unlisted_verb(word, subject, after):
            asked = _verb_question(subject, "does", base, after, never)
            return None if asked.endswith(" do?") else asked  # "shards them": what, unsaid
    return _by_default(text)


# "Temporary files ending in `.tmp` and `.partial` are excluded by default": a subject too long
# to ask about whole still says what is so by default.
BY_DEFAULT = re.compile(
    r"^\S.{2,120}? (?:is|are) (\w+ed|" + "|".join(PARTICIPLES) + r") by default$"
)


def _by_default(text: str) -> str | None:
    if m := BY_DEFAULT.match(text):
        return f"What is {m[1]} by default?"
    return None


def lower_first(phrase: str, context: str) -> str:
    """Lower-case the first word for mid-sentence use, unless it is code, an acronym ("LoRA") or
    a name the text always capitalises ("Tunelab")."""
    first, _, rest = phrase.partition(" ")
    acronym = first[1:] != first[1:].lower()
    lower_seen = re.search(rf"\b{re.escape(first.lower())}\b", context) is not None
    # A capital after a lower-case word ("built with Rich") is a name's, whatever the dictionary.
    mid_sentence = re.search(rf"[a-z,;]\s+{re.escape(first)}\b", context) is not None
    proper = mid_sentence or not english(first) or first in NAMES_THAT_ARE_WORDS
    name = first[:1].isupper() and first in context and not lower_seen and proper
    if first.startswith("`") or acronym or name:
        return phrase
    return f"{first.lower()} {rest}".strip()


def lower_title(phrase: str, context: str, topic: str | None = None) -> str:
    """A Title Case phrase ("Log Rotation", "Backup Tool") for mid-sentence use: as written where
    it names something (a word the dictionary lacks: "Ferrytrack Agent"; or capitalised after a
    lower-case word in its section: "run the Backup Tool"), else every ordinary word lower-cased
    ("log rotation", not "log Rotation") but the document's `topic` ("Configure Widget" in
    Widget's manual). Any other phrase: `lower_first`."""
    words = phrase.split()
    capitalised = [w for w in words if w.lower() not in TITLE_SMALL_WORDS]
    if len(capitalised) < 2 or not all(w[:1].isupper() for w in capitalised):
        return lower_first(phrase, context)
    ordinary = [w for w in capitalised if len(w) > 1 and w[1:] == w[1:].lower()]
    named_mid_sentence = re.search(rf"[a-z,;]\s+{re.escape(phrase)}\b", context) is not None
    if named_mid_sentence or not all(english(w) for w in ordinary):
        return phrase
    # A word of the topic stays as the name writes it, unless the text writes it in lower case
    # as a word ("the first sync" under "Harborline Sync Agent"; "widget.yaml" is a file's name),
    # and unless the whole name is in the phrase ("Use Harborline Sync Agent").
    said = {
        w
        for w in words
        if re.search(rf"(?<![\w./`-]){re.escape(w.lower())}(?![\w`/-]|\.\w)", context)
        and (topic or "") not in phrase
    }
    names = NAMES_THAT_ARE_WORDS | (set((topic or "").split()) - said)
    return " ".join(w.lower() if w in ordinary and w not in names else w for w in words)


TITLE_SMALL_WORDS = frozenset("a an the of and or for to in on at by with from vs".split())


# Names of software a document starts a sentence with that the dictionary knows as words: a
# document that says only "Windows is not supported." is asked about Windows, not windows.
NAMES_THAT_ARE_WORDS = {
    "Windows", "Python", "Java", "Ruby", "Rust", "Swift", "Chrome", "Safari", "Excel",
    "Outlook", "Slack", "Docker", "Jupyter", "Android", "Ubuntu", "Debian", "Kafka", "Spark",
}  # fmt: skip


@cache
def _dictionary():
    from spellchecker import SpellChecker

    return SpellChecker()


def english(word: str) -> bool:
    """An ordinary English word ("Context"), not a name ("Tunelab")."""
    return bool(_dictionary().known([word.lower()]))


_NOT_IN_TAIL = r"[,;]|\b(?:and|or|but|because|so|since|neither|nor|must|which|that)\b"


def _copula(subject: str, verb: str, rest: str) -> str | None:
    while rest.split(" ", 1)[0].lower() in ADVERBS - {"only"}:  # "is now 15 seconds"
        rest = rest.partition(" ")[2]
    first = rest.split(" ", 1)[0].lower().strip("`") if rest else ""
    # "The loop is in `loop.py`"; not "Differences under 20 points are within the interval".
    if verb in ("is", "are") and first in PLACES and _a_place(rest.partition(" ")[2]):
        return f"Where {verb} {subject}?"
    if first in DETERMINERS | POSSESSIVES or (first[:1].isdigit()) or rest.startswith("`"):
        return f"What {verb} {subject}?"  # "X is our internal daemon": what X is
    if first[:1] in "/~" or re.match(r"\S+[@.]\S*[a-z]", first):  # a path, an address
        return f"What {verb} {subject}?"
    # "Windows is not supported", "IPv6 is not supported in version 3.8": what it says no to.
    negated = rest.split(" ", 2)
    if (
        first == "not"
        and len(negated) > 1
        and (negated[1] in PARTICIPLES or (negated[1].endswith("ed") and _regular_base(negated[1])))
        and _short_tail(negated[2:])
    ):
        return f"{verb.capitalize()} {subject} {' '.join(negated[1:])}?"
    after = rest.split()[1:2]
    if first in ("required", "needed", "used") and after and after[0].lower() in ("to", "for"):
        return f"What {verb} {subject} {first} for?"  # "Python is required to run the installer"
    if first in STATES:  # "Comments are allowed": whether they are, never how
        if not _short_tail(rest.split(" ", 1)[1:]):
            return None  # its tail would be asked too (`_short_tail`)
        return f"{verb.capitalize()} {subject} {rest}?"
    if first in PARTICIPLES or (first.endswith("ed") and _regular_base(first)):
        tail = rest.split(" ", 1)[1] if " " in rest else ""
        if not tail:  # "Your configuration is kept": that it is, not how ("How is it kept?")
            return f"{verb.capitalize()} {subject} {first}?"
        if asked := _done_how(tail):  # "How", "Where", "When", ... or None
            return f"{asked[0]} {verb} {subject} {first}{asked[1]}?"
    return None


def _done_how(tail: str) -> tuple[str, str] | None:
    """What the words after "X is <done>" say, as the question word that asks for them (and any
    word the question ends with: "Where is it read from?"); None when they say none of these.
    "The account is deleted after 30 days" asked "How is the account deleted?": how the text
    never says, only when."""
    lower = tail.lower()
    prep, _, rest = lower.partition(" ")
    if prep == "for" and DURATION.match(rest):
        return "How long", ""  # "Logs are kept for 14 days"
    if (
        EVERY.search(tail)
        or EVERY_STEPS.match(lower)
        or prep in ("daily", "nightly", "hourly", "weekly", "monthly")
    ):
        return "How often", ""  # "... are rotated every week"
    if prep in ("in", "within") and DURATION.match(rest):
        return "How soon", ""  # "... is answered within 4 business hours"
    if TO_A_PATH.match(tail) or (prep in PLACES | {"to", "from"} and _a_place(rest)):
        return "Where", " from" if prep == "from" else ""  # "The cache is kept in memory"
    if CONDITION.match(" " + lower) or prep in ("after", "before", "until", "during", "once"):
        return "When", ""  # "... deleted after 30 days of inactivity", "... before any work"
    if prep in ("at", "on") and AT_A_TIME.match(rest):
        return "When", ""  # "The index is rebuilt at startup"
    if prep in MEANS and not lower.startswith("by default"):
        return "How", ""  # "A checkpoint is loaded with `weights_only=True`"
    if re.match(r"(?:\w+ly|alike)\b", lower) and prep not in ("only", "early"):
        return "How", ""  # "Older versions are pruned automatically"
    if IN_A_MANNER.match(lower):
        return "How", ""  # "Every pair is asked in both orders"
    return None


# "in batches", "in both orders": how a thing is done, not where.
IN_A_MANNER = re.compile(
    r"in (?:parallel|turn|full|bulk|batches|order|(?:both|either|any) orders?)\b"
)
# "every save_every steps", "every 500 steps": how often, counted in a run's steps.
EVERY_STEPS = re.compile(r"every\s+\S+\s+(?:steps?|epochs?|batches|rows|requests)\b")
# Words after which a phrase says how a thing is done: "by the same leaderboard", "with gzip".
MEANS = frozenset("by with using via through as against".split())
# What a thing can be kept in, on or under: "in memory", "on disk", "in the key store".
PLACE_NOUNS = frozenset(
    """memory ram disk drive folder directory dir file database db cache bucket store keystore
    keychain keyring vault bin home path location repository repo table server host machine
    cloud storage volume partition container registry console stdout stderr journal queue
    browser section environment workspace sandbox trash clipboard device cpu gpu tpu core node
    cluster accelerator""".split()
)
# "at startup", "on boot", "at 02:00", "on Mondays", "on each run": a time, not a place.
AT_A_TIME = re.compile(
    r"(?:(?:the|each|every|first|next)\s+)*(?:startup|start|boot|shutdown|exit|login|launch|"
    r"midnight|noon|restart|install|upgrade|run|end|request|call|step|save|\d{1,2}(?::\d{2})|(?:mon|tues|wednes|thurs|"
    r"fri|satur|sun)days?)\b"
)


def _a_place(phrase: str) -> bool:
    """Whether a phrase after "in", "on", "to" ... names a place: a path or code ("in
    `config.toml`"), or a place's noun among its first words ("in the operating system's key
    store"), not "in both orders" or "to the user"."""
    words = phrase.split()[:5]
    if words and (words[0][:1] in "`/~" or re.fullmatch(r"[\w-]+\.[a-z]{1,5}", words[0])):
        return True  # code, a path, a file's name ("loop.py")
    for word in words:
        word = re.sub(r"'s$|[^\w]", "", word).lower()  # "the CPU", "the GPU's memory"
        if word in PLACE_NOUNS or word.rstrip("s") in PLACE_NOUNS:
            return True
        if word in PREPOSITIONS | {"and", "or", "but", "so"}:
            break
    return False


# Verbs whose object can be a "when" clause: "limits when", "decides when", "shows when".
SAY_WHEN = frozenset("limit decide choose control set show tell say report check record".split())
CONDITION = re.compile(r"(?:^|\s)(?:when|whenever|if)\s")
# Verbs whose "if" right after them (or after whom they ask) is "whether": "checks if the file
# exists" says what is checked, not when.
FINDING_OUT = frozenset("ask check decide detect determine find know see test verify".split())
_ASKED = frozenset({"", "you", "me", "us", "them", "the user"})
# "to `/var/log/ferrylog.log`", "in ~/backups": a place on disk a thing is put.
TO_A_PATH = re.compile(r"(?:to|in|into|under|at)\s+`?[/~]")


# Participles that say a state, asked yes or no as their negation is ("Is IPv6 supported in
# version 3.9?"), never how ("How is IPv6 supported?" asks something the text does not say).
STATES = frozenset("allowed supported permitted accepted".split())


def _short_tail(tail: list[str]) -> bool:
    """Whether the words after a state ("in version 3.8") may be asked with it: a short tail
    with no clause of its own ("... and neither is Kubernetes", "... because the installer runs
    per user" would be asked too, and the question then asks the opposite)."""
    said = " ".join(tail)
    return len(said.split()) <= 5 and not re.search(_NOT_IN_TAIL, said)


# "does not", "cannot", "won't": the auxiliary a yes-or-no question of the statement opens with.
NEGATED_AUXILIARIES = {
    "doesn't": "does", "don't": "do", "didn't": "did", "cannot": "can", "can't": "can",
    "won't": "will",
}  # fmt: skip


def _said_no(word: str, after: str) -> tuple[str, str] | None:
    """The auxiliary and the rest of "X does not upload ...", "X cannot read ..." (word is the
    verb's place: "does", "cannot"); None for a sentence that says no such thing."""
    if word in NEGATED_AUXILIARIES:
        return NEGATED_AUXILIARIES[word], after
    if word in ("does", "do", "did", "can", "will") and after.lower().startswith("not "):
        return word, after[4:].lstrip()
    return None


def _yes_or_no(subject: str, aux: str, rest: str) -> str | None:
    """The question a denial answers no to ("The agent does not upload temporary files" ->
    "Does the agent upload temporary files?"). It asks with every word denied, so a tail with a
    clause of its own ("... if the collector is down and ...") is asked nothing."""
    if not rest or len(rest.split()) > 8 or re.search(_NOT_IN_TAIL, rest):
        return None
    rest = re.sub(r"\byour\b", "my", re.sub(r"\byou\b", "me", rest))  # the reader asks
    return f"{aux.capitalize()} {subject} {rest}?"


def _verb_question(subject: str, aux: str, base: str, rest: str, never: bool = False) -> str:
    # "The agent never uploads files larger than 20 GB": what it never does, not what it does.
    said = f"never {base}" if never else base
    # "The agent stops if the disk is full": when it does, not "What does the agent stop?"
    if (condition := CONDITION.search(rest)) and not never:
        done = rest[: condition.start()].strip()
        # "A schedule limits when the agent uploads": the "when" clause is what it limits.
        said_when = not done and base in SAY_WHEN and condition[0].strip() == "when"
        whether = condition[0].strip() == "if" and base in FINDING_OUT and done.lower() in _ASKED
        if not said_when and len(done.split()) <= 6 and "," not in done and not whether:
            return f"When {aux} {subject} {said}{' ' + done if done else ''}?"
    # "Ferrylog listens on port 7410 by default": which port, not where it listens.
    if port := re.match(r"(on|at|to) port \d+\b(.*)", rest, re.IGNORECASE):
        default = " by default" if "by default" in port[2] else ""
        return f"Which port {aux} {subject} {said} {port[1].lower()}{default}?"
    roughly = re.sub(r"^(?:about|around|roughly|approximately|up to|~)\s*", "", rest.lower())
    if base == "take" and TIME_UNITS.match(roughly):  # "takes about 3 hours"
        return f"How long {aux} {subject} {said}?"
    if (every := EVERY.search(rest)) and len(rest[: every.start()].split()) <= 4:
        # "The agent checks the schedule every 60 seconds": how often, of what
        what = rest[: every.start()].strip()
        return f"How often {aux} {subject} {said}{' ' + what if what else ''}?"
    if base == "default" and rest.lower().startswith("to "):  # "`--retries` defaults to 3"
        return f"What {aux} {subject} default to?"
    words = rest.lower().split()
    head = next((w for w in words if w not in ADVERBS), "")  # "runs only on ...": "on"
    phrase = " ".join(words[words.index(head) :]) if head else ""  # "on each request"
    beyond = phrase.partition(" ")[2]
    if head in ("in", "within") and DURATION.match(beyond):
        return f"How soon {aux} {subject} {said}?"  # "answers within 4 business hours"
    if head == "after" and DURATION.match(beyond):
        return f"When {aux} {subject} {said}?"  # "expires after 10 minutes"
    if head == "at" and beyond.split(" ", 1)[0] in ("most", "least"):
        return f"How much {aux} {subject} {said}?"  # "holds at most 1 GB": no place
    if head in ("at", "on") and AT_A_TIME.match(beyond):
        return f"When {aux} {subject} {said}?"  # "runs on each request", "starts at boot"
    if IN_A_MANNER.match(phrase):
        return f"How {aux} {subject} {said}?"  # "pads in batches": no place
    if head in PLACES:
        return f"Where {aux} {subject} {said}?"
    if head in PREPOSITIONS:
        return f"How {aux} {subject} {said}?"
    if head in ("it", "them", "sure", "possible"):  # "makes it easy": what it does
        return f"What {aux} {subject} {'never ' if never else ''}do?"
    # Several verbs in a row ("asks ..., finetunes ... and scores ..."): what it does overall.
    if len([w for w in WORD.findall(rest) if _third_person(w.lower())]) >= 2:
        return f"What {aux} {subject} {'never ' if never else ''}do?"
    return f"What {aux} {subject} {said}?"


def _third_person(word: str) -> str | None:
    """skips -> skip, passes -> pass, applies -> apply; None for words not in VERBS."""
    for suffix, base in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and (stem := word[: -len(suffix)] + base) in VERBS:
            return stem
    return None


# Words that open a verb's object: "maps other column names", "names its token".
OBJECT_OPENERS = DETERMINERS | POSSESSIVES | frozenset("other all each both any some".split())
# Verbs that take no object, or not one "What does X ...?" asks for ("goes the other way").
NO_OBJECT = frozenset(
    """go come seem appear become remain stay sit stand lie fall rise live belong happen exist
    matter depend differ last grow work look sound feel mean""".split()
)
# Words a noun phrase does not end with: a subject ending so goes on past the word after it.
NOT_A_HEAD = DETERMINERS | POSSESSIVES | OBJECT_OPENERS | PREPOSITIONS | PLACES | {"and", "or"}


def _unlisted_verb(word: str, subject: str, rest: str) -> str | None:
    """The base of a verb VERBS lacks, read by its form and place ("The log names the weights"
    -> "name"): an -s form of an English verb after a plain singular subject (code, a name, or
    a determiner and its noun) and before its object. None for anything less sure: "Sample
    pairs per mode" (no determiner), "Nine other kinds of work" (no noun before it), "A CPU
    run goes the other way" (no object)."""
    if (
        not re.fullmatch(r"[a-z]+s", word)
        or word.endswith(("ss", "us", "is"))
        or word in AUXILIARIES | {"does"}
    ):
        return None
    trimmed = word[:-3] + "y" if word.endswith("ies") else word[:-2]
    esses = word.endswith(("ches", "shes", "sses", "xes", "zes", "oes", "ies"))
    base = trimmed if esses else word[:-1]
    words = subject.split()
    head = words[-1].lower()
    plain = (
        words[0].startswith("`")
        or (len(words) > 1 and words[0].lower() in DETERMINERS | POSSESSIVES)
        or (len(words) == 1 and not english(words[0].strip("`")))
    )
    if base in NO_OBJECT or not english(base) or not plain or head in NOT_A_HEAD:
        return None
    if head[:1].isdigit() or not _singular(subject):
        return None
    obj = rest.split(" ", 1)[0]
    plural_noun = re.fullmatch(r"[a-z]+s", obj) is not None and english(obj)
    if obj.lower() in OBJECT_OPENERS or obj[:1] in "`0123456789" or plural_noun:
        return base
    return None


def _past(word: str) -> str | None:
    return IRREGULAR_PAST.get(word) or (_regular_base(word) if word.endswith("ed") else None)


def _regular_base(word: str) -> str | None:
    for stem in (
        word[:-1],
        word[:-2],
        word[:-3] + "y",
        word[:-3],
    ):  # used, kept+ed, applied, stopped
        if stem in VERBS:
            return stem
    return None


def _singular(subject: str) -> bool:
    last = subject.split()[-1]
    return last.startswith("`") or not (last.endswith("s") and not last.endswith(("ss", "us")))
