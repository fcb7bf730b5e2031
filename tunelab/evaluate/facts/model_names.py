"""A model's name as the specific terms read it (tunelab.evaluate.facts.specific_terms): its size
("Mistral 7B", "Mixtral 8x7B") and its variant ("Phi-3 mini"), one term with the name; and the
word after a name that reads as the name's verb ("Mistral 7B outperforms"), not a plural its
size counts ("Redis 2M keys")."""

from __future__ import annotations

from tunelab.data.text import AND_OR, PREPOSITIONS
from tunelab.evaluate.facts.amounts import SPACED_UNIT

# A word of a product's name: capitalised, or with a capital inside ("Windows", "macOS", "iOS").
NAME_WORD = r"(?:[A-Z][A-Za-z]+|[a-z]+[A-Z][A-Za-z]*)"
# The verbs a list that is a sentence's subject goes on with ("Java 17 and 21 are supported").
_SUBJECT_VERB = r"(?:are|is|were|was|can|will|work|works|run|runs|both|all|have|has)"
SUBJECT_OF = rf" {_SUBJECT_VERB}\b"
# A model's size is its count of parameters, a number glued to B or M ("7B", "1.5B", "135M").
# After a name it is the name's: after its version by a hyphen or a space ("Llama 3-8B", "Llama
# 3 8B": "Llama 3" and "8B" were proposed apart, which the scorer read apart too), or after a
# space with no version ("Mistral 7B", "Qwen2 1.5B", "Phi-3 3.8B": "7B" and "Mistral" were
# proposed apart, so "It uses Falcon 7B." stated one). Not where a plural after it says what it
# counts ("Python 3 8M times" was one term, "Redis 2M keys"); a name's verb ("Gemma 2B runs")
# and the words for a model ("7B parameters", "8B weights") are no such plural.
_MODEL_WORD = rf"{NAME_WORD}(?:\d+(?:\.\d+)*)?(?:-[A-Za-z0-9]+)*"
MODEL_NOUN = r"(?:parameters|params|weights|models|checkpoints|variants|versions)"
# A mixture of experts counts its experts too: "Mixtral 8x7B" is not "Mixtral 8x22B" ("Mixtral"
# alone was proposed).
PARAMETER_COUNT = r"(?:\d+x)?\d+(?:\.\d+)?[BM]"
SIZE = rf"{PARAMETER_COUNT}(?![\w-])"
# A model's variant, a size word or a tier after its name ("Phi-3 mini", "GPT-2 XL", "BERT base",
# "Claude-3 Opus"): one fact with it, as "Phi-3 medium" is not "Phi-3 mini" ("Phi-3" alone was
# proposed; after a spaced version too, "Claude 3 Opus", "Claude 3.5 Sonnet": "Claude 3" and
# "Opus" were two facts, so "Claude 3 Haiku" stated half, and "Claude 3.5 Sonnet" gave "3.5"
# and "Sonnet" where it opened a sentence); only where the sentence or clause ends, or a model's
# noun, a verb, a joining word or an adverb follows ("Install Phi-3 mini first.": "Phi-3" was
# proposed): not the size word of a noun after it ("API base URL", "GPT-4 large language
# model", "A100 base clock"). A tier is
# capitalised, as its maker writes it: in lower case it is a poem's or a work's ("an LLM haiku",
# "the GPT-4 sonnet" were one fact; `stated` reads "claude-3-opus" ignoring case).
VARIANT_WORD = r"(?:[Mm]ini|[Ss]mall|[Mm]edium|[Ll]arge|[Bb]ase|[Tt]iny|XL|XXL|Opus|Sonnet|Haiku)"
# A maker's tier or tuning after a name with a digit is the name's too ("Gemini 1.5 Pro", "GPT-4
# Turbo", "Llama 3 Instruct", "Llama 2 Chat", "M3 Max", "iPhone 15 Plus": "1.5" and "Pro",
# "Llama 3" and "Instruct" were two facts, so "Gemini 1.5 Flash" stated half), capitalised as
# its maker writes it; after an acronym alone it is a plan's or a word's ("the API Pro plan",
# "CPU Max"), so ACRONYM_VARIANT reads size words only. Not `stated`'s VARIANT_WORD: a tier or a
# tuning hyphened on names another model there ("gpt-3.5-turbo-instruct").
# An API model's tier and a model's chat or instruction tuning: `stated` reads them hyphened on a
# name too, in any case.
API_TIER = r"(?:Pro|Flash|Turbo|Ultra|Nano|Lite)"
TUNING = r"(?:Instruct|Chat)"
_TIER_WORD = rf"(?:{API_TIER}|Max|Plus|{TUNING})"
VARIANT_OR_TIER = rf"(?:{VARIANT_WORD}|{_TIER_WORD})"
VARIANT = rf" {VARIANT_OR_TIER}(?![\w-])"
# A preposition after a variant or a count ends its phrase ("Phi-3 mini without a GPU", "3 epochs
# under load"), save "of" and "per": after a variant they are its noun's ("the A100 base of the
# card"); where a count's phrase ends on them, PHRASE_END names them.
_PREPOSITION = rf"(?:{'|'.join(sorted(PREPOSITIONS - {'of', 'per'}))})"
# An adverb of time, order or manner, which no size word describes ("first", "locally"). A word in
# -ly ends the name's phrase only where the clause ends after it or a preposition or a joining
# word follows ("Run Phi-3 mini locally.", "quickly on a laptop", "the BERT base family of
# models"); before another word it is an adjective of a noun the size word describes too ("the
# API base daily limit", "the A100 base supply voltage": "API base" and "A100 base" were proposed).
_ADVERB = (
    rf"(?:[a-z]{{2,}}ly(?=[.,;:!?)]|$| (?:{AND_OR}|{_PREPOSITION}|of)\b)|first|now|then|next|"
    r"instead|too|also|again|here|there|today|later|already|once|anyway|yet|still|together)"
)
_VARIANT_END = (
    rf"(?=[.,;:!?)]|$| (?:model|{MODEL_NOUN}|{_SUBJECT_VERB}|{AND_OR}|{_ADVERB}|{_PREPOSITION})"
    r"\b)"
)
ACRONYM_VARIANT = rf" {VARIANT_WORD}(?![\w-]){_VARIANT_END}"
# Where a noun's phrase ends: the clause's end, or a joining word, an adverb or a preposition
# after it ("3 packages.", "4 epochs first", "2 lines to it", "5 requests per second").
PHRASE_END = rf"(?=[.,;:!?)]|$| (?:{AND_OR}|{_ADVERB}|{_PREPOSITION}|of|per)\b)"
# The end of a word in -s that is a verb's or a plural's ("Uses", "runs", "keys"), not a stem's own
# "s" ("Class", "Redis", "Prometheus", "status").
VERB_OR_PLURAL_S = r"[^\W\dsiu_]s"
_COUNTED = rf" (?!(?:{_SUBJECT_VERB}|{MODEL_NOUN})\b)[a-z]+{VERB_OR_PLURAL_S}\b"
_PARAMETERS = rf"{SIZE}(?!{_COUNTED})"
SIZED = rf"[- ]{_PARAMETERS}"  # after a version
MODEL_SIZED = rf"{_MODEL_WORD} {_PARAMETERS}"  # after a name with no version
# A name and its size, with a version or none, where the word after is read as its verb (a
# sentence's first words, a clause's): no plural after it is tried.
# A first word that ends in -s is the sentence's verb, not a model's name ("Uses 2x4B chips."
# proposed "Uses 2x4B").
NAME_SIZED = rf"[A-Z][A-Za-z]+ \d+(?:\.\d+)*[- ]{SIZE}|(?![A-Z][a-z]*{VERB_OR_PLURAL_S} ){_MODEL_WORD} {SIZE}"
# The word after a name that reads as the name's verb ("Pelican 2.1 reads", "Mistral 7B
# outperforms"), not a unit or a word that only goes on ("as", "times"), nor a plural that a
# verb follows ("Redis 2M keys were served": "keys" is what 2M counts, and "Redis 2M" was one).
# An adverb between them says how or how often, no plural ("Phi-3 mini really shines", "Claude 3
# Opus often wins": "Phi-3" and "3" were proposed, the verb not seen past it).
_ADVERB_BEFORE_VERB = r"(?: (?:[a-z]{2,}ly|often|never|always|also|still|even|just|now))?"
VERB_AFTER = (
    rf"(?={_ADVERB_BEFORE_VERB} (?!{SPACED_UNIT}|(?:as|its|this|less|plus|minus|times|versus)\b)"
    r"(?:[a-z]+(?:s|ed)|can|will)\b)"
    rf"(?!{_COUNTED}{SUBJECT_OF})"
)
# After a name with a digit, its verb may follow too ("Phi-3 mini answers"); not after an
# acronym, where "API base uses" would be one.
NAMED_VARIANT = rf"{VARIANT}(?:{_VARIANT_END}|{VERB_AFTER})"
