"""The question a sentence answers, by rules that prefer saying nothing to saying it badly: a
sentence whose subject and verb are plain ("`make test-fast` skips the slow tests", "The loop is
in loop.py", "The demo took 8.3 minutes") gets a question ("What does `make test-fast` skip?",
"Where is the loop?", "How long did the demo take?"); any other sentence gets none."""

from __future__ import annotations

import re

from tunelab.data.generate.template.blocks import setting_name
from tunelab.data.generate.template.capitals import in_full, lower_first
from tunelab.data.generate.template.copula import (
    MODAL_PASSIVE,
    RANGES,
    by_default,
    copula,
    denied_state,
    modal_question,
)
from tunelab.data.generate.template.denials import said_no, yes_or_no
from tunelab.data.generate.template.heading_grammar import base_verb, is_gerund
from tunelab.data.generate.template.phrases import FOR_A_WHILE, opening_phrase
from tunelab.data.generate.template.second_person import in_my_words
from tunelab.data.generate.template.subject_and_verb import (
    ARTICLES,
    OBJECTLESS,
    RELATIVE,
    TAKES_A_BARE_VERB,
    a_step,
    bare_verb,
    before_its_noun,
    compound_adjective,
    named,
    participle,
    plain_words,
    verb_later,
)
from tunelab.data.generate.template.verb_questions import (
    particle_question,
    verb_question,
    without_hedge,
)
from tunelab.data.generate.template.word_classes import (
    ADVERBS,
    AUXILIARIES,
    CONDITION,
    DETERMINERS,
    DISTANCE,
    DURATION,
    LASTING,
    NOT_A_HEAD,
    PARTICIPLES,
    PLACES,
    POSSESSIVES,
    PREPOSITIONS,
    VERBS,
    WORD,
    asked_with,
    english,
    has_past,
    measure_of,
    measured_phrase,
    opens_an_object,
    past,
    plural_form,
    singular,
    third_person,
    unlisted_verb,
)
from tunelab.data.units import units_of

# Sentences opening with these lean on what came before ("It", "This", "But"), or say of
# nothing ("Nothing is kept on the server": "Where is nothing kept?"): no question.
LEANING = frozenset(
    """it its this that these those they them their there here he she we you i our your both
    not no whoever whatever anyone everyone nobody someone each such but and or so then also otherwise
    however instead still yet thus hence only which who what when where why how if once while
    with without after before for from in on at by as unless since until though although because
    whether all some most many nothing none neither""".split()
)
# Words that say which or how many of a noun that follows them: "The earlier runs", "Three
# more runs", "LoRA's 74 ms more", "The new limits" (no noun phrase ends with them).
BEFORE_A_NOUN = frozenset(
    "more earlier other same next last former latter previous few new old latest".split()
)
# Verbs a changelog's entry opens with, seldom a noun opening a sentence: "Fix equality checks
# for ..." was asked "What does fix equality check for?".
CHANGES = frozenset("fix honor honour respect handle bump ensure backport avoid prevent".split())
# A subject that points at what a reader has just seen: "The other order", "The same code",
# "The extra" ("What is the other order?" asks nothing a reader can answer alone).
REFERRING = [["the", w] for w in "other same former latter previous extra".split()]
# Prepositions no list above holds that a sentence opens with before its subject.
OPENING_PREPOSITIONS = frozenset("against between during among despite".split())
# A subject holding these is a clause ("`serve --host` with any address", "Tried and not",
# "`tqdm` always gets" before "updated", "Sets how loud the beeper" before its "is", "The
# repetition whose probe read" before "205 GFLOP/s"), not a noun phrase, or leans on what came
# before ("A couple of them").
CLAUSE_WORDS = frozenset(
    "with without when if unless once while that which who whom whose how it them they not gets"
    " got".split()
)
# Words after a verb that open no object: "runs before each merge", "runs nightly".
NOT_AN_OBJECT = PREPOSITIONS | PLACES | ADVERBS | frozenset("during until while when if".split())
# "Passwords must be at least 12 characters long", "A file may be at most 200 MB", "Labels must
# be between 25 mm and 104 mm wide": the size a thing may or must have (in bytes, how large);
# "must not be longer than 5 metres": how long it can be.
_NUMBER = r"~?\d[\d.,]*"
_SIZE = (
    rf"(?:at (?:least|most) |up to |no more than )?{_NUMBER}"
    rf"|between {_NUMBER}(?: \w+)? and {_NUMBER}|{_NUMBER}(?: \w+)? to {_NUMBER}"
)
SIZED = re.compile(
    r"^(?P<subject>[A-Z`][\w`-]*(?: [\w`-]+){0,4}) (?P<modal>must|should|can|may) (?:not be"
    rf" (?P<more>long|wide|high|tall|deep|old|large)(?:(?<=e)r|er) than {_NUMBER}(?: \w+)?|be"
    rf" (?:{_SIZE})(?:(?: \w+)? (?P<size>long|wide|high|tall|deep|old|large)"
    r"| ?(?:[KMGT]i?B|bytes)))$"
)
# Words a subject may run to: six, or nine when it is a thing of another ("The default IP
# address of the K7"), which says one thing however long.
LONGEST_SUBJECT = 9
# "Backups of files larger than 50 GB": a comparison with a measure says which files, counted
# as one word of the subject, not as the five of a clause; its unit one units.py knows (any word
# there took the verb: "Upgrades from versions older than 2.4 are not supported").
THAN_A_MEASURE = re.compile(
    r"\b(?:larger|smaller|bigger|longer|shorter|older|newer|more|less|fewer) than"
    rf" (?:about )?{_NUMBER}(?: ?(?:{units_of()}))?\b"
)


