"""Typos, told from words by how many rows hold each. A typo is a word found in one row only that
one letter changed, added, dropped or swapped turns into a word found in two rows or more
("pasword" beside a common "password"); two words both found in several rows are two words
("models", "modes"), and short words and digits never slip ("form", "from"; "GPT-4", "GPT-3").
Given the model's tokenizer (`whole`), a word it holds as one token is a word, never a typo
("modes", "latent", "effect" even in one row), and a typo may have slipped from such a word in one
other row ("pasword" beside the one "password" of its twin). `dedup` reads each typo as its word."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

TYPO_MIN_LETTERS = 5
# A typo is in at most TYPO_ROWS rows, the word it slipped from in at least WORD_ROWS (or in one,
# where the tokenizer holds it whole).
TYPO_ROWS = 1
WORD_ROWS = 2
# Whether a lower-cased word is a word of the language (one token of the model's tokenizer).
Whole = Callable[[str], bool]


def forgive_typos(a: list[str], b: list[str], slips: dict[str, set[str]]) -> list[str]:
    """`b` with each typo (a key of `slips`) that `a` lacks replaced by the word of `a` it slipped
    from, as "pasword" by "password"; a word `b` lacks in turn is taken first."""
    in_a, in_b = set(a), set(b)
    fix = {}
    for w in in_b - in_a:
        if w in slips and (match := slips[w] & in_a):
            fix[w] = min(match - in_b or match)
    return [fix.get(w, w) for w in b] if fix else b


def word_rows(texts: Iterable[list[str]]) -> Counter[str]:
    """How many different texts of `texts` (as word lists) hold each word: a row repeated
    whole neither makes its typo a word nor a rare word common."""
    rows: Counter[str] = Counter()
    for text in {tuple(t) for t in texts}:
        rows.update(set(text))
    return rows


def slip_table(rows: Counter[str], whole: Whole | None = None) -> dict[str, set[str]]:
    """Each typo among the words counted in `rows` (`word_rows`) with the words it slipped from:
    a word of at most `TYPO_ROWS` rows one slip (`one_slip`) from words of `WORD_ROWS` rows and
    more; with `whole`, a word it says is whole is no typo, and one it says is whole may be
    slipped from in one row.
    Only words of four letters and more slip, one of the two of five."""
    by_variant: dict[str, set[str]] = {}
    for w in (w for w in rows if _slips_possible(w)):
        for v in _variants(w):
            by_variant.setdefault(v, set()).add(w)
    table: dict[str, set[str]] = {}
    for group in by_variant.values():
        typos = (
            [w for w in group if rows[w] <= TYPO_ROWS and not (whole and whole(w))]
            if len(group) > 1
            else ()
        )
        for w in typos:
            table.setdefault(w, set()).update(
                x
                for x in group
                if (rows[x] >= WORD_ROWS or (whole and whole(x)))
                and max(len(x), len(w)) >= TYPO_MIN_LETTERS
                and one_slip(w, x)
            )
    return {w: others for w, others in table.items() if others}


def readings(text: list[str], slips: dict[str, set[str]]) -> list[list[str]]:
    """`text` with each typo read as a word it slipped from: one reading per such word, where a
    typo slipped from several ("deployd": "deploy", "deployed"); `text` itself, without typos."""
    if not any(w in slips for w in text):
        return [text]
    choices = {w: sorted(slips[w]) for w in set(text) if w in slips}
    return [
        [c[min(r, len(c) - 1)] if (c := choices.get(w)) else w for w in text]
        for r in range(max(map(len, choices.values())))
    ]


def _slips_possible(word: str) -> bool:
    return len(word) >= TYPO_MIN_LETTERS - 1 and word.isalpha()


def _variants(word: str) -> set[str]:
    """The word and its one-letter deletions: words one slip apart share one (or one is the
    other's), so a lookup by these finds every candidate for `one_slip`."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def one_slip(a: str, b: str) -> bool:
    """Whether one letter changed, added or dropped, or two neighbours swapped, turns a into b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    swapped = a[i + 1 : i + 2] == b[i] and b[i + 1 : i + 2] == a[i] and a[i + 2 :] == b[i + 2 :]
    return a[i + 1 :] == b[i + 1 :] or swapped
