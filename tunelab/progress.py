"""The one look of tunelab's progress bars (training, scoring, generating): a label, the bar,
done/total, time spent and time left, with any extra columns before the times; transformers' own
"Loading weights" and "Writing model shards" bars are kept off beside them, and its bar over a
GGUF file's tensors is tunelab's own."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class TimeLeftColumn(ProgressColumn):
    """Time left at the average pace since the task started. Rich's own estimate only looks at
    the last 30 seconds, so work done in slower steps (a training step of 70 s) never got one.
    A task resumed part-way names the steps done before in its `done_before` field."""

    def render(self, task: Task) -> Text:
        if task.finished or (task.total is not None and task.completed >= task.total):
            left = "0:00:00"  # a task added done (an earlier run did it all) is never "finished"
        elif (seconds := seconds_left(task)) is None:
            left = "-:--:--"
        else:
            left = str(timedelta(seconds=int(seconds)))
        return Text(left, style="progress.remaining")


def seconds_left(task: Task) -> float | None:
    """A task's time left at the average pace of what this session did of it; None before any."""
    done = task.completed - task.fields.get("done_before", 0)
    if task.total is None or done <= 0 or not task.elapsed:
        return None
    return max(0.0, (task.total - task.completed) * task.elapsed / done)


def progress_bars(
    label: str = "{task.description}",
    *extra: ProgressColumn,
    console: Console | None = None,
    visible: bool = True,
) -> Progress:
    """A rich Progress whose tasks each show `label` (a format string over the task), drawn on
    `console` or on a console of its own: rich's process-wide one keeps the width of the terminal
    it first met (compare's bars ran past 80 columns after a command in 300)."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        *extra,
        TimeElapsedColumn(),
        TimeLeftColumn(),
        console=console or Console(),
        disable=not visible,
    )


def answer_bars(console: Console | None = None) -> Progress:
    """Bars for answering questions: questions done, tokens generated per second (as they are
    made: `AnswerCount.step`), time left."""
    return progress_bars(
        "[bold]{task.description}", TextColumn("{task.fields[tps]} tok/s"), console=console
    )


def counting(bars: Progress, description: str, total: int) -> AnswerCount:
    """A new task on `answer_bars`, and the callbacks of `tunelab.generation.generate.generate`
    that move it: the count itself as `on_batch`, its `step` as `on_step`."""
    return AnswerCount(bars, description, total)


class AnswerCount:
    """One task on `answer_bars`. Called with each finished batch of generations (`on_batch`),
    it adds their questions; `step` (`on_step`) adds the tokens each decode step made, so the
    rate reads true from the first step on (counted from finished answers alone, it read 0-2
    tok/s while 64 answers were being written). Without `step`, finished answers' tokens count.
    Answers read back from an interrupted run's log (tunelab.work_log) count as done before,
    out of the rate and the time left. Piped to a log, where the bar draws nothing until the
    end, a line at each tenth of the questions says how far it is, as training's steps do."""

    def __init__(self, bars: Progress, description: str, total: int) -> None:
        self.bars, self.description, self.total = bars, description, total
        # Escaped on the bar and unmarked in the log: a run's name as given ("exp[v2]").
        self.task = bars.add_task(escape(description), total=total, tps="-", done_before=0)
        self.started, self.tokens, self.before, self.done = time.perf_counter(), 0, 0, 0
        self.stepped = False  # tokens are counted as made, not as answers finish
        self.shown = float("-inf")  # when the rate was last drawn (at most twice a second)
        self.piped = not bars.disable and not bars.console.is_terminal

    def step(self, tokens: int) -> None:
        """`tokens` more made by one decode step, finished answers' or not."""
        self.stepped = True
        self.tokens += tokens
        if time.perf_counter() - self.shown >= 0.5:
            self.bars.update(self.task, tps=f"{self._rate():.0f}")
            self.shown = time.perf_counter()

    def __call__(self, batch: Sequence) -> None:
        self.done += len(batch)
        if all(getattr(g, "from_log", False) for g in batch):
            self.before += len(batch)
            self.bars.update(self.task, advance=len(batch), done_before=self.before)
            return
        if not self.stepped:
            self.tokens += sum(g.completion_tokens for g in batch)
        rate = self._rate()
        self.bars.update(self.task, advance=len(batch), tps=f"{rate:.0f}")
        if self.piped and passes_a_tenth(self.done - len(batch), self.done, self.total):
            task = next(t for t in self.bars.tasks if t.id == self.task)  # as the bar tells it
            self.bars.console.print(
                f"{self.description} {self.done}/{self.total}  {rate:.0f} tok/s  "
                f"{elapsed_said(task.elapsed or 0, seconds_left(task))}",
                markup=False,
            )

    def _rate(self) -> float:
        return self.tokens / max(time.perf_counter() - self.started, 1e-9)