def _of_a_thing(words: list[str]) -> bool:
    """Whether a subject is one thing's property: up to five words, "of", and the thing, opened by
    a determiner or a name, in up to three ("the default IP address" "of" "the K7")."""
    if words.count("of") != 1 or len(words) > LONGEST_SUBJECT:
        return False
    head, thing = words[: words.index("of")], words[words.index("of") + 1 :]
    named = bool(thing) and (thing[0] in DETERMINERS | POSSESSIVES or not english(thing[0]))
    # "The 5.3 ms a layer of the profile": a measure and a second phrase, no one thing's name.
    one = all(w.isalpha() and w not in DETERMINERS | POSSESSIVES for w in head[1:])
    return 0 < len(head) <= 5 and len(thing) <= 3 and named and one


def _verb_form(word: str) -> bool:
    """Whether an -ing word is a verb's ("hold" of "holding", "use" of "using", "stop" of
    "stopping"), not a noun that only ends so ("thing", "string")."""
    return is_gerund(word) and ((verb := base_verb(word)) in VERBS or has_past(verb))


def _not_yet_the_verb(words: list[str], word: str, after: str) -> bool:
    """Whether `word`, after the lower-case `words` before it, is still the subject's, not its
    verb: a noun that a determiner, a preposition or a describing word opens, or a word before
    the auxiliary that is the verb."""
    # "A run's benchmark scores (`tunelab bench RUN`) are": the auxiliary past an aside.
    following = re.sub(r"^\([^)]*\)\s*", "", after).split(" ", 1)[0].lower()
    if set(words) <= DETERMINERS | POSSESSIVES or following in AUXILIARIES:
        return True  # "A resumed run", "Your runs", "The overlap scores are"
    if words[-1] in ARTICLES or (words[-1] in DETERMINERS and len(words) > 1):
        # "... after words the answers say", "Two trainings of one set flipped ...": a noun
        # follows "the" or "one", not a verb
        return True
    if words[-1] in PREPOSITIONS | PLACES | OPENING_PREPOSITIONS | {"of"}:
        return True  # "The answers vary between runs": a noun follows "between", not a verb
    counted = len(words) == 1 or words[-2] in DETERMINERS | POSSESSIVES or words[-1] == "more"
    if words[-1] in BEFORE_A_NOUN and (counted or words[-2][:1].isdigit()):
        return True  # "The earlier runs, ...", "Three more runs on ...": the noun, no verb yet
    if participle(words[-1]) and (len(words) == 1 or words[-2] in DETERMINERS | POSSESSIVES):
        # "Simulated judges vote ...", "A blend of two trained answers gets ...": "judges",
        # "answers" the noun it describes
        return True
    if (
        len(words) > 1
        and words[-2] not in DETERMINERS | POSSESSIVES | PREPOSITIONS | PLACES | {"of"}
        and _verb_form(words[-1])
        and not (third_person(word) or past(word) or word in AUXILIARIES)
    ):
        # "A `--data` file holding rows the run trained on ...": "rows" is what it holds;
        # "Data loading takes 3 s" and "The default of padding is 2 mm" have their verb.
        return True
    # "Held-out answers in the log ...": "answers" is its noun, not a verb
    return len(words) == 1 and bool(compound_adjective(words[0])) and plural_form(word)


