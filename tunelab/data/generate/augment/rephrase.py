"""Rewrites of a question by rule, no model: the same request in other words ("What is the default
X?" -> "What does X default to?", "If I leave X unset, what value does it take?"). What `data augment
--mode rules` writes, for data a template made from documents, one pair a fact: a small model
learns a fact it has seen asked several ways, and an embedded model's rewrites too often change
what is asked."""

from __future__ import annotations

import re

# A setting's name as code writes it (`retry_count`, max_retries, log.level, --retries,
# maxRetries, log-level), which a reader leaves unset; not a word ("password", "user name").
SETTING_NAME = r"(`[^`]+`|(?-i:-*[a-z]\w*(?:[_.-]\w+)+|[a-z]+[A-Z]\w*|--?[a-z]\w*))"

# (pattern of the whole question, its rewrites); {1}, {2}... are the pattern's groups.
RULES: list[tuple[str, list[str]]] = [
    (rf"What is the default (?:for|of) {SETTING_NAME}", [
        "What does {1} default to?",
        "If I leave {1} unset, what value does it take?",
        "What value does {1} have out of the box?",
    ]),
    (r"What is the default (?:for|of) (.+)", [  # "the print speed": no setting left unset
        "What does {1} default to?",
        "What is {1} by default?",
        "What value does {1} have out of the box?",
    ]),
    (rf"What is the default {SETTING_NAME}", [
        "What does {1} default to?",
        "If I leave {1} unset, what value does it take?",
        "What value does {1} have out of the box?",
    ]),
    # A thing's value named in words ("user name", "IP address"), which no one leaves unset:
    # "If I leave user name unset, what value does it take?" was asked.
    (r"What is the default (.+)", [
        "What does the {1} default to?",
        "What is the {1} by default?",
        "What value does the {1} have out of the box?",
    ]),
    (r"What does (.+) default to", [
        "What is the default for {1}?",
        "If I don't set {1}, what value does it take?",
        "What value does {1} have out of the box?",
    ]),
    # A maximum is allowed, not needed: "What is the maximum inlet pressure needed?" was asked.
    (r"What is the maximum (.+)", [
        "How much {1} is the maximum?",
        "What is the highest {1} allowed?",
        "What maximum {1} should I plan for?",
    ]),
    (r"What is the (minimum|recommended) (.+)", [
        "How much {2} is the {1}?",
        "What is the {1} {2} needed?",
        "What {1} {2} should I plan for?",
    ]),
    (r"How do I (.+)", [
        "What are the steps to {1}?",
        "How can I {1}?",
        "What is the way to {1}?",
        "Can you walk me through how to {1}?",
    ]),
    (r"How can I (.+)", [
        "How do I {1}?",
        "What are the steps to {1}?",
        "What is the way to {1}?",
    ]),
    (r"What should I do when (.+)", [
        "How do I fix it when {1}?",
        "What is the fix when {1}?",
        "What can I do if {1}?",
    ]),
    (r"What should I do about (.+)", [
        "How do I fix {1}?",
        "What is the fix for {1}?",
        "How do I deal with {1}?",
    ]),
    (r"What changed in (.+)", [
        "What is new in {1}?",
        "What are the changes in {1}?",
        "What did {1} change?",
    ]),
    (r"How long (does|do|is|are|did|was|were) (.+)", [
        "How much time {1} {2}?",
        "About how long {1} {2}?",
        "Roughly how long {1} {2}?",
    ]),
    (r"How often (does|do|is|are) (.+)", [
        "How frequently {1} {2}?",
        "At what interval {1} {2}?",
        "How regularly {1} {2}?",
    ]),
    (r"Where (is|are|does|do) (.+)", [
        "In which place {1} {2}?",
        "Where exactly {1} {2}?",
    ]),
    # A code a display shows (template mode's error-code tables): asked as a customer asks.
    (r"What does ((?:error |status |fault )?code|error) (\S+) mean", [
        "What should I do about {1} {2}?",
        "I see {1} {2}. What does it mean?",
        "What is {1} {2}?",
    ]),
    (r"What does (.+) do", [
        "What is {1} for?",
        "What is the purpose of {1}?",
        "What happens when I use {1}?",
    ]),
    (r"What is (.+)", [  # not "What does X mean?": "What is the retention period?" asks a value
        "Can you tell me what {1} is?",
        "I'd like to know what {1} is.",
        "Do you know what {1} is?",
    ]),
    (r"What are (.+)", [
        "Can you tell me what {1} are?",
        "I'd like to know what {1} are.",
        "Do you know what {1} are?",
    ]),
    (r"(Does|Do|Is|Are|Can|Will) (.+)", [
        "Tell me, {l1} {2}?",
        "I'd like to know: {l1} {2}?",
        "Quick question: {l1} {2}?",
    ]),
    (r"(How|What|Which|Who|When|Why|Where) (.+)", [
        "Could you tell me: {l1} {2}?",
        "I'd like to know: {l1} {2}?",
        "Quick question: {l1} {2}?",
    ]),
]  # fmt: skip
_COMPILED = [
    (re.compile(rf"^{pattern}\?$", re.IGNORECASE), rewrites) for pattern, rewrites in RULES
]


def rule_rewrites(question: str, n: int) -> list[str]:
    """Up to `n` rewrites of `question` by the first rule its form fits (none for a question of
    no form a rule knows: a statement, a chat turn)."""
    asked = " ".join(question.split())
    for pattern, rewrites in _COMPILED:
        if m := pattern.match(asked):
            # {1}: a group as written; {l1}: with its first letter in lower case, mid-sentence.
            lowered = {f"l{i}": g[:1].lower() + g[1:] for i, g in enumerate(m.groups(), 1)}
            out = [r.format("", *m.groups(), **lowered) for r in rewrites]
            return [r for r in out if r != asked][:n]
    return []
