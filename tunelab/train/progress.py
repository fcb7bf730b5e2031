"""A progress bar for training: step, loss, learning rate and trained tokens per second."""

from __future__ import annotations

from rich.console import Console
from rich.progress import TextColumn

from tunelab.progress import progress_bars


class TrainProgress:
    def __init__(
        self, total: int, done: int = 0, visible: bool = True, console: Console | None = None
    ) -> None:
        self._progress = progress_bars(
            "[bold]train",
            TextColumn("loss {task.fields[loss]}  lr {task.fields[lr]}  {task.fields[tps]} tok/s"),
            console=console,
            visible=visible,
        )
        # Time left is the average pace of this session's steps (a resumed run's earlier steps
        # took no time here): see tunelab.progress.TimeLeftColumn.
        self._task = self._progress.add_task(
            "train", total=total, completed=done, done_before=done, loss="-", lr="-", tps="-"
        )

    def __enter__(self) -> TrainProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    def update(self, step: int, loss: float, lr: float, tokens_per_s: float) -> None:
        self._progress.update(
            self._task,
            completed=step,
            loss=f"{loss:.4f}",
            lr=f"{lr:.2e}",
            tps=f"{tokens_per_s:.0f}",
        )

    def note(self, message: str) -> None:
        if not self._progress.disable:
            self._progress.console.print(message)
