"""A progress bar for training: step, loss, learning rate and trained tokens per second; while
the eval loss is measured, a second bar counting its batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import TextColumn

from tunelab.progress import elapsed_said, passes_a_tenth, progress_bars, seconds_left


class TrainProgress:
    def __init__(
        self, total: int, done: int = 0, visible: bool = True, console: Console | None = None
    ) -> None:
        self._progress = progress_bars(
            "[bold]{task.description}",
            TextColumn("{task.fields[info]}"),
            console=console,
            visible=visible,
        )
        # Time left is the average pace of this session's steps (a resumed run's earlier steps
        # took no time here): see tunelab.progress.TimeLeftColumn.
        self._task = self._progress.add_task(
            "train", total=total, completed=done, done_before=done, info="loss -  lr -  - tok/s"
        )

    def __enter__(self) -> TrainProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    def update(self, step: int, loss: float, lr: float, tokens_per_s: float) -> None:
        info = f"loss {loss:.4f}  lr {lr:.2e}  {tokens_per_s:.0f} tok/s"
        self._progress.update(self._task, completed=step, info=info)
        total = int(self._progress.tasks[0].total or 0)
        piped = not self._progress.console.is_terminal
        if piped and passes_a_tenth(step - 1, step, total):
            task = self._progress.tasks[0]
            self.note(
                f"step {step}/{total}  {info}  {elapsed_said(task.elapsed or 0, seconds_left(task))}"
            )

    @contextmanager
    def eval_bar(self) -> Iterator[Callable[[int, int], None]]:
        """The `on_batch(done, total)` of evaluate_loss, moving an "eval loss 12/40 batches" bar
        under the training one, removed when the eval ends (or a stop ends it): on a large test
        split the training bar sat still for minutes at each eval."""
        task = None

        def on_batch(done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = self._progress.add_task("eval loss", total=total, info="batches")
            self._progress.update(task, completed=done, refresh=True)

        try:
            yield on_batch
        finally:
            if task is not None:
                self._progress.remove_task(task)

    def note(self, message: str) -> None:
        if not self._progress.disable:
            self._progress.console.print(message)
