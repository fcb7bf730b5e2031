"""Each `tunelab data` command on README's data path (inspect, generate → check → augment →
split → facts) ends with the command that comes next, written with the user's own paths and the
`--set data.fields...` their columns are read through: a newcomer following the path was left
to find it."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_data_augment_fields import SET_FIELDS
from tests.test_data_generate import DOCS
from tests.test_data_quality import FACTS, qa_rows, write_rows
from tests.test_data_split_facts import generated_like
from tunelab.cli import app
from tunelab.errors import TunelabError


def next_step(*args: str) -> str:
    """The command's last line, which names the next step."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    last = result.output.rstrip().splitlines()[-1]
    assert last.startswith("next: "), result.output
    return last


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """A working folder of its own: the next steps write there, named after the data."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_clean_check_is_followed_by_the_split_training_makes(here, wide_terminal):
    data = write_rows(here / "qa.jsonl", qa_rows(FACTS))
    said = next_step("data", "check", data, "--model", "tiny-random")
    assert said == f"next: tunelab data split {data} -o qa_split --model tiny-random"


def test_a_model_of_the_users_own_is_carried_through_the_pasted_next_lines(here, wide_terminal):
    # A newcomer's check named their model, its split's next line trained the default: pasted,
    # `tunelab train` finetuned smollm2-135m-instruct instead of theirs.
    data = write_rows(here / "qa.jsonl", qa_rows(FACTS))
    split = next_step("data", "check", data, "--model", "tiny-random")
    assert split == f"next: tunelab data split {data} -o qa_split --model tiny-random"
    propose, train = _run(split).split(", then ")
    assert shlex.split(propose)[-2:] == ["--model", "tiny-random"]
    assert shlex.split(train)[:4] == ["tunelab", "train", "--set", "model.name=tiny-random"]
    # The facts proposed, the same training is named again, the model with it.
    assert _run(propose) == f"next: {train}"


def test_a_split_for_the_default_model_names_none(tmp_path, wide_terminal):
    data = generated_like(tmp_path / "gen.jsonl")
    default = next_step("data", "split", data, "-o", tmp_path / "split", "--test-size", "0")
    named = next_step(
        *("data", "split", data, "-o", tmp_path / "split", "--test-size", "0", "--overwrite"),
        *("--model", "smollm2-135m-instruct"),
    )
    assert (
        named
        == default
        == f"next: tunelab train --set data.path={tmp_path / 'split' / 'train.jsonl'}"
    )


def test_a_check_that_finds_duplicates_is_followed_by_its_fix(here, wide_terminal):
    data = write_rows(here / "qa.jsonl", qa_rows(FACTS + [FACTS[0]]))
    said = next_step("data", "check", data, "--model", "tiny-random")
    assert said == f"next: tunelab data check {data} --fix -o qa_clean.jsonl --model tiny-random"
    # Run as said, the fixed file is then split.
    fixed = next_step(*shlex.split(said.removeprefix("next: tunelab ")))
    assert fixed == "next: tunelab data split qa_clean.jsonl -o qa_clean_split --model tiny-random"


def test_a_checks_advice_and_its_next_line_name_the_same_clean_file(here, wide_terminal):
    # Its "What to do" said `--fix -o clean.jsonl` above a next line of `-o qa_clean.jsonl`.
    data = write_rows(here / "qa.jsonl", qa_rows(FACTS + [FACTS[0]]))
    said = CliRunner().invoke(app, ["data", "check", str(data), "--model", "tiny-random"]).output
    advice = " ".join(said.split())  # as its table's cell folds it
    assert "What to do: `--fix -o qa_clean.jsonl` drops the 1 row(s) listed below" in advice
    assert said.rstrip().endswith(f"data check {data} --fix -o qa_clean.jsonl --model tiny-random")
    refused = CliRunner().invoke(app, ["data", "check", str(data), "--fix"]).exception
    assert str(refused) == "--fix and --scrub write a new file: add -o qa_clean.jsonl"


def test_a_check_with_rejected_lines_says_to_fix_them_first(tmp_path, wide_terminal):
    rows = qa_rows(FACTS) + [{"question": "No answer here?", "answer": "  "}]
    data = write_rows(tmp_path / "qa.jsonl", rows)
    said = next_step("data", "check", data, "--model", "tiny-random")
    again = f"tunelab data check {data} --model tiny-random"
    assert said == f"next: fix the rejected rows listed above, then {again}"


def test_a_check_against_a_test_file_is_followed_by_training_on_both(tmp_path, wide_terminal):
    data = write_rows(tmp_path / "qa.jsonl", qa_rows(FACTS[:5]))
    test = write_rows(tmp_path / "test.jsonl", qa_rows(FACTS[5:]))
    said = next_step("data", "check", data, "--model", "tiny-random", "--test", test)
    assert said == (
        "next: tunelab train --set model.name=tiny-random "
        f"--set data.path={data} --set data.test_path={test}"
    )


def test_augmented_rows_are_split_holding_out_rephrasings(here, wide_terminal):
    data = write_rows(here / "qa.jsonl", [{"question": "What is the port?", "answer": "7410."}])
    out = here / "more.jsonl"
    said = next_step("data", "augment", data, "--mode", "rules", "-o", out)
    assert said == f"next: tunelab data split {out} -o more_split --held-out rephrasings"


def test_a_split_is_followed_by_facts_for_its_test_rows_and_training_asked_them(
    tmp_path, wide_terminal
):
    data = generated_like(tmp_path / "gen.jsonl")
    out = tmp_path / "split"
    said = next_step("data", "split", data, "-o", out, "--test-size", "4")
    facts = out / "test_facts.jsonl"
    assert said == (
        f"next: tunelab data facts {out / 'test.jsonl'} -o {facts}, then tunelab train --set "
        f"data.path={out / 'train.jsonl'} --set data.test_path={facts}"
    )
    # The facts of that split's test rows are followed by that training.
    said = next_step("data", "facts", out / "test.jsonl", "-o", facts)
    train = f"tunelab train --set data.path={out / 'train.jsonl'} --set data.test_path={facts}"
    assert said == f"next: {train}"


def test_rows_in_lamini_docs_form_are_trained_next_in_the_template_they_carry(
    tmp_path, wide_terminal
):
    # Pasted as said, training wrapped lamini_docs' "### Question:" rows in the chat template
    # again (it warned, and went on): the line now names the qa template, which passes them on.
    rows = [{"question": f"### Question:\nWhat is code {i}?\n\n### Answer:",
             "answer": f"Code {i} is {i * 7 + 3}."} for i in range(12)]  # fmt: skip
    data = write_rows(tmp_path / "lamini.jsonl", rows)
    out = tmp_path / "split"
    said = next_step("data", "split", data, "-o", out, "--test-size", "2")
    facts = out / "test_facts.jsonl"
    train = (
        f"tunelab train --set data.path={out / 'train.jsonl'} --set data.test_path={facts} "
        "--set data.template=qa"
    )
    assert said.endswith(f", then {train}")
    assert next_step("data", "facts", out / "test.jsonl", "-o", facts) == f"next: {train}"
    asked = {"question": "### Question:\nWho wrote it?\n\n### Answer:", "answer": "Ada Lovelace."}
    test = write_rows(tmp_path / "test.jsonl", [asked])
    checked = next_step(
        "data", "check", out / "train.jsonl", "--model", "tiny-random", "--test", test
    )
    assert checked.endswith("--set data.template=qa")


def test_facts_of_a_test_file_alone_are_followed_by_eval_on_them(tmp_path, wide_terminal):
    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps({"question": "Which port?", "answer": "Port 7410."}) + "\n")
    said = next_step("data", "facts", test, "-o", tmp_path / "facts.jsonl")
    assert said.startswith(f"next: tunelab eval RUN --data {tmp_path / 'facts.jsonl'} (RUN: ")
    # A model named: its eval on them, ready to paste.
    facts = tmp_path / "model_facts.jsonl"
    said = next_step("data", "facts", test, "-o", facts, "--model", "tiny-random")
    assert said == f"next: tunelab eval tiny-random --data {facts}"


def test_facts_of_a_runs_held_out_rows_are_followed_by_that_runs_eval_on_them(
    tmp_path, wide_terminal
):
    # `tunelab eval RUN` proposes `data facts RUN/held_out.jsonl`, whose next line said "RUN".
    run = tmp_path / "runs" / "mine"
    (run / "model").mkdir(parents=True)
    (run / "config.yaml").write_text("name: mine\n")
    held_out = run / "held_out.jsonl"
    held_out.write_text(json.dumps({"question": "Which port?", "answer": "Port 7410."}) + "\n")
    said = next_step("data", "facts", held_out, "-o", tmp_path / "facts.jsonl")
    assert said == f"next: tunelab eval {run} --data {tmp_path / 'facts.jsonl'}"


def test_a_path_with_a_space_is_quoted_so_the_line_pastes_whole(here, wide_terminal):
    (here / "my data").mkdir()
    data = write_rows(here / "my data" / "qa.jsonl", qa_rows(FACTS))
    said = next_step("data", "check", data, "--model", "tiny-random")
    assert shlex.split(said.removeprefix("next: ")) == [
        *("tunelab", "data", "split", str(data), "-o", "qa_split", "--model", "tiny-random")
    ]


def test_a_split_holding_nothing_out_is_followed_by_training_alone(tmp_path, wide_terminal):
    data = generated_like(tmp_path / "gen.jsonl")
    out = tmp_path / "split"
    said = next_step("data", "split", data, "-o", out, "--test-size", "0")
    assert said == f"next: tunelab train --set data.path={out / 'train.jsonl'}"


def _own_columns(path: Path) -> Path:
    """FACTS in columns of the user's own names, read through SET_FIELDS."""
    return write_rows(path, [{"Query": q, "Response": a} for q, a in FACTS])


