"""Recall and precision of `data check`'s near-duplicates and train/test leaks on lamini_docs.

Positives are real rows reworded, seeded, as people and generators reword: words swapped for
synonyms, clauses reordered, fillers added or dropped, and (leaks only) the question asked
another way over the same answer. Negatives are distinct rows of the same file: every row is
about one product, so the hard case is two rows sharing its vocabulary ("Lamini", "model",
"fine-tune") that state different facts: the rows whose question shares the most topic words
with another row's while question and answer differ (`distinct_neighbours`).

    PYTHONPATH=. python benchmarks/dedup_recall.py [--rows 200] [--seed 0] [--speed 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from pathlib import Path

from tunelab.data.markers import plain_question
from tunelab.data.quality.check import check_file
from tunelab.data.quality.findings import QualityConfig
from tunelab.data.question_keys import normalize_text
from tunelab.data.text import FUNCTION_WORDS, words

LAMINI = Path(__file__).parents[1] / "../shared/data/instructions/lamini_docs/lamini_docs.jsonl"

SYNONYMS = {
    "use": "utilize", "generate": "create", "help": "assist", "improve": "enhance",
    "provide": "offer", "different": "various", "data": "information", "able": "capable",
    "documentation": "docs", "possible": "feasible", "allows": "lets", "ensure": "make sure",
    "specific": "particular", "multiple": "several", "handle": "deal with", "large": "big",
    "quickly": "fast", "support": "handle", "features": "capabilities", "users": "developers",
    "provides": "offers", "model": "LLM", "models": "LLMs", "example": "instance",
    "generating": "producing", "text": "content", "customize": "tailor", "performance": "speed",
    "accuracy": "correctness", "output": "result", "outputs": "results", "train": "teach",
    "training": "teaching", "method": "approach", "methods": "approaches", "tasks": "jobs",
    "task": "job", "additional": "extra", "various": "many", "process": "procedure",
    "dataset": "data set", "datasets": "data sets", "responses": "replies", "response": "reply",
    "input": "prompt", "quality": "standard", "integrate": "combine", "developers": "engineers",
    "answer": "reply", "questions": "queries", "question": "query", "create": "build",
    "build": "make", "library": "package", "specify": "set", "requirements": "needs",
    "options": "choices", "information": "details", "helpful": "useful", "common": "frequent",
}  # fmt: skip
FILLERS_Q = ["Quick question: ", "Hi, ", "I was wondering, ", "Just curious, "]
FILLERS_A = ["Sure! ", "Good question. ", "In short, "]
ASKED = [  # a question asked another way: (pattern, replacement)
    (r"^Can I (.+)\?$", r"Is it possible for me to \1?"),
    (r"^Can (\S+(?: AI)?) (.+)\?$", r"Is \1 able to \2?"),
    (r"^Does (\S+(?: AI)?) (.+)\?$", r"Is it true that \1 can \2?"),
    (r"^How (?:do|can) I (.+)\?$", r"What is the way to \1?"),
    (r"^How does (.+)\?$", r"Could you explain how \1?"),
    (r"^What is (.+)\?$", r"Can you tell me what \1 is?"),
    (r"^What are (.+)\?$", r"Could you list \1?"),
    (r"^Is (.+)\?$", r"I'd like to know: is \1?"),
    (r"^Are (.+)\?$", r"Tell me, are \1?"),
]


def load() -> list[tuple[str, str]]:
    """lamini_docs' rows (question, answer) asked and answered once (the empty row 424 and
    repeats left out), so each row is its own fact."""
    rows = [json.loads(line) for line in LAMINI.open(encoding="utf-8")]
    pairs = [(plain_question(r["question"]).strip(), r["answer"].strip()) for r in rows]
    pairs = [(q, a) for q, a in pairs if q and a]
    seen_q, seen_a = {}, {}
    for q, a in pairs:
        seen_q[normalize_text(q)] = seen_q.get(normalize_text(q), 0) + 1
        seen_a[normalize_text(a)] = seen_a.get(normalize_text(a), 0) + 1
    return [(q, a) for q, a in pairs if seen_q[normalize_text(q)] == seen_a[normalize_text(a)] == 1]


def swap_words(text: str, rng: random.Random, share: float = 0.5) -> str:
    def swap(m: re.Match) -> str:
        w = m.group()
        new = SYNONYMS.get(w.lower())
        return new if new and rng.random() < share else w

    return re.sub(r"[A-Za-z]+", swap, text)


def reorder(text: str, rng: random.Random) -> str:
    """Two sentences swapped, or a sentence's clauses around its first comma."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    if len(sentences) >= 2:
        k = rng.randrange(len(sentences) - 1)
        sentences[k], sentences[k + 1] = sentences[k + 1], sentences[k]
        return " ".join(sentences)
    head, comma, tail = text.partition(", ")
    if comma:
        end = tail[-1] if tail[-1] in ".?!" else ""
        return f"{tail[: len(tail) - len(end)][:1].upper()}{tail[1 : len(tail) - len(end)]}, {head[:1].lower()}{head[1:]}{end}"
    return text


