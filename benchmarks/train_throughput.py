"""Training throughput: tunelab's loop vs transformers.Trainer and trl.SFTTrainer (packed), side by
side in one run, and each one's distance to the machine's matmul limit.

All train the same model on the same lamini_docs documents with the same AdamW settings and the
same number of documents per optimizer step (train_peers.py says how each is set up). Each
(trainer, mode, repetition) runs in its own process, so peak memory is its own, and the
repetitions alternate (Trainer, tunelab, TRL, Trainer, ...) so a change in the machine's load
falls on all of them. Each process then runs the matmul probe, so each trainer's share of the
machine's limit is taken against the machine as its own steps found it. Reported: the median over
repetitions, with the spread (min-max) beside it.

    python benchmarks/train_throughput.py                    # CPU: embedded model, LoRA and full
    python benchmarks/train_throughput.py --profile          # + where tunelab's step time goes
    python benchmarks/train_throughput.py --device cuda      # GPU: also a 1B Llama-shaped model
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time

import torch
from train_limits import KINDS, gemm_probe, model_flops, model_shape, profile_tunelab
from train_peers import REPO, RUNNERS, SHAPES, compiled, document_stats, load_documents

WARMUP_STEPS = 2
NAMES = {"trainer": "Trainer", "tunelab": "tunelab", "trl": "TRL packed", "trl-liger": "TRL+Liger"}
# Peers a machine may lack (a GPU image without trl, datasets or liger-kernel): left out, with
# the reason printed, rather than ending the run.
OPTIONAL = {"trl", "trl-liger"}

# Dense bf16 tensor-core peak, FLOP/s, of the GPUs this is likely to meet (SXM parts).
PEAK_BF16 = {
    "H200": 989e12,
    "H100": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "A10": 125e12,
    "L4": 121e12,
}


def peak_flops(device: str) -> float | None:
    if device != "cuda":
        return None
    name = torch.cuda.get_device_name()
    return next((peak for key, peak in PEAK_BF16.items() if key in name), None)


def installed(*packages: str) -> bool:
    return all(importlib.util.find_spec(p) is not None for p in packages)


def rates(steps: list[dict]) -> dict:
    """Tokens per second over the steps after the warm-up ones."""
    first, last = steps[WARMUP_STEPS - 1], steps[-1]
    seconds = last["t"] - first["t"]
    return {
        "trained": (last["trained"] - first["trained"]) / seconds,
        "input": (last["input"] - first["input"]) / seconds,
        "docs_per_step": (last["docs"] - first["docs"]) / (len(steps) - WARMUP_STEPS),
    }


def worker_command(args, worker: str, mode: str, shape: str) -> list[str]:
    options = {
        "worker": worker,
        "mode": mode,
        "shape": shape,
        "device": args.device,
        "attention": args.attention,
        "compile": args.compile,
        "steps": args.steps,
        "docs": args.docs,
        "batch-size": args.batch_size,
        "max-length": args.max_length,
    }
    return [sys.executable, __file__, *(f"--{k}={v}" for k, v in options.items())]


def measure(args, worker: str, mode: str, shape: str) -> dict:
    started = time.perf_counter()
    out = subprocess.run(
        worker_command(args, worker, mode, shape), capture_output=True, text=True, cwd=REPO
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        message = f"{worker} {mode} failed:\n{out.stderr[-3000:]}"
        if worker in OPTIONAL:
            print(message + f"\n(left out: {NAMES[worker]})", file=sys.stderr)
            return None
        raise SystemExit(message)
    found = json.loads(line[len("RESULT ") :])
    found["process_s"] = time.perf_counter() - started
    return found


def spread(values: list[float], fmt: str) -> str:
    """'median (min-max)', or the value alone when there is one."""
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def documents(args) -> tuple[list[int], list[int]]:
    """Each document's length and trained tokens (targets after the shift)."""
    from tunelab.run import load_tokenizer

    tokenizer = load_tokenizer("smollm2-135m-instruct")
    return document_stats(load_documents(tokenizer, args.docs, args.max_length))


