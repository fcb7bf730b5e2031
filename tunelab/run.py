"""A run folder, read in one place. `tunelab train` writes runs/<name>/: config.yaml (what it was
trained with), metrics.jsonl, checkpoints/, model/ (adapter or full weights, with the tokenizer)
and best/; later stages add their own folders (eval/, compare/, bench/). Every stage that takes a
model takes a `Run` or a model name and tells them apart here, so how a run stores its settings
(its prompt, its base model) is known to this file alone. The files' names, and what they say without
the config (status, claim, checkpoints), are run_files.py's."""

from __future__ import annotations

import functools
import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.config import Config
from tunelab.data.prompts.templates import RAW_TEXT, Prompt, check_template_option
from tunelab.data.text import one_line
from tunelab.errors import TunelabError, exists
from tunelab.next_step import command
from tunelab.run_base import check_base
from tunelab.run_files import (
    CHECKPOINTS,
    CLAIM_FILE,
    CONFIG_FILE,
    DATA_SHAPE,
    HELD_OUT,
    METRICS_FILE,
    WEIGHTS,
    checkpoint_state,
    claim_holder,
    list_checkpoints,
    run_status,
)

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass(frozen=True)
class Run:
    """A run folder and the config it was trained with."""

    path: Path
    config: Config

    @classmethod
    def open(cls, path: str | Path, overrides: list[str] | None = None) -> Run:
        """The run in `path`, its config.yaml read with any `--set key=value` overrides. The folder
        is the run: a copy (`cp -r runs/a runs/b`) is runs/b, whatever name its config holds."""
        path = Path(path)
        file = path / CONFIG_FILE
        if (
            file.is_file() and not file.read_text(encoding="utf-8").strip()
        ):  # a YAML of defaults, not its settings
            raise TunelabError(f"{file} is empty: a run's config holds the settings it ran with")
        config = Config.from_yaml(file, overrides)
        folder = path.resolve() if path.name in ("", ".", "..") else path
        return cls(
            path, config.model_copy(update={"name": folder.name, "output_dir": str(folder.parent)})
        )

    @property
    def test_path(self) -> str | None:
        """Its test questions: data.test_path, else the rows training held out of data.path."""
        held_out = self.path / HELD_OUT
        return self.config.data.test_path or (str(held_out) if held_out.is_file() else None)

    def reads(self, path: str | Path) -> bool:
        """Whether `path` is read through this run's data.shape and data.fields: its own
        training or test file (named any way), or another file of the columns its fields map
        ("Query"/"Response": a --corpus, a test file `data facts` wrote back); a split of its
        saved DatasetDict too (faq/test, which eval asks of faq)."""
        from tunelab.data.files.split_folders import saved_splits
        from tunelab.data.load import has_columns

        data = self.config.data.path
        own = [p for p in (data, self.test_path) if p]
        own += [Path(data) / split for split in saved_splits(data)]
        same = Path(path).resolve()
        return any(Path(p).resolve() == same for p in own) or has_columns(
            path, self.config.data.fields
        )

    @staticmethod
    def is_run(path: str | Path) -> bool:
        """A trained run: its config beside its final weights. A path inside a folder this user
        may not enter is refused, naming it: it may well be a run."""
        config = Path(path) / CONFIG_FILE
        return exists(config) and config.is_file() and (Path(path) / WEIGHTS).is_dir()

    @staticmethod
    def is_started(path: str | Path) -> bool:
        """A run that began training: its config beside its log or checkpoints."""
        path = Path(path)
        trained = (path / METRICS_FILE).is_file() or (path / CHECKPOINTS).is_dir()
        return trained and (path / CONFIG_FILE).is_file()

    @classmethod
    def folder_named(cls, path: str | Path, started: bool = False) -> Path | None:
        """The trained run folder `path` names: itself, or the run whose model/ folder it is
        (runs/x/model); else None. The one reading of it, for `find` and for what takes a run's
        files without opening it (rate's answers, serve's "given twice"). With `started`, a run
        that began training and saved no model yet is named too, to say so (`unsaved_run`)."""
        path = Path(path)

        def named(folder: Path) -> bool:
            return cls.is_run(folder) or (started and cls.is_started(folder))

        if named(path):
            return path
        return path.parent if path.name == WEIGHTS and named(path.parent) else None

    @classmethod
    def find(cls, model: str | Path | Run) -> Run | None:
        """`model` as a Run when it is one (or names a trained run's folder, or that run's model/
        folder, so that it is asked as the run was trained: its template and system prompt, its
        adapter merged into its base), else None."""
        if isinstance(model, Run):
            return model
        folder = cls.folder_named(model)
        if folder is None:
            return None
        found = _opened(folder, folder.resolve(), (folder / CONFIG_FILE).read_bytes())
        if folder != Path(model):  # its model/ folder
            _say_read_as_run(str(Path(model)), found.name)
        return cls(found.path, found.config.model_copy(deep=True))  # a config of its own

    def __str__(self) -> str:
        return str(self.path)

    @property
    def name(self) -> str:
        """Its folder's name, as `open` read it: a run given as "." (or as "model" from inside
        it) was served, listed and labelled as "", the name of "."."""
        return self.config.name

    @property
    def base_model(self) -> str:
        """The model the run was trained from (itself possibly a run)."""
        return self.config.model.name

    @property
    def trained_on_text(self) -> bool:
        """Whether the run trained on raw text alone (continued pretraining). It has no
        questions: its held-out texts give its eval loss, and it is asked to continue a prompt
        (`tunelab generate`). As training recorded it, else (a run from before it was recorded)
        as its data file reads now."""
        from tunelab.data.files.read import is_raw_text

        try:
            recorded = json.loads((self.path / DATA_SHAPE).read_text(encoding="utf-8"))["shape"]
        except (OSError, ValueError, KeyError, TypeError):
            return is_raw_text(self.config.data.path, self.config.data.shape)
        return recorded == "text"

    def prompt(self) -> Prompt:
        """The template and system prompt the run was trained with: ask it the same way."""
        return Prompt(self.config.data.template, self.config.data.system_prompt)

    @property
    def weights(self) -> Path:
        return self.path / WEIGHTS

    @property
    def checkpoints(self) -> list[Path]:
        """Its checkpoint folders, oldest first."""
        return list_checkpoints(self.path / CHECKPOINTS)

    @property
    def status(self) -> dict:
        """{"status": running / finished / interrupted / failed, "step", "error"}. A run whose
        process died unannounced (killed, out of memory) reads as failed once it is gone; runs
        from before status.json read as finished when their model/ was written."""
        return run_status(self.path)

    def out_dir(self, kind: str) -> Path:
        """Where a later stage writes into the run: `eval`, `compare`..."""
        return self.path / kind

    def refuse_changed_base(self) -> None:
        """Refuse a LoRA run whose run base has trained again since its adapter was (run_base.py),
        finished or stopped partway: loaded, or resumed, it would go on weights it never saw."""
        if base := Run.find(self.base_model):  # runs/x or its model/ folder, runs/x/model
            check_base(self.path, self.weights, str(base.path), base.weights)

    def load(
        self, dtype: torch.dtype | None = None, device: str = "cpu"
    ) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
        """The trained model: its base with the LoRA adapter merged into the weights, or full
        weights. Merged, a LoRA run of the embedded model answered 40 lamini_docs questions
        1.3-1.6x faster than with the adapter on top, the same text for all 40
        (benchmarks/lora_generate.py)."""
        import torch
        from transformers import AutoModelForCausalLM

        from tunelab.models.load import ensure_pad_token, import_bitsandbytes_offline
        from tunelab.models.names import reading_run

        dtype = dtype or torch.float32
        tokenizer = self.tokenizer()
        if (self.weights / "adapter_config.json").exists():
            import_bitsandbytes_offline()  # peft imports it
            from peft import PeftModel

            quantize = self.config.model.quantize
            self.refuse_changed_base()
            try:
                base, _ = load_model(self.base_model, dtype=dtype, quantize=quantize)
            except TunelabError as err:  # a run copied where its base is not: not the path given
                raise TunelabError(
                    f"run {self.path} is an adapter on the model in model.name of its "
                    f"{CONFIG_FILE}, which does not load here: {str(err).rstrip('.')}. Set "
                    "model.name to where that model is on this machine, or export the run merged "
                    "where it was trained (tunelab export RUN --merged DIR) and give that folder"
                ) from None
            if quantize:  # QLoRA: the adapter goes on the base it was trained on, dequantized
                from tunelab.models.quantized import dequantized

                base = dequantized(base, dtype)
            with reading_run(self.path, self.weights):
                model = merged(PeftModel.from_pretrained(base, self.weights))
        else:
            with reading_run(self.path, self.weights):
                model = AutoModelForCausalLM.from_pretrained(self.weights, dtype=dtype)
        ensure_pad_token(model, tokenizer)
        return model.to(device), tokenizer

    def tokenizer(self) -> PreTrainedTokenizerBase:
        from transformers import AutoTokenizer

        from tunelab.models.names import reading_run

        with reading_run(self.path, self.weights):
            return AutoTokenizer.from_pretrained(self.weights)


