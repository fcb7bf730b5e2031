"""`tunelab compare`: retrieval finds the passage a question needs, and the four arms are asked
the same questions, scored alike and reported."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app
from tunelab.compare.run import context_recall
from tunelab.data.retrieval import Retriever, load_corpus, with_context
from tunelab.errors import TunelabError

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_retrieval_finds_the_training_pair_a_paraphrased_question_needs():
    passages = load_corpus(QA / "train.jsonl")
    assert passages[0].source.endswith("train.jsonl:1")
    [top, *_] = Retriever(passages).search("Which file holds a run's settings?", k=2)
    assert "config.yaml" in top.text
    question = with_context("Which file holds a run's settings?", [top])
    assert question.startswith("Answer the question using the context below.")
    assert "[1] Where does a run keep its settings?" in question
    assert question.endswith("Question: Which file holds a run's settings?")
    assert with_context("Q?", []) == "Q?"
    # config, yaml, run of config, yaml, run, folder
    assert context_recall("config.yaml in the run folder.", [top]) == pytest.approx(3 / 4)


def test_documents_become_passages_under_their_headings(tmp_path):
    (tmp_path / "guide.md").write_text(
        "# Guide\n\n## Resuming\n\nPass --resume to continue a run from its last checkpoint.\n"
    )
    passages = load_corpus(tmp_path)
    assert any("Guide > Resuming" in p.text and "--resume" in p.text for p in passages)
    with pytest.raises(TunelabError, match="corpus not found"):
        load_corpus(tmp_path / "missing.jsonl")


def test_compare_asks_four_ways_and_writes_the_report(tmp_path):
    run = tiny_run(tmp_path, QA)
    result = CliRunner().invoke(app, ["compare", str(run), "--max-new-tokens", "3", "--k", "2"])
    assert result.exit_code == 0, result.output
    out = run / "compare"
    report = json.loads((out / "compare.json").read_text())
    assert [a["name"] for a in report["arms"]] == [
        "prompting", "prompting + RAG", "finetuned", "finetuned + RAG",
    ]  # fmt: skip
    assert [a["model"] for a in report["arms"]] == ["tiny-random"] * 2 + [str(run)] * 2
    assert all(0.0 < a["context_recall"] <= 1.0 for a in report["arms"] if a["rag"])
    plain = [json.loads(x) for x in (out / "finetuned.jsonl").read_text().splitlines()]
    rag = [json.loads(x) for x in (out / "finetuned_RAG.jsonl").read_text().splitlines()]
    assert len(plain) == len(rag) == 3
    assert all(r["passages"] == [] for r in plain) and all(r["passages"] for r in rag)
    assert "| finetuned + RAG |" in (out / "compare.md").read_text()
    # Each arm's share of answers cut off at the token limit, of how many, with its interval.
    assert "cut off [95%]" in (out / "compare.md").read_text()
    assert len(re.findall(r"\| \d+\.\d \(\d of 3\) \[", (out / "compare.md").read_text())) == 4
    # Three questions decide nothing: every pair of arms is "no clear winner", and so is the end.
    assert {p["verdict"] for p in report["pairs"]} == {"no clear winner"}
    assert "No clear winner by token F1" in (out / "compare.md").read_text()
    assert "No clear winner by token F1" in " ".join(result.output.split())
    assert (out / "compare.png").read_bytes().startswith(b"\x89PNG")


def test_the_first_arm_is_not_timed_loading_the_cpu_kernels(tmp_path, monkeypatch):
    # Its seconds per question held the kernels' load (a ~30 s compile the first time), which
    # made the prompted model look slower than the finetuned one.
    import time
    from types import SimpleNamespace

    from tunelab.compare import run as compare_run
    from tunelab.kernels import build

    skew = []  # seconds the clock jumped while the kernels loaded

    def clock() -> float:
        return time.perf_counter() + sum(skew)

    def slow_load() -> bool:
        skew.append(1000.0)
        return False

    monkeypatch.setattr(compare_run, "time", SimpleNamespace(perf_counter=clock))
    monkeypatch.setattr(build, "_loaded", None)
    monkeypatch.setattr(build, "_load", slow_load)
    cfg = compare_run.CompareConfig(max_new_tokens=2, k=1)
    result = compare_run.compare(tiny_run(tmp_path, QA), cfg)
    assert skew == [1000.0]  # loaded once, by the first arm's model
    assert all(arm.seconds < 1000 for arm in result.arms)


def test_a_run_trained_from_another_run_says_which_model_prompting_asks(tmp_path):
    # After continued pretraining, "prompting" was the pretrained run, not the published model,
    # and only the model column said so.
    from tunelab.compare.run import CompareConfig, compare

    first = tiny_run(tmp_path / "a", QA)
    run = tiny_run(tmp_path / "b", QA)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("name: tiny-random", f"name: {first}"))
    result = compare(run, CompareConfig(max_new_tokens=2, k=1, limit=2))
    assert any(f"prompting asks {first}, the run this one was trained from" in n
               for n in result.notes)  # fmt: skip


def test_compare_needs_a_run_folder():
    with pytest.raises(TunelabError, match="not a run folder"):
        from tunelab.compare.run import compare

        compare("tiny-random")


def _arm(name: str, f1s: list[float]):
    from tunelab.compare.run import Arm

    rows = [{"scores": {"token_f1": f}} for f in f1s]
    return Arm(name, name, False, rows, 1.0, {"token_f1": sum(f1s) / len(f1s)})


def test_five_questions_name_no_winner_and_a_clear_gap_names_one():
    from tunelab.compare.report import _first_upper, pairs, verdict

    few = [_arm("prompting", [0.1, 0.2, 0.1, 0.3, 0.2]), _arm("finetuned", [0.6] * 5)]
    assert verdict(few).startswith("No clear winner by token F1: finetuned")
    # Five questions are the reason named, whatever the interval says.
    assert "5 questions are too few" in verdict(few) and "could be zero" not in verdict(few)
    assert pairs(few)[0]["verdict"] == "no clear winner"  # 5 questions: too few to call
    # One question in words, and the metric's own capitals (it read "1 questions are", "Token f1").
    one = [_arm("prompting", [0.1]), _arm("finetuned", [0.6])]
    assert "but 1 question is too few" in verdict(one)
    assert _first_upper("token F1") == "Token F1" and _first_upper("ROUGE-L") == "ROUGE-L"
    prompting = _arm("prompting", [0.1, 0.3] * 20)
    tuned = _arm("finetuned", [0.5, 0.7] * 20)
    close = _arm("finetuned + RAG", [0.5, 0.75, 0.45, 0.72] * 10)
    assert verdict([prompting, tuned]) == (
        "Best by token F1: **finetuned**, ahead of every other arm (95% paired interval)."
    )
    [gain] = pairs([prompting, tuned])
    assert gain["arm"] == "finetuned" and gain["vs"] == "prompting" and gain["verdict"] == "better"
    assert gain["delta"] == pytest.approx(40.0) and gain["low"] > 0
    # The best mean alone is no winner when the runner-up's difference could be zero.
    assert verdict([prompting, tuned, close]) == (
        "No clear winner by token F1: finetuned + RAG has the highest mean, but the difference "
        "from finetuned could be zero (95% paired interval over 40 questions)."
    )
    # Arms of one mean share it: none of them is named as the best.
    twin = _arm("finetuned + RAG", [0.7, 0.5] * 20)
    assert verdict([prompting, tuned, twin]) == (
        "No clear winner by token F1: finetuned and finetuned + RAG share the highest mean "
        "(40 questions)."
    )
    zeros = [_arm(name, [0.0] * 40) for name in ("prompting", "finetuned")]
    assert "prompting and finetuned share the highest mean" in verdict(zeros)


def test_retrieval_never_hands_a_question_its_own_row(tmp_path):
    from tunelab.data.quality.dedup import own_rows
    from tunelab.data.templates import Example

    corpus = load_corpus(QA / "train.jsonl")
    test = Example.qa("where does a run keep its  settings", "In runs/<name>/config.yaml.")
    [skip] = own_rows(corpus, [test])
    found = Retriever(corpus).search(test.question, k=len(corpus), skip=skip)
    assert skip == {1} and corpus[1] not in found  # the test pair itself, asked again


def test_passages_are_dropped_worst_first_until_the_prompt_fits():
    from tunelab.data.retrieval import Passage, fit_context

    best, worst = Passage("a", "short"), Passage("b", "long " * 50)
    fits = lambda text: len(text.split()) < 40  # noqa: E731
    assert fit_context("Q?", [best, worst], fits) == (with_context("Q?", [best]), [best])
    assert fit_context("Q?", [worst], fits) == ("Q?", [])
    assert fit_context("Q?", [best, worst], lambda t: True)[1] == [best, worst]


def _fact_arm(name: str, facts: list[float], f1s: list[float]):
    from tunelab.compare.run import Arm

    rows = [{"scores": {"token_f1": f}, "facts": {"fact_accuracy": a}} for a, f in zip(facts, f1s)]
    summary = {"fact_accuracy": sum(facts) / len(facts), "token_f1": sum(f1s) / len(f1s)}
    return Arm(name, name, False, rows, 1.0, summary)


def test_arms_are_ranked_by_the_facts_when_the_test_rows_name_them_not_by_style():
    from tunelab.compare.report import pairs, verdict

    # Prompting + RAG copies the passages' wording (high token F1) but states fewer facts.
    wordy = _fact_arm("prompting + RAG", [0.0, 1.0, 0.0, 0.0] * 10, [0.8] * 40)
    right = _fact_arm("finetuned", [1.0, 1.0, 1.0, 0.0] * 10, [0.4] * 40)
    assert verdict([wordy, right]).startswith("Best by fact accuracy: **finetuned**")
    [diff] = pairs([wordy, right])
    assert diff["metric"] == "fact_accuracy" and diff["delta"] == pytest.approx(50.0)
    assert verdict([wordy, right], "token_f1").startswith("Best by token F1: **prompting + RAG**")


def test_compare_scores_the_facts_each_test_row_names(tmp_path):
    run = tiny_run(tmp_path, QA)
    rows = [json.loads(x) for x in (QA / "test.jsonl").read_text().splitlines()]
    tests = tmp_path / "facts.jsonl"
    with tests.open("w") as out:
        for row in rows:  # a fact any answer states (every reply has a letter) and one none does
            out.write(
                json.dumps({**row, "facts": [{"regex": "[a-z]|$"}], "wrong": ["zzzq"]}) + "\n"
            )
    result = CliRunner().invoke(
        app, ["compare", str(run), "--data", str(tests), "--max-new-tokens", "3", "--k", "1"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((run / "compare" / "compare.json").read_text())
    assert report["ranked_by"] == "fact_accuracy"
    assert all(a["fact_accuracy"] == 1.0 and a["hallucination_rate"] == 0.0 for a in report["arms"])
    assert {p["metric"] for p in report["pairs"]} == {"fact_accuracy"}
    assert "fact accuracy [95%]" in (run / "compare" / "compare.md").read_text()
    # A rate of how many rows: "100.0" of one row read as every answer hallucinating.
    assert f"| 0.0 (0 of {len(rows)}) [0.0, " in (run / "compare" / "compare.md").read_text()
    assert "No clear winner by fact accuracy" in " ".join(result.output.split())
    said = " ".join(result.output.split())
    assert "Finetuned vs prompting, fact accuracy: +0.0 points" in said  # first, on screen too
    assert (
        (run / "compare" / "compare.md")
        .read_text()
        .split("\n")[2]
        .startswith("- **Finetuned vs prompting**, fact accuracy: +0.0 points")
    )
    answers = json.loads((run / "compare" / "finetuned.jsonl").read_text().splitlines()[0])
    assert answers["facts"]["fact_accuracy"] == 1.0 and answers["missed_facts"] == []
    assert not list((run / "compare").glob("*.partial.jsonl"))  # the answer logs are done with


def test_a_compare_cut_short_asks_only_what_is_left_and_gives_the_same_answers(
    tmp_path, monkeypatch
):
    from tunelab import work_log
    from tunelab.compare.run import CompareConfig, compare

    run = tiny_run(tmp_path, QA)
    cfg = CompareConfig(max_new_tokens=4, batch_size=1, k=1)
    straight = compare(run, cfg.model_copy(update={"output": str(tmp_path / "straight")}))
    real, asked = work_log.generate, []

    def cut_after_first_answer(model, tokenizer, prompts, on_batch=None, **kwargs):
        def interrupt(batch):
            on_batch(batch)
            raise KeyboardInterrupt

        return real(model, tokenizer, prompts, on_batch=interrupt, **kwargs)

    out = tmp_path / "cut"
    monkeypatch.setattr(work_log, "generate", cut_after_first_answer)
    with pytest.raises(KeyboardInterrupt):
        compare(run, cfg.model_copy(update={"output": str(out)}))
    assert len((out / "answers-prompting.partial.jsonl").read_text().splitlines()) == 2

    def counted(model, tokenizer, prompts, **kwargs):
        asked.append(len(prompts))
        return real(model, tokenizer, prompts, **kwargs)

    monkeypatch.setattr(work_log, "generate", counted)
    resumed = compare(run, cfg.model_copy(update={"output": str(out)}))
    assert asked[0] == 2  # of three questions, one answer came from the log
    for a, b in zip(straight.arms, resumed.arms):
        assert [r["answer"] for r in a.rows] == [r["answer"] for r in b.rows]
    assert not list(out.glob("*.partial.jsonl"))


# lamini_docs' form: the question field carries the qa template's markers.
LAMINI = [
    ("How do I install the Lamini python package?", "Run pip install lamini in a terminal."),
    ("Can Lamini finetune a model on my own documents?", "Yes, upload documents and train."),
    ("Which GPUs does Lamini run on?", "Lamini runs on AMD and NVIDIA GPUs."),
    ("Does the submit_job function return a job id?", "It returns a dictionary with a job id."),
]


def _lamini(question: str) -> str:
    return f"### Question:\n{question}\n\n### Answer:"


def _write_rows(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = [json.dumps({"prompt_text": _lamini(q), "reply": a}) for q, a in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_test_row_never_gets_its_own_row_back_however_its_question_is_written(tmp_path):
    from tunelab.data.quality.dedup import own_rows
    from tunelab.data.templates import Example

    alpaca = tmp_path / "alpaca.jsonl"
    alpaca.write_text(
        json.dumps({"instruction": "Summarize the text.", "input": "Runs keep config.yaml.",
                    "output": "A run's settings live in config.yaml."}) + "\n"
        + json.dumps({"instruction": "Summarize the text.", "input": "Resume with --resume.",
                      "output": "Pass --resume to continue a run."}) + "\n"
    )  # fmt: skip
    lamini = _write_rows(tmp_path / "lamini.jsonl", LAMINI)
    corpus = load_corpus(lamini, fields={"question": "prompt_text", "answer": "reply"})
    corpus += load_corpus(alpaca)
    tests = [
        # Multi-line with markers: its first line is "### Question:", which asked nothing.
        Example.qa(_lamini("how do I install the Lamini python package"), LAMINI[0][1]),
        # A typo and the same answer: the row again, as data check finds near-duplicates.
        Example.qa("Which GPUs does Lamini run on ?", "Lamini runs on AMD and NVIDIA GPUs."),
        Example.qa("Summarize the text.\n\nRuns keep config.yaml.", "In config.yaml."),
    ]
    skipped = own_rows(corpus, tests)
    assert skipped == [{0}, {2}, {4}]
    retriever = Retriever(corpus)
    for test, skip in zip(tests, skipped):
        own = corpus[next(iter(skip))]
        assert own in retriever.search(test.question, k=len(corpus))  # BM25 ranks it...
        assert own not in retriever.search(test.question, k=len(corpus), skip=skip)  # ...not given


def test_the_rag_prompt_of_a_marked_question_carries_the_template_markers_once(tmp_path):
    from tunelab.data.templates import Prompt
    from tunelab.random_models import tiny_random

    corpus = load_corpus(
        _write_rows(tmp_path / "lamini.jsonl", LAMINI),
        fields={"question": "prompt_text", "answer": "reply"},
    )
    assert corpus[0].text == f"{LAMINI[0][0]}\n{LAMINI[0][1]}"  # the passage without markers
    question = _lamini("Which GPUs can I use with Lamini?")
    found = Retriever(corpus).search(question, k=2)
    _, tokenizer = tiny_random()
    plain = Prompt("qa").question(question, tokenizer)
    rag = Prompt("qa").question(with_context(question, found), tokenizer)
    # The plain arm and the RAG arm are framed alike: one question marker, one answer marker, last.
    for prompt in (plain, rag):
        assert prompt.count("### Question:") == prompt.count("### Answer:") == 1
        assert prompt.rstrip().endswith("### Answer:")
    assert "Question: Which GPUs can I use with Lamini?\n\n### Answer:" in rag


def _fields_run(tmp_path: Path) -> Path:
    """A run trained on custom columns (data.fields) whose test rows are also training rows."""
    run = tiny_run(tmp_path, QA)
    train = _write_rows(tmp_path / "train.jsonl", LAMINI)
    test = _write_rows(tmp_path / "test.jsonl", LAMINI[:2])
    (run / "config.yaml").write_text(
        f"name: demo\nmodel: {{name: tiny-random}}\ndata: {{path: {train}, test_path: {test}, "
        "template: qa, fields: {question: prompt_text, answer: reply}}\n"
    )
    return run


def test_compare_reads_the_corpus_as_the_run_read_its_data_and_leaves_out_the_test_rows(tmp_path):
    from tunelab.compare.run import CompareConfig, compare

    run = _fields_run(tmp_path)
    result = compare(run, CompareConfig(max_new_tokens=2, k=2))
    shown = [f"{question}\n{answer}" for question, answer in LAMINI]
    assert (result.own_rows, result.questions_with_own_rows) == (2, 2)
    for arm in (a for a in result.arms if a.rag):
        for row in arm.rows:  # test row n is training row n: never its own passage
            assert row["source"].rsplit(":", 1)[1] not in [
                p["source"].rsplit(":", 1)[1] for p in row["passages"]
            ]
            # What the model was shown, readable in the answers file: the rows without markers.
            assert row["passages"] and all(p["text"] in shown for p in row["passages"])
    report = (run / "compare" / "compare.md").read_text()
    assert "2 corpus rows that repeat a test row or ask its question were never retrieved" in report
    assert json.loads((run / "compare" / "compare.json").read_text())["own_rows_excluded"] == 2


def test_a_corpus_of_the_runs_own_columns_is_read_through_its_fields(tmp_path):
    # `--corpus` other than the run's file: "cannot tell the data shape" for every row.
    from tunelab.compare.run import CompareConfig, _corpus
    from tunelab.run import Run

    run = _fields_run(tmp_path)
    corpus = _write_rows(tmp_path / "corpus.jsonl", LAMINI[2:])
    passages = _corpus(Run.find(run), CompareConfig(corpus=str(corpus)))
    assert len(passages) == len(LAMINI) - 2


def test_a_long_answer_is_retrieved_in_pieces_not_whole(tmp_path):
    # A 41,000-character answer retrieved whole made 7,800-token prompts: 18 minutes for 10
    # questions. Cut as documents are, each piece after its question.
    long = " ".join(f"Sentence {i} says the retry limit is {i}." for i in range(400))
    path = tmp_path / "qa.jsonl"
    path.write_text(
        json.dumps({"question": "What are the limits?", "answer": long}) + "\n"
        + json.dumps({"question": "Short?", "answer": "Yes."}) + "\n"
    )  # fmt: skip
    passages = load_corpus(path, chunk_tokens=300)
    pieces = [p for p in passages if p.source.startswith(f"{path}:1#")]
    assert len(pieces) > 5 and len(passages) == len(pieces) + 1
    assert all(p.text.startswith("What are the limits?\n") for p in pieces)
    assert all(len(p.text.split()) < 300 for p in pieces)
    assert "".join(p.text.split("\n", 1)[1] for p in pieces).replace(" ", "") == long.replace(
        " ", ""
    )


def test_passages_cut_to_fit_the_context_are_reported_and_recall_counts_only_those_kept(
    tmp_path, monkeypatch
):
    from tunelab import models
    from tunelab.compare.run import CompareConfig, compare

    run = tiny_run(tmp_path, QA)
    cfg = CompareConfig(max_new_tokens=2, k=2)
    roomy = compare(run, cfg.model_copy(update={"output": str(tmp_path / "roomy")}))
    # Room for a bare question and its answer, never for a passage beside it.
    monkeypatch.setattr(models, "context_length", lambda model, tokenizer: 2 + 40)
    tight = compare(run, cfg.model_copy(update={"output": str(tmp_path / "tight")}))
    for before, after in zip(roomy.arms, tight.arms):
        if before.rag:
            assert before.passages_cut == 0 and before.summary["context_recall"] > 0
            assert after.passages_cut == after.passages_none == 3
            assert after.summary["context_recall"] == 0.0
            assert all(row["passages"] == [] for row in after.rows)
    report = (tmp_path / "tight" / "compare.md").read_text()
    assert "3 questions lost passages to fit the model's context (3 asked with none)" in report
    assert "context recall 0.0%" in report


def test_questions_retrieval_found_nothing_for_are_counted_and_said(tmp_path):
    # 6 of 10 questions got no passage (BM25 returns only those sharing a word), so their +RAG
    # answers were the plain ones, and the report said nothing of it.
    from tunelab.compare.run import CompareConfig, compare

    run = tiny_run(tmp_path, QA)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps({"question": "Which file holds the settings?",
                                  "answer": "config.yaml holds them."}) + "\n")  # fmt: skip
    cfg = CompareConfig(max_new_tokens=2, k=2, corpus=str(corpus), output=str(tmp_path / "out"))
    result = compare(run, cfg)
    for arm in (a for a in result.arms if a.rag):
        assert arm.passages_unfound == 2, arm.name  # "What does tunelab train?", "Where are ..."
    report = " ".join((tmp_path / "out" / "compare.md").read_text().split())
    assert "2 questions for which retrieval found no passage (asked as without RAG)" in report
    saved = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert any(a.get("passages_unfound") == 2 for a in saved["arms"])


def test_a_verdict_held_back_by_the_sign_flip_test_says_so_not_could_be_zero():
    # 5 of 20 questions gained: the interval excludes zero, the sign-flip test does not confirm
    # it (p 1/16); the verdict said "could be zero (95% paired interval...)".
    from tunelab.compare.report import verdict

    said = verdict([_arm("prompting", [0.0] * 20), _arm("finetuned", [1.0] * 5 + [0.0] * 15)])
    assert said == (
        "No clear winner by token F1: finetuned has the highest mean, but the sign-flip test does "
        "not confirm its lead over prompting (p = 0.062; the interval excludes zero)."
    )


def test_arms_the_best_cannot_be_told_from_are_listed_with_an_and():
    from tunelab.compare.report import verdict

    arms = [_arm(n, [0.5, 0.6] * 20) for n in ("prompting", "prompting + RAG", "finetuned")]
    arms.append(_arm("finetuned + RAG", [0.6, 0.5, 0.55, 0.6] * 10))  # ahead by chance alone
    assert "from prompting, prompting + RAG and finetuned could be zero" in verdict(arms)


def test_the_report_opens_with_whether_finetuning_beat_prompting_and_rag():
    # A walk's compare.md ended "No clear winner by fact accuracy" (finetuned vs finetuned + RAG)
    # while finetuned vs prompting + RAG was +40 [+10, +61]: the question asked came last.
    from tunelab.compare.report import headline

    prompting = _fact_arm("prompting", [0.0] * 40, [0.2] * 40)
    rag = _fact_arm("prompting + RAG", [0.0, 1.0, 0.0, 0.0] * 10, [0.8] * 40)
    tuned = _fact_arm("finetuned", [1.0, 1.0, 1.0, 0.0] * 10, [0.4] * 40)
    both = _fact_arm("finetuned + RAG", [1.0, 1.0, 0.0, 1.0] * 10, [0.5] * 40)
    lines = headline([prompting, rag, tuned, both])
    assert lines[0].startswith("- **Finetuned vs prompting**, fact accuracy: +75.0 points [")
    assert lines[0].endswith("over 40 questions: finetuning is ahead.")
    assert lines[1].startswith("- **Finetuned vs prompting + RAG**, fact accuracy: +50.0 points")
    few = headline([_fact_arm("prompting", [0.0] * 4, [0.1] * 4),
                    _fact_arm("finetuned", [1.0] * 4, [0.5] * 4)])  # fmt: skip
    assert few == [
        "- **Finetuned vs prompting**, fact accuracy: +100.0 points [+30.7, +100.0] over 4 "
        "questions: no clear winner (4 questions, under 10)."
    ]


def test_compare_json_keeps_each_arms_rows_and_interval_beside_its_means(tmp_path):
    # A walk's compare.json held a hallucination rate of 0.111 with no word that it was 1 of 9
    # rows, nor how sure: compare.md had both, eval's summary.json had both, compare.json neither.
    from tunelab.compare.report import write_report
    from tunelab.compare.run import Arm, CompareConfig, Comparison
    from tunelab.evaluate.scores import summarize

    def arm(name: str, right: int, hallucinated: int) -> Arm:
        rows = [
            {"answer": "an answer", "finish_reason": "stop",
             "scores": {"normalized_match": 0.0, "token_f1": 0.25 * (i % 3), "rouge_l": 0.2},
             "facts": {"fact_accuracy": float(i < right)}
             | ({"hallucination": float(i < hallucinated)} if i < 9 else {})}
            for i in range(20)
        ]  # fmt: skip
        summary = summarize(rows) | {"answer_words": 2.0, "seconds_per_question": 0.1}
        return Arm(name, "m", False, rows, 2.0, summary)

    arms = [arm("prompting", 2, 3), arm("finetuned", 10, 1)]
    write_report(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    report = json.loads((tmp_path / "compare.json").read_text())
    assert report["questions"] == 20
    tuned = report["arms"][1]
    assert tuned["hallucination_rate"] == pytest.approx(1 / 9)
    assert tuned["n"]["hallucination_rate"] == 9 and tuned["n"]["fact_accuracy"] == 20
    low, high = tuned["interval95"]["fact_accuracy"]  # Wilson's, as compare.md shows it
    assert (low, high) == (pytest.approx(0.2993, abs=1e-4), pytest.approx(0.7007, abs=1e-4))
    assert f"{100 * low:.1f}, {100 * high:.1f}]" in (tmp_path / "compare.md").read_text()
    assert "answer_words" not in tuned["n"]  # a length, not a score over the questions


def test_an_arm_right_on_no_question_of_ten_gets_its_chart_not_a_traceback(tmp_path):
    # A walk's `compare --limit 10`: no arm matched a reference exactly, Wilson's low bound of
    # 0 of 10 came out 2.8e-17, above the share, and matplotlib refused the negative error bar
    # after every question had been answered. A score the same on every question is such a
    # bound too: ROUGE-L 0.09 ten times averages 0.08999999999999998, its bootstrap reads 0.09.
    from tunelab.compare.report import write_report
    from tunelab.compare.run import Arm, CompareConfig, Comparison
    from tunelab.evaluate.scores import summarize

    rows = [
        {"answer": "no", "finish_reason": "stop", "facts": {"fact_accuracy": 0.0},
         "scores": {"normalized_match": 0.0, "token_f1": 0.1 * i, "rouge_l": 0.09}}
        for i in range(10)
    ]  # fmt: skip
    summary = summarize(rows) | {"answer_words": 1.0, "seconds_per_question": 0.1}
    arms = [Arm(name, "m", False, rows, 1.0, summary) for name in ("prompting", "finetuned")]
    write_report(Comparison("runs/x", arms, 0, tmp_path), CompareConfig())
    assert (tmp_path / "compare.png").read_bytes().startswith(b"\x89PNG")


def test_context_recall_leaves_out_references_without_content_words(tmp_path):
    # "Yes." has no content word to find in a passage: it counted as a recall of 0, and a test
    # set of half yes/no questions read half the recall its passages had.
    from tunelab.compare.run import CompareConfig, compare
    from tunelab.data.retrieval import Passage

    tests = tmp_path / "test.jsonl"
    rows = [{"question": "Does tunelab train small models?", "answer": "Yes."},
            {"question": "Which file holds a run's settings?", "answer": "config.yaml in the run folder."}]  # fmt: skip
    tests.write_text("".join(json.dumps(row) + "\n" for row in rows))
    cfg = CompareConfig(data=str(tests), max_new_tokens=2, k=2, output=str(tmp_path / "out"))
    result = compare(tiny_run(tmp_path, QA), cfg)
    for arm in (a for a in result.arms if a.rag):
        kept = [Passage(p["source"], p["text"]) for p in arm.rows[1]["passages"]]
        assert arm.summary["context_recall"] == context_recall(rows[1]["answer"], kept) > 0
    assert context_recall("Yes.", kept) is None


def test_a_chat_test_row_is_asked_with_its_history_in_every_arm(tmp_path, monkeypatch):
    import tunelab.work_log as work_log
    from tests.conftest import write_jsonl
    from tunelab.compare.run import CompareConfig, compare

    run = tiny_run(tmp_path, QA)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("template: qa", "template: chat"))
    chat = [
        {"role": "system", "content": "Answer from the manual."},
        {"role": "user", "content": "I use tunelab."},
        {"role": "assistant", "content": "Good to hear."},
        {"role": "user", "content": "Which file holds a run's settings?"},
        {"role": "assistant", "content": "config.yaml in the run folder."},
    ]
    test = write_jsonl(tmp_path / "chat.jsonl", [{"messages": chat}])
    asked, real = [], work_log.generate

    def generate(model, tokenizer, prompts, **kwargs):
        asked.extend(prompts)
        return real(model, tokenizer, prompts, **kwargs)

    monkeypatch.setattr(work_log, "generate", generate)
    compare(run, CompareConfig(data=str(test), max_new_tokens=2, k=1))
    history = "I use tunelab.<|im_end|>\n<|im_start|>assistant\nGood to hear."
    assert len(asked) == 4 and all(history in p and "Answer from the manual." in p for p in asked)
    plain, rag = asked[:2]
    assert "Which file holds a run's settings?" in rag and "runs/<name>" in rag  # a passage
    assert plain.endswith("Which file holds a run's settings?<|im_end|>\n<|im_start|>assistant\n")
