"""Whether a plan fits: the memory one device has (a given --gpu-memory, the GPU's own, or the
RAM free on a CPU), and the one-line warning `tunelab train` gives before loading anything."""

from __future__ import annotations

from tunelab.config import Config
from tunelab.errors import TunelabError
from tunelab.train.plan.estimate import GIB, Plan, estimate
from tunelab.train.plan.settings import PlanConfig


def available_memory(plan: Plan) -> tuple[float | None, str]:
    """Bytes one device has for the run, and where that figure comes from."""
    cfg = plan.config
    if cfg.gpu_memory:
        return cfg.gpu_memory * GIB, f"--gpu-memory {cfg.gpu_memory:g} GiB"
    if plan.device == "cuda":
        import torch

        if torch.cuda.is_available():
            total = torch.cuda.get_device_properties(0).total_memory
            return total, f"{torch.cuda.get_device_name(0)}, {total / GIB:.0f} GiB"
        return None, "no GPU here: give --gpu-memory"
    free = free_ram()
    return free, (f"free RAM, {free / GIB:.1f} GiB" if free else "free RAM unknown")


def free_ram() -> float | None:
    """MemAvailable from /proc/meminfo (Linux); None elsewhere."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def fit_warning(config: Config, processes: int, device: str) -> str | None:
    """One line when the run's plan needs more than the device has, else None (also when the
    model's shape cannot be known without loading it: the plan never stops a run)."""
    try:
        plan = estimate(PlanConfig.of(config, processes, device))
    except TunelabError:
        return None
    memory, source = available_memory(plan)
    if memory is not None and plan.peak > memory:
        # Before a warning, the batch the data can fill (its examples read, not tokenized: the
        # data is prepared once, after this): read only then, a large file costs seconds.
        plan = estimate(plan.config.sized_to_data(config, tokenize=False), plan.shape)
    if memory is None or plan.peak <= memory:
        return None
    other = estimate(plan.config.model_copy(update={"gradient_checkpointing": True}), plan.shape)
    hint = (
        f"; with train.gradient_checkpointing {other.peak / GIB:.1f} GiB"
        if not plan.config.gradient_checkpointing
        else ""
    )
    return (
        f"the plan needs {plan.peak / GIB:.1f} GiB per device, more than {source}{hint} "
        f"(tunelab plan {config.model.name} for the parts)"
    )
