"""The YAML files in examples/ are documentation: each must load, and point at data that exists."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.config import Config
from tunelab.setting_names import setting_paths
from tunelab.train.loop import train
from tunelab.train.plot import read_metrics

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml"))
SHARED = Path(__file__).parent.parent.parent / "shared"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_config_loads_and_names_real_data(path):
    config = Config.from_yaml(path)
    data = Path(config.data.path)
    if "shared" in data.parts and not SHARED.exists():
        pytest.skip("needs ../shared/data beside the checkout")
    assert data.exists(), f"{path.name}: data.path {data} does not exist"


def test_pretraining_example_trains_on_the_readme(tmp_path):
    config = Config.from_yaml(
        Path(__file__).parent.parent / "examples" / "pretrain_text.yaml",
        ["model.name=tiny-random", "train.max_steps=2", f"output_dir={tmp_path}"],
    )
    run = train(config)
    assert [r["step"] for r in read_metrics(run / "metrics.jsonl")] == [1, 2]


def test_lora_example_names_every_training_setting():
    # examples/lora.yaml is the settings' reference, as LitGPT's config_hub: one a user of
    # another tool looks for (train_on_prompt, warmup_steps, max_steps, seed) is found there.
    def keys(section: dict, prefix: str = "") -> set[str]:
        found = set()
        for key, value in section.items():
            found.add(prefix + key)
            if isinstance(value, dict) and key != "fields":
                found |= keys(value, f"{prefix}{key}.")
        return found

    named = keys(yaml.safe_load((EXAMPLES_DIR / "lora.yaml").read_text(encoding="utf-8")))
    assert [path for path in setting_paths(Config) if path not in named] == []


def test_train_help_points_at_the_settings_reference():
    # `tunelab train --help` showed --set alone: no way from it to the settings' names.
    result = CliRunner().invoke(
        app, ["train", "--help"], env={"COLUMNS": "250"}, terminal_width=250
    )
    assert "every setting, each with a line on what it does: examples/lora.yaml" in result.output
