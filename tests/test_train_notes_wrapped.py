"""A warning before training, on a narrow terminal, wraps at words: one soft-wrapped line had
the terminal split words at its edge."""

from io import StringIO

import torch
from rich.console import Console

from tunelab.config import Config
from tunelab.train.parallel.distributed import SINGLE
from tunelab.train.session import _warn_before_loading


def test_float16_on_a_cpu_warning_wraps_at_words_on_a_narrow_terminal():
    config = Config.model_validate({"model": {"name": "tiny-random", "dtype": "float16"}})
    out = StringIO()
    console = Console(file=out, width=40, force_terminal=False)

    _warn_before_loading(config, SINGLE, torch.device("cpu"), console)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("warning: model.dtype float16 on a CPU")
    assert max(len(line) for line in lines) <= 40
    said = " ".join(lines)
    assert "the loss diverges within a few steps; bfloat16 has float32's range" in said
