"""A command's options are its stage config's fields: the same defaults and help, `--set` for the
rest, and a bad value named as a bad YAML key would be, from the command line or from Python."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from tests.conftest import tiny_run
from tunelab.cli import app
from tunelab.compare.run import CompareConfig
from tunelab.config import Config, DataConfig
from tunelab.errors import TunelabError
from tunelab.evaluate.bench.score import BenchConfig
from tunelab.evaluate.suite import EvalConfig
from tunelab.options import options

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
