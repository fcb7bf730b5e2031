"""How a note is wrapped to a narrow terminal: at spaces, with what a user copies kept whole."""

from __future__ import annotations

import io

from rich.console import Console

from tunelab.terminal import say_wrapped


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
