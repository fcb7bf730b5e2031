"""How a note is wrapped to a narrow terminal: at spaces, with what a user copies kept whole."""

from __future__ import annotations

import io

from rich.console import Console

from tunelab.meant import not_a_choice
from tunelab.terminal import listed, say_wrapped


def said_at(width: int, text: str) -> list[str]:
    """The lines `say_wrapped` prints of `text` to a terminal `width` columns wide."""
    out = io.StringIO()
    say_wrapped(Console(file=out, width=width), text)
    return out.getvalue().splitlines()


def test_a_path_with_a_space_and_a_command_to_copy_are_never_broken_across_lines(tmp_path):
    # At 40 columns, ".../my runs/demo" was cut after "my", and a command in backticks after
    # "chat": neither pasted whole.
    run = tmp_path / "my runs" / "demo"
    run.mkdir(parents=True)
    text = (
        f"note: the run in {run} is done (its answers go to {run}/eval new.jsonl); ask it "
        "with `tunelab chat runs/demo --max-new-tokens 16` next, at any width."
    )
    lines = said_at(40, text)
    assert " ".join(lines) == text
    assert any(str(run) in line for line in lines)
    assert any(f"{run}/eval" in line for line in lines)  # its folder holds the space
    assert "`tunelab chat runs/demo --max-new-tokens 16`" in lines
    # What is no path and no code is wrapped at the width; only a kept span passes it.
    assert all(len(line) <= 40 for line in lines if str(run) not in line and "`" not in line)


def test_words_with_slashes_that_name_nothing_on_disk_wrap_as_words():
    lines = said_at(20, "compare runs/a and runs/b, then and/or ask again")
    assert lines == ["compare runs/a and", "runs/b, then and/or", "ask again"]


def test_a_list_is_said_one_way_with_and_or_with_or():
    # compare's leaders ("a and b share the highest mean") and a refused choice's options
    # ("not one of float32, float16 or bfloat16") were each joined by their own code.
    assert [listed(names) for names in (["a"], ["a", "b"], ["a", "b", "c"])] == [
        "a", "a and b", "a, b and c",
    ]  # fmt: skip
    refused = not_a_choice("--dtype", "bf16", ("float32", "float16", "bfloat16"))
    assert (
        refused
        == "--dtype 'bf16' is not one of float32, float16 or bfloat16: did you mean bfloat16?"
    )