def _run(step: str) -> str:
    """Run one step of a `next:` line as pasted; its own `next:` line."""
    return next_step(*shlex.split(step.removeprefix("next: ").removeprefix("tunelab ")))


def test_an_inspection_is_followed_by_the_check_of_the_whole_set_read_alike(here, wide_terminal):
    data = _own_columns(here / "qa.jsonl")
    said = next_step(
        "data", "inspect", data, "--model", "tiny-random", "--max-length", "400", *SET_FIELDS
    )
    fields = shlex.join(SET_FIELDS)
    assert said == f"next: tunelab data check {data} --model tiny-random --max-length 400 {fields}"
    assert _run(said) == f"next: tunelab data split {data} -o qa_split --model tiny-random {fields}"


def test_columns_of_the_users_own_names_are_read_through_them_at_every_next_step(
    here, wide_terminal
):
    # The next lines left the fields out: pasted, `data split` refused the file, naming no
    # question column, and so would training have.
    data, fields = _own_columns(here / "qa.jsonl"), shlex.join(SET_FIELDS)
    said = next_step("data", "check", data, "--model", "tiny-random", *SET_FIELDS)
    assert said == f"next: tunelab data split {data} -o qa_split --model tiny-random {fields}"
    propose, train = _run(said).split(", then ")
    facts = Path("qa_split", "test_facts.jsonl")
    test = Path("qa_split", "test.jsonl")
    assert propose == f"next: tunelab data facts {test} -o {facts} --model tiny-random {fields}"
    assert train == (
        f"tunelab train --set model.name=tiny-random --set data.path="
        f"{Path('qa_split', 'train.jsonl')} --set data.test_path={facts} {fields}"
    )
    assert _run(propose) == f"next: {train}"
    # Facts of a test file no train file sits beside: eval, reading them alike.
    test = _own_columns(here / "test.jsonl")
    said = next_step("data", "facts", test, "-o", "facts.jsonl", *SET_FIELDS)
    assert said.startswith(f"next: tunelab eval RUN --data facts.jsonl {fields} (RUN: ")


