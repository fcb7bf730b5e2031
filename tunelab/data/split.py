"""Seeded, deterministic train/test split that never puts one question on both sides (what one
question is: question_keys.py)."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from tunelab.data.example import Example
from tunelab.data.files.split_folders import own_test_split
from tunelab.data.question_keys import drop_duplicates, example_key, near_keys, normalize_text
from tunelab.errors import TunelabError
from tunelab.terminal import n_things


def held_out_path(path: str | Path | None, test_path: str | Path | None) -> str | None:
    """The test rows training holds out of `path`: `test_path`, its own test split where it
    names a whole saved DatasetDict (as eval's --data asks it: the folder read its 'train'),
    else `path`'s own test split (`own_test_split`), else None: data.test_size of `path`."""
    return own_test_split(test_path) or (str(test_path) if test_path else own_test_split(path))


class NearQuestions(Protocol):
    """Which training questions (indexes) nearly repeat a test question (a typo), or with
    `answers` (train's, then test's) give a test row's answer reworded: `data.quality.dedup.
    near_questions`, which the stages that split hand in (the data layer reads exact keys)."""

    def __call__(
        self, train: list[str], test: list[str], answers: list[str] | None = None
    ) -> set[int]: ...


def drop_leaked(
    train: list[Example], test: list[Example], near: NearQuestions | None = None, facts: bool = True
) -> tuple[list[Example], int]:
    """Drop training examples that ask a test question, or nearly, or its fact reworded (`near`,
    `facts`: `asking_again`): a separate test file must stay unseen."""
    again = asking_again(train, test, near, facts)
    kept = [e for i, e in enumerate(train) if i not in again]
    return kept, len(train) - len(kept)


def asking_again(
    train: list[Example], test: list[Example], near: NearQuestions | None = None, facts: bool = True
) -> set[int]:
    """The training examples (indexes) that ask a test question: the same key, or with `near`
    nearly the same, as `data check`'s leak search finds it ("...pasword?" of "...password?"),
    and with `facts` its fact reworded (not where test rows ask it anew by design)."""
    train_keys, test_keys = [example_key(e) for e in train], [example_key(e) for e in test]
    asked = set(test_keys)
    same = {i for i, key in enumerate(train_keys) if key in asked}
    if not test_keys or near is None:
        return same
    keys = near_keys(train + test)
    answers = [e.answer for e in train + test] if facts else None
    return same | near(keys[: len(train)], keys[len(train) :], answers)


# Both readers of a test size named as each is typed: `tunelab data split`'s flag, a run's key.
TEST_SIZE = "--test-size (data.test_size in a run's config)"


def training_set_rows(rows: int, packed: bool, at_most: bool = False) -> str:
    """The training set's rows as `tunelab plan` and training both say them, where a batch can
    hold no more: the rows it has, or its examples packed into; `at_most`, where the plan's
    count is only a bound (`split_data` without near repeats)."""
    bound = "at most " if at_most else ""
    return f"the training set {'packs into' if packed else 'has'} {bound}{n_things(rows, 'row')}"


def held_out_count(questions: int, test_size: float) -> int:
    """How many of `questions` distinct questions `test_size` (a fraction, or a count if >= 1)
    holds out before any near repeat joins them."""
    if test_size >= 1 and int(test_size) >= questions > 1:
        # A count the data cannot meet is a mistake (a percentage meant?): clamped, it trained
        # on one question and held out the rest without a word.
        raise TunelabError(
            f"a test size of {int(test_size)} holds out {int(test_size)} questions, but the data has "
            f"{questions} distinct ones: give a smaller count, or a fraction (0.1: a tenth), to "
            f"{TEST_SIZE}"
        )
    n_test = int(test_size) if test_size >= 1 else round(questions * test_size)
    if test_size > 0 and questions > 1:
        n_test = max(n_test, 1)
    # Training keeps a question: a lone one (every row asking it) is never all held out.
    return min(n_test, max(questions - 1, 0))


def tails_held_out(examples: list[Example], test_size: float) -> bool:
    """Whether `split_examples` holds out the end of each raw text rather than whole texts: where
    the fraction `test_size` of them is less than one (two documents at 0.1 held one out, half
    the text; one document held nothing out, and the run had no eval loss)."""
    return (
        0 < test_size < 1
        and bool(examples)
        and all(e.text is not None for e in examples)
        and len(examples) * test_size < 1
    )


def held_out_tails(
    examples: list[Example], test_size: float
) -> tuple[list[Example], list[Example]]:
    """(train, test): each text's last `test_size` of characters held out, cut at a line break,
    else before a space, near that point; a text too short to cut stays whole in training."""
    train, test = [], []
    for example in examples:
        text = example.text or ""
        cut = _tail_cut(text, test_size)
        if not 0 < cut < len(text):
            train.append(example)
            continue
        train.append(replace(example, text=text[:cut], text_ends=False))
        test.append(replace(example, text=text[cut:]))
    return train, test


def _tail_cut(text: str, test_size: float) -> int:
    """Where `text`'s last `test_size` begins: after the last line break in the half-tail before
    that point, else at the last space there, else at the point itself."""
    at = len(text) - round(len(text) * test_size)
    back = max(1, at - (len(text) - at) // 2)
    if (line := text.rfind("\n", back, at + 1)) > 0:
        return line + 1
    return space if (space := text.rfind(" ", back, at + 1)) > 0 else at


def near_repeats_note(examples: list[Example], test: list[Example], test_size: float) -> str:
    """How many questions of `test` `split_examples` held out beyond those `test_size` drew, as
    near repeats of one (a typo's twin) or its fact reworded, in words; "" for none. Numbered variants of a question
    can carry most of a data set to the test side, which a user should be told. Raw texts held
    out by their ends (`tails_held_out`) are said so."""
    if tails_held_out(examples, test_size):
        n = len(examples)
        return (
            f"raw text: the last {test_size:.0%} of each of the {n} text(s) held out for the "
            f"eval loss, not whole texts ({n} too few for a test size of {test_size:g}: one "
            f"would be {1 / n:.0%} of them; from {math.ceil(1 / test_size - 1e-9)} texts on, "
            "whole ones are)"
        )
    drawn = held_out_count(len({example_key(e) for e in examples}), test_size)
    joined = len({example_key(e) for e in test}) - drawn
    if joined <= 0:
        return ""
    return (
        f"{joined} more question(s) held out beside the {drawn} drawn, as they nearly repeat one "
        "of them or ask its fact reworded"
    )


def fact_key(rows: list[Example]) -> str:
    """The fact a question's rows teach, as `rephrasings_held_out` groups questions: the row
    `tunelab data augment` rewrote (the first row's), whose restated answers say its fact in
    other words; else their answer's text, as augment keeps it without restating; a raw text is
    its own."""
    first = rows[0]
    if first.rewrite_of:
        return f"rewrite of {first.rewrite_of}"
    return normalize_text(first.answer) if first.answer else example_key(first)


def rephrasings_held_out(
    keys: list[str],
    groups: dict[str, list[Example]],
    wanted: int,
    test_size: float,
    barred: frozenset[str] = frozenset(),
) -> list[str]:
    """The first `wanted` of `keys` (shuffled) whose fact another question left in training
    still teaches: held out with its only question, a fact can only be guessed (a generated
    set's test rows were 7 of 11 so). One question of each fact is held out before a second of
    any: drawn as shuffled, lamini_docs' canned replies, each given to dozens of questions,
    were 18 of 31 test rows (10 of them "Let's keep the discussion relevant to Lamini."), and
    the questions of one answer are one fact's evidence, not independent ones. Too few facts
    asked twice to fill `wanted` is refused with how many could be held out, not met with fewer
    without a word. A `barred` fact is held out by no question."""
    facts = {key: fact_key(groups[key]) for key in keys}
    asked = Counter(facts.values())  # questions per fact
    left = asked.copy()  # of those, the ones still in training
    held: dict[str, None] = {}  # in the order drawn
    taken = Counter[str]()  # questions of each fact held out so far
    for round_ in range(max(asked.values(), default=0)):
        for key in keys:
            fact = facts[key]
            if len(held) == wanted:
                break
            if taken[fact] == round_ and left[fact] > 1 and fact not in barred and key not in held:
                left[fact] -= 1
                taken[fact] += 1
                held[key] = None
    if len(held) < wanted:
        raise TunelabError(
            f"--held-out rephrasings: a test size of {test_size:g} holds out "
            f"{n_things(wanted, 'question')}, but only {len(held)} can be, each leaving a "
            f"question of its answer to train on ({sum(n > 1 for n in asked.values())} of "
            f"{len(asked)} facts, an answer or the rows augment wrote from one, are asked by more "
            "than one question): "
            + (f"give {len(held)} or less to {TEST_SIZE}, or " if held else "")
            + "add phrasings of each question (`tunelab data augment`). A fact is one answer, "
            "case and punctuation aside: questions you phrased two ways with answers worded "
            "two ways are two facts here; give them one answer to hold one out"
        )
    return list(held)


def split_examples(
    examples: list[Example],
    test_size: float = 0.1,
    seed: int = 42,
    dedupe: bool = True,
    near: NearQuestions | None = None,
    held_out: str = "questions",
) -> tuple[list[Example], list[Example]]:
    """Hold out `test_size` (a fraction, or a count if >= 1) of the distinct questions: any
    (`held_out` "questions"), or only those whose answer a training question still gives
    ("rephrasings", `rephrasings_held_out`)."""
    if dedupe:
        examples, _ = drop_duplicates(examples)
    if tails_held_out(examples, test_size):
        return held_out_tails(examples, test_size)
    groups: dict[str, list[Example]] = {}
    for example in examples:
        groups.setdefault(example_key(example), []).append(example)
    keys = sorted(groups)  # sorted first: the split must not depend on file order quirks
    random.Random(seed).shuffle(keys)
    wanted = held_out_count(len(keys), test_size)
    if held_out != "rephrasings":  # a question's fact reworded joins it (`asking_again`)
        return _held_out(examples, set(keys[:wanted]), near)
    fact_of = _one_fact(examples)
    asked = {fact for e in examples for fact in asked_facts(e)}
    barred: frozenset[str] = frozenset()
    while True:
        test_keys = set(rephrasings_held_out(keys, groups, wanted, test_size, barred))
        train, test = _facts_held_out(examples, test_keys, near)
        # A typo's twin joining its test question can take its fact's last training question:
        # the fact is then held out by none, and others picked in its place.
        taught = {fact_of(fact) for e in train for fact in asked_facts(e)}
        untaught = {fact_of(fact) for e in test for fact in asked_facts(e)} - taught
        if not untaught:
            return train, test
        rows = [e for e in test if untaught & {fact_of(fact) for fact in asked_facts(e)}]
        # Barred too: the fact a row's question is drawn under, where its rows give two answers.
        more = {fact for fact in asked if fact_of(fact) in untaught}
        more |= {fact_key(groups[example_key(e)]) for e in rows}
        if more <= barred:
            raise _untaught_error(rows, test_size)
        barred |= more


def asked_facts(example: Example) -> set[str]:
    """The facts (`fact_key`) a row asks: a question `tunelab data augment --combine` joined
    asks both of its rows' facts, a reversed one its row's; any other row its own."""
    kind, _, keys = example.rewrite_of.partition(":")
    if kind in ("combine", "reverse") and keys:
        return {f"rewrite of {key}" for key in keys.split("+")}
    return {fact_key([example])}


def _one_fact(examples: list[Example]) -> Callable[[str], str]:
    """A fact (`asked_facts`) as a training row states it: facts whose rows give one answer are
    one (augment keys each row of yours apart, two phrasings of one answer too, and "Tell me:
    how long are backups kept?" quoting "How long are backups kept?" took both to test)."""
    parent: dict[str, str] = {}

    def root(fact: str) -> str:
        while parent.setdefault(fact, fact) != fact:
            fact = parent[fact]
        return fact

    for example in examples:
        if ":" not in example.rewrite_of and example.answer:
            parent[root(fact_key([example]))] = root("answer " + normalize_text(example.answer))
    return root


def _joins_facts(example: Example) -> bool:
    return len(asked_facts(example)) > 1


def _facts_held_out(
    examples: list[Example], test_keys: set[str], near: NearQuestions | None
) -> tuple[list[Example], list[Example]]:
    """`_held_out` of the rows asking one fact; then each row joining two ("A, and B?", which
    quotes both) held out where it quotes a test question, else trained on. It carries no
    closure from one fact to the next: through it, one held-out question pulled in the next
    fact's questions, then their rewrites, fact after fact (a set combined by augment had 41
    test rows of 15 drawn, 14 of them asking a fact no training row stated)."""
    joined = [e for e in examples if _joins_facts(e)]
    if not joined:
        return _held_out(examples, test_keys, near, facts=False)
    single = [e for e in examples if not _joins_facts(e)]
    train, test = _held_out(single, test_keys, near, facts=False)
    quoting = asking_again(joined, test, near, facts=False)
    test += [e for i, e in enumerate(joined) if i in quoting]
    held = {id(e) for e in test}
    return [e for e in examples if id(e) not in held], test


def _untaught_error(rows: list[Example], test_size: float) -> TunelabError:
    """No draw keeps every test row's fact taught: a question of one fact nearly repeats one of
    another's (a typo, or one quoting another), so holding out either takes both."""
    where = ", ".join(e.source for e in rows[:3])
    where += f" and {len(rows) - 3} more" if len(rows) > 3 else ""
    return TunelabError(
        f"--held-out rephrasings: at a test size of {test_size:g}, "
        f"{n_things(len(rows), 'test row')} ({where}) would ask a fact no training row states, "
        "whichever questions are drawn: they nearly repeat a held-out question of another fact "
        "(a typo, or one quoting another), so they go with it. Reword them apart, give a "
        "smaller test size, or split with --held-out questions"
    )


def _held_out(
    examples: list[Example], test_keys: set[str], near: NearQuestions | None, facts: bool = True
) -> tuple[list[Example], list[Example]]:
    """(train, test): the rows asking `test_keys` held out, with the training questions that
    nearly repeat one (a typo): on both sides it was a leak, which `data check` then reported.
    Those joining can nearly repeat others in turn ("Roughly how long..." of "About how
    long..."): they join too, else training's own leak check (`drop_leaked` of the split's
    test.jsonl) dropped those from training, and the facts they taught with them. With `facts`,
    rows saying a held-out fact reworded join too (lamini_docs: 7 of 149 test rows leaked so)."""
    train = [e for e in examples if example_key(e) not in test_keys]
    test = [e for e in examples if example_key(e) in test_keys]
    while (again := asking_again(train, test, near, facts)) and len(again) < len(train):
        # (training keeps a question, as above)
        test += [e for i, e in enumerate(train) if i in again]
        train = [e for i, e in enumerate(train) if i not in again]
    return train, test