def fillers(text: str, rng: random.Random, openers: list[str]) -> str:
    """An opening filler added, or one in the text dropped ("Yes, ", "Additionally, ")."""
    dropped = re.sub(r"^(Yes|No|Additionally|However|Overall), ", "", text)
    if dropped != text and rng.random() < 0.5:
        return dropped[:1].upper() + dropped[1:]
    return rng.choice(openers) + text[:1].lower() + text[1:]


def ask_again(question: str) -> str | None:
    for pattern, to in ASKED:
        if re.match(pattern, question):
            return re.sub(pattern, to, question)
    return None


DISTINCT_QUESTION, DISTINCT_ANSWER = 0.6, 0.4
KINDS = ("word swaps", "clause reorder", "fillers", "asked another way", "all four")
# Within one file a question asked another way over the same answer is a phrasing of its fact,
# which `data check` keeps (README): near-duplicates are rewordings of the whole row.
NEAR_KINDS = ("word swaps", "clause reorder", "fillers", "the three at once")


def reword(q: str, a: str, kind: str, rng: random.Random) -> tuple[str, str] | None:
    if kind == "word swaps":
        new = swap_words(q, rng), swap_words(a, rng)
    elif kind == "clause reorder":
        new = swap_words(q, rng, 0.3), reorder(a, rng)
    elif kind == "fillers":
        new = fillers(q, rng, FILLERS_Q), fillers(a, rng, FILLERS_A)
    elif kind == "asked another way":
        asked = ask_again(q)
        new = (asked, swap_words(a, rng, 0.3)) if asked else None
    elif kind == "the three at once":
        answer = fillers(reorder(swap_words(a, rng), rng), rng, FILLERS_A)
        new = fillers(swap_words(q, rng), rng, FILLERS_Q), answer
    else:  # each of the four, as a generator rewrites a row
        asked = ask_again(swap_words(q, rng))
        answer = fillers(reorder(swap_words(a, rng), rng), rng, FILLERS_A)
        new = (fillers(asked, rng, FILLERS_Q), answer) if asked else None
    return new if new and new != (q, a) else None


def topic_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in FUNCTION_WORDS}


def distinct_neighbours(rows: list[tuple[str, str]], n: int) -> list[int]:
    """The `n` rows whose question shares the most topic words with another row's (Jaccard)
    while asking another thing (under DISTINCT_QUESTION) and answering another (answers under
    DISTINCT_ANSWER): distinct facts in the same vocabulary. Closer rows of lamini_docs are its
    own rewordings ("... for dialogue generation [tasks]?"), leaks in truth, and so is a question
    another one quotes whole (`data check`'s "quoted": "... models available in Lamini [that can
    be fine-tuned ...]?")."""
    qs, ans = [topic_words(q) for q, _ in rows], [topic_words(a) for _, a in rows]
    said = [" ".join(words(q)) for q, _ in rows]
    quoting = {
        i for i, q in enumerate(said) for k, o in enumerate(said) if k != i and (q in o or o in q)
    }
    closest = []
    for i in range(len(rows)):
        q = max(jaccard(qs[i], qs[k]) for k in range(len(rows)) if k != i)
        a = max(jaccard(ans[i], ans[k]) for k in range(len(rows)) if k != i)
        if q < DISTINCT_QUESTION and a < DISTINCT_ANSWER and i not in quoting:
            closest.append((-q, i))
    return [i for _, i in sorted(closest)[:n]]


def jaccard(x: set[str], y: set[str]) -> float:
    return len(x & y) / len(x | y) if x and y else 0.0


def write(path: Path, pairs: list[tuple[str, str]]) -> Path:
    rows = (json.dumps({"question": q, "answer": a}) + "\n" for q, a in pairs)
    path.write_text("".join(rows), encoding="utf-8")
    return path


def positives(rows, kinds, n, rng, skip=frozenset()) -> list[tuple[int, str, tuple[str, str]]]:
    """(source row, kind, reworded row) for `n` rows of each kind, each source reworded once
    (two copies of one row are near-duplicates of each other too) and none of `skip`."""
    order = [i for i in rng.sample(range(len(rows)), len(rows)) if i not in skip]
    out: list[tuple[int, str, tuple[str, str]]] = []
    used: set[int] = set()
    for kind in kinds:
        made = 0
        for i in order:
            if made == n:
                break
            if i not in used and (r := reword(*rows[i], kind, rng)):
                out.append((i, kind, r))
                used.add(i)
                made += 1
    return out


