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
