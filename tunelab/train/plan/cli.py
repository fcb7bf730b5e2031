"""`tunelab plan`: the memory a training run will take per device, before any download or work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tunelab.options import options
from tunelab.train.plan.settings import PlanConfig

console = Console()


@options(
    PlanConfig,
    *("method", "quantize", "dtype", "batch_size", "max_length", "processes", "parallel"),
    *("gradient_checkpointing", "lora_r", "device", "gpu_memory"),
    source="tunelab plan",
)
def plan_command(
    model: Annotated[
        str | None,
        typer.Argument(help="A known model name, a Hugging Face folder or config.json, a run."),
    ] = None,
    *,
    config: PlanConfig,
) -> None:
    """Expected peak memory per device (weights, gradients, AdamW state, activations, loss) and
    whether it fits; needs only the model's shape, never its weights."""
    from tunelab.train.plan.estimate import GIB, checkpointing_alternative, estimate
    from tunelab.train.plan.fit import available_memory

    planned = config.with_run_settings()
    if planned is not config:
        console.print(
            f"[dim]the settings of {escape(str(Path(config.model)))}, with the options given[/]"
        )
    plan = estimate(planned)
    cfg, shape = plan.config, plan.shape
    method = cfg.method + (f" ({cfg.quantize})" if cfg.method == "qlora" else "")
    method += f", rank {cfg.lora_r}" if cfg.method != "full" else ""
    where = (
        f"{cfg.processes} x {plan.device} ({cfg.parallel})" if cfg.processes > 1 else plan.device
    )
    console.print(
        f"[bold]{escape(cfg.model)}[/]: {shape.parameters() / 1e6:,.1f}M parameters, {method}, "
        f"batch {cfg.batch_size} x {cfg.max_length} tokens per process, on {where}"
    )
    table = Table("part (per device)", "GiB", "when", "how", title=None)
    for part in plan.parts:
        if part.side == "elsewhere":  # cpu_offload: in CPU memory
            continue
        table.add_row(part.name, f"{part.bytes / GIB:.2f}", part.side, part.how)
    forward, backward = plan.side("forward") / GIB, plan.side("backward") / GIB
    table.add_row(
        "[bold]peak[/]",
        f"[bold]{plan.peak / GIB:.2f}[/]",
        "",
        f"held {plan.side('held') / GIB:.2f} + max(forward {forward:.2f}, backward "
        f"{backward:.2f}) + runtime",
    )
    console.print(table)
    for note in plan.notes:
        console.print(f"[dim]{note}[/]")
    other = checkpointing_alternative(plan)
    state = "with" if other.config.gradient_checkpointing else "without"
    console.print(f"{state} gradient checkpointing: {other.peak / GIB:.2f} GiB")
    largest = plan.largest()
    console.print(
        f"largest: {largest.name}, {largest.bytes / GIB:.2f} GiB "
        f"({largest.bytes / plan.peak:.0%} of the peak)"
    )
    memory, source = available_memory(plan)
    if memory is None:
        console.print(f"fits: unknown ({source})")
    elif plan.peak <= memory:
        console.print(f"[green]fits[/]: {plan.peak / GIB:.1f} GiB needed; {source}")
    else:
        console.print(f"[bold red]does not fit[/]: {plan.peak / GIB:.1f} GiB needed; {source}")
    layer = Table("activations of one layer", "bytes per token", title=None)
    for row in plan.per_layer:
        layer.add_row(row.what, f"{row.per_token:,}")
    layer.add_row("[bold]total[/]", f"[bold]{sum(r.per_token for r in plan.per_layer):,}[/]")
    console.print(layer)