# A setting's name as code writes it, a sentence's subject in lower case: "tear_offset sets ...".
SETTING = re.compile(r"[a-z]\w*_\w+ ")


def _of_a_setting(text: str, context: str) -> bool:
    """Whether a sentence in lower case opens with a setting's name, as a paragraph of its
    context does ("darkness ranges from 0 to 30." after "darkness sets how much heat ...")."""
    name = setting_name(text)
    return bool(name) and any(setting_name(line.strip()) == name for line in context.splitlines())


def sentence_question(
    sentence: str, context: str = "", topic: str = "", document: str = ""
) -> str | None:
    """The question `sentence` answers, or None when no rule fits it well. `context` (the text
    around it) tells a name the text always capitalises from a word that starts a sentence, as
    `topic` (the document's name) is, and the whole `document` writing it mid-sentence."""
    text = " ".join(sentence.split()).rstrip(".!").strip()
    if (
        not text
        or text.endswith(":")
        or "?" in text
        or not 4 <= len(text.split()) <= 60
        or not (
            text[0].isupper()
            or text[0] == "`"
            or SETTING.match(text)
            or _of_a_setting(text, context)
        )
    ):
        return None
    if m := RANGES.match(text):  # "tear_offset ranges from 0 to 30 mm."
        return (
            f"What is the range of {lower_first(m['subject'], context or text, topic, document)}?"
        )
    if text.startswith("To "):
        return None  # "To set a proxy, add ...": a purpose and its step, no subject
    if opened := opening_phrase(text):  # "On Windows, Keepsafe stores ...": asked of the rest
        phrase, rest = opened
        asked = sentence_question(rest, context, topic, document)
        return f"{asked[:-1]} {phrase}?" if asked and phrase not in asked else asked
    tokens = list(WORD.finditer(text))
    # "Your configuration ..." is the reader's own, "All files ..." every one of a kind: neither
    # needs anything before it.
    every = re.match(r"All (?!of\b)[a-z]+s\b", text)
    if tokens[0].group().lower() in LEANING - {"your"} and not every:
        return None
    said = SIZED.match(text) or MODAL_PASSIVE.match(text)
    if said and not (CLAUSE_WORDS | AUXILIARIES) & set(said["subject"].lower().split()):
        subject = in_my_words(lower_first(said["subject"], context or text, topic, document))
        if said.re is SIZED and said["more"]:  # "must not be longer than": how long it can be
            return f"How {said['more']} can {subject} be?"
        if said.re is SIZED:
            return f"How {said['size'] or 'large'} {said['modal']} {subject} be?"
        if asked := modal_question(said, subject):
            return asked  # "How often should the filter cartridge be replaced?"
    if asked := denied_state(text, context or text, topic, document):
        return asked
    if tokens[0].group().lower() in PREPOSITIONS | PLACES | OPENING_PREPOSITIONS:
        return None  # "Against the 75.0% run the answers moved": the subject is past a phrase
    if tokens[0].group().lower() in CHANGES:
        return None  # "Fix equality checks for ...": a changelog's entry, no statement
    second = tokens[1].group().lower() if len(tokens) > 1 else ""
    if second == "of" and tokens[0].group().lower() in DETERMINERS:
        return None  # "One of the most popular uses of X is ...": which one, and of what?
    if participle(tokens[0].group()) and second in PREPOSITIONS | PLACES:
        return None  # "Pooled over the two splits ...": a phrase, its subject further on
    step = a_step(tokens[0].group(), tokens[1].group() if len(tokens) > 1 else "")
    # A comparison with a measure holds no verb and counts as one word ("Backups of raw video
    # files larger than about 50 GB are split": its words were counted one by one, and the
    # subject a clause before "are" was reached).
    measures = [m.span() for m in THAN_A_MEASURE.finditer(text)]
    words_on = [t for t in tokens[1:] if not any(a < t.start() < b for a, b in measures)]
    for verb in words_on[:LONGEST_SUBJECT]:
        subject = text[: verb.start()].strip()
        subject = re.sub(r"\s*\([^)]*\)", "", subject)  # "Packing (default)" -> "Packing"
        words = [w.lower() for w in WORD.findall(subject)]
        counted = len(WORD.findall(THAN_A_MEASURE.sub("x", subject)))
        if counted > 6 and not _of_a_thing(words):
            break  # a subject this long is a clause, or leans on one
        # Code's own brackets ("`[[source]]` block") are no clause's.
        bare = re.sub(r"`[^`]+`", "code", subject)
        if re.search(r"[,;:()\[\]=]|\s[-–—](\s|$)", bare) or (CLAUSE_WORDS | AUXILIARIES) & set(
            words
        ):
            return None  # a clause, not a noun phrase, comes before any verb
        if any(
            w in ADVERBS - {"first", "only"} and n not in ADVERBS for w, n in zip(words, words[1:])
        ):
            return None  # "Developers on CPython still get ...": the verb came after "still"
        if words and words[-1] in ("and", "or"):
            continue  # "The agent compresses and uploads": no subject of its own before "uploads"
        word, after = verb.group().lower(), text[verb.end() :].strip()
        if (noun := _release_noun(subject, word, after, context or text)) is not None:
            return noun or None  # "Version 2.12 changes: ...": a noun, not a verb
        if _not_yet_the_verb(words, word, after):
            continue  # "The overlap scores are", "Simulated judges vote": the verb comes later
        if any(
            participle(w) and a in PREPOSITIONS | PLACES and b not in DETERMINERS | POSSESSIVES
            for b, w, a in zip(words, words[1:], words[2:])
        ):
            return None  # "Facts proposed from reference answers (...) call ...": a clause
        if word.endswith("s") and RELATIVE.search(subject):
            return None  # "The GPUs `tunelab plan` says ...": what the code says, a clause
        following, _, beyond = after.partition(" ")
        if bare_verb(following, f"{subject} {verb.group()}", beyond):
            if subject.lower() in TAKES_A_BARE_VERB:
                return None  # "Let tests skip the network": a step
            continue  # "Test runs skip the slow tests": "runs" is a noun, "skip" the verb
        if step and word not in ("is", "are", "was", "were"):
            return None  # "Investigate suspicious uniform scores ...": the reader's step
        prepositional = asked_with(word, after, singular(subject))
        spans = word[:-1] in LASTING and bool(DURATION.match(without_hedge(after)))
        far = bool(DISTANCE.match(after))  # "works up to 7 metres away"
        # "Completion means ...": the verb, with no object to ask for; "The screen goes dark
        # after 20 seconds" has its state, asked below.
        changes = particle_question(subject, word, after) is not None
        if word == "means" and re.search(r"\d|\b[A-Z]{2,}\b", subject):  # "Error E4 means ..."
            return f"What does {lower_first(subject, context or text, topic, document)} mean?"
        if (
            word in OBJECTLESS
            and singular(subject)
            and not (prepositional or spans or changes or measured_phrase(after))
        ):
            return None
        plural_noun = word.endswith("s") and word not in AUXILIARIES
        if (
            plural_noun
            and len(words) == 1
            and plain_words(words[0])
            and (
                after.split(" ", 1)[0].lower() in VERBS | {"and", "or"}
                or (verb_later(after) and not opens_an_object(after))
            )
        ):
            # "Conditional changes need ...", "Concurrent uploads on one connection could
            # stall": a modifier and its plural noun, whose verb comes later
            continue
        if (
            plural_noun
            and len(words) == 1
            and plain_words(words[0])
            and (words[0] in VERBS or has_past(words[0]))
            and not words[0].endswith("ing")
            and after.split(" ", 1)[0].lower() in NOT_AN_OBJECT
        ):
            return None  # "Test runs before each merge": "test runs" may be a noun, no verb said
        # "The split below puts ...", "The other order is ...": which, a reader alone can't
        # tell; "Files above 2 GB" go on to what they are above.
        pointing = words[0] in ARTICLES and words[-1] in ("below", "above")
        pointing = pointing and word.isalpha() and word not in NOT_A_HEAD
        if pointing or words[:2] in REFERRING:
            return None
        never = False
        while " " in subject and subject.split()[-1].lower() in ADVERBS:
            never |= subject.split()[-1].lower() == "never"  # kept: "What does X never do?"
            subject = subject.rsplit(" ", 1)[0]  # "`tunelab eval` then reports"
        if subject.lower() in ADVERBS:
            return None
        subject = lower_first(subject, context or text, topic, document)
        # "FastAPI" under "# FastAPI Cloud", whose prose never says it whole: the title's name.
        subject = in_full(subject, topic, document or context or text)
        subject = in_my_words(subject)  # the reader asks about "my configuration"
        if (phrasal := particle_question(subject, word, after)) is not None:
            return phrasal or None
        # "The installer asks for a password if the key is missing", "The agent waits for 10
        # seconds": when, or how long, asked below.
        if prepositional and not (CONDITION.search(after) or FOR_A_WHILE.match(after)):
            return f"What {prepositional[0]} {subject} {prepositional[1]}?"
        if word in ("is", "are", "was", "were"):
            return copula(subject, word, after) or by_default(text)
        if re.match(r"so\b(?! that)", after):
            return None  # "`data generate` says so when ...": what it says, the text before says
        if (negated := said_no(word, after)) is not None:
            return yes_or_no(subject, *negated)
        can = after.split(" ", 1)[0].lower() if word in ("can", "may") else ""
        # "can reach 60 °C": a verb no list holds, known by the measure it reaches
        if can in VERBS or (english(can) and measure_of(after.partition(" ")[2])):
            # "What can X do?" is any one ability's question: asked with what it does it to.
            asked = verb_question(subject, word, can, after.partition(" ")[2])
            if word == "may" and not (asked or "").startswith("How many"):
                return None  # "The upload may fail ...": what might be; a limit's count is asked
            return None if not asked or asked.endswith(" do?") else asked
        # "The warranty lasts 3 years", "A full set of batteries lasts ...": how long it does
        if spans and singular(subject.split(" of ")[0]):
            return f"How long does {subject} {word[:-1]}?"
        if (
            word in LASTING
            and not singular(subject)
            and (far or DURATION.match(without_hedge(after)))
        ):
            # "Ribbons last about 300 m", "The filters last 3 months": how far, or how long
            return f"How {'far' if far else 'long'} do {subject} {word}?"
        if re.fullmatch(r"[a-z]+s", word) and len(words) > 1 and participle(words[0]):
            return None  # "Added regression tests ...": a changelog's entry, "tests" its noun
        if (base := third_person(word)) and singular(subject):
            return verb_question(subject, "does", base, after, never)
        if base := past(word):
            if word == "used" and after.startswith("to "):
                return None  # "Typer used to depend on Click": what was, no use
            if before_its_noun(after) or not named(subject):
                continue  # "Historical supported names include ...", "Invoked ...": no verb yet
            if base == word and after.startswith("of "):
                continue  # "A full set of batteries lasts ...": "set" a noun, not "What did"
            if verb_later(after):
                return None  # "A run trained with `qa` has no turns": "trained" describes it
            return verb_question(subject, "did", base, after, never)
        if base := unlisted_verb(word, subject, after):
            asked = verb_question(subject, "does", base, after, never)
            return asked if asked and not asked.endswith(" do?") else None  # "shards them"
        if bare_verb(verb.group(), subject, after, noun_object=True):
            asked = verb_question(subject, "do", word, after, never)
            return None if not asked or asked.endswith(" do?") else asked
    return by_default(text)