def passes_a_tenth(before: int, done: int, total: int) -> bool:
    """Whether going from `before` to `done` of `total` passes a tenth of it, short of the end:
    piped to a log (nohup, CI, Slurm) a bar draws nothing until the end, so training and
    answering print a line there instead (the last is the bar's own final line)."""
    tenth = max(1, total // 10)
    return done < total and done // tenth > before // tenth


def elapsed_said(seconds: float, left: float | None = None) -> str:
    """ "4:36 elapsed, ~16:05 left": a piped line's times, as a bar shows them (a log of a 25-step
    training said only the time spent, and not when it would end)."""
    said = f"{int(seconds) // 60}:{int(seconds) % 60:02d} elapsed"
    if left is not None:
        said += f", ~{int(left) // 60}:{int(left) % 60:02d} left"
    return said


# transformers' bars over a model's weights, each a second bar beside tunelab's for a second's work.
WEIGHT_BARS = ("Loading weights", "Writing model shards")


def hide_weight_bars() -> None:
    """Keep transformers' bars over the weights (WEIGHT_BARS) off the terminal: loading a model,
    and saving one (`tunelab export --merged`, a GGUF file's first load). Its other bars, its
    warnings and the hub's download bars (huggingface_hub's own) stay. Older transformers 5
    releases have no hook."""
    from transformers.utils import logging as transformers_logging

    set_hook = getattr(transformers_logging, "set_tqdm_hook", None)
    if set_hook is not None:
        set_hook(_without_weight_bars)


def _without_weight_bars(factory: Callable, args: tuple, kwargs: dict):
    if kwargs.get("desc") in WEIGHT_BARS:
        kwargs = {**kwargs, "disable": True}
    return factory(*args, **kwargs)


def draws_live(console: Console) -> bool:
    """Whether `console` may draw a live bar or spinner: a terminal's, and no other live display
    under way (compare's bars, which redirect stderr through rich: a second would garble both)."""
    from rich.file_proxy import FileProxy

    return console.is_terminal and not isinstance(sys.stderr, FileProxy)


@contextmanager
def gguf_tensors_bar(label: str) -> Iterator[None]:
    """Within one GGUF load, transformers' bar over the file's tensors ("Converting and
    de-quantizing GGUF tensors...": tqdm.auto called directly, which `set_tqdm_hook` never sees)
    drawn as tunelab's own, labelled `label`, on a terminal's stderr; piped (where tqdm wrote a
    line at each redraw) or under another live display (compare's bars: a second would garble
    both), none."""
    from transformers import modeling_gguf_pytorch_utils as gguf_reader

    console = Console(stderr=True)
    shown = draws_live(console)

    def counted(tensors: Sequence, **_tqdm_options) -> Iterable:
        return _tracked(tensors, label, console) if shown else tensors

    original = gguf_reader.tqdm
    gguf_reader.tqdm = counted
    try:
        yield
    finally:
        gguf_reader.tqdm = original


def _tracked(items: Sequence, label: str, console: Console) -> Iterator:
    with progress_bars(console=console) as bars:
        # Escaped: a file's name as given ("model[v2].gguf"), not read as markup.
        yield from bars.track(items, total=len(items), description=escape(label))
