"""Check a data set before training: duplicates, train/test leaks, lengths, diversity, junk,
personal data. `check_file` builds a `QualityReport` (tunelab.data.quality.findings, with the
thresholds in QualityConfig), its repeats, conflicts and leaks found by
tunelab.data.quality.overlaps; `write_clean` writes the fixed/scrubbed set."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tunelab.config import fit_max_length
from tunelab.data.example import Example
from tunelab.data.files.write_files import check_new_file, write_jsonl
from tunelab.data.load import Loaded, holds_no_rows, read_examples
from tunelab.data.markers import find_markers, plain_question
from tunelab.data.prompts.chat_notes import empty_system_turns, unanswered_turns
from tunelab.data.quality import diversity, pii, typos
from tunelab.data.quality.escapes import mend_row, row_escapes
from tunelab.data.quality.findings import QualityConfig, QualityReport, listing_all
from tunelab.data.quality.junk import junk_reason, repeats_question
from tunelab.data.quality.overlaps import find_overlaps
from tunelab.data.shapes import unread_note
from tunelab.data.text import one_line
from tunelab.data.tool_calls import said
from tunelab.data.turns import system_unread_note
from tunelab.errors import TunelabError, first_few


def load_for_check(path: str | Path, config: QualityConfig) -> Loaded:
    """Load as training does, but keep going past bad rows so all of them can be reported."""
    loaded = read_examples(path, config.shape, config.fields)
    if not loaded.examples and not loaded.rejected:
        raise TunelabError(holds_no_rows(path))
    return loaded


def check_file(
    path: str | Path, test: str | Path | None = None, config: QualityConfig | None = None
) -> QualityReport:
    """Run every check on `path` (and leaks into `test`, when given)."""
    from tunelab.run import model_context

    config = config or QualityConfig()
    if limit := model_context(config.model):  # rows measured as training will cut them
        config = fit_max_length(config, config.model, limit, "max_length")
    report = QualityReport(config, load_for_check(path, config))
    if test is not None:
        report.test = load_for_check(test, config)
    examples = report.data.examples
    report.markers = find_markers(examples)
    questions = [question_text(e) for e in examples]
    answers = [e.answer if e.text is None else "" for e in examples]
    from tunelab.run import load_tokenizer

    tokenizer = load_tokenizer(config.model)
    find_overlaps(report, answers, whole_words(tokenizer), test)
    _check_lengths(report, tokenizer)
    asked = varying_questions(examples, questions)
    _check_diversity(report, asked, answers)
    _check_content(report, questions, answers)
    _check_origins(report, asked)
    _collect_warnings(report)
    return report


def question_text(example: Example) -> str:
    """What a row asks, without prompt markup; raw-text rows use their text."""
    if example.text is not None:
        return example.text
    return plain_question(example.question)


def varying_questions(examples: list[Example], questions: list[str]) -> list[str]:
    """The questions as they vary from row to row, for the diversity checks: where most rows are
    Alpaca rows sharing one instruction ("Answer the customer question.") with the question in
    `input`, the instruction is the task, said alike in every row, and their inputs are what
    they ask."""
    shared = Counter(e.instruction for e in examples if e.instruction and e.input)
    if not shared:
        return questions
    instruction, count = shared.most_common(1)[0]
    if count <= len(examples) / 2:
        return questions
    return [
        plain_question(e.input) if e.instruction == instruction and e.input else question
        for e, question in zip(examples, questions)
    ]


def whole_words(tokenizer) -> typos.Whole:
    """Whether a lower-cased word is one token of `tokenizer` after a space: a word of the
    language ("modes", "latent"), never a typo of another; a slip makes a rarer string, which a
    tokenizer trained on much text splits ("pasword": "pas" + "word")."""
    seen: dict[str, bool] = {}

    def whole(word: str) -> bool:
        if word not in seen:
            seen[word] = len(tokenizer(" " + word, add_special_tokens=False).input_ids) == 1
        return seen[word]

    return whole


def _check_lengths(report: QualityReport, tokenizer) -> None:
    from tunelab.data.prompts.templates import check_template, render_segments
    from tunelab.data.tokenize import special_texts, special_token_text, window_count

    check_template(report.template, report.data.examples)
    special = special_texts(tokenizer)
    report.special_text = {
        i: token
        for i, example in enumerate(report.data.examples)
        if (token := special_token_text(example, special))
    }
    texts = []
    for example in report.data.examples:
        try:
            texts.append(
                "".join(s for s, _ in render_segments(example, tokenizer, report.template))
            )
        except TunelabError as err:
            raise TunelabError(f"{example.source}: {err}") from None
    ids = tokenizer(texts, add_special_tokens=False).input_ids if texts else []
    report.lengths = [len(x) for x in ids]
    # Raw text is split into windows in training, never truncated: only chat/Q&A rows are cut.
    longer = [
        (i, n, example.text is not None)
        for i, (n, example) in enumerate(zip(report.lengths, report.data.examples))
        if n > report.config.max_length
    ]
    report.truncated = [i for i, _, text in longer if not text]
    report.split = {i: window_count(n, report.config.max_length) for i, n, text in longer if text}


def _check_diversity(report: QualityReport, questions: list[str], answers: list[str]) -> None:
    c, asked = report.config, report.text_name
    # Raw text has no answers: the distinct words of none read 1.000, a perfect score.
    said = [(f"{asked}s", questions)] + [("answers", answers)] * (asked == "question")
    for name, texts in said:
        for n in (1, 2):
            report.distinct[f"{name} distinct-{n}"] = diversity.distinct_n(texts, n)
    report.openings = diversity.top_openings(questions, c.opening_words, c.top_k)
    report.clusters = diversity.template_clusters(questions, top_k=c.top_k)
    report.common_answer = diversity.most_given(answers)


def _check_content(report: QualityReport, questions: list[str], answers: list[str]) -> None:
    c = report.config
    langs: list[str] = []
    for i, (example, q, a) in enumerate(zip(report.data.examples, questions, answers)):
        if example.text is None and not q.strip():
            marked = " (only template markers)" if example.question.strip() else ""
            report.empty.append((i, f"empty question{marked}"))
        if example.text is None and not a.strip():
            report.empty.append((i, "empty answer"))
        elif example.text is None and repeats_question(q, a, c.repeat_overlap):
            report.repeats.append(i)
        why = junk_reason(f"{q}\n{a}", c.min_letter_share, c.max_word_chars)
        if why:
            report.junk.append((i, why))
        langs.append(diversity.guess_language(f"{q} {a}"))
        texts = row_texts(example)
        for text in texts:
            report.pii.extend((i, f) for f in pii.find_pii(text, c.pii_kinds))
        escapes = row_escapes(texts)
        if escapes.mended:
            report.escapes[i] = escapes.mended
        if left := escapes.left():
            report.escapes_left[i] = left
    report.languages = Counter(langs)
    main = next((lang for lang, _ in report.languages.most_common() if lang != "unknown"), None)
    report.off_language = [i for i, lang in enumerate(langs) if lang not in (main, "unknown")]


def _check_origins(report: QualityReport, questions: list[str]) -> None:
    """Split the headline numbers by where rows came from: real data or a generator mode."""
    flagged = set(report.removals()) | {i for i, _ in report.pii} | set(report.truncated)
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(report.data.rows):
        meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
        groups.setdefault(_origin(meta), []).append(i)
    for origin, rows in sorted(groups.items()):
        qs = [questions[i] for i in rows]
        openings = diversity.top_openings(qs, report.config.opening_words, 1)
        report.origins[origin] = {
            "rows": len(rows),
            "flagged": sum(i in flagged for i in rows),
            f"{report.text_name} distinct-2": diversity.distinct_n(qs, 2),
            "top opening share": openings[0][2] if openings else 0.0,
        }


# The rows `data augment` writes besides each original: its rephrasings, the facts it asks from
# their other end and the pairs of facts it asks at once.
REWRITE_KINDS = ("paraphrase", "reverse", "combined")


def _origin(meta: dict) -> str:
    """A row's origin by its meta: `data generate`'s mode (an augmented file's originals keep
    theirs), `data augment`'s rewrite (by the rules or the model that wrote it: its 33 rewrites
    of 11 template pairs read as 44 "real" rows), else real."""
    if meta.get("mode"):
        return f"generated:{meta['mode']}"
    if meta.get("kind") in REWRITE_KINDS:
        return f"augmented:{meta.get('generator') or 'rules'}"
    return "real"


SHARE_ROWS = 5  # the fewest rows an opening or a template must hold to be warned of by its share


def _collect_warnings(report: QualityReport) -> None:
    c, n = report.config, max(len(report.data.examples), 1)
    w, asked = report.warnings, report.text_name
    if report.data.rejected:
        # Every row rejected: skipping them trains nothing either ("no usable rows"), as the
        # What to do line under the warnings says; here only that it is every row.
        why = "training would stop" if report.data.examples else "every row"
        w.append(f"{len(report.data.rejected)} row(s) the loader rejects ({why})")
    if report.markers and (wrapped := report.markers.warning(c.template or "chat")):
        w.append(wrapped)
    if report.template == "chat" and (
        empty := empty_system_turns(report.data.examples, report.where)
    ):
        w.append(empty)
    if unanswered := unanswered_turns(report.data.examples, report.where):
        w.append(unanswered)
    if report.data.unread:  # what training says as it loads the rows: text that trains nothing
        w.append(unread_note(report.data.path, report.data.unread, report.data.shape))
    if report.data.system_unread:
        w.append(system_unread_note(report.data.system_unread))
    if report.contamination:
        w.append(f"{len(report.leaked)} test question(s) also in train (contamination)")
    if report.exact_dups or report.near_dups:
        w.append(f"{len(report.exact_dups)} exact and {len(report.near_dups)} near duplicate(s)")
    if report.conflicts:
        p = report.conflicts[0]
        asked = one_line(question_text(report.data.examples[p.second]), 60)
        w.append(
            f"{len(report.conflicts)} row(s) answer a question an earlier row answers otherwise "
            f"(e.g. {report.where(p.second)} and {report.where(p.first)}: {asked!r}): the model "
            "learns to give either at random"
        )
    if report.truncated:
        rows = first_few([report.where(i) for i in report.truncated])
        w.append(
            f"{len(report.truncated)} row(s) longer than max_length={c.max_length} tokens: {rows}"
        )
    # Training drops a turn holding one, and reads a raw text's as the token itself, as it says:
    # a folder of documents was told "which training drops" of texts it trained on.
    texts = [i for i in report.special_text if report.data.examples[i].text is not None]
    dropped = [i for i in report.special_text if i not in texts]
    if dropped:
        w.append(
            f"{len(dropped)} row(s) hold a special token's text, which training drops (e.g. "
            f"{report.data.examples[dropped[0]].source}: {report.special_text[dropped[0]]!r})"
        )
    if texts:
        w.append(
            f"{len(texts)} text(s) hold a special token's text, which training reads as the "
            f"token itself (e.g. {report.data.examples[texts[0]].source}: "
            f"{report.special_text[texts[0]]!r}): train with --set data.special_tokens_in_text=text "
            "where they are documents that only mention it"
        )
    # A share of a handful of rows says nothing of a set's diversity: 1 of 3 questions opening
    # with "what is" read "homogeneous: 33%", and --strict failed a clean file.
    if report.openings and report.openings[0][2] > c.max_opening_share:
        o = report.openings[0]
        if o[1] >= SHARE_ROWS:
            w.append(f"homogeneous: {o[2]:.0%} of {asked}s open with '{o[0]}'")
    for sk, count, share, _ in report.clusters:
        if share > c.max_template_share and count >= SHARE_ROWS:
            w.append(f"templated: {share:.0%} of {asked}s follow '{sk}'")
    if (
        len(report.common_answer) >= SHARE_ROWS
        and len(report.common_answer) / n > c.max_answer_share
    ):
        rows = report.common_answer
        answer = one_line(report.data.examples[rows[0]].answer, 60)
        w.append(
            f"one answer is {len(rows) / n:.0%} of the rows ({len(rows)}: "
            f"{first_few([report.where(i) for i in rows])}): {answer!r}; the model learns "
            "to give it to any question: if it was pasted into those rows by mistake, fix them"
        )
    if (distinct := report.distinct.get(f"{asked}s distinct-2", 1.0)) < c.min_distinct_2:
        w.append(f"low diversity: {asked} distinct-2 {distinct:.2f}")
    for name, items in (
        ("empty questions/answers", report.empty),
        ("answers restating the question", report.repeats),
        ("junk rows", report.junk),
    ):
        if items:
            w.append(f"{len(items)} {name}")
    if report.escapes:
        w.append(escapes_warning(report))
    if report.off_language and len(report.off_language) / n > 1 - c.min_main_language_share:
        first = report.where(report.off_language[0])
        w.append(f"language mix: {diversity.languages_said(report.languages)} (first: {first})")
    if report.pii:
        kinds = Counter(f.kind for _, f in report.pii)
        w.append(
            "personal data: " + ", ".join(f"{k} x{v}" for k, v in kinds.items()) + " (--scrub)"
        )


def escapes_warning(report: QualityReport) -> str:
    """Rows holding `\\n` (or `&amp;`) as characters, and how to mend them: these rows are worth
    keeping once their text is mended, which --fix does (`escapes.mend_escapes`); and how many
    it leaves, each named once, under Content problems (a row explaining escapes kept as it was),
    or here, the first few, where they fall past the rows it lists."""
    kinds = Counter(e for typed in report.escapes.values() for e in typed)
    said = ", ".join(f"{k} x{v}" for k, v in kinds.most_common(4))
    rows = first_few([report.where(i) for i in report.escapes])
    left, unlisted = len(escapes_left(report)), escapes_unlisted(report)
    if unlisted:
        # Listed last, they fell under "N more not listed" in a large file, where this said
        # "under Content problems".
        total = len(report.content_problems())
        where = first_few([report.where(i) for i in unlisted])
        some = f", {len(unlisted)} of them" if len(unlisted) < left else ""
        left_said = (
            f" ({left} row(s), under Content problems{some} past the {report.config.max_listed} "
            f"rows it lists: {where}; {listing_all(total)})"
        )
    else:
        left_said = f" ({left} row(s), under Content problems)" if left else ""
    return (
        f"{len(report.escapes)} row(s) hold escapes typed as text ({said}: {rows}), which the "
        "model learns as characters (\\nBias read as the word 'nbias'): --fix writes the "
        'character each stands for (a line break for \\n, & for &amp;, " for \\" in a row whose '
        "\\n are typed too), outside code; one the text speaks of, alone as a word ('Use \\n to "
        "start a new line'), it leaves" + left_said
    )


def escapes_left(report: QualityReport) -> list[int]:
    """The rows --fix leaves escapes in as written, none it drops: the warning and --fix's
    summary count them, and Content problems names each once, with what and why ("1 \\n read as
    a mention, left"), where all three named each row."""
    return [i for i in report.escapes_left if i not in report.dropped]


def escapes_unlisted(report: QualityReport) -> list[int]:
    """The rows --fix leaves escapes in (none it drops) that Content problems does not list:
    they come last in it, and it lists its first max_listed rows."""
    first = len(report.content_problems()) - len(report.escapes_left)
    listed = max(report.config.max_listed - first, 0)
    return [i for i in list(report.escapes_left)[listed:] if i not in report.dropped]


def row_texts(example: Example) -> list[str]:
    texts = [said(m) for m in example.messages]  # a call's arguments may hold an address
    return texts + [t for t in (example.text, example.input) if t]


def write_clean(
    report: QualityReport, output: str | Path, fix: bool, scrub: bool, overwrite: bool = False
) -> dict[int, str]:
    """Write the rows as JSONL, without `removals()` and with typed escapes mended when fix,
    masked when scrub; returns the drops. An existing -o is replaced only with `overwrite`, a
    checked file never."""
    check_new_file(output, overwrite, report.read_paths())
    drops = report.removals() if fix else {}
    kinds = report.config.pii_kinds
    kept = (
        mend_row(row, '\\"' in report.escapes[i]) if fix and i in report.escapes else row
        for i, row in enumerate(report.data.rows)
        if i not in drops
    )
    write_jsonl((pii.scrub_row(row, kinds) if scrub else row for row in kept), output)
    return drops
