"""Everything before a training session's first step: the checks that refuse a run, the model and
data loaded and prepared, the rows, optimizer and schedule, a resume from the newest checkpoint,
and the run folder written. The loop (tunelab/train/loop.py) takes it from there."""

from __future__ import annotations

import random
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.markup import escape
from transformers import PreTrainedTokenizerBase

from tunelab.config import Config, fit_max_length
from tunelab.data.pipeline import (
    PreparedData,
    check_data_files,
    fingerprint,
    make_rows,
    prepare,
)
from tunelab.data.prompts.chat_notes import adopted_system_prompt, unasked_system_prompt
from tunelab.data.prompts.templates import Prompt
from tunelab.data.quality.dedup import near_questions, own_rows
from tunelab.data.tokenize import Tokenized
from tunelab.evaluate.facts.propose_file import untaught_note
from tunelab.models.load import context_length
from tunelab.run import Run, load_model, load_tokenizer, model_context, resume_command
from tunelab.run_base import record_base
from tunelab.run_files import CHECKPOINTS, METRICS_FILE
from tunelab.terminal import say_wrapped
from tunelab.train.checkpoint import TrainState
from tunelab.train.claim import RunClaim
from tunelab.train.heldout import (
    HeldOut,
    held_out_questions,
    needs_held_out,
    nothing_held_out,
    with_own_test_split,
)
from tunelab.train.memory import keep_freed_memory, release_freed_memory
from tunelab.train.parallel import distributed
from tunelab.train.parallel.distributed import World
from tunelab.train.parallel.sharding import answering_together
from tunelab.train.plan.fit import fit_warning
from tunelab.train.resume import (
    read_at_its_end,
    refuse_changed_data,
    resume_from_checkpoint,
    split_as_checkpointed,
    split_left_before_loading,
    split_left_to_checkpoint,
)
from tunelab.train.run_config import check_resume_changes, with_found_files
from tunelab.train.run_folder import (
    check_run_dir,
    replace_run_dir,
    truncate_metrics,
    write_config,
    write_data_shape,
    write_held_out,
)
from tunelab.train.schedule import (
    batch_past_data,
    make_scheduler,
    step_counts,
    step_past_epoch,
    warmup_steps,
)
from tunelab.train.setup import (
    compile_layers,
    describe,
    make_optimizer,
    prepare_model,
    row_packing,
    set_attention,
    unused_lora,
    weights_dtype,
)
from tunelab.train.stopping import BeforeTraining
from tunelab.train.trackers import check_trackers


@dataclass
class TrainSession:
    """What the loop trains with, on this process: one launch of a run, fresh or resumed."""

    config: Config  # data.max_length fitted to the model's context
    resume: bool  # continued from the run's newest checkpoint
    world: World
    device: torch.device
    model: torch.nn.Module
    tokenizer: PreTrainedTokenizerBase
    loss_module: torch.nn.Module  # the model as this world trains it (DDP, FSDP or as it is)
    rows: list[list[Tokenized]]
    test_rows: list[list[Tokenized]]
    packing: bool  # data.packing as this model can train it (setup.row_packing)
    micro_per_epoch: int
    micro_per_step: int  # grad_accum micro-batches on every process
    total_steps: int
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    state: TrainState
    # The held-out questions to answer: rank 0's alone under DDP (None on the others), every
    # process's under FSDP, where they answer together (sharding.answering_together).
    heldout: HeldOut | None
    # How a run stopped by Ctrl-C or SIGTERM goes on: the caller's own rerun, where it has one,
    # before `resume_hint` (BeforeTraining.going_on).
    stop_hint: str

    @property
    def resume_hint(self) -> str:
        """The command that continues this run, on as many processes as this launch."""
        return resume_command(self.run_dir, self.world.size, self.world.local_size)

    @property
    def run_dir(self) -> Path:
        return self.config.run_dir

    @property
    def checkpoints(self) -> Path:
        return self.run_dir / CHECKPOINTS

    @property
    def metrics_path(self) -> Path:
        return self.run_dir / METRICS_FILE

    @property
    def sharded(self) -> bool:
        return self.config.train.parallel == "fsdp"

    def answering(self) -> AbstractContextManager:
        """What the held-out questions are answered within: under FSDP, every process at once."""
        if not self.sharded:
            return nullcontext()
        return answering_together(self.loss_module, self.world, self.device)


