"""How varied a data set is: distinct n-grams, how many questions open the same way, clusters of
questions that share one fill-in-the-blank template, and which languages it is written in."""

from __future__ import annotations

from collections import Counter

from tunelab.data.text import words

# English has its own "a", "as" and "or": without them, a short English row with a few articles
# ("such as a hero's journey or a mystery plot") scored as Portuguese, whose "a" and "as" they are;
# and its own "per", without which a manual's "250 requests per minute per client" read Italian.
STOPWORDS = {
    "en": "the and is are of to in that it for with what how does do can you this on be a as or per",
    "es": "el la los las de que y en es por para con una un del como qué",
    "fr": "le la les des de et est une un que pour dans avec qui ce pas",
    "de": "der die das und ist nicht ein eine mit den für von auf wie ich",
    "pt": "o a os as de que e em um uma para com não por é como",
    "it": "il lo la gli le di che e è un una per con non come sono",
    "nl": "de het een en van is dat niet op te met voor zijn",
}
_STOP_SETS = {lang: set(words.split()) for lang, words in STOPWORDS.items()}
SCRIPTS = [  # (name, first code point, last code point)
    ("cyrillic", 0x0400, 0x04FF),
    ("greek", 0x0370, 0x03FF),
    ("arabic", 0x0600, 0x06FF),
    ("hebrew", 0x0590, 0x05FF),
    ("devanagari", 0x0900, 0x097F),
    ("cjk", 0x4E00, 0x9FFF),
    ("japanese-kana", 0x3040, 0x30FF),
    ("korean", 0xAC00, 0xD7AF),
]
NAMES = {  # each label as a user reads it: a warning printed {'en': 40, 'fr': 3}
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
    "nl": "Dutch",
    "cyrillic": "Cyrillic script",
    "greek": "Greek",
    "arabic": "Arabic",
    "hebrew": "Hebrew",
    "devanagari": "Devanagari script",
    "cjk": "Chinese characters",
    "japanese-kana": "Japanese kana",
    "korean": "Korean",
    "unknown": "too short or mixed to tell",
}


def distinct_n(texts: list[str], n: int) -> float:
    """Distinct n-grams over all n-grams (1.0: nothing repeats; near 0: the same phrases again)."""
    seen: set[tuple[str, ...]] = set()
    total = 0
    for text in texts:
        w = words(text)
        grams = [tuple(w[i : i + n]) for i in range(len(w) - n + 1)]
        total += len(grams)
        seen.update(grams)
    # No n-gram at all (one-word questions, no answers) repeats none: not "low diversity".
    return len(seen) / total if total else 1.0


def top_openings(
    questions: list[str], n_words: int = 2, top_k: int = 5
) -> list[tuple[str, int, float]]:
    """The most common first `n_words` of the questions: (opening, count, share of all)."""
    openings = Counter(" ".join(words(q)[:n_words]) for q in questions if words(q))
    # Of all questions, as the homogeneity warning reads it, not of those with words only.
    total = len(questions) or 1
    return [(o, c, c / total) for o, c in openings.most_common(top_k)]


def most_given(answers: list[str]) -> list[int]:
    """The rows of the answer given most often (space around it aside), empty answers never;
    one answer pasted into many rows teaches the model to give it to any question."""
    given = [a.strip() for a in answers]
    counts = Counter(a for a in given if a)
    if not counts:
        return []
    answer = counts.most_common(1)[0][0]
    return [i for i, a in enumerate(given) if a == answer]


def skeleton(question: str, common: set[str]) -> str:
    """The question with its rare words blanked: 'what is the capital of france' -> 'what is the _ of _'."""
    out: list[str] = []
    for w in words(question):
        token = w if w in common else "_"
        if not (token == "_" and out and out[-1] == "_"):
            out.append(token)
    return " ".join(out)


def template_clusters(
    questions: list[str], min_share: float = 0.05, common_share: float = 0.1, top_k: int = 5
) -> list[tuple[str, int, float, list[int]]]:
    """Groups of questions that share one skeleton, largest first: (skeleton, count, share, rows).

    A word is kept in the skeleton when it occurs in at least `common_share` of the questions; the
    rest is the slot a template generator fills. Groups under `min_share` are left out.
    """
    if not questions:
        return []
    doc_freq = Counter(w for q in questions for w in set(words(q)))
    common = {w for w, c in doc_freq.items() if c >= common_share * len(questions)}
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(skeleton(q, common), []).append(i)
    out = []
    for sk, rows in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        share = len(rows) / len(questions)
        # A skeleton of blanks only ("_") says nothing about templating.
        if share >= min_share and len(rows) > 1 and sk.replace("_", "").strip():
            out.append((sk, len(rows), share, rows))
    return out[:top_k]


def guess_language(text: str) -> str:
    """A rough language label from script and stopwords; 'unknown' when there is too little text."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "unknown"
    non_latin = [ord(c) for c in letters if ord(c) > 0x036F]
    for name, lo, hi in SCRIPTS if len(non_latin) > 0.3 * len(letters) else []:
        if sum(lo <= o <= hi for o in non_latin) > 0.3 * len(letters):
            return name
    counts = Counter()
    tokens = words(text)
    for lang, stop in _STOP_SETS.items():
        counts[lang] = sum(t in stop for t in tokens)
    if not counts or counts.most_common(1)[0][1] == 0:
        return "unknown"
    best, score = counts.most_common(1)[0]
    return best if score >= 2 or len(tokens) < 6 else "unknown"


def language_name(label: str) -> str:
    """A `guess_language` label said in words ("fr": "French")."""
    return NAMES.get(label, label)


def languages_said(counts: Counter) -> str:
    """How many rows each language holds, most first: "40 rows English, 3 French"."""
    (main, n), *others = counts.most_common()
    said = [f"{n} row{'s' * (n != 1)} {language_name(main)}"]
    return ", ".join(said + [f"{k} {language_name(lang)}" for lang, k in others])