def test_generated_pairs_are_followed_by_their_check_then_their_rewrites(here, wide_terminal):
    # Template mode asks each fact once: rewrites teach it better (the line above says why).
    out = here / "qa.jsonl"
    said = next_step("data", "generate", DOCS / "guide.md", "-o", out)
    augment = f"tunelab data augment {out} --mode rules -o more.jsonl"
    assert said == f"next: tunelab data check {out}, then {augment}"


def test_generated_pairs_name_the_model_to_finetune_in_their_check_and_rewrites(
    here, wide_terminal
):
    # generate's --model writes the pairs: its next lines named no model, and pasted on, the
    # check measured in the default's tokens and the train line finetuned the default.
    out = here / "qa.jsonl"
    said = next_step(
        "data", "generate", DOCS / "guide.md", "-o", out, "--train-model", "tiny-random"
    )
    check = f"tunelab data check {out} --model tiny-random"
    augment = f"tunelab data augment {out} --mode rules -o more.jsonl --train-model tiny-random"
    assert said == f"next: {check}, then {augment}"


def test_a_saved_dataset_dict_is_checked_then_split_on_its_own_test_split(here, wide_terminal):
    # Its makers held out its test split: check named a split of the train split, and that
    # split held out 3 of its train rows, its test split unused.
    import datasets

    rows = qa_rows(FACTS)
    parts = {"train": rows[:-3], "test": rows[-3:]}
    saved = here / "faq"
    datasets.DatasetDict({k: datasets.Dataset.from_list(v) for k, v in parts.items()}).save_to_disk(
        str(saved)
    )
    said = next_step("data", "check", saved, "--model", "tiny-random")
    assert said == (
        f"next: tunelab train --set model.name=tiny-random --set data.path={saved} "
        f"--set data.test_path={saved}/test"
    )
    next_step("data", "split", saved, "-o", "faq_split")
    test = [json.loads(line) for line in (here / "faq_split" / "test.jsonl").open()]
    assert test == parts["test"]


