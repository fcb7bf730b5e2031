"""`tunelab compare MODEL`: before any training, a model (not a run) asked the two prompting
ways, prompting and prompting + RAG, on a test set and a corpus the user names."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import tiny_run, write_jsonl
from tunelab.cli import app
from tunelab.compare.run import CompareConfig, compare
from tunelab.errors import TunelabError

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"
TEST, DOCS = str(QA / "test.jsonl"), str(QA / "train.jsonl")


def test_a_model_is_asked_as_a_run_prompts_it_without_the_finetuned_arms(tmp_path, monkeypatch):
    # A run of the model's own chat template, trained on DOCS and tested on TEST: its prompting
    # arms are what the model alone gives before training.
    run = tiny_run(tmp_path, QA)
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("template: qa", "template: chat"))
    settings = ["--max-new-tokens", "3", "--k", "2"]
    assert CliRunner().invoke(app, ["compare", str(run), *settings]).exit_code == 0
    monkeypatch.chdir(tmp_path)
    args = ["compare", "tiny-random", "--data", TEST, "--corpus", DOCS, *settings]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = tmp_path / "compare" / "tiny-random"  # its default folder
    report = json.loads((out / "compare.json").read_text())
    assert [a["name"] for a in report["arms"]] == ["prompting", "prompting + RAG"]
    for name in ("prompting.jsonl", "prompting_RAG.jsonl"):
        alone = [json.loads(x) for x in (out / name).read_text().splitlines()]
        in_run = [json.loads(x) for x in (run / "compare" / name).read_text().splitlines()]
        assert [(r["answer"], r["passages"], r["scores"]) for r in alone] == [
            (r["answer"], r["passages"], r["scores"]) for r in in_run
        ]
    # The paired verdict between the two arms, and what was not asked and how to get it.
    markdown = (out / "compare.md").read_text()
    assert markdown.startswith("# Prompting vs prompting + RAG (no finetuned arms): tiny-random")
    assert "- **Prompting + RAG vs prompting**, token F1:" in markdown
    assert "No clear winner by token F1" in markdown
    said = "the finetuned arms were not asked: tiny-random is a model, not a run"
    assert said in markdown and said in " ".join(result.output.split())
    assert "then `tunelab compare RUN` asks all four ways" in markdown


@pytest.mark.parametrize(
    ("given", "refused"),
    [({"data": TEST}, "--corpus"), ({"corpus": DOCS}, "--data"), ({}, "--data and --corpus")],
)
def test_a_model_needs_a_test_set_and_a_corpus(given, refused):
    # A run brings its own; a model has none to fall back on.
    with pytest.raises(TunelabError, match=f"^{refused}: tiny-random is a model, not a run"):
        compare("tiny-random", CompareConfig(**given))


def test_base_is_refused_beside_a_model():
    # --base replaces a run's base model; beside a model there is none to replace.
    args = ["compare", "tiny-random", "--data", TEST, "--corpus", DOCS, "--base", "tiny-random"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, TunelabError)
    assert str(result.exception).startswith("--base: tiny-random is a model, not a run")


def test_a_mistyped_run_is_refused_as_no_such_folder_not_asked_for_data(tmp_path):
    with pytest.raises(TunelabError, match="no such file or folder"):
        compare(str(tmp_path / "runs" / "dmeo"), CompareConfig(data=TEST, corpus=DOCS))


def test_a_run_that_saved_no_model_is_named_as_such_not_asked_for_data(tmp_path):
    killed = tmp_path / "runs" / "killed"  # a run killed before it wrote model/
    killed.mkdir(parents=True)
    (killed / "config.yaml").write_text("name: killed\n")
    (killed / "metrics.jsonl").write_text('{"step": 0, "eval_loss": 5.0}\n')
    with pytest.raises(TunelabError, match="saved no model yet"):
        compare(str(killed))


@pytest.mark.parametrize(
    ("options", "asked", "said"),
    [
        ([], ("chat", None), "template 'chat'"),  # the model's own chat template
        (["--template", "qa"], ("qa", None), "template 'qa'"),
        (["--system-prompt", "Be brief."], ("chat", "Be brief."),
         "template 'chat', system prompt 'Be brief.'"),
    ],
)  # fmt: skip
def test_a_model_is_asked_with_the_template_and_system_prompt_given_as_eval_takes_them(
    tmp_path, monkeypatch, options, asked, said
):
    import tunelab.generation.generate as generate

    prompts = []
    real = generate.answer

    def answer(*args, **kwargs):
        prompts.append((kwargs["template"], kwargs["system_prompt"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "answer", answer)
    args = ["compare", "tiny-random", "--data", TEST, "--corpus", DOCS, "--limit", "1"]
    out = ["--output", str(tmp_path / "out"), "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, [*args, *out, *options])
    assert result.exit_code == 0, result.output
    assert prompts == [asked, asked]  # both arms alike: only the passages differ
    assert (
        f"1 test question from {TEST}, its first row (--limit 1), asked with {said}; passages:"
        in (tmp_path / "out/compare.md").read_text()
    )


def test_rows_in_lamini_docs_form_are_asked_in_qa_as_eval_asks_them(tmp_path, monkeypatch):
    # "### Question:\n...\n\n### Answer:" rows: the chat template wrapped the plain arm's markers
    # again (the RAG arm's questions go without them), and eval of the same model asks in qa.
    import tunelab.generation.generate as generate

    rows = [{"question": f"### Question:\nWhat does option {i} set?\n\n### Answer:",
             "answer": f"Option {i} sets the size."} for i in range(3)]  # fmt: skip
    write_jsonl(tmp_path / "test.jsonl", rows)
    asked = []
    real = generate.answer

    def answer(*args, **kwargs):
        asked.append(kwargs["template"])
        return real(*args, **kwargs)

    monkeypatch.setattr(generate, "answer", answer)
    args = ["compare", "tiny-random", "--data", str(tmp_path / "test.jsonl"), "--corpus", DOCS]
    out = ["--output", str(tmp_path / "out"), "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, [*args, *out])
    assert result.exit_code == 0, result.output
    assert asked == ["qa", "qa"]
    report = (tmp_path / "out/compare.md").read_text()
    assert "asked with template 'qa'" in report and "already carry" not in report
    # Asked in chat all the same, the report says what eval says of it.
    result = CliRunner().invoke(app, [*args, *out, "--template", "chat"])
    assert result.exit_code == 0, result.output
    assert (
        "3 of 3 rows already carry prompt-template markers"
        in (tmp_path / "out/compare.md").read_text()
    )


@pytest.mark.parametrize("option", ["--template", "--system-prompt"])
def test_a_run_is_asked_with_its_own_template_and_system_prompt_only(tmp_path, option):
    # The finetuned arm asked in a prompt it was not trained in would measure that prompt.
    run = tiny_run(tmp_path, QA)
    result = CliRunner().invoke(app, ["compare", str(run), option, "chat"])
    assert isinstance(result.exception, TunelabError)
    said = str(result.exception)
    assert said.startswith(f"{option}: {run} is a run")
    assert "data.template, data.system_prompt in its config.yaml" in said
    assert "tunelab compare MODEL" in said


def test_a_system_prompt_the_template_has_no_place_for_is_refused_before_any_reading(tmp_path):
    # --template qa asks the question alone: both arms were scored as without the system prompt.
    args = ["compare", "tiny-random", "--data", TEST, "--corpus", DOCS, "--template", "qa"]
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [*args, "--system-prompt", "Be brief.", "--output", str(out)])
    assert isinstance(result.exception, TunelabError), result.output
    assert str(result.exception).startswith(
        "--system-prompt refused: this model is asked in the 'qa' template"
    )
    assert not out.exists()  # nothing asked


def test_a_template_that_cannot_ask_a_row_is_refused_by_the_row_before_any_answer(tmp_path):
    args = ["compare", "tiny-random", "--data", TEST, "--corpus", DOCS, "--template", "{{ bad"]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path / "out")])
    assert isinstance(result.exception, TunelabError)
    assert str(result.exception).startswith(f"{TEST}:1: custom prompt template failed")
    assert not list((tmp_path / "out").glob("answers-*"))  # nothing asked


def test_a_saved_dataset_dict_is_compared_on_its_own_test_split(tmp_path):
    # Its train split is what a run trains on; the test split its makers held out is asked.
    import datasets

    rows = [{"question": f"What is code {i}?", "answer": f"Code {i} is {i * 7}."} for i in range(5)]
    faq = tmp_path / "faq"
    datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_list(rows[:3]),
            "test": datasets.Dataset.from_list(rows[3:]),
        }
    ).save_to_disk(str(faq))
    args = ["compare", "tiny-random", "--data", str(faq), "--corpus", DOCS, "--k", "1"]
    out = ["--output", str(tmp_path / "out"), "--max-new-tokens", "2"]
    result = CliRunner().invoke(app, [*args, *out])
    assert result.exit_code == 0, result.output
    assert f"2 test questions from {faq / 'test'}" in (tmp_path / "out/compare.md").read_text()


def test_a_headline_over_guessed_facts_says_so_under_it(tmp_path):
    # 3 of the 4 rows lamini_docs' fact accuracy was over had rare words of their reference as
    # facts ("variety"): the headline read as facts learned, the caveat came at the foot.
    rows = [json.loads(line) for line in Path(TEST).read_text().splitlines()]
    marked = [{**row, "facts": [["config"]], "facts_from": "reference words"} for row in rows[:2]]
    write_jsonl(tmp_path / "test.jsonl", [*marked, {**rows[2], "facts": [["eval"]]}])
    args = ["compare", "tiny-random", "--data", str(tmp_path / "test.jsonl"), "--corpus", DOCS]
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path / "out"), "--k", "1"])
    assert result.exit_code == 0, result.output
    said = "2 of the 3 rows this is over have facts `tunelab data facts` guessed from rare words"
    head = (tmp_path / "out" / "compare.md").read_text().split("\n| arm |")[0]
    assert said in head and said in " ".join(result.output.split())
    # Facts written by hand (no mark) need no such line.
    write_jsonl(tmp_path / "test.jsonl", [{**row, "facts": [["config"]]} for row in rows])
    result = CliRunner().invoke(app, [*args, "--output", str(tmp_path / "out2"), "--k", "1"])
    assert "guessed from rare words" not in (tmp_path / "out2" / "compare.md").read_text()
