"""The one look of tunelab's progress bars (training, scoring, generating): a label, the bar,
done/total, time spent and time left, with any extra columns before the times."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def progress_bars(
    label: str = "{task.description}",
    *extra: ProgressColumn,
    console: Console | None = None,
    visible: bool = True,
) -> Progress:
    """A rich Progress whose tasks each show `label` (a format string over the task)."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        *extra,
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not visible,
    )
