"""The curves a person looks at: train loss per step, eval loss, and the held-out answers' score
(fact accuracy or token F1) when the run measured it, from metrics.jsonl."""

from __future__ import annotations

from pathlib import Path

from tunelab.data.files.jsonl_files import read_jsonl


def read_metrics(path: Path) -> list[dict]:
    """A run's metrics.jsonl; a line a crash cut short (a full disk) is left out: its step is
    trained again."""
    return [row for _, row in read_jsonl(path, skip_broken=True)]


def plot_losses(metrics_path: Path, out_path: Path, title: str = "") -> Path | None:
    import matplotlib

    matplotlib.use("Agg")  # headless: runs on servers and in CI
    import matplotlib.pyplot as plt

    rows = read_metrics(metrics_path)
    train = [(r["step"], r["loss"]) for r in rows if "loss" in r]
    evals = [(r["step"], r["eval_loss"]) for r in rows if "eval_loss" in r]
    if not train and not evals:
        return None
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    if train:
        ax.plot(*zip(*train), label="train loss", linewidth=1.2, alpha=0.8)
    if evals:
        ax.plot(*zip(*evals), "o-", label="eval loss", linewidth=1.8)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats per trained token)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    for key in ("eval_fact_accuracy", "eval_token_f1"):
        points = [(r["step"], 100 * r[key]) for r in rows if key in r]
        if points:
            # A second axis: the answers' score rises while the loss falls, on its own scale.
            score_ax = ax.twinx()
            (line,) = score_ax.plot(*zip(*points), "s-", color="tab:green", linewidth=1.8)
            score_ax.set_ylabel(f"held-out {key.removeprefix('eval_').replace('_', ' ')} (%)")
            score_ax.set_ylim(0, 100)
            handles.append(line)
            labels.append(f"held-out {key.removeprefix('eval_').replace('_', ' ')}")
    ax.legend(handles, labels, loc="center right")
    fig.tight_layout()
    fig.savefig(out_path)
    plt.close(fig)
    return out_path