def test_a_check_of_generated_pairs_goes_on_to_their_rewrites_then_the_split(here, wide_terminal):
    # generate named check, then augment: the check itself named the split, skipping augment.
    out = here / "qa.jsonl"
    next_step("data", "generate", DOCS / "guide.md", "-o", out)
    said = next_step("data", "check", out, "--model", "tiny-random")
    augment = f"tunelab data augment {out} --mode rules -o more.jsonl"
    assert said == f"next: {augment} --train-model tiny-random"
    _run(said)
    # The rewrites checked: split holding them out, as augment's own next: line says.
    said = next_step("data", "check", "more.jsonl", "--model", "tiny-random")
    split = "tunelab data split more.jsonl -o more_split --held-out rephrasings"
    assert said == f"next: {split} --model tiny-random"


def test_the_users_model_is_carried_through_augment_to_training(here, wide_terminal):
    # augment's --model is the model that rewrites: its split line named no model, and pasted on,
    # `tunelab train` finetuned smollm2-135m-instruct instead of the model the check was given.
    out = here / "qa.jsonl"
    next_step("data", "generate", DOCS / "guide.md", "-o", out)
    augment = next_step("data", "check", out, "--model", "tiny-random")
    split = _run(augment)
    assert split == (
        "next: tunelab data split more.jsonl -o more_split --held-out rephrasings "
        "--model tiny-random"
    )
    propose, train = _run(split).split(", then ")
    assert shlex.split(train)[:4] == ["tunelab", "train", "--set", "model.name=tiny-random"]
    assert _run(propose) == f"next: {train}"


def test_a_model_rewriting_the_questions_is_not_the_one_trained_next(here, wide_terminal):
    data = write_rows(here / "qa.jsonl", [{"question": "What is the port?", "answer": "7410."}])
    test = write_rows(here / "test.jsonl", [{"question": "Which user?", "answer": "ferry."}])
    said = next_step(
        *("data", "augment", data, "--mode", "rules", "-o", "more.jsonl", "--test", test),
        *("--model", "tiny-random"),
    )
    assert said == f"next: tunelab train --set data.path=more.jsonl --set data.test_path={test}"


@pytest.mark.parametrize("command", ["split", "facts", "augment", "generate"])
def test_a_mistyped_model_folder_is_refused_before_anything_is_written(here, command):
    # Only carried to the next lines, it failed once the pasted train loaded it.
    (here / "mymodel").mkdir()
    (here / "mymodel" / "config.json").write_text("{}", encoding="utf-8")
    data = generated_like(here / "gen.jsonl")
    args = {
        "split": ("data", "split", data, "-o", "split", "--model", "mymodle"),
        "facts": ("data", "facts", data, "-o", "facts.jsonl", "--model", "mymodle"),
        "augment": ("data", "augment", data, "--mode", "rules", "--train-model", "mymodle"),
        "generate": ("data", "generate", DOCS, "-o", "qa.jsonl", "--train-model", "mymodle"),
    }[command]
    refused = CliRunner().invoke(app, [str(a) for a in args]).exception
    assert isinstance(refused, TunelabError)
    assert str(refused).endswith("Did you mean mymodel?")
    assert sorted(p.name for p in here.iterdir()) == ["gen.jsonl", "mymodel"]


def test_a_hub_id_is_carried_as_given_offline(tmp_path, wide_terminal, monkeypatch):
    # A hub id cannot be checked offline: training fetches it where the hub is reachable.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = generated_like(tmp_path / "gen.jsonl")
    out = tmp_path / "split"
    said = next_step(*("data", "split", data, "-o", out, "--test-size", "0"), "--model", "org/m")
    train = f"tunelab train --set model.name=org/m --set data.path={out / 'train.jsonl'}"
    assert said == f"next: {train}"