def compare(args, shape: str, mode: str, peers: list[str], lengths, trained) -> list[str]:
    """Alternating repetitions of every peer, each with the matmul probe its own process ran
    right after its steps; the table's rows."""
    model = model_shape(SHAPES[shape])
    # Model FLOPs per trained token, over the document set every trainer draws from.
    per_trained = model_flops(model, mode, lengths, trained) / sum(trained)
    runs: dict[str, list[dict]] = {p: [] for p in peers}
    for rep in range(args.reps):
        for peer in list(runs):
            found = measure(args, peer, mode, shape)
            if found is None:
                del runs[peer]
                continue
            found.update(rates(found["steps"]))
            runs[peer].append(found)
            print(
                f"  rep {rep + 1} {mode} {NAMES[peer]}: {found['trained']:.1f} trained tok/s, "
                f"{found['peak_gib']:.2f} GiB, probe {found['probe'] / 1e9:.1f} GFLOP/s, "
                f"{found['process_s']:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    peak = peak_flops(args.device)
    ours = runs["tunelab"]
    rows = []
    for peer, mine in runs.items():
        flops = [r["trained"] * per_trained for r in mine]
        cells = [
            shape,
            mode,
            NAMES[peer],
            spread([r["trained"] for r in mine], ".0f"),
            spread([r["input"] for r in mine], ".0f"),
            spread([r["peak_gib"] for r in mine], ".2f"),
            f"{mine[0]['docs_per_step']:.1f}",
            spread([f / 1e9 for f in flops], ".1f"),
            spread([100 * f / r["probe"] for f, r in zip(flops, mine)], ".0f"),
            ""
            if peer == "tunelab"
            else spread([o["trained"] / r["trained"] for o, r in zip(ours, mine)], ".2f"),
        ]
        if peak:
            cells.append(spread([100 * f / peak for f in flops], ".1f"))
        rows.append("| " + " | ".join(cells) + " |")
    probe_line = spread([r["probe"] / 1e9 for mine in runs.values() for r in mine], ".1f")
    rows.append(
        f"| {shape} | {mode} | matmul probe | | | | | {probe_line} | 100 | |"
        + (" |" if peak else "")
    )
    return rows


def print_profile(args, shape: str, mode: str, lengths, trained) -> None:
    out = subprocess.run(
        worker_command(args, "profile", mode, shape), capture_output=True, text=True, cwd=REPO
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"profile {mode} failed:\n{out.stderr[-3000:]}")
    found = json.loads(line[len("RESULT ") :])
    model = model_shape(SHAPES[shape])
    passes = 3 if mode == "full" else 2
    mean_len, mean_trained = statistics.mean(lengths), statistics.mean(trained)
    docs = found["docs_per_step"]
    matmul_flops = (
        2 * passes * docs * (model.body_weights * mean_len + model.head_weights * mean_trained)
    )
    wall = found["wall_per_step"]
    print(f"\ntunelab {mode}, {shape}: {wall:.2f} s per step under the profiler ({docs:.1f} docs)")
    print("| work | s/step | share |\n|------|--------|-------|")
    for kind in KINDS:
        seconds = found["per_step"][kind]
        # On a GPU the ops' device time; the rest of the step the GPU ran no kernel.
        label = (
            "GPU idle (waiting on the host)" if args.device == "cuda" and kind == KINDS[6] else kind
        )
        print(f"| {label} | {seconds:.2f} | {100 * seconds / wall:.0f}% |")
    matmul_s = found["per_step"][KINDS[0]]
    print(
        f"matmuls: {matmul_flops / matmul_s / 1e9:.1f} GFLOP/s on the model's needed matmul work "
        f"({matmul_flops / 1e9:.0f} GFLOP per step, {matmul_s:.2f} s); "
        f"probe now: {found['probe'] / 1e9:.1f} GFLOP/s"
    )


def probe_now(args, docs_per_step: float) -> float:
    """The matmul probe at the model's shapes for `docs_per_step` average documents, run in the
    calling process: after a trainer's steps, it reads the machine as those steps found it (this
    VM's speed swings by a third from one quarter hour to the next, peers and probe alike)."""
    lengths, trained = documents(args)
    mean = statistics.mean
    return gemm_probe(
        model_shape(SHAPES[args.shape]),
        args.mode,
        round(docs_per_step * mean(lengths)),
        round(docs_per_step * mean(trained)),
        args.device,
    )


def worker(args) -> None:
    torch.manual_seed(0)
    if args.worker == "profile":
        found = profile_tunelab(args)
        found["probe"] = probe_now(args, found["docs_per_step"])
    else:
        # Peak memory is read before the probe, which allocates its own operands.
        found = RUNNERS[args.worker](args)
        found["probe"] = probe_now(args, args.batch_size)
    print("RESULT " + json.dumps(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--modes", default="lora,full")
    # Defaults: CPU as measured in benchmarks/README.md; GPU as the reference figures
    # (32 documents per step, documents up to 1024 tokens).
    parser.add_argument("--steps", type=int, default=None, help="default 12 (CPU), 30 (GPU)")
    parser.add_argument("--reps", type=int, default=3, help="alternating repetitions")
    parser.add_argument("--docs", type=int, default=None, help="default 160 (CPU), 1400 (GPU)")
    parser.add_argument("--batch-size", type=int, default=None, help="default 8 (CPU), 32 (GPU)")
    parser.add_argument(
        "--max-length", type=int, default=None, help="default 256 (CPU), 1024 (GPU)"
    )
    parser.add_argument("--attention", default="auto", help="tunelab's train.attention")
    parser.add_argument(
        "--compile",
        choices=["on", "off"],
        default="off",
        help="tunelab's train.compile (off by default, as in tunelab)",
    )
    parser.add_argument(
        "--shapes", default=None, help="default: smollm2-135m on CPU; random-135m,random-1b on GPU"
    )
    parser.add_argument(
        "--peers",
        default=None,
        help="default trainer,tunelab,trl (where trl is installed), + trl-liger on a GPU where "
        "liger-kernel is",
    )
    parser.add_argument("--profile", action="store_true", help="profile tunelab's steps too")
    parser.add_argument("--no-compare", action="store_true", help="with --profile: only that")
    parser.add_argument("--shape", default="smollm2-135m", help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="lora", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=[*RUNNERS, "profile"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    gpu = args.device != "cpu"
    for name, cpu_default, gpu_default in [
        ("steps", 12, 30),
        ("docs", 160, 1400),
        ("batch_size", 8, 32),
        ("max_length", 256, 1024),
    ]:
        if getattr(args, name) is None:
            setattr(args, name, gpu_default if gpu else cpu_default)
    if args.worker:
        return worker(args)
    trl = installed("trl", "datasets")
    liger = trl and gpu and installed("liger_kernel")
    default = "trainer,tunelab" + (",trl" if trl else "") + (",trl-liger" if liger else "")
    peers = (args.peers or default).split(",")
    if "tunelab" not in peers:
        raise SystemExit("--peers must include tunelab (the ratios are against it)")
    if not trl and not args.peers:  # the peer: its absence must not pass unnoticed
        print("TRL packed left out: trl or datasets not installed (pip install -e '.[bench]')")
    print(
        f"device {args.device}, {torch.get_num_threads()} threads; {args.steps} optimizer steps of "
        f"{args.batch_size} documents (first {WARMUP_STEPS} not timed), {args.reps} alternating "
        f"repetitions; lamini_docs ({args.docs} documents), max_length {args.max_length}; "
        f"tunelab compiled: {compiled(args)}"
    )
    lengths, trained = documents(args)
    shapes = (args.shapes or ("smollm2-135m" if not gpu else "random-135m,random-1b")).split(",")
    pairs = [(s, m) for s in shapes for m in args.modes.split(",")]
    if not args.no_compare:
        header = [
            "model",
            "mode",
            "trainer",
            "trained tok/s",
            "input tok/s",
            "peak GiB",
            "docs/step",
            "model GFLOP/s",
            "% of probe",
            "tunelab ÷ this",
        ] + (["MFU % (bf16 peak)"] if peak_flops(args.device) else [])
        print("| " + " | ".join(header) + " |\n|" + "|".join("---" for _ in header) + "|")
        for shape, mode in pairs:
            for row in compare(args, shape, mode, peers, lengths, trained):
                print(row, flush=True)
        print(
            "trained tok/s: tokens that get a loss (answer tokens) per second; input tok/s: "
            "non-padding tokens read; model FLOP/s: the work the documents need "
            "(train_limits.model_flops) over the time each took."
        )
    if args.profile:
        for shape, mode in pairs:
            print_profile(args, shape, mode, lengths, trained)


if __name__ == "__main__":
    main()