def score(found: dict[int, set[int]], truth: dict[int, int], negatives: set[int]) -> tuple:
    """Recall over the positives (found with their source) and precision over every flag."""
    hits = sum(truth[j] in found.get(j, ()) for j in truth)
    flagged = sum(bool(found.get(j)) for j in list(truth) + list(negatives))
    wrong = sum(bool(found.get(j)) for j in negatives) + sum(
        bool(found.get(j)) and truth[j] not in found[j] for j in truth
    )
    return hits, len(truth), flagged - wrong, flagged


def leaks(rows, n, rng, config, folder: Path) -> list[tuple[str, tuple]]:
    """Test rows: reworded training rows (positives) and held-out rows that share the most
    topic words with a training row (negatives)."""
    held = set(distinct_neighbours(rows, n))
    train = [r for i, r in enumerate(rows) if i not in held]
    made = positives(train, KINDS, n // 2, rng)
    test = [r for _, _, r in made] + [rows[i] for i in sorted(held)]
    report = check_file(
        write(folder / "train.jsonl", train), write(folder / "test.jsonl", test), config
    )
    found: dict[int, set[int]] = {}
    for p in report.contamination:
        found.setdefault(p.second, set()).add(p.first)
    out = []
    for kind in KINDS:
        truth = {j: i for j, (i, k, _) in enumerate(made) if k == kind}
        out.append((kind, score(found, truth, set())))
    negatives = set(range(len(made), len(test)))
    out.append(("held-out rows, same topic", score(found, {}, negatives)))
    truth = {j: i for j, (i, _, _) in enumerate(made)}
    out.append(("all", score(found, truth, negatives)))
    return out


def near(rows, n, rng, config, folder: Path) -> list[tuple[str, tuple]]:
    """Reworded copies of rows added to the file (positives); a pair flagged with one of the
    distinct rows (`distinct_neighbours`), or a copy with another row than its own, is a false
    alarm. Pairs among lamini_docs' other rows are its own rewordings, unlabelled: counted apart."""
    distinct = set(distinct_neighbours(rows, n))
    made = positives(rows, NEAR_KINDS, n // 2, rng, distinct)
    data = rows + [r for _, _, r in made]
    report = check_file(write(folder / "near.jsonl", data), None, config)
    found: dict[int, set[int]] = {}
    for p in report.near_dups:
        found.setdefault(p.second, set()).add(p.first)
        found.setdefault(p.first, set()).add(p.second)
    out = []
    for kind in NEAR_KINDS:
        truth = {len(rows) + j: i for j, (i, k, _) in enumerate(made) if k == kind}
        out.append((kind, score(found, truth, set())))
    out.append(("distinct rows, same topic", score(found, {}, distinct)))
    truth = {len(rows) + j: i for j, (i, _, _) in enumerate(made)}
    out.append(("all", score(found, truth, distinct)))
    labelled = distinct | set(truth) | {i for i, _, _ in made}
    others = sum(p.first not in labelled and p.second not in labelled for p in report.near_dups)
    out.append((f"({others} pairs among lamini_docs' other rows, unlabelled)", None))
    return out


def speed(rows, n: int, config, folder: Path) -> float:
    """`data check` rows/s on `n` rows: lamini_docs' rows, each copy reworded (seeded)."""
    rng, data = random.Random(1), []
    while len(data) < n:
        for q, a in rows:
            data.append(reword(q, a, rng.choice(NEAR_KINDS), rng) or (q, a))
    path = write(folder / "speed.jsonl", data[:n])
    start = time.perf_counter()
    check_file(path, None, config)
    return n / (time.perf_counter() - start)


def table(title: str, results) -> None:
    print(f"\n{title}\n| case | recall | precision |\n|---|---|---|")
    for name, counts in results:
        if counts is None:
            print(f"| {name} | | |")
            continue
        hits, pos, right, flagged = counts
        recall = f"{hits}/{pos} ({hits / pos:.0%})" if pos else "-"
        precision = f"{right}/{flagged} ({right / flagged:.0%})" if flagged else "- (none flagged)"
        print(f"| {name} | {recall} | {precision} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=200,
        help="distinct rows (negatives); half as many of each rewording",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", type=int, default=0, help="also time data check on N rows")
    args = parser.parse_args()
    rows, config = load(), QualityConfig()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rng = random.Random(args.seed)
        print(f"lamini_docs: {len(rows)} rows asked and answered once; seed {args.seed}")
        table(
            "Train/test leaks (`data check train --test test`)",
            leaks(rows, args.rows, rng, config, folder),
        )
        table(
            "Near-duplicates within one file (`data check file`)",
            near(rows, args.rows, rng, config, folder),
        )
        if args.speed:
            print(
                f"\ndata check on {args.speed} rows: {speed(rows, args.speed, config, folder):.0f} rows/s"
            )


if __name__ == "__main__":
    main()