@functools.lru_cache(maxsize=16)
def _opened(folder: Path, resolved: Path, text: bytes) -> Run:
    """The run in `folder` as `Run.open` reads it, read once for the config.yaml it holds: one
    command finds its run many times (eval: its suite, test set, labels and `next:` line, 6 times;
    serve, plan...). Keyed by the folder as given (its config's output_dir), where it lies (a
    relative path from another folder is another run) and the file's bytes (rewritten, read
    again)."""
    return Run.open(folder)


@functools.cache  # said once a process: a command finds its model many times
def _say_read_as_run(weights: str, run: str) -> None:
    # The run by its name: from inside it, `tunelab generate model` said ".'s model".
    print(f"{weights} is run {run}'s model: read as the run", file=sys.stderr)


def load_model(
    model: str | Path | Run,
    *,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
    quantize: str | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Any model tunelab knows, ready for training or generation: a run (see `Run.load`), or a
    name `tunelab.models.load.load_pretrained` knows (embedded default, HF dir or id, tiny-random);
    quantize (nf4, int8) loads the latter through bitsandbytes (tunelab.models.quantized)."""
    from tunelab.models.load import load_pretrained

    run = Run.find(model)
    if run and quantize:
        raise TunelabError(
            f"model.quantize: {run} is a run folder; export it (tunelab export {run} --merged "
            "DIR) and train on that folder"
        )
    if run:
        return run.load(dtype, device)
    refuse_unsaved(model)
    if quantize:
        import torch

        from tunelab.models.quantized import load_quantized

        return load_quantized(str(model), quantize, dtype or torch.float32, device)
    return load_pretrained(str(model), dtype=dtype, device=device)


def load_tokenizer(model: str | Path | Run) -> PreTrainedTokenizerBase:
    """The tokenizer of a run or a model."""
    from tunelab.models.load import pretrained_tokenizer

    run = Run.find(model)
    if run:
        return run.tokenizer()
    refuse_unsaved(model)
    return pretrained_tokenizer(str(model))


def model_context(model: str | Path | Run) -> int | None:
    """The model's context in tokens from its config alone (no weights loaded); None if unknown."""
    from tunelab.models.load import pretrained_context
    from tunelab.models.tokenizer_file import config_context

    run = Run.find(model)
    if run is None:
        return pretrained_context(str(model))
    if (run.weights / "config.json").is_file():  # full weights; a LoRA run holds its base's
        from transformers import AutoConfig

        return config_context(AutoConfig.from_pretrained(run.weights))
    return model_context(run.base_model)


def refuse_unloadable(model: str | Path) -> None:
    """Fail at once on a model that is no saved run and cannot be loaded: a name that names
    nothing here nor on the hub (`check_model_source`), or a run that saved no model yet. For
    commands that take several models, before the first is run (eval, compare, bench), and for
    export."""
    from tunelab.models.names import check_model_source

    if Run.folder_named(model):  # a run that wrote model/ loads; its log made it "started"
        return
    refuse_unsaved(model)  # runs/x/model of a run that wrote none: the run's why, not "no such"
    check_model_source(str(model))


def refuse_unsaved(model: str | Path) -> None:
    """A run killed before it wrote model/ is no model to load: said so (read as a Hugging Face
    folder, transformers blamed a missing tokenizer library). Its model/ folder named, not there
    yet, is said as the run is (it was "no such file or folder", the failure unsaid)."""
    run = Run.folder_named(model, started=True)  # one that wrote model/ was read (`Run.find`)
    if run is None:
        if said := unstarted(Path(model)):
            raise TunelabError(f"model {str(model)!r} is {said}")
        return
    raise TunelabError(f"model {str(run)!r} is {unsaved_run(run)}")


def unsaved_run(run: Path) -> str:
    """What a run that began training and saved no model/ is, said after "is", and the command
    that goes on: a model to load refused (`refuse_unsaved`), or a run to rate that no model has
    answered for yet (rate's and judge's answers)."""
    status = run_status(run)
    if status["status"] == "running":  # "it stopped" and a resume, of a run still training
        return (
            f"a run still training (process {status.get('pid')} on {status.get('host')}): its "
            "model/ is written when it ends"
        )
    checkpoints = list_checkpoints(run / CHECKPOINTS)
    how = (
        f"`{resume_command(run, *_launch(checkpoints[-1]))}` continues it from its last checkpoint"
        if checkpoints
        else f"it saved no checkpoint either: `{command('train', run, '--overwrite')}` starts it again"
    )
    # A run that failed at its first step says why, as `tunelab runs` does, not only that it
    # stopped.
    error = failure(status)
    why = f"its training failed: {error}" if error else "it stopped before writing model/"
    return f"a run that has saved no model yet ({why}): {how}"


def failure(status: dict) -> str | None:
    """Why a failed run failed, as its status recorded it, on one line (`tunelab runs` under its
    table, and the refusal to load a run that saved no model); None where it did not fail or
    recorded no error."""
    if status["status"] != "failed" or not status.get("error"):
        return None
    return one_line(status["error"], 300)


def unstarted(folder: Path) -> str | None:
    """What a run folder is that its launch claimed and left before writing its config (killed
    or out of memory while its model loaded, or loading it still), said after "is"; None for any
    other folder. Eval was told "no test data" of it, and `tunelab runs` listed nothing."""
    if not (folder / CLAIM_FILE).is_file() or (folder / CONFIG_FILE).is_file():
        return None
    if holder := claim_holder(folder):
        return (
            f"a run still starting (process {holder.get('pid')} on {holder.get('host')} loads "
            "its model and data): its model/ is written when it ends"
        )
    return (
        f"a run whose launch ended before its first step (it holds only {CLAIM_FILE}: killed, "
        "or out of memory, while its model loaded): run its `tunelab train` again"
    )


def resume_command(run_dir: Path, processes: int, per_machine: int | None = None) -> str:
    """The command that resumes run_dir on `processes` processes (`per_machine` on each machine),
    as it was launched: on fewer, a step takes fewer rows and the resume is refused."""
    train = f"train {shlex.quote(str(run_dir))} --resume"  # a folder with a space pastes whole
    if processes == 1:
        return f"tunelab {train}"
    per_machine = per_machine or processes
    machines = f"--nnodes {processes // per_machine} " if per_machine < processes else ""
    return f"torchrun {machines}--nproc_per_node {per_machine} -m tunelab.cli {train}"


def _launch(checkpoint: Path) -> tuple[int, int | None]:
    """How many processes trained up to `checkpoint`, and how many on each machine (1 and None
    where it does not say)."""
    state = checkpoint_state(checkpoint)
    return state.get("processes") or 1, state.get("per_machine")


def merged(model):
    """`model` with a LoRA run's adapter merged into its base weights (other models as they are):
    what generation, export and a run trained from a LoRA run start from. Left a PeftModel, a new
    adapter overwrote the first one (both named "default": the continued pretraining was lost)
    and a full finetune saved the adapter alone."""
    if not hasattr(model, "merge_and_unload"):
        return model
    untie_adapted_embeddings(model)
    return model.merge_and_unload()  # W + (alpha/r)·B·A becomes W


def untie_adapted_embeddings(model) -> None:
    """Give lm_head its own copy of embeddings tied to it when the adapter changes either: the
    adapter changes its module alone, but merged into the one matrix both share, the change would
    reach the other too (a LoRA lm_head would shift every input embedding)."""
    import torch

    base = model.get_base_model()
    head, embed = base.get_output_embeddings(), base.get_input_embeddings()
    if head is None or embed is None:
        return
    head_layer, embed_layer = getattr(head, "base_layer", head), getattr(embed, "base_layer", embed)
    adapted = head is not head_layer or embed is not embed_layer
    if adapted and head_layer.weight is embed_layer.weight:
        head_layer.weight = torch.nn.Parameter(head_layer.weight.detach().clone())
        base.config.tie_word_embeddings = False  # saved untied, lm_head's own weights included


def prompt_for(
    model: str | Path | Run, template: str | None = None, system_prompt: str | None = None
) -> Prompt:
    """How to ask `model`: a run as it was trained, any other model with its own chat template;
    `template` and `system_prompt` (--template, --system-prompt) replace either one; a system
    prompt is refused where the template has no place for it (qa, alpaca), and a template no
    question can be asked in as the option's error."""
    run = Run.find(model)
    own = run.prompt() if run else Prompt()
    if template:
        check_template_option(template)
    prompt = Prompt(template or own.template, own.system_prompt)
    if not system_prompt:
        return prompt
    trained = run.name if run and prompt.template == own.template else None
    return prompt.with_system_prompt(system_prompt, trained)


def asked_template(
    model: str | Path | Run, template: str | None, system_prompt: str | None = None
) -> tuple[str | None, str]:
    """The template one prompt is asked `model` in (`tunelab generate`'s, each question of
    `tunelab eval`), and a line that says why where it is not the one asked for: a run trained
    on raw text alone continues the prompt as written (RAW_TEXT), unless --template or
    --system-prompt asks for a chat. Eval asked such a run in chat while generate continued."""
    run = Run.find(model)
    if template is not None or system_prompt is not None or not (run and run.trained_on_text):
        return template, ""
    return RAW_TEXT, (
        f"{run.name} trained on raw text alone: it continues the text as written (--template "
        "chat asks it in the chat template instead)"
    )


def base_model(model: str | Path | Run) -> str:
    """The base a run was trained from, or the name itself for any other model."""
    run = Run.find(model)
    return run.base_model if run else str(model)
