"""One typed config from YAML, with overrides and errors that name the bad key."""

from __future__ import annotations

import pytest

from tunelab.config import Config
from tunelab.errors import TunelabError


def test_yaml_with_overrides_and_relative_data_path(tmp_path):
    (tmp_path / "qa.jsonl").write_text("{}\n")
    (tmp_path / "cfg.yaml").write_text("name: x\ndata:\n  path: qa.jsonl\ntrain:\n  lr: 0.001\n")
    config = Config.from_yaml(tmp_path / "cfg.yaml", ["train.lr=5e-5", "train.method=full"])
    assert config.train.lr == 5e-5 and config.train.method == "full"
    assert config.data.path == str(tmp_path / "qa.jsonl")
    assert config.model.name == "smollm2-135m-instruct"


def test_round_trip(tmp_path):
    config = Config(name="r")
    config.to_yaml(tmp_path / "c.yaml")
    assert Config.from_yaml(tmp_path / "c.yaml") == config


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("train:\n  learning_rate: 1\n", "train.learning_rate: Extra inputs are not permitted"),
        ("train:\n  method: qlora\n", "train.method"),
        ("data: [1, 2\n", "not valid YAML"),
    ],
)
def test_bad_config_names_the_key(tmp_path, yaml_text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(TunelabError, match=message):
        Config.from_yaml(path)


def test_max_length_past_the_models_context_is_named_before_any_work(tmp_path, qa_file):
    from tests.conftest import tiny_config
    from tunelab.train.loop import train

    config = tiny_config(tmp_path, qa_file)
    config.data.max_length = 4096  # tiny-random has 2048 positions
    with pytest.raises(TunelabError, match=r"data.max_length=4096 .* context of 2048 tokens"):
        train(config)


def test_default_max_length_shrinks_to_a_short_context():
    from tunelab.config import DataConfig
    from tunelab.train.setup import fit_max_length

    assert fit_max_length(DataConfig(), "gpt2-like", 256).max_length == 256
    assert fit_max_length(DataConfig(max_length=128), "gpt2-like", 256).max_length == 128
    with pytest.raises(TunelabError, match="set data.max_length to 256 or less"):
        fit_max_length(DataConfig(max_length=1024), "gpt2-like", 256)
