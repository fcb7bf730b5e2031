"""Experiment trackers (`train.report_to`, named as in transformers): each gets the run's config as
parameters, every metrics.jsonl row as metrics at its step, and at the end the loss plot and the
model where it keeps files. Each is its own client library, an optional extra; one small protocol
(torchtune's metric loggers are the model) so the loop sees only `MetricsLog`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from tunelab.config import Config
from tunelab.errors import TunelabError
from tunelab.section import flatten


class Tracker(Protocol):
    def log(self, metrics: dict[str, float], step: int) -> None: ...

    def files(self, plot: Path | None, model: Path | None) -> None: ...

    def close(self, status: str) -> None:
        """status: finished, interrupted or failed."""


def open_trackers(config: Config, warn: Callable[[str], None]) -> list[Tracker]:
    """A started tracker for each name in config.train.report_to, holding the run's config. One
    that cannot start (a server away, a store its version refuses) is left out with a `warn`, as
    one that fails mid-run is: it crashed the run after the model and data were loaded."""
    kinds = {"tensorboard": TensorBoard, "mlflow": MLflow, "wandb": Wandb}
    opened: list[Tracker] = []
    try:
        for name in config.train.report_to:
            try:
                opened.append(kinds[name](config))
            except TunelabError:  # its library is missing: one line, as check_trackers says
                raise
            except Exception as err:  # noqa: BLE001 -- the run matters more than its dashboard
                warn(f"train.report_to: {name} could not start, training goes on without it: {err}")
    except BaseException:
        for tracker in opened:
            tracker.close("failed")
        raise
    return opened


def check_trackers(names: list[str]) -> None:
    """Before any work: a tracker whose library is missing is named with the extra to install."""
    import importlib.util

    for name in names:  # each tracker's library is named like it
        if importlib.util.find_spec(name) is None:
            raise _needs(name, name)


def params(config: Config) -> dict[str, str]:
    """The config as flat parameters, by the keys `--set` takes: {"train.lr": "0.0002", ...}."""
    return {key: str(value) for key, value in flatten(config.model_dump()).items()}


def numbers(record: dict) -> dict[str, float]:
    """The metrics of a metrics.jsonl row: its numbers, but the step they belong to."""
    return {
        key: value
        for key, value in record.items()
        if key != "step" and isinstance(value, int | float) and not isinstance(value, bool)
    }


def _needs(extra: str, what: str) -> TunelabError:
    return TunelabError(
        f"train.report_to: {what} needs its library: pip install 'tunelab[{extra}]'"
    )


class TensorBoard:
    """Event files in the run's tensorboard/ folder (`tensorboard --logdir runs`)."""

    def __init__(self, config: Config) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise _needs("tensorboard", "tensorboard") from None
        self.writer = SummaryWriter(log_dir=str(config.run_dir / "tensorboard"))
        table = "\n".join(f"| {key} | {value} |" for key, value in params(config).items())
        self.writer.add_text("config", f"| key | value |\n|---|---|\n{table}")

    def log(self, metrics: dict[str, float], step: int) -> None:
        for key, value in metrics.items():
            self.writer.add_scalar(key, value, step)

    def files(self, plot: Path | None, model: Path | None) -> None:
        if plot is not None:
            import matplotlib.image

            image = matplotlib.image.imread(plot)[..., :3]  # RGB, no alpha
            self.writer.add_image("loss_plot", image, dataformats="HWC")

    def close(self, status: str) -> None:
        self.writer.add_text("status", status)
        self.writer.close()


class MLflow:
    """A run in MLflow's tracking store: MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_NAME as mlflow
    reads them (else its own default, ./mlflow.db), named like the run folder."""

    STATUS = {"finished": "FINISHED", "interrupted": "KILLED", "failed": "FAILED"}

    def __init__(self, config: Config) -> None:
        try:
            import mlflow
        except ImportError:
            raise _needs("mlflow", "mlflow") from None
        self.mlflow = mlflow
        # Inside a user's own active run (tunelab.train in a notebook), a nested one.
        self.run = mlflow.start_run(run_name=config.name, nested=mlflow.active_run() is not None)
        # MLflow caps a parameter's value; a long system prompt is cut, the YAML is whole below.
        mlflow.log_params({key: value[:6000] for key, value in params(config).items()})

    def log(self, metrics: dict[str, float], step: int) -> None:
        self.mlflow.log_metrics(metrics, step=step, run_id=self.run.info.run_id)

    def files(self, plot: Path | None, model: Path | None) -> None:
        client, run_id = self.mlflow.MlflowClient(), self.run.info.run_id
        if plot is not None:
            client.log_artifact(run_id, str(plot))
        if model is not None:
            client.log_artifacts(run_id, str(model), "model")
            client.log_artifact(run_id, str(model.parent / "config.yaml"))

    def close(self, status: str) -> None:
        self.mlflow.end_run(self.STATUS[status])


class Wandb:
    """A Weights & Biases run, named like the run folder, its files under the run folder;
    WANDB_PROJECT, WANDB_MODE (offline, disabled) and the login as wandb reads them."""

    def __init__(self, config: Config) -> None:
        try:
            import wandb
        except ImportError:
            raise _needs("wandb", "wandb") from None
        self.wandb = wandb
        config.run_dir.mkdir(parents=True, exist_ok=True)
        self.run = wandb.init(
            name=config.name,
            config=config.model_dump(),
            dir=str(config.run_dir),
            reinit="create_new",
        )
        self.name = config.name

    def log(self, metrics: dict[str, float], step: int) -> None:
        self.run.log(metrics, step=step)

    def files(self, plot: Path | None, model: Path | None) -> None:
        if plot is not None:
            self.run.log({"loss_plot": self.wandb.Image(str(plot))})
        if model is not None:
            artifact = self.wandb.Artifact(f"{self.name}-model", type="model")
            artifact.add_dir(str(model))
            self.run.log_artifact(artifact)

    def close(self, status: str) -> None:
        self.run.finish(exit_code=0 if status == "finished" else 1)
