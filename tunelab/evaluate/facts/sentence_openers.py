"""Where a sentence or a clause opens, and the words there that open no name, for the specific
terms (tunelab.evaluate.facts.specific_terms): a function word ("The", "Using"), a word that says
how a sentence goes on ("Alternatively,"), and a first word that is the sentence's verb, judged
by what follows it: an order ("Open Visual Studio Code."), a question's ("Does Ctrl-C ...?",
"How Lamini works"), a gerund ("Pressing Ctrl-C saves") or a verb in -s ("Runs Llama 3 8B
models."). QUESTION_VERBS, the verbs a yes/no question opens with, serve the scorer too."""

from __future__ import annotations

from tunelab.data.text import AND_OR, FUNCTION_WORDS, NAME_THAT_IS_A_WORD, PREPOSITIONS
from tunelab.evaluate.facts.amounts import PERIOD
from tunelab.evaluate.facts.model_names import (
    MODEL_NOUN,
    PHRASE_END,
    SIZE,
    SUBJECT_OF,
    VERB_AFTER,
    VERB_OR_PLURAL_S,
)

# A capitalised word of a name, with its capitalised hyphened parts ("Fine-Tuning", "Ctrl-C"; not
# the "-based" of "Red Hat-based").
TITLED = r"[A-Z][a-z]+(?:-[A-Z0-9][A-Za-z0-9]*)*"
# Where a sentence opens: the text's, a line's or a table cell's start (after a bullet, a number
# or a heading's marks), after a sentence's end, a colon or a tag, bold before its word; or after
# a quote or a bracket ('("Can Lamini ...?")', 'Question:""Does Lamini ...').
_SENTENCE_START = (
    r"(?<=(?:(?:^|\n|\|)[ \t]*(?:(?:[-*+#>]+|\d+[.)])[ \t]+)?|[.!?:]\s+|>)[*_]*"
    r"|[\s.!?:][*_\"'(\[\u201c\u2018]+)"
)
# Where a clause opens mid-sentence, so a name there is its subject and the word after it its
# verb: after a comma ("In our tests, Mistral 7B outperforms"), "that" or "which", or an
# opening phrase of a preposition and one or two words ("By default Mistral 7B supports", "On
# a laptop Qwen2 1.5B answers"). Not after a verb ("It served Redis 2M keys", "We saw Node 18
# 2M downloads"), where a plural after the number says what it counts.
_OPENING_PHRASE = r"(?:In|On|By|For|With|At|From|After|Before|During|Under|Across)(?: [a-z]+){1,2}"
CLAUSE_START = rf"(?:[,;] |\b(?:that|which) |(?:^|[.!?] ){_OPENING_PHRASE} )"
# A sentence's first word that opens no name ("The Zephyr Router ...", "Using Java 21"): a
# function word, or a gerund whose phrase is the subject, so a verb after the name is the
# phrase's ("Using Visual Studio Code helps"). An order's word may open a name, so it is in
# _ORDER, judged by what follows the name ("Use Java 21", "Open Source Initiative reviews").
NOT_A_NAME = (
    r"(?:The|A|An|This|That|These|Those|It|Its|You|Your|We|Our|In|On|For|To|If|When|Yes|No|"
    r"Both|Currently|Also|However|Additionally|Furthermore|Moreover|Some|Many|Most|"
    r"All|Each|Every|Any|There|Here|Unlike|Like|While|With|By|From|As|At|Since|Although|Today|"
    r"Now|Then|So|Integrating|Using|Either|Neither)"
)
# A sentence's opening word that says how it goes on, not what: "Alternatively, Sure, Note,".
OPENER = (
    r"(?:[A-Z][a-z]+ly|Sure|Great|Okay|Ok|Well|Note|First|Second|Third|Next|Instead|Otherwise|"
    r"Still|Again|Please|Indeed|Hi|Hello|Thanks|Oh|Hmm|Alas|Besides|Meanwhile|Therefore|Thus|"
    r"Hence|Overall|Importantly|Plus|Or|And|But|Yet|Nor)"
)
# A sentence's first word that is its verb, not a name's first word, judged by what follows it
# (`OPENING_VERB`, one of the four below). An order: "Download Phi-3-mini-4k-instruct first.",
# "Open Visual Studio Code." (`_ORDER_OPENING`).
_ORDER = (
    r"(?:Download|Install|Uninstall|Open|Close|Press|Click|Tap|Select|Choose|Type|Enter|Go|Visit|"
    r"Contact|Call|Ask|Restart|Reboot|Reset|Deploy|Launch|Start|Stop|Update|Upgrade|Enable|"
    r"Disable|Add|Remove|Delete|Check|Try|Hold|Turn|Switch|Connect|Follow|Navigate|Copy|"
    r"Configure|Create|Edit|Upload|Use|Set|Run|See)"
)
# The verbs that open a yes/no question ("Does Ctrl-C ...?"; `yes_no` reads its verdicts by them)
# and, after a name, say it is a subject ("Go Modules are used": "Go" is no order there; "Go
# Modules" was "Modules"), as the modals that open none here do ("Start Menu may change"; "May"
# opens a date) and a plural the name is a noun of, its verb after it ("Start Menu settings are
# here": "Menu" was proposed). Not data.generate.template's AUXILIARIES, which a subject's
# predicate opens with ("be", "been", "can't" too) and no question.
QUESTION_VERBS = (
    "do does did is are was were can could should would will shall has have had".split()
)
_AUXILIARY_AFTER = rf"(?: [a-z]+s)? (?:{'|'.join(QUESTION_VERBS)}|may|might|must)\b"
# The name's own verb after it, which makes the word before the name no verb of the sentence: a
# verb ("Start Menu opens the apps.", "Jenkins Pipeline 2.0 runs builds."), or an auxiliary after
# the name or a plural noun of it (`_AUXILIARY_AFTER`). Not a plural that only looks like a verb: a
# gerund's, as no verb ends in "ings" past a stem of four letters ("Open Control Panel
# settings.": "Open Control Panel" was proposed; "brings", "pings" are verbs), or a model's noun
# ("Runs Llama 3 8B models.", "Are Lamini models free.": "Runs Llama", "Are Lamini" were), nor,
# after an order or a verb in -s, a word in -s whose phrase ends there (`_ENDS_ON_PLURAL`).
_GERUND_NOUN_AFTER = r" [a-z]{4,}ings\b"
_OWN_VERB_AFTER = rf"(?:(?!{_GERUND_NOUN_AFTER}| {MODEL_NOUN}\b){VERB_AFTER}|{_AUXILIARY_AFTER})"
# A question word opens a question, or a clause that names nothing ("How Lamini works" is no
# name "How Lamini").
_QUESTION_WORD = r"(?:What|Which|Who|Whom|Whose|Why|Where|How)\b"
# An auxiliary opening a question ("Does Ctrl-C save ...?", "Can Lamini ...?"): a "?" ends its
# sentence, or a question written with none, the name after the auxiliary followed by no verb of
# its own ("Is Lamini free.", "Is Lamini acquired by Google": "Is Lamini" was proposed; "Will
# Smith is an actor." and "Do Not Disturb silences calls." stay names). After "is" or "has" a
# participle is no such verb ("Is Windows supported in version 3.8?": the "?" is past a ".").
_QUESTION_AUXILIARY = rf"(?:{'|'.join(w.capitalize() for w in QUESTION_VERBS)})\b"
_BE_OR_HAVE = r"(?:Is|Are|Was|Were|Has|Have|Had)\b"
_QUESTION_VERB_OPENING = (
    rf"{_QUESTION_AUXILIARY}(?:(?=[^.!?\n]*\?)"
    rf"|(?!(?: {TITLED})+{_OWN_VERB_AFTER}))"
    rf"|{_BE_OR_HAVE}(?=(?: {TITLED})+ [a-z]+ed\b)"
)
# A gerund before a name written as one ("Pressing Ctrl-C saves", "Running Phi-3 ..."), or before
# a phrase a comma closes that goes on past the name ("Leveraging Lamini's ..., you"), or before
# a name a comma closes where the reader or writer, the sentence's subject, follows ("Leveraging
# Lamini, you can": "Leveraging Lamini" was proposed); a name a comma closes is one still where a
# list, an apposition or a pronoun that takes the name up goes on ("Beijing Capital Airport,
# Narita and Incheon", "Beijing Capital Airport, the city's main one, is", "Beijing Capital
# Airport, it is"), and so is a gerund's name with no comma after its phrase ("Hugging Face hosts
# it").
_CLAUSE_SUBJECT = r"(?:you|we|I|one)\b"
# A gerund's stem holds a vowel ("Using", "Leveraging", "Trying"): a word whose "ing" follows
# none is no verb's ("Spring Boot, I think, is", "Spring Boot, you can use it": "Boot" was
# proposed; "String", "King", "Thing" too).
_GERUND = r"(?:[AEIOU]|[A-Z][a-z]*[aeiouy])[a-z]*ing"
_GERUND_OPENING = (
    rf"{_GERUND}(?= [A-Z][a-z]*-[A-Z0-9]"
    rf"| {TITLED}(?: {TITLED})*(?:'s\b[^.!?\n]*| (?!{AND_OR}\b)[a-z][^.!?\n,;\"\u201d]*),"
    rf"| {TITLED}(?: {TITLED}| [A-Z]{{2,}})*, {_CLAUSE_SUBJECT})"
)
# A word in -s whose phrase ends there (the sentence, or a preposition, a joining word or an
# adverb after it) after an order or a verb in -s and a name is what the opening verb acts on,
# the name's noun ("Check Event Viewer logs.", "Check Event Viewer logs for errors.", "Download
# Lamini docs from GitHub.", "Helps Python 3 users.": "Check Event Viewer", "Download Lamini",
# "Helps Python" were proposed), not the name's verb: a name and its verb alone, with no "The",
# is a rarer sentence than an order and its object, so "Start Menu opens." and "Start Menu opens
# on the left." are read so too ("Start Menu opens the apps." and "The Start Menu opens." keep
# the name whole); a verb a subject goes on with is none ("Jenkins Pipeline 2.0 runs on Java.",
# "Go Modules works with it."). An auxiliary opens no order: "Will Smith sings." is a name's.
# (A plural before a bare verb, "Helps Python 3 users migrate.", is read as the name's verb: no
# rule tells "users migrate" from "runs fast" without a list of verbs; the version, which no
# verb's object ends in, keeps "Helps Python" from being proposed, in specific_terms.)
_ENDS_ON_PLURAL = rf"(?!{SUBJECT_OF}) [a-z]+s{PHRASE_END}"
# An order whose name no verb follows: "Open Visual Studio Code." opens no name, "Open Source
# Initiative reviews ..." does.
_ORDER_OPENING = rf"{_ORDER}\b(?!(?: {TITLED})+(?!{_ENDS_ON_PLURAL}){_OWN_VERB_AFTER})"
# A verb in -s whose subject is left out, as a list of features writes it, before a name with its
# version or size that no verb of its own follows ("Runs Llama 3 8B models.", "Supports Python
# 3.12 and Java 21.": "Runs Llama" was proposed), as before a size alone (`NAME_SIZED`); not a
# name's word ("Jenkins Pipeline 2.0 runs builds.", "Windows Server 2022").
_VERSIONED = rf"(?: {TITLED})+ \d+(?:\.\d+)*(?:[- ]{SIZE})?"
VERB_S_OPENING = (
    rf"(?!{NAME_THAT_IS_A_WORD}\b)[A-Z][a-z]*{VERB_OR_PLURAL_S}"
    rf"(?=(?: {TITLED})+ \d)"
    rf"(?!{_VERSIONED}(?!{_ENDS_ON_PLURAL}){_OWN_VERB_AFTER})"
)
# A sentence's first word before a whole number that names nothing, the number a count: a
# function word or a preposition ("About 70 rows are", "Past 8 rows the"), an opener, an order
# ("Install 3 packages.", "Use 2 GPUs.", "Run 4 epochs."), a gerund, or a verb or a plural, in -s
# or -ed ("Includes 3 tools that", "Sizes 8 are", "Fixed 2 bugs that"; not a name that is a
# word, "Windows 11 is").
_FUNCTION_WORD = "|".join(
    sorted(w.capitalize() for w in FUNCTION_WORDS | PREPOSITIONS if len(w) > 1)
)
# A word in -s that a verb of one thing follows past the number is a name's ("Jenkins 2 runs
# builds.", "Postgres 16 is fast.": "2" and "16" were proposed alone); no plural's count is.
_ONE_THING_S_VERB = r" \d+ (?:is|was|has|does|runs|works)\b"
COUNT_OPENING = (
    rf"(?:{_FUNCTION_WORD}"
    rf"|{OPENER}|{_ORDER}|{_GERUND}"
    rf"|(?!{NAME_THAT_IS_A_WORD}\b)[A-Z][a-z]*(?:{VERB_OR_PLURAL_S}(?!{_ONE_THING_S_VERB})|ed))\b"
)
# The name's own verb after a sentence's first word and its whole version ("Python 3 is
# popular.", "Windows 11 needs TPM."), a capitalised word between them ("Llama 3 Herd answers":
# two facts, as mid-sentence; a variant, "Claude 3 Opus is", "Llama 3 Instruct answers", is the
# name's); not a word in -s where its phrase
# ends or a rate follows, the plural a count says ("Give 3 examples.", "Train 3 epochs first.",
# "Add 2 lines to it.", "Take 2 pills a day."), which a verb in -s other than an auxiliary or a
# subject's ("Windows 11 is too.", "Gemma 2 runs on a laptop.") is only where its object or
# adverb follows ("Node 20 adds it."). The plural an order's object ends on (`_ENDS_ON_PLURAL`),
# one rule for both, or one a rate follows.
_COUNTED_PLURAL = (
    rf"(?!{_AUXILIARY_AFTER})"
    rf"(?:{_ENDS_ON_PLURAL}|(?!{SUBJECT_OF}) [a-z]+s (?:an? {PERIOD}|each)\b)"
)
# A plural of the name's before a subject's verb is the name's noun, as before an auxiliary
# ("Python 3 scripts run here.", "Node 20 builds run faster.": "3" and "20" were proposed alone;
# "Python 3 scripts are here." gave "Python 3").
_NAME_S_PLURAL_AND_VERB = rf" [a-z]+{VERB_OR_PLURAL_S}{SUBJECT_OF}"
WHOLE_VERSION_VERB = (
    rf"(?: {TITLED})*(?:(?!{_COUNTED_PLURAL}){_OWN_VERB_AFTER}|{_NAME_S_PLURAL_AND_VERB})"
)
# Only where a sentence opens: mid-sentence each is a name's word ("documentation on Getting
# Started, ...").
OPENING_VERB = (
    rf"{_SENTENCE_START}"
    rf"(?:{_QUESTION_WORD}|{_QUESTION_VERB_OPENING}|{_GERUND_OPENING}|{_ORDER_OPENING}"
    rf"|{VERB_S_OPENING})"
)