def start_session(
    config: Config,
    resume: bool,
    overwrite: bool,
    world: World,
    device: torch.device,
    before: BeforeTraining,
    claim: RunClaim,
    console: Console,
) -> TrainSession:
    """Refuse a run that cannot train, claim its folder, load and prepare it, resume it, write
    its run folder."""
    # Local files by absolute path from here on: config.yaml and a LoRA adapter's base name
    # them so from any folder.
    config = with_found_files(config)
    if not resume:  # a resumed run holds out what its config.yaml says, as it did
        config = with_own_test_split(config)
    elif config.data.system_prompt is None and Run.is_started(config.run_dir):
        # A run that took its rows' system prompt as its own (_load_and_prepare) resumes with it
        # from the same YAML, which names none.
        kept = Run.open(config.run_dir).config.data.system_prompt
        config = config.model_copy(
            update={"data": config.data.model_copy(update={"system_prompt": kept})}
        )
    cfg = config.train
    run_dir = config.run_dir

    distributed.check_on_main(world, partial(_check_run, config, resume, overwrite, claim))
    _seed_everything(cfg.seed)
    if cfg.return_freed_memory:
        release_freed_memory()
    elif device.type == "cpu":
        keep_freed_memory()
    if world.is_main:
        _warn_before_loading(config, world, device, console)

    at_its_end = distributed.on_every_process(
        world, partial(read_at_its_end, config, resume, world.size)
    )
    # Each process reads its own copy of the model and data (on its own machine): one that
    # refuses says why on every process, where the others died in DDP's first collective.
    own_system = config.data.system_prompt
    model, tokenizer, config, data = distributed.on_every_process(
        world, partial(_load_and_prepare, config, resume, device, console)
    )
    # Escaped: it names files ("data [v2].jsonl:3") and a special token's text ('[INST]').
    console.print(f"[bold]data[/] {escape(data.summary())}")
    if world.is_main and (system := config.data.system_prompt) != own_system:
        said = adopted_system_prompt(data.train_examples, system)
        say_wrapped(console, said)
    if world.is_main and (none := nothing_held_out(config, data.test_examples)):
        say_wrapped(console, f"warning: {none}", "yellow")
    # The rows the test examples came from: test_path's, else the split file's.
    source = Path(config.data.test_path or config.data.path)
    if world.is_main and (note := untaught_note(source, data.train_examples, data.test_examples)):
        say_wrapped(console, f"warning: {note}", "yellow")
    asked_as = Prompt(config.data.template, config.data.system_prompt)
    if world.is_main and (unasked := unasked_system_prompt(data.train_examples, asked_as)):
        say_wrapped(console, f"warning: {unasked}", "yellow")
    model, loss_module = _model_to_train(model, config, world, device, console)

    packing, unpacked = row_packing(model, config.data.packing)
    if unpacked and world.is_main:
        console.print(unpacked)
    rows = make_rows(data.train, config.data.max_length, packing)
    test_rows = make_rows(data.test, config.data.max_length, packing)
    micro_per_epoch, micro_per_step, total_steps = step_counts(cfg, len(rows), world.size)
    if world.is_main and (whole := batch_past_data(cfg, len(rows), packing)):
        console.print(whole)
    if world.is_main and (past := step_past_epoch(cfg, len(rows), world.size, packing)):
        say_wrapped(console, f"warning: {past}", "yellow")
    if world.size > 1:
        distributed.check_same_data(
            world, **{"training examples": len(data.train), "test examples": len(data.test),
                      "steps": total_steps, "token digest": fingerprint(data.train + data.test)}
        )  # fmt: skip
    digest = fingerprint(data.train)  # what the steps train on: a resume must find the same
    optimizer = make_optimizer(model, cfg, device)
    state = TrainState(
        processes=world.size, grad_accum=cfg.grad_accum, per_machine=world.local_size,
        data_digest=digest,
    )  # fmt: skip
    if resume:
        state = resume_from_checkpoint(
            config, world, model, optimizer, digest, total_steps, at_its_end, console
        )
    state.rows = len(rows)  # its checkpoints keep it: resume.read_at_its_end reads the length
    warmup = warmup_steps(total_steps, cfg.warmup_steps, cfg.warmup_ratio)
    # It trained at a fraction of lr, silently. A warm-up of one step is its step at lr: a run of
    # one step, warmed up by the default ratio, was told it never reached lr.
    if warmup > 1 and warmup >= total_steps:
        set_by = (
            f"train.warmup_steps {warmup}"
            if cfg.warmup_steps is not None
            else f"train.warmup_ratio {cfg.warmup_ratio:g} ({warmup} steps)"
        )
        lr = f"train.lr ({cfg.lr:g})"
        reaches = f"never reaches {lr}" if warmup > total_steps else f"reaches {lr} at the end"
        console.print(
            f"[yellow]{set_by} is not under the run's {total_steps} steps: the learning rate "
            f"{reaches} and never decays; lower it[/]"
        )
    scheduler = make_scheduler(
        optimizer, cfg.lr, total_steps, warmup, cfg.scheduler, start=state.step
    )
    # Every process checks the held-out questions, so a refusal stops all of them alike (rank 0
    # alone left the others to die in a collective with a lost connection); rank 0 answers them,
    # or under FSDP every process, each forward gathering the layers from all.
    # Before the run folder is written: a refused run leaves none behind.
    heldout = held_out_questions(config, data.test_examples, test_rows)
    if heldout:
        heldout.check_fit(model, tokenizer)
        heldout = heldout if world.is_main or cfg.parallel == "fsdp" else None
    metrics_path = run_dir / METRICS_FILE
    before.going_on(resume_command(run_dir, world.size, world.local_size))
    if world.is_main:
        if overwrite and not resume:  # only now: a refusal before left the old run as it was
            replace_run_dir(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        write_config(run_dir, config, state.step)
        # A run's model/ folder (model.name: runs/x/model) is trained on as its run: recorded too.
        if config.train.method == "lora" and (base := Run.find(config.model.name)):
            record_base(run_dir, str(base.path), base.weights)
        write_held_out(run_dir, config.data, data.test_examples)
        write_data_shape(run_dir, config.data, data.train_examples)
        truncate_metrics(metrics_path, state.step)
    return TrainSession(
        config=config, resume=resume, world=world, device=device, model=model,
        tokenizer=tokenizer, loss_module=loss_module, rows=rows, test_rows=test_rows,
        packing=packing, micro_per_epoch=micro_per_epoch, micro_per_step=micro_per_step,
        total_steps=total_steps, optimizer=optimizer, scheduler=scheduler, state=state,
        heldout=heldout, stop_hint=before.resume_hint,
    )  # fmt: skip


def _check_run(config: Config, resume: bool, overwrite: bool, claim: RunClaim) -> None:
    check_data_files(config.data)  # before the model loads
    data = config.data
    if limit := model_context(config.model.name):
        # A length past the context is refused again once the model loads (where its config
        # is not at hand without it); refused here, it came after a memory warning for it.
        data = fit_max_length(config.data, config.model.name, limit)
    needs_held_out(config)  # before --overwrite deletes the run that is there
    check_run_dir(config.run_dir, resume, overwrite)
    if resume:
        # Else it trained on a base trained again since, and the change went unsaid; a run
        # stopped partway is checked against the digest its first step recorded.
        if Run.is_started(config.run_dir):
            Run.open(config.run_dir).refuse_changed_base()
        # Before a finished run's length is counted in steps of a changed size (resume.py).
        known = limit or "max_length" in data.model_fields_set  # the default fits the model
        unknown = frozenset() if known else frozenset({"data.max_length"})
        # A raw-text run's data.test_size 1 -> a fraction: its texts are read here. Where the
        # fraction holds out each text's end, the checkpoint's split decides once the data is
        # prepared; where it holds out whole texts, the change is refused now, before the model.
        unknown |= split_left_before_loading(config)
        check_resume_changes(config.run_dir, config.model_copy(update={"data": data}), unknown)
    check_trackers(config.train.report_to)
    claim.take()  # before the model loads: a second launch of this run is refused from here


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _warn_before_loading(
    config: Config, world: World, device: torch.device, console: Console
) -> None:
    if too_big := fit_warning(config, world.size, device.type):
        say_wrapped(console, f"warning: {too_big}", "yellow")
    if unused := unused_lora(config.train):
        say_wrapped(console, f"warning: {unused}", "yellow")
    if config.model.dtype == "float16" and device.type == "cpu":
        say_wrapped(
            console,
            "warning: model.dtype float16 on a CPU trains without loss scaling: its gradients "
            "overflow and the loss diverges within a few steps; bfloat16 has float32's range",
            "yellow",
        )


def _load_and_prepare(config: Config, resume: bool, device: torch.device, console: Console):
    # A resume tokenizes its data before the model loads, where the model's config gives its
    # context: a data file edited since the checkpoint is refused before a load of minutes (a
    # 7B), where it came after it (16.8 s with the 135M model).
    known = model_context(config.model.name) if resume else None
    if known:
        tokenizer = load_tokenizer(config.model.name)
        prepared = _prepare_data(config, tokenizer, known, resume, console)
        refuse_changed_data(prepared[0], prepared[1].train)
    quantize = config.model.quantize
    model, tokenizer = load_model(
        config.model.name,
        dtype=weights_dtype(config.model.dtype, quantize),
        quantize=quantize,
        device=device if quantize else "cpu",  # bitsandbytes quantizes on the way in
    )
    limit = context_length(model, tokenizer)
    # Its notes never print twice: a `known` is config_context of the config the model loads.
    if limit != known:  # else the tokens are the same: the tokenizers read the same files
        prepared = _prepare_data(config, tokenizer, limit, resume, console)
    fitted_config, data = prepared
    return model, tokenizer, fitted_config, data


def _prepare_data(
    config: Config,
    tokenizer: PreTrainedTokenizerBase,
    limit: int,
    resume: bool,
    console: Console,
) -> tuple[Config, PreparedData]:
    """The run's data tokenized for a model of `limit` tokens' context, and its config as it
    trains: data.max_length fitted to the context, the system prompt its rows open with."""
    fitted = fit_max_length(config.data, config.model.name, limit)
    fitted_config = config
    if fitted is not config.data:
        console.print(f"data.max_length {config.data.max_length} → {limit}: the model's context")
        fitted_config = config.model_copy(update={"data": fitted})
    if resume:
        left = split_left_to_checkpoint(config)  # data.test_size, once the data is read
        check_resume_changes(config.run_dir, fitted_config, left)
    # A typo'd question splits as its twin. A new run asks as its rows trained, under the system
    # prompt they all open with where it names none; a resumed one kept its own in config.yaml.
    data = prepare(
        fitted_config.data, tokenizer, near_questions, own_rows, adopt_system_prompt=not resume
    )
    if resume:
        again = partial(
            prepare, tokenizer=tokenizer, near=near_questions, own_rows=own_rows, quiet=True
        )
        fitted_config, data = split_as_checkpointed(fitted_config, data, again, console)
        if left:  # as the checkpoint's split decided
            check_resume_changes(config.run_dir, fitted_config)
    if data.adopted_system:
        own = fitted_config.data.model_copy(update={"system_prompt": data.adopted_system})
        fitted_config = fitted_config.model_copy(update={"data": own})
    return fitted_config, data


def _model_to_train(model, config: Config, world: World, device: torch.device, console: Console):
    """The model as train.method, train.attention and train.compile ask, on `device`, and the
    module this world trains it through (DDP, FSDP, or the model itself)."""
    cfg = config.train
    set_attention(model, cfg.attention, device)
    model = prepare_model(model, cfg).to(device)
    if cfg.compile:
        compile_layers(model)
    loss_module = distributed.wrap(model, world, device, cfg.parallel, cfg.cpu_offload)
    where = f"{world.size} processes ({cfg.parallel})" if world.size > 1 else str(device)
    console.print(f"[bold]model[/] {escape(config.model.name)}: {describe(model, cfg)} on {where}")
    if cfg.compile:  # the progress bar stands still meanwhile
        console.print(
            "compiling the decoder layer in the first step (~10 s, the embedded model, CPU)"
        )
    return model, loss_module
