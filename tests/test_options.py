"""A command's options are its stage config's fields: the same defaults and help, `--set` for the
rest, and a bad value named as a bad YAML key would be, from the command line or from Python."""

from __future__ import annotations

import inspect
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app
from tunelab.compare.run import CompareConfig
from tunelab.config import Config, DataConfig
from tunelab.data.quality.findings import QualityConfig
from tunelab.errors import TunelabError
from tunelab.evaluate.bench.score import BenchConfig
from tunelab.evaluate.cli import facts_command
from tunelab.evaluate.facts import propose, propose_file
from tunelab.evaluate.human import app as rate_app
from tunelab.evaluate.human.cli import rate_command
from tunelab.evaluate.judge.asking import JudgeConfig
from tunelab.evaluate.suite import EvalConfig
from tunelab.options import options
from tunelab.serve import launch
from tunelab.serve.batch_limit import DEFAULT_MAX_BATCH
from tunelab.serve.cli import serve_command
from tunelab.serve.engine import Engine
from tunelab.train.plan.settings import PlanConfig

QA = Path(__file__).parent / "fixtures" / "eval" / "qa"


@pytest.mark.parametrize(
    ("command", "section"),
    [("eval", EvalConfig), ("bench", BenchConfig), ("compare", CompareConfig)],
)
def test_each_option_has_its_fields_default_and_help(command, section):
    params = {p.name: p for p in typer.main.get_command(app).commands[command].params}
    assert "set_" in params
    for name, field in section.model_fields.items():
        if name in params:
            assert params[name].help == field.description, name
            if not isinstance(params[name], click.Argument) and field.default is not None:
                assert params[name].default == field.default, name


def test_set_reaches_a_field_without_an_option(tmp_path):
    run = tiny_run(tmp_path, QA)
    args = ["eval", str(run), "--limit", "1", "--max-new-tokens", "2", "--set", "analyse=false"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (run / "eval" / "predictions.jsonl").exists()
    assert not (run / "eval" / "errors.md").exists()


def test_a_bad_setting_is_named_from_the_command_line_and_from_python():
    result = CliRunner().invoke(app, ["eval", "tiny-random", "--set", "limt=3"])
    assert isinstance(result.exception, TunelabError)
    assert "tunelab eval: invalid config" in str(result.exception)
    assert "limt: unknown setting (did you mean limit?)" in str(result.exception)
    with pytest.raises(TunelabError, match=r"train\.lr: Input should be a valid number"):
        Config(train={"lr": "fast"})
    with pytest.raises(TunelabError, match="fewshot: Input should be less than or equal to 5"):
        BenchConfig(fewshot=6)


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["train", "--lr", "1e-4"], "--set train.lr=VALUE"),
        (["train", "run.yaml", "--learning-rate", "1e-4"], "--set train.lr=VALUE"),  # TRL's name
        (["train", "--model", "Qwen/Qwen2.5-0.5B"], "--set model.name=VALUE"),
        (["train", "--data", "qa.jsonl"], "--set data.path=VALUE"),  # eval's --data, on train
        (["train", "--lora-r", "8"], "--set train.lora.r=VALUE"),
        (["data", "check", "qa.jsonl", "--top-k", "9"], "--set top_k=VALUE"),
    ],
)
def test_an_option_a_command_lacks_but_its_config_has_says_how_to_set_it(args, hint):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert f"No such option: {args[-2]} (a setting: {hint})" in " ".join(result.output.split())


def test_an_option_no_setting_has_keeps_clicks_own_error():
    result = CliRunner().invoke(app, ["eval", "tiny-random", "--lr", "3"])
    assert result.exit_code == 2
    assert "No such option: --lr" in result.output
    assert "--set" not in result.output


def test_a_commands_config_sets_only_the_settings_its_line_names(monkeypatch):
    """A command tells a setting named at its default value from one left out, as Python code
    does: by the config's model_fields_set."""
    received = []
    command = typer.Typer()

    @command.command()
    @options(DataConfig, "max_length", "seed", envvars={"seed": "SPLIT_SEED"}, source="split")
    def split(config: DataConfig) -> None:
        received.append(config)

    def config_of(*args: str) -> DataConfig:
        result = CliRunner().invoke(command, list(args))
        assert result.exit_code == 0, result.output
        return received[-1]

    assert config_of() == DataConfig() and not config_of().model_fields_set
    assert config_of("--max-length", "512").model_fields_set == {"max_length"}  # the default
    assert config_of("--set", "fields.question=prompt").model_fields_set == {"fields"}
    monkeypatch.setenv("SPLIT_SEED", "7")
    assert config_of().model_fields_set == {"seed"} and config_of().seed == 7


def _default(function, name: str):
    return inspect.signature(function).parameters[name].default


def test_a_default_the_command_line_and_python_share_is_declared_once():
    """Each default below is one declaration that every path reads, so changing it there changes
    the command's, the Python API's and the layer's below alike."""
    max_batch = {
        "tunelab serve --max-batch": _default(serve_command, "max_batch"),
        "tunelab.serve": _default(launch.serve, "max_batch"),
        "load_engines": _default(launch.load_engines, "max_batch"),
        "Engine": _default(Engine, "max_batch"),
    }
    assert max_batch == dict.fromkeys(max_batch, DEFAULT_MAX_BATCH)
    # What `tunelab rate` appends to is what `tunelab judge` reads, and writes beside.
    assert _default(rate_command, "votes") == JudgeConfig().votes
    assert _default(rate_command, "port") == _default(rate_app.rate, "port")
    most = {
        "tunelab data facts --most": _default(facts_command, "most"),
        "propose_file": _default(propose_file.propose_file, "most"),
        "propose_rows": _default(propose_file.propose_rows, "most"),
        "propose": _default(propose.propose, "most"),
        "propose_marked": _default(propose.propose_marked, "most"),
    }
    assert most == dict.fromkeys(most, propose.MOST_FACTS)
    # `tunelab data check` flags the rows training would truncate, read as training reads them.
    checked, trained = QualityConfig(), DataConfig()
    assert (checked.max_length, checked.shape) == (trained.max_length, trained.shape)


def test_a_plan_of_no_run_plans_the_run_train_makes_by_default():
    """`tunelab plan` with no run plans what `tunelab train` would run with no settings: the same
    method, batch, length, LoRA rank, dropout and targets, packing and parallelism."""
    assert PlanConfig().model_dump() == PlanConfig.of(Config()).model_dump()
