"""Where the training loop's rows go: metrics.jsonl, the experiment trackers of train.report_to,
and status.json, which says whether the run is running (at which step, a few seconds behind at
most), finished, was interrupted or failed (what `tunelab runs` shows). Rank 0 alone keeps one."""

from __future__ import annotations

import json
import os
import socket
import time

from rich.console import Console

from tunelab.config import Config
from tunelab.run_files import METRICS_FILE, STATUS_FILE, WEIGHTS
from tunelab.terminal import say_wrapped
from tunelab.train.stopping import ended_as
from tunelab.train.trackers import numbers, open_trackers

# How often a running training rewrites status.json's step, at most: rewriting it with each row
# cost ~1 ms a step here (more on a network disk), a few % of a fast GPU run's step.
STATUS_EVERY_S = 5.0


class MetricsLog:
    """Where the loop's rows go: metrics.jsonl (flushed line by line, so a crash loses nothing
    logged), the trackers of train.report_to, and status.json (running, then finished,
    interrupted or failed). Leaving it on an error closes all as `ended_as` says (interrupted when
    the last complete step is kept, failed otherwise); otherwise `finish` closes them once the
    model and plot are written, and hands those over."""

    def __init__(self, config: Config, total_steps: int | None = None, step: int = 0) -> None:
        self.config = config
        self.total_steps = total_steps  # the run's planned length: `tunelab runs` shows 8/40
        self.run_dir = config.run_dir
        self.step = step  # where it starts: a resumed run's checkpoint, not 0
        self.trackers: list = []
        self.status_at = 0.0  # when status.json was last written (time.monotonic)

    def __enter__(self) -> MetricsLog:
        self._status("running")
        self.file = (self.run_dir / METRICS_FILE).open("a", encoding="utf-8")
        try:
            self.trackers = open_trackers(self.config, _warn)
        except BaseException as err:
            self.__exit__(type(err), err, None)
            raise
        return self

    def write(self, record: dict) -> None:
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()
        self.step = record.get("step", self.step)
        self._each("log", numbers(record), self.step)
        if time.monotonic() - self.status_at >= STATUS_EVERY_S:
            self._status("running")  # its step, for whoever reads status.json mid-run

    def __exit__(self, kind, err, traceback) -> None:
        self.file.close()
        if kind is not None:
            self.close(ended_as(err), f"{kind.__name__}: {err}")

    def finish(self, interrupted: bool) -> None:
        """After the model and the plot are written: hand them to the trackers, close them."""
        plot, model = self.run_dir / "loss.png", self.run_dir / WEIGHTS
        self._each("files", plot if plot.exists() else None, model if model.is_dir() else None)
        self.close("interrupted" if interrupted else "finished")

    def close(self, status: str, error: str | None = None) -> None:
        """Record how the run ended in status.json and end the trackers' runs as that."""
        self._status(status, error)
        self._each("close", status)
        self.trackers = []

    def _each(self, method: str, *args) -> None:
        """Call every tracker; one that fails (a server gone away) is dropped with a warning
        rather than stopping hours of training."""
        for tracker in list(self.trackers):
            try:
                getattr(tracker, method)(*args)
            except Exception as err:  # noqa: BLE001 -- the run matters more than its dashboard
                self.trackers.remove(tracker)
                _warn(f"{type(tracker).__name__} stopped reporting: {err}")

    def _status(self, status: str, error: str | None = None) -> None:
        record = {"status": status, "step": self.step, "pid": os.getpid()}
        if self.total_steps is not None:
            record["total_steps"] = self.total_steps
        record |= {"host": socket.gethostname(), "time": time.time()}
        if error:
            record["error"] = error
        self.run_dir.mkdir(parents=True, exist_ok=True)
        partial = self.run_dir / f"{STATUS_FILE}.part"
        partial.write_text(json.dumps(record) + "\n", encoding="utf-8")
        partial.replace(self.run_dir / STATUS_FILE)
        self.status_at = time.monotonic()


def _warn(message: str) -> None:
    say_wrapped(Console(stderr=True), f"warning: {message}", "yellow")
