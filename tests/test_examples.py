"""The YAML files in examples/ are documentation: each must load, and point at data that exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelab.config import Config
from tunelab.train.loop import train
from tunelab.train.plot import read_metrics

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))
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
