"""A model name that gives no model is refused at once, saying what was meant or what to give:
a path that is not there (mistyped, or in a folder this user may not enter), a run or model here
typed close, a hub id out of reach, a model's file or a folder that holds no model."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import shut_to_this_user, tiny_run
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.models.random_weights import tiny_random
from tunelab.run import load_model

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


def test_a_missing_model_in_a_folder_this_user_may_not_list_is_still_said_in_one_line(
    tmp_path, monkeypatch
):
    # The folders beside it, a hint, were listed unguarded: a PermissionError's traceback.
    monkeypatch.chdir(tmp_path)
    models = tmp_path / "models"
    (models / "mymodel").mkdir(parents=True)
    with shut_to_this_user(models, 0o111):  # it may be entered, not listed
        with pytest.raises(TunelabError, match=r"'./models/mymodle': no such file or folder; "):
            load_model("./models/mymodle")


def test_a_link_to_a_model_that_moved_says_where_it_points(tmp_path):
    # `ls runs/` listed it, yet "no such file or folder ... Did you mean runs/mine?", the name
    # typed: a run moved to another disk, its link left behind.
    (tmp_path / "runs").mkdir()
    link = tmp_path / "runs" / "mine"
    link.symlink_to(tmp_path / "unmounted" / "mine")
    with pytest.raises(TunelabError) as err:
        load_model(str(link))
    said = str(err.value)
    assert f"(a symbolic link to {tmp_path / 'unmounted' / 'mine'}, which is not there)" in said
    assert "Did you mean" not in said
    # `tunelab rate` and `judge`, given it as answers, say the same.
    from tunelab.evaluate.human.answers import load_answers

    with pytest.raises(TunelabError, match="a symbolic link to .*, which is not there"):
        load_answers([link, tmp_path / "other.jsonl"])


def test_a_hint_past_a_run_this_user_may_not_enter_is_left_out(tmp_path, monkeypatch):
    # "run/theirs/x" for runs/theirs/x, another user's run: the "Did you mean" search looked
    # inside it and stopped with a PermissionError's traceback.
    from tunelab.models.names import meant_here

    monkeypatch.chdir(tmp_path)
    tiny_run(tmp_path, QA)  # runs/demo, so runs/ is a folder of runs
    (tmp_path / "runs" / "theirs").mkdir()
    with shut_to_this_user(tmp_path / "runs" / "theirs"):
        assert meant_here("run/theirs/x") == ""
    assert meant_here("run/demo") == ". Did you mean runs/demo?"


def test_a_model_or_run_in_a_folder_this_user_may_not_enter_names_that_folder(
    tmp_path, monkeypatch
):
    # Each stopped with a PermissionError's traceback, from a Path.exists() on what was given.
    import tunelab
    from tunelab.config import Config
    from tunelab.models.names import check_model_name
    from tunelab.train.run_config import config_from

    monkeypatch.chdir(tmp_path)
    locked = tmp_path / "locked"
    (locked / "m").mkdir(parents=True)
    with shut_to_this_user(locked):
        denied = "permission denied on the folder locked/, which this user may not enter"
        with pytest.raises(TunelabError, match=f"^./locked/m: cannot look for it: {denied}"):
            check_model_name("./locked/m")
        with pytest.raises(TunelabError, match=denied):  # eval, serve, generate: a run?
            load_model("./locked/run")
        with pytest.raises(TunelabError, match=f"^./locked/run: cannot look for it: {denied}"):
            config_from("./locked/run")  # tunelab train ./locked/run
        with pytest.raises(TunelabError, match=denied):
            tunelab.train(Config.from_dict({}, ["model.name=./locked/m", "output_dir=runs"]))


@pytest.mark.parametrize(
    "name", ["./missing-model", "~/models/missing", "missing/model.gguf", "runs/a/model"]
)
def test_a_path_that_is_not_there_fails_at_once_without_asking_the_hub(name, tmp_path, monkeypatch):
    from transformers import AutoTokenizer

    # Not from the checkout: in one that holds runs/a/model (a run trained there, as the
    # README's steps train), that path is there, and reading it failed this test.
    monkeypatch.chdir(tmp_path)

    def hub(*args, **kwargs):
        raise AssertionError("the hub was asked for a path")

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", hub)
    with pytest.raises(TunelabError, match=f"model '{name}': no such file or folder"):
        load_model(name)


def test_a_mistyped_run_in_a_folder_here_is_a_path_not_a_hub_id(tmp_path, monkeypatch):
    from transformers import AutoTokenizer

    def hub(*args, **kwargs):
        raise AssertionError("the hub was asked for a path")

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", hub)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    (tmp_path / "runs" / "mine" / "config.yaml").write_text("name: mine\n")
    # "runs/mien" is a valid hub id (org/name), but ./runs is a folder of runs: a run was meant.
    with pytest.raises(
        TunelabError, match=r"'runs/mien': no such file or folder \(in runs/: mine\)"
    ):
        load_model("runs/mien")
    # A folder of downloaded models named like a hub org leaves hub ids to the hub (online: with
    # HF_HUB_OFFLINE, as tests run, an id not cached is refused before the hub client is asked).
    from huggingface_hub import constants

    from tunelab.models import names as model_names

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(model_names, "hub_unreachable", lambda: None)
    (tmp_path / "Qwen" / "Qwen2.5-0.5B").mkdir(parents=True)
    (tmp_path / "Qwen" / "Qwen2.5-0.5B" / "config.json").write_text("{}")
    with pytest.raises(AssertionError, match="the hub was asked"):
        load_model("Qwen/Qwen2.5-1.5B")


def test_a_hub_id_out_of_reach_says_it_is_neither_here_nor_fetched():
    # tests run offline (conftest, HF_HUB_OFFLINE): the id is not cached, so it cannot be had.
    with pytest.raises(TunelabError) as caught:
        load_model("tunelab-tests/no-such-model")
    assert "'tunelab-tests/no-such-model' not found locally" in str(caught.value)
    assert "not fetched from the hub: HF_HUB_OFFLINE is set" in str(caught.value)
    # ... and how to give it all the same: it said only why the hub was not asked.
    assert (
        "Download it where the hub is reachable (hf download tunelab-tests/no-such-model "
        "--local-dir DIR), copy DIR here and give that folder as the model"
    ) in str(caught.value)


def test_a_models_file_given_for_the_model_asks_for_its_folder(tmp_path):
    # It said "It looks like the config file at '.../model.safetensors' is not a valid JSON file".
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.safetensors").write_bytes(b"weights")
    with pytest.raises(TunelabError) as caught:
        load_model(str(tmp_path / "model" / "model.safetensors"))
    assert "model.safetensors' is a file, not a model: give the folder that holds it" in str(
        caught.value
    )


def test_a_model_folder_without_its_tokenizer_says_so(tmp_path):
    # model.save_pretrained() alone: transformers said to install sentencepiece or tiktoken.
    model, _ = tiny_random()
    model.save_pretrained(tmp_path / "weights")
    with pytest.raises(TunelabError, match=r"'.*weights' has no tokenizer files \(it holds config"):
        load_model(str(tmp_path / "weights"))


def test_eval_and_bench_refuse_a_model_that_is_not_there_before_the_first_one_answers(
    tmp_path, monkeypatch
):
    # `tunelab eval tiny-random no-such-model` answered every question with tiny-random first.
    from typer.testing import CliRunner

    from tunelab.cli import app
    from tunelab.evaluate import suite
    from tunelab.evaluate.bench import score

    def answered(*args, **kwargs):
        raise AssertionError("a model answered")

    monkeypatch.setattr(suite, "evaluate_one", answered)
    monkeypatch.setattr(score, "bench_model", answered)
    (tmp_path / "t.jsonl").write_text('{"question": "q", "answer": "a"}\n')
    for command in (["eval", "--data", str(tmp_path / "t.jsonl")], ["bench", "--limit", "1"]):
        for missing in ("tunelab-tests/no-such-model", str(tmp_path / "gone")):
            result = CliRunner().invoke(app, [*command, "tiny-random", missing])
            assert isinstance(result.exception, TunelabError), (command, result.output)
            assert repr(missing) in str(result.exception)


def test_a_folder_of_runs_or_a_mistyped_one_points_at_the_runs(
    tmp_path, monkeypatch, no_route_to_hub
):
    monkeypatch.chdir(tmp_path)
    for name in ("alpha", "beta"):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "config.yaml").write_text(f"name: {name}\n")
    with pytest.raises(TunelabError, match=r"'runs' is a folder of runs, not a run: give one of "
                       r"them \(runs/alpha, runs/beta\)"):  # fmt: skip
        load_model("runs")
    # "run/alpha" is a hub id by its form; what was meant is here.
    with pytest.raises(TunelabError, match=r"Did you mean runs/alpha\?"):
        load_model("run/alpha")
    # Of two folders of runs as close, the one that holds the run is meant (runs/, as close to
    # "runz" as rune/ is, was taken, and nothing was said).
    (tmp_path / "rune" / "gamma").mkdir(parents=True)
    (tmp_path / "rune" / "gamma" / "config.yaml").write_text("name: gamma\n")
    with pytest.raises(TunelabError, match=r"Did you mean rune/gamma\?"):
        load_model("runz/gamma")


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("alpha", "runs/alpha"),  # a run by the id `tunelab serve` gives it
        ("smollm2-135m-instuct", "smollm2-135m-instruct"),
        ("SmolLM2-135M-Instruct", "smollm2-135m-instruct"),  # the hub's spelling
        ("tiny-randm", "tiny-random"),
        ("mymodle", "mymodel"),  # a model folder of the user's own, here
        ("./mymodle", "mymodel"),
        ("./MyModle", "mymodel"),  # a path, too, is matched case aside, as names are
    ],
)
def test_a_name_close_to_a_model_here_names_it_instead_of_how_to_download_it(
    typed, meant, tmp_path, monkeypatch, no_route_to_hub
):
    # They were told to `hf download smollm2-135m-instuct` where the hub is reachable.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "alpha").mkdir(parents=True)
    (tmp_path / "runs" / "alpha" / "config.yaml").write_text("name: alpha\n")
    (tmp_path / "mymodel").mkdir()
    (tmp_path / "mymodel" / "config.json").write_text("{}")
    with pytest.raises(TunelabError) as raised:
        load_model(typed)
    said = " ".join(str(raised.value).split())
    assert f"Did you mean {meant}?" in said and "hf download" not in said


def test_a_mistyped_model_folder_inside_a_folder_here_is_named_not_downloaded(
    tmp_path, monkeypatch, no_route_to_hub
):
    # "models/mymodle" for ./models/mymodel is a hub id by its form: the hub cannot give it, and
    # the user was told to `hf download models/mymodle` where it is reachable.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models" / "mymodel").mkdir(parents=True)
    (tmp_path / "models" / "mymodel" / "config.json").write_text("{}")
    with pytest.raises(TunelabError) as raised:
        load_model("models/mymodle")
    said = " ".join(str(raised.value).split())
    assert "Did you mean models/mymodel?" in said and "hf download" not in said


def test_a_folder_this_user_may_not_look_in_is_passed_over_for_the_close_name(
    tmp_path, monkeypatch, no_route_to_hub
):
    # Typed in /tmp, beside systemd's private folders: looking for a config.json in one raised
    # PermissionError, a traceback where "Did you mean mymodel?" was meant.
    import pathlib

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mymodel").mkdir()
    (tmp_path / "mymodel" / "config.json").write_text("{}")
    (tmp_path / "private").mkdir()
    is_file = pathlib.Path.is_file

    def not_ours(path):
        if path.parent.name == "private":
            raise PermissionError(13, "Permission denied", str(path))
        return is_file(path)

    monkeypatch.setattr(pathlib.Path, "is_file", not_ours)
    with pytest.raises(TunelabError, match="Did you mean mymodel"):
        load_model("mymodle")


def test_a_folder_that_holds_no_model_is_named(tmp_path):
    with pytest.raises(TunelabError, match="is not a Hugging Face model folder"):
        load_model(tmp_path)


def test_a_folder_of_documents_given_as_the_model_says_what_it_holds_not_why_a_tokenizer_failed(
    tmp_path,
):
    # `tunelab chat docs/` said transformers' "Couldn't instantiate the backend tokenizer ...
    # You need to have sentencepiece or tiktoken installed": advice that installs nothing useful.
    (tmp_path / "guide.md").write_text("# Guide\n\nText.\n")
    (tmp_path / "faq.md").write_text("# FAQ\n\nText.\n")
    with pytest.raises(TunelabError) as raised:
        load_model(tmp_path)
    said = " ".join(str(raised.value).split())
    assert (
        "is not a Hugging Face model folder: it has no config.json (it holds faq.md, guide.md)"
        in said
    )
    assert "sentencepiece" not in said


def test_a_hub_id_with_the_hub_out_of_reach_fails_at_once(monkeypatch, no_route_to_hub):
    from transformers import AutoTokenizer

    def hub(*args, **kwargs):
        raise AssertionError("the hub client was asked (it retries for ~50 s offline)")

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", hub)
    with pytest.raises(TunelabError, match="huggingface.co cannot be reached from this machine"):
        load_model("tunelab-tests/no-such-model")


def test_data_check_and_train_of_a_mistyped_hub_id_out_of_reach_fail_without_asking_the_hub(
    tmp_path, monkeypatch, no_route_to_hub
):
    # Both asked the hub for the model's config first: 5 retries over ~23 s, each printing
    # "'[Errno -2] Name or service not known' thrown while requesting HEAD ...", before this.
    from transformers import AutoConfig

    from tests.conftest import tiny_config, write_jsonl
    from tunelab.data.quality.check import check_file
    from tunelab.data.quality.findings import QualityConfig
    from tunelab.train.loop import train

    def hub(*args, **kwargs):
        raise AssertionError("the hub client was asked (it retries for ~23 s offline)")

    monkeypatch.setattr(AutoConfig, "from_pretrained", hub)
    data = write_jsonl(tmp_path / "qa.jsonl", [{"question": "Q?", "answer": "A."}] * 4)
    typo = "smollm2-135m-instrct"
    said = f"model '{typo}' not found locally .* Did you mean smollm2-135m-instruct\\?"
    with pytest.raises(TunelabError, match=said):
        check_file(data, config=QualityConfig(model=typo))
    config = tiny_config(tmp_path, data)
    config.model.name = typo
    with pytest.raises(TunelabError, match=said):
        train(config)


@pytest.mark.parametrize("typed", ["runs/mime", "runs/mien", "runs/mines"])
def test_a_run_folder_typed_a_letter_off_is_offered_by_every_command_that_takes_it(
    typed, tmp_path, monkeypatch
):
    # `tunelab eval runs/mime` listed runs/ but offered nothing: difflib's ratio of two short
    # names a letter apart (0.75) fell under the cutoff. The run holds its config.yaml alone:
    # it has not been trained yet.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "mine").mkdir(parents=True)
    (tmp_path / "runs" / "mine" / "config.yaml").write_text("name: mine\n")
    commands = (
        ["eval", typed],
        ["generate", typed, "hi"],
        ["train", typed],
        ["errors", typed],
        ["export", typed, "--merged", "merged"],
    )
    for command in commands:
        said = CliRunner().invoke(app, command)
        assert isinstance(said.exception, TunelabError), command
        assert str(said.exception).endswith(". Did you mean runs/mine?"), command
        assert "writing" not in said.output, command  # export said "writing merged weights"
    # A name far off, or too short for one letter to be a slip, is offered nothing.
    for far in ("runs/zzzz", "runs/mi"):
        said = CliRunner().invoke(app, ["eval", far])
        assert "Did you mean" not in str(said.exception)


@pytest.fixture
def hub_asked(monkeypatch) -> list[str]:
    """Each test of the hub, counted, online; what the hub would give for any id: the tiny model,
    its tokenizer and config."""
    from huggingface_hub import constants
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    from tunelab.models import names as model_names
    from tunelab.models.random_weights import tiny_tokenizer

    asked = []

    def reachable():
        asked.append("hub")
        return None

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(model_names, "hub_unreachable", reachable)
    monkeypatch.setattr(AutoTokenizer, "from_pretrained", lambda *a, **k: tiny_tokenizer())
    monkeypatch.setattr(AutoConfig, "from_pretrained", lambda *a, **k: tiny_random()[0].config)
    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", lambda *a, **k: tiny_random()[0])
    return asked


def test_data_check_and_inspect_test_the_hub_once_for_a_hub_id_not_cached(tmp_path, hub_asked):
    # Each asked the hub twice for an id not cached: once as the tokenizer loaded, once as the
    # model's config gave its context (a connection each, up to seconds apiece where it is slow).
    import tunelab
    from tests.conftest import write_jsonl
    from tunelab.models import names as model_names

    asked = hub_asked
    data = write_jsonl(tmp_path / "qa.jsonl", [{"question": "Q?", "answer": "A."}] * 4)
    tunelab.data.check(data, model="tunelab-tests/not-cached")
    assert asked == ["hub"]
    asked.clear()
    # Found once, the name stays found for a minute (HUB_FOUND_FOR_S): a second command asks no
    # more.
    tunelab.data.inspect(data, model="tunelab-tests/not-cached", rows=1)
    assert asked == []
    model_names.forget_found_hub_ids()  # as a new process starts
    tunelab.data.inspect(data, model="tunelab-tests/not-cached", rows=1)
    assert asked == ["hub"]


def test_a_hub_id_refused_while_the_hub_is_out_of_reach_is_asked_again(monkeypatch):
    # A name found stays found for a minute; a refusal is not kept: the network back,
    # the same name is found.
    from huggingface_hub import constants

    from tunelab.models import names as model_names

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    down = "huggingface.co cannot be reached from this machine (OSError)"
    monkeypatch.setattr(model_names, "hub_unreachable", lambda: down)
    for _ in range(2):
        with pytest.raises(TunelabError, match="cannot be reached"):
            model_names.check_model_source("tunelab-tests/not-cached")
    monkeypatch.setattr(model_names, "hub_unreachable", lambda: None)
    model_names.check_model_source("tunelab-tests/not-cached")


def test_training_tests_the_hub_once_for_a_hub_id_not_cached_also_on_resume(
    tmp_path, qa_file, hub_asked
):
    # Training read the model's context, then its weights, each testing the hub: twice; a
    # resume reads the context and tokenizer before the model loads too (an edited data file is
    # refused before a load of minutes): four times.
    import tunelab
    from tests.conftest import tiny_config
    from tunelab.models import names as model_names

    asked = hub_asked
    config = tiny_config(tmp_path, qa_file, max_steps=2, save_every=1)
    config.model.name = "tunelab-tests/not-cached"
    tunelab.train(config)
    assert asked == ["hub"]
    asked.clear()
    model_names.forget_found_hub_ids()  # `tunelab train --resume`: a new process
    config.train.max_steps = 3
    tunelab.train(config, resume=True)
    assert asked == ["hub"]


def test_a_hub_id_found_is_asked_again_a_minute_later_the_network_gone_since(monkeypatch):
    # Found once, an id stayed found for the process: in a notebook, or a chat switching models,
    # the network gone before it was downloaded, the hub client retried ~50 s instead of the
    # refusal at once.
    from types import SimpleNamespace

    from huggingface_hub import constants

    from tunelab.models import names as model_names

    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(model_names, "time", SimpleNamespace(monotonic=lambda: clock.now))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(model_names, "hub_unreachable", lambda: None)
    model_names.check_model_source("tunelab-tests/not-cached")
    down = "huggingface.co cannot be reached from this machine (OSError)"
    monkeypatch.setattr(model_names, "hub_unreachable", lambda: down)
    clock.now += 50  # the same command's next look at the name: the hub is not asked again
    model_names.check_model_source("tunelab-tests/not-cached")
    clock.now += 20  # a minute after it was found: asked again, and refused at once
    with pytest.raises(TunelabError, match="cannot be reached"):
        model_names.check_model_source("tunelab-tests/not-cached")


def test_a_short_run_name_typed_a_letter_over_is_offered_and_a_changed_one_is_not(
    tmp_path, monkeypatch
):
    # `tunelab eval runs/xx` beside runs/x offered nothing: a short name was offered no slip.
    monkeypatch.chdir(tmp_path)
    for name in ("x", "v1"):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "config.yaml").write_text(f"name: {name}\n")
    said = CliRunner().invoke(app, ["eval", "runs/xx"])
    assert str(said.exception).endswith(". Did you mean runs/x?")
    # A letter changed is too much of a short name ("v3" is another run, not v1 mistyped), and
    # "zz" is nothing like x.
    for far in ("runs/v3", "runs/zz"):
        said = CliRunner().invoke(app, ["eval", far])
        assert isinstance(said.exception, TunelabError) and "Did you mean" not in str(
            said.exception
        )