# What a release brings, a noun after its version ("Version 2.12 changes: ..."), which as a verb
# asked "What does the 2.12 change to?".
RELEASE_NOUNS = frozenset("changes fixes updates improvements notes highlights features".split())
RELEASE_ASKED = {"changes": "What changed in", "fixes": "What was fixed in"}


def _release_noun(subject: str, word: str, after: str, context: str) -> str | None:
    """ "What changed in version 2.12?" of "Version 2.12 changes: ...", which lists them; "" where
    the noun after a version goes on to a verb of its own ("The 2.12 changes to the parser are
    small"); None where the word is a verb ("Version 2.12 fixes the crash": what it fixes)."""
    opener = after.split(" ", 1)[0].lower()
    if not re.search(r"\bv?\d+(?:\.\d+)+$", subject) or word not in RELEASE_NOUNS:
        return None
    if after.startswith(":") and word in RELEASE_ASKED:
        release = re.sub(r"^the ", "", lower_first(subject, context), flags=re.IGNORECASE)
        return f"{RELEASE_ASKED[word]} {release}?"
    return "" if not after or after.startswith(":") or opener in PREPOSITIONS else None


# "Logs are written to `x.log` and rotated when they reach 50 MB", "Snapshots are kept for 14
# days and are written to `/srv/backups`": two things done to one subject, each a fact of its own.
TWO_PASSIVES = re.compile(
    r"^(?P<subject>[A-Z`][\w`-]*(?: [\w`-]+){0,4}) (?P<be>is|are) (?P<first>(?P<done>[a-z]+)"
    r" [^,;:]+?) and (?:(?:is|are) )?(?P<second>(?P<then>[a-z]+) [^,;:]+?)\.?$"
)


