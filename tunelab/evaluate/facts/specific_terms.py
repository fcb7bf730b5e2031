"""The specific terms of a text, found by their form (tunelab.evaluate.facts.propose proposes a
reference answer's as its facts): numbers with their units, dates, URLs, paths, code, options,
file and dotted names, versions, acronyms and proper names, most specific first."""

from __future__ import annotations

import re

import regex

from tunelab.data.text import NAMES_THAT_ARE_WORDS, spaced, unspaced
from tunelab.data.units import units_of

# A number's unit written after a space ("16 GB", "0.5 s", "100 °C", "10 days": not "10
# seconds"; "50 m" and "8 h" too, "50" and "8" were proposed, and "8 min" is "8 minutes" to the
# scorer); one glued to it ("5GB") is any run of letters, as the scorer reads "5GB" as "5 GB".
# Other words after a number are no part of its value ("100 steps" states 100). Not "A" (the
# scorer drops it as the article, and "8 A.M.", "2 A) ... B)" name no amps), so not "2 amps"
# either ("2" is stated by "2 A"); not "degrees" without a scale ("90 degrees" is stated by
# "90°"; "180 degrees Celsius" is one value, as the scorer reads "180 °C").
_NOT_A_VALUE_UNIT = ("A", "amp", "ampere", "degree")
SPACED_UNIT = rf"(?:{units_of(excluded=_NOT_A_VALUE_UNIT)})(?:/[A-Za-z]+)?(?![\w/])"  # "5 GB/s"
# A number is read as the scorer reads it (tunelab.evaluate.facts.normalize_numbers): whole,
# with its sign, currency, per cent and unit, as "-8" is not "+5", "$20" not "€20" and "5GB" not
# "50GB".
# A rate's period is part of its value: "$20 per month" is not "$20 per year".
PERIOD = r"(?:second|minute|hour|day|week|month|year|user|seat)"
_NUMBER = (
    # (Whole: "2.8b-deduped" gave "2", a number's part, where its value ends in no unit; nor
    # a fraction's or date's last number: "3/4 inch" gave "4 inch" beside "3/4".)
    r"(?<![\w.-])(?<!\d/)(?:[-+\u2212]|\p{Sc}\s?)?\d+(?:[.,]\d+)*(?![.,]\d)(?:[eE][-+\u2212]?\d+)?"
    rf"(?:\s?%|\s?\p{{Sc}}|\s(?:USD|EUR|GBP|JPY|CNY|INR|CHF|CAD|AUD)\b|[^\W\d_]+(?![\w-])|"
    rf"\s{SPACED_UNIT})?(?:(?:\s?/\s?|\s+per\s+|\s+an?\s+){PERIOD}\b)?(?![\w]|-(?!\d))"
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
# A sentence's first word that opens no name ("The Zephyr Router ...", "Using Java 21"): a
# function word, or a gerund whose phrase is the subject, so a verb after the name is the
# phrase's ("Using Visual Studio Code helps"). An order's word may open a name, so it is in
# _ORDER, judged by what follows the name ("Use Java 21", "Open Source Initiative reviews").
_NOT_A_NAME = (
    r"(?:The|A|An|This|That|These|Those|It|Its|You|Your|We|Our|In|On|For|To|If|When|Yes|No|"
    r"Both|Currently|Also|However|Additionally|Furthermore|Moreover|Some|Many|Most|"
    r"All|Each|Every|Any|There|Here|Unlike|Like|While|With|By|From|As|At|Since|Although|Today|"
    r"Now|Then|So|Integrating|Using|Either|Neither)"
)
# The word that joins a list's last item on: "a, b and c", "a, b or c", "a & b", "a, b as well as
# c" (one for every rule that reads a list: the proposer's, spread_units' for the scorer).
AND_OR = r"(?:and|or|&|as\s+well\s+as)"
# A word of a product's name: capitalised, or with a capital inside ("Windows", "macOS", "iOS").
NAME_WORD = r"(?:[A-Z][A-Za-z]+|[a-z]+[A-Z][A-Za-z]*)"
# The verbs a list that is a sentence's subject goes on with ("Java 17 and 21 are supported").
_SUBJECT_VERB = r"(?:are|is|were|was|can|will|work|works|run|runs|both|all|have|has)"
_SUBJECT_OF = rf" {_SUBJECT_VERB}\b"
# A model's size is its count of parameters, a number glued to B or M ("7B", "1.5B", "135M").
# After a name it is the name's: after its version by a hyphen or a space ("Llama 3-8B", "Llama
# 3 8B": "Llama 3" and "8B" were proposed apart, which the scorer read apart too), or after a
# space with no version ("Mistral 7B", "Qwen2 1.5B", "Phi-3 3.8B": "7B" and "Mistral" were
# proposed apart, so "It uses Falcon 7B." stated one). Not where a plural after it says what it
# counts ("Python 3 8M times" was one term, "Redis 2M keys"); a name's verb ("Gemma 2B runs")
# and the words for a model ("7B parameters", "8B weights") are no such plural.
_MODEL_WORD = rf"{NAME_WORD}(?:\d+(?:\.\d+)*)?(?:-[A-Za-z0-9]+)*"
_MODEL_NOUN = r"(?:parameters|params|weights|models|checkpoints|variants|versions)"
# A mixture of experts counts its experts too: "Mixtral 8x7B" is not "Mixtral 8x22B" ("Mixtral"
# alone was proposed).
_SIZE = r"(?:\d+x)?\d+(?:\.\d+)?[BM](?![\w-])"
# A model's variant, a size word after its name ("Phi-3 mini", "GPT-2 XL", "BERT base"): one
# fact with it, as "Phi-3 medium" is not "Phi-3 mini" ("Phi-3" alone was proposed); only where
# the sentence or clause ends, or a model's noun, a verb, a joining word or an adverb follows
# ("Install Phi-3 mini first.": "Phi-3" was proposed): not the size word of a noun after it
# ("API base URL", "GPT-4 large language model", "A100 base clock").
VARIANT_WORD = r"(?:[Mm]ini|[Ss]mall|[Mm]edium|[Ll]arge|[Bb]ase|[Tt]iny|XL|XXL)"
_VARIANT = rf" {VARIANT_WORD}(?![\w-])"
# An adverb of time, order or manner, which no size word describes ("first", "locally").
_ADVERB = (
    r"(?:[a-z]{2,}ly|first|now|then|next|instead|too|also|again|here|there|today|later|already|"
    r"once|anyway|yet|still|together)"
)
_VARIANT_END = (
    rf"(?=[.,;:!?)]|$| (?:model|{_MODEL_NOUN}|{_SUBJECT_VERB}|{AND_OR}|{_ADVERB}|by|on|in|for|"
    r"with|as|at|to|from)\b)"
)
_ACRONYM_VARIANT = rf"{_VARIANT}{_VARIANT_END}"
_COUNTED = rf" (?!(?:{_SUBJECT_VERB}|{_MODEL_NOUN})\b)[a-z]+[^\W\dsiu_]s\b"
_PARAMETERS = rf"{_SIZE}(?!{_COUNTED})"
_SIZED = rf"[- ]{_PARAMETERS}"  # after a version
_MODEL_SIZED = rf"{_MODEL_WORD} {_PARAMETERS}"  # after a name with no version
# A name and its size, with a version or none, where the word after is read as its verb (a
# sentence's first words, a clause's): no plural after it is tried.
# A first word that ends in -s is the sentence's verb, not a model's name ("Uses 2x4B chips."
# proposed "Uses 2x4B").
_NAME_SIZED = (
    rf"[A-Z][A-Za-z]+ \d+(?:\.\d+)*[- ]{_SIZE}|(?![A-Z][a-z]*[^\W\dsiu_]s ){_MODEL_WORD} {_SIZE}"
)
# A list of names: its items after the first, a name with its version or not ("macOS 13",
# "Windows Server 2022") or a version alone ("3.11" of "Python 3.10, 3.11 and 3.12").
_LISTED_NAME = (
    rf"(?:[A-Z][A-Za-z]+ )*(?:{_MODEL_SIZED}|{NAME_WORD}(?: \d+(?:\.\d+)*(?:{_SIZED})?)?(?![\w-]))"
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
_PLURAL_NOUN = rf"(?!(?:{'|'.join(sorted(NAMES_THAT_ARE_WORDS))}) )[A-Z][a-z]*[^\Ws]s "
_FIRST_LISTED = (
    rf"(?:{_MODEL_SIZED}|[A-Z][A-Za-z]+(?: \d+(?:\.\d+)*(?:{_SIZED})?)?(?![\w-]))"
    rf"(?={_ASIDE}(?:, {_LISTED})*(?:, |,? {AND_OR} )"
    rf"{_LISTED_NAME})|[A-Z][A-Za-z]+ \d+(?:\.\d+)+(?![\w-])"
    rf"|(?!{_PLURAL_NOUN})[A-Z][A-Za-z]+ \d+(?![\w.-])"
    rf"(?=(?:, \d+)*,? {AND_OR} \d+(?![\w.-]){_SUBJECT_OF})"
)
# The word after a name that reads as the name's verb ("Pelican 2.1 reads", "Mistral 7B
# outperforms"), not a unit or a word that only goes on ("as", "times"), nor a plural that a
# verb follows ("Redis 2M keys were served": "keys" is what 2M counts, and "Redis 2M" was one).
_VERB_AFTER = (
    rf"(?= (?!{SPACED_UNIT}|(?:as|its|this|less|plus|minus|times|versus)\b)"
    r"(?:[a-z]+(?:s|ed)|can|will)\b)"
    rf"(?!{_COUNTED}{_SUBJECT_OF})"
)
# After a name with a digit, its verb may follow too ("Phi-3 mini answers"); not after an
# acronym, where "API base uses" would be one.
_NAMED_VARIANT = rf"{_VARIANT}(?:{_VARIANT_END}|{_VERB_AFTER})"
# Where a clause opens mid-sentence, so a name there is its subject and the word after it its
# verb: after a comma ("In our tests, Mistral 7B outperforms"), "that" or "which", or an
# opening phrase of a preposition and one or two words ("By default Mistral 7B supports", "On
# a laptop Qwen2 1.5B answers"). Not after a verb ("It served Redis 2M keys", "We saw Node 18
# 2M downloads"), where a plural after the number says what it counts.
_OPENING_PHRASE = r"(?:In|On|By|For|With|At|From|After|Before|During|Under|Across)(?: [a-z]+){1,2}"
_CLAUSE_START = rf"(?:[,;] |\b(?:that|which) |(?:^|[.!?] ){_OPENING_PHRASE} )"
# A sentence's opening word that says how it goes on, not what: "Alternatively, Sure, Note,".
_OPENER = (
    r"(?:[A-Z][a-z]+ly|Sure|Great|Okay|Ok|Well|Note|First|Second|Third|Next|Instead|Otherwise|"
    r"Still|Again|Please|Indeed|Hi|Hello|Thanks|Oh|Hmm|Alas|Besides|Meanwhile|Therefore|Thus|"
    r"Hence|Overall|Importantly|Plus|Or|And|But|Yet|Nor)"
)
# A capitalised word of a name, with its capitalised hyphened parts ("Fine-Tuning", "Ctrl-C"; not
# the "-based" of "Red Hat-based").
_TITLED = r"[A-Z][a-z]+(?:-[A-Z0-9][A-Za-z0-9]*)*"
# Where a sentence opens: the text's, a line's or a table cell's start (after a bullet, a number
# or a heading's marks), after a sentence's end, a colon or a tag, bold before its word; or after
# a quote or a bracket ('("Can Lamini ...?")', 'Question:""Does Lamini ...').
_SENTENCE_START = (
    r"(?<=(?:(?:^|\n|\|)[ \t]*(?:(?:[-*+#>]+|\d+[.)])[ \t]+)?|[.!?:]\s+|>)[*_]*"
    r"|[\s.!?:][*_\"'(\[\u201c\u2018]+)"
)
# A sentence's first word that is its verb, not a name's first word, judged by what follows it
# (`_OPENING_VERB`, one of the four below). An order: "Download Phi-3-mini-4k-instruct first.",
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
    rf"|(?!(?: {_TITLED})+(?:{_VERB_AFTER}|{_AUXILIARY_AFTER})))"
    rf"|{_BE_OR_HAVE}(?=(?: {_TITLED})+ [a-z]+ed\b)"
)
# A gerund before a name written as one ("Pressing Ctrl-C saves", "Running Phi-3 ..."), or before
# a phrase a comma closes that goes on past the name ("Leveraging Lamini's ..., you"), or before
# a name a comma closes where a pronoun, the sentence's subject, follows ("Leveraging Lamini, you
# can": "Leveraging Lamini" was proposed); a name a comma closes is one still where a list or an
# apposition goes on ("Spring Boot, Django and Rails", "Spring Boot, the Java framework, is"),
# and so is a gerund's name with no comma after its phrase ("Hugging Face hosts it").
_CLAUSE_SUBJECT = r"(?:you|we|I|they|it|he|she|one)\b"
_GERUND_OPENING = (
    rf"[A-Z][a-z]+ing(?= [A-Z][a-z]*-[A-Z0-9]"
    rf"| {_TITLED}(?: {_TITLED})*(?:'s\b[^.!?\n]*| (?!{AND_OR}\b)[a-z][^.!?\n,;\"\u201d]*),"
    rf"| {_TITLED}(?: {_TITLED}| [A-Z]{{2,}})*, {_CLAUSE_SUBJECT})"
)
# An order whose name no verb follows: "Open Visual Studio Code." opens no name, "Open Source
# Initiative reviews ..." does. A gerund's plural noun after the name is none ("Open Control
# Panel settings.": "Open Control Panel" was proposed), as no verb ends in "ings" past a stem of
# four letters ("settings", "warnings"; "brings", "pings" are verbs). Not any plural that ends
# the sentence ("Check Event Viewer logs."): "Start Menu opens." ends with its verb.
_GERUND_NOUN_AFTER = r" [a-z]{4,}ings\b"
_ORDER_OPENING = (
    rf"{_ORDER}\b(?!(?: {_TITLED})+(?:(?!{_GERUND_NOUN_AFTER}){_VERB_AFTER}|{_AUXILIARY_AFTER}))"
)
# A verb in -s whose subject is left out, as a list of features writes it, before a name with its
# version or size that no verb of its own follows ("Runs Llama 3 8B models.", "Supports Python
# 3.12 and Java 21.": "Runs Llama" was proposed; a model's noun after a size is none), as before
# a size alone (`_NAME_SIZED`); not a name's word ("Jenkins Pipeline 2.0 runs builds.", "Windows
# Server 2022").
_VERSIONED = rf"(?: {_TITLED})+ \d+(?:\.\d+)*(?:[- ]{_SIZE})?"
_VERB_S_OPENING = (
    rf"(?!(?:{'|'.join(sorted(NAMES_THAT_ARE_WORDS))})\b)[A-Z][a-z]*[^\W\dsiu_]s"
    rf"(?=(?: {_TITLED})+ \d)"
    rf"(?!{_VERSIONED}(?:(?! {_MODEL_NOUN}\b){_VERB_AFTER}|{_AUXILIARY_AFTER}))"
)
# Only where a sentence opens: mid-sentence each is a name's word ("documentation on Getting
# Started, ...").
_OPENING_VERB = (
    rf"{_SENTENCE_START}"
    rf"(?:{_QUESTION_WORD}|{_QUESTION_VERB_OPENING}|{_GERUND_OPENING}|{_ORDER_OPENING}"
    rf"|{_VERB_S_OPENING})"
)
# A name's title, taken for a name or a sentence's end otherwise ("Dr. Jane Smith").
TITLE = r"(?:Dr|Mr|Mrs|Ms|Prof|St)\."
# A time of day or a ratio ("10:30 PM", "16:9").
_CLOCK = re.compile(r"(?<![\w.:-])\d+(?::\d+)+(?:\s?(?:[AaPp]M|[ap]m|[ap]\.m\.))?(?![\w:])")
# A range of shares or measures ("5%-10%", "5-10 GB"), in words too as the scorer reads it
# ("2 to 8 inches per second", "between 5 and 10 GB": "2" alone was proposed): one fact, not its
# two ends.
_RANGE = regex.compile(
    rf"(?<![\w.-])(?:(?i:between)\s+(?=\S+\s+and\s))?\d+(?:\.\d+)?%?"
    rf"(?:\s?[-–]\s?|\s+(?:to|through)\s+|(?<=(?i:between)\s+\S+)\s+and\s+)\d+(?:\.\d+)?"
    rf"(?:%|\s{SPACED_UNIT}(?:(?:\s?/\s?|\s+per\s+){PERIOD}\b)?)"
)
_AMOUNT = regex.compile(_NUMBER)
# A range of versions, one fact as the scorer reads it ("Python 3.8 through 3.12" is "Python
# 3.8-3.12", as "3.8 to 3.12"; "3.8" and "3.12" were proposed apart).
_THROUGH = r"(?: through \d+(?:\.\d+)*)"
_VERSIONS_TO = rf"(?:{_THROUGH}|[-\u2013]\d+\.\d+(?:\.\d+)*)"  # "Python 3.8-3.12" too
# A number joined by a hyphen to its unit or noun ("a 3-year warranty", "a 24-hour cycle", "a
# 2-pin plug", "1,024-token"), its own unit glued to it too ("a 7B-parameter model": nothing
# was proposed): one value ("year" and "limited" were the facts of "a 3-year limited
# warranty"). Not an ordinal's ("3rd-party", "4th-generation" count nothing).
JOINED = re.compile(
    r"(?<![\w.,-])\d+(?:[.,]\d+)*(?!(?:st|nd|rd|th)-)[A-Za-z]*(?:-[A-Za-z]+)+(?![\w-])"
)
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
    # A hyphenated name with a digit (gpt-4o), its variant too ("Phi-3 mini").
    re.compile(rf"\b(?=[\w-]*\d)[A-Za-z]\w*(?:-\w+)+(?:{_NAMED_VARIANT})?"),
    # A name with a digit (A100; not "\\n1"), its variant too ("T5 small").
    re.compile(rf"(?<![\w\\-])[A-Za-z]+\d\w*(?![\w-])(?:{_NAMED_VARIANT})?"),
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
        rf"(?!{_NUMBERING}\b)(?:{NAME_WORD} \d+(?:\.\d+)*(?:{_SIZED}|{_VERSIONS_TO})?|{_MODEL_SIZED})"
        r"(?![\w-]|\.\w)"  # a sentence's full stop after it ("under Apache 2.0.") is none of it
    ),
    # ...a sentence's first words too, where a dotted version and a verb follow it ("Pelican 2.1
    # reads its settings from…" proposed "2.1" alone, which says not what is at 2.1); an order
    # and its value are none ("Use 0.05 as the ratio", "Allow 2.5 GB", "Add 1.5 times more").
    # A model's size too, the word after it read as the name's verb ("Mistral 7B outperforms").
    regex.compile(
        rf"(?:^|(?<=[.!?] ))(?!{_NOT_A_NAME}\b|{_DATED}|{_VERB_S_OPENING})"
        rf"(?:(?!{_NUMBERING}s?\b)[A-Z][A-Za-z]+ )*"
        rf"(?!{_NUMBERING}s?\b)(?:{_NAME_SIZED}|[A-Z][A-Za-z]+ \d+(?:\.\d+)+)"
        rf"(?:{_THROUGH}(?={_SUBJECT_OF})|{_VERB_AFTER})"
    ),
    # ...and a model's size mid-sentence where a clause opens, its verb after it ("In our tests,
    # Mistral 7B outperforms Llama 2 13B" proposed "7B" and "Mistral" apart).
    regex.compile(
        rf"(?<={_CLAUSE_START})(?!{_NOT_A_NAME}\b|{_DATED})(?:[A-Z][A-Za-z]+ )*"
        rf"(?:{_NAME_SIZED}){_VERB_AFTER}"
    ),
    re.compile(r"(?<![\w.-])\d+(?:[-/]\d+)+(?![\w-])"),  # a date (2023-05-01, 5/1/2023)
    re.compile(rf"(?<![\w.-])\d+\.\d+(?:\.\d+)*{_THROUGH}(?![\w-]|\.\w)"),  # "3.8 through 3.12"
    _CLOCK,  # 10:30 PM, 16:9
    _RANGE,
    JOINED,
    re.compile(  # a date in words (March 5, 2024; 5 March 2024; March 2024)
        rf"\b(?:(?:{_MONTH}) \d{{1,2}}(?:st|nd|rd|th)?(?:, \d{{4}})?|"
        rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?:{_MONTH})(?: \d{{4}})?|"
        rf"(?:{_MONTH}) \d{{4}})(?![\w-])"
    ),
    _AMOUNT,  # a number, not a name's part
    # CamelCase, and a name whose capitals open it ("SQLite", "VMware", "MLCommons": missed).
    re.compile(r"\b(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[A-Z]{2,}[a-z]{2,}(?:[A-Z][a-z0-9]*)*)\b"),
    # An acronym (GPU, VPCs, BERT base), with its capitalised hyphened parts ("GPT-J", "JSON-RPC");
    # not one a hyphen and a digit follow, a name's part ("GPT" of "GPT-4" was proposed).
    re.compile(rf"\b[A-Z]{{2,}}[a-z]?(?:-[A-Z][A-Za-z]*)*\b(?!-[A-Z0-9])(?:{_ACRONYM_VARIANT})?"),
    # A name of several capitalised words, a sentence's first too ("Harborline Gateway requires
    # ...": its "Gateway" alone was a fact), each with its hyphened parts ("Partially Extractive
    # Fine-Tuning": "Partially Extractive Fine" was one), but not one that opens with a function
    # word or a sentence's verb; an acronym opening it is its part ("LLM Engine Lamini": "Engine
    # Lamini" was a fact).
    regex.compile(
        rf"(?<![\w.])(?!{_NOT_A_NAME}\b|{_DATED}|{_OPENING_VERB})(?:[A-Z]{{2,}} )?{_TITLED}"
        rf"(?: {_TITLED})+(?!\w|-[A-Z0-9])"
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
        rf"(?:^|(?<=[.!?] ))(?!{_NOT_A_NAME}\b|{_NUMBERING}s?\b|{_DATED}|{_OPENER}\b)(?:{_FIRST_LISTED})"
        rf"(?={_ASIDE}(?:, {_LISTED})*,? {AND_OR} {_LISTED}(?![\w-]))"
    ),
]


# A name by its capitals alone (the last three patterns): a list's item opens with its verb
# ("Choose Settings > Pairing"), no name.
CAPITALISED = TERMS[-3:]
# A URL, an e-mail address, a path, code, an option or a file name: specific by their form.
ADDRESS_OR_CODE = TERMS[:6]
ADDRESSES = TERMS[:2]  # a URL or an e-mail address
# What "how long", "how many" or "how often" asks: a number with its unit, a range, a time.
AMOUNTS = [_AMOUNT, _RANGE, _CLOCK, JOINED]


def specific_terms(text: str, patterns: list = TERMS) -> list[str]:
    """The specific terms of `text`, most specific kinds first, each once (in Chinese or
    Japanese text too: "設定はconfig.yamlです" holds "config.yaml")."""
    text, found = spaced(text), []
    for pattern in patterns:
        found += [m.group(1) if pattern.groups else m.group(0) for m in pattern.finditer(text)]
    return list(dict.fromkeys(unspaced(term).strip() for term in found))