# A manual's two short statements a semicolon joins, with no aside or list ("The free edition
# backs up one workstation; the Pro edition backs up up to 50.").
TWO_STATEMENTS = re.compile(r"^(?P<first>[A-Z][^;:()]+); (?P<second>[A-Za-z][^;:()]+?)\.?$")
# Each is asked where it states a number of its own and no clause inside it ("the repetition
# whose probe read 205 GFLOP/s reads 102%" has two verbs for one question).
VALUE_OF_ITS_OWN = re.compile(r"^(?!.*\b(?:whose|which|who)\b).*\d", re.IGNORECASE)


def half_questions(
    sentence: str, context: str = "", topic: str = "", document: str = ""
) -> list[str]:
    """The question each half of a sentence saying two things done to its subject answers
    ("Logs are written to `x.log` and rotated when they reach 50 MB" -> "Where are logs
    written?", "At what size are logs rotated?"), or of each statement a semicolon joins ("Fill
    the tank up to the MAX line; the tank holds 1.8 litres." -> "How much does the tank hold?"):
    the whole sentence asks at most one of them."""
    m = TWO_PASSIVES.match(" ".join(sentence.split()))
    done = (m["done"], m["then"]) if m else ()
    if m and all(participle(w) or w in PARTICIPLES for w in done):
        halves = [f"{m['subject']} {m['be']} {m[half]}." for half in ("first", "second")]
    elif (joined := TWO_STATEMENTS.match(sentence)) and len(sentence.split()) <= 25:
        halves = [f"{joined['first']}.", f"{joined['second'][0].upper()}{joined['second'][1:]}."]
        halves = [half for half in halves if VALUE_OF_ITS_OWN.search(half)]
    else:
        return []
    return [q for half in halves if (q := sentence_question(half, context, topic, document))]
