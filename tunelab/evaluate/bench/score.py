"""`tunelab bench`: score models on standard benchmarks, each task as lm-evaluation-harness
scores it, and save the leaderboard."""

from __future__ import annotations

import hashlib
import math
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator, model_validator

from tunelab.config import LocalFolder, OptionalLocalFolder
from tunelab.errors import TunelabError
from tunelab.evaluate.bench.leaderboard import leaderboard, save
from tunelab.evaluate.bench.tasks import TASKS, Doc, Task, get_task, main_metric, shots
from tunelab.evaluate.bench.tasks.base import TARGET_DELIMITER
from tunelab.section import Limit, Section

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from tunelab.work_log import WorkLog

# A development checkout keeps local copies beside the repository: <repo>/../shared/data/benchmarks.
DEV_BENCH_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "benchmarks"


def bench_data_dir(option: str | Path | None = None) -> Path | None:
    """Local benchmark copies: --data-dir, else $TUNELAB_BENCH_DATA, else those beside a
    development checkout; None when there are none (the cache and the hub are read then)."""
    given = option or os.environ.get("TUNELAB_BENCH_DATA")
    if given:
        return Path(given)
    return DEV_BENCH_DATA if DEV_BENCH_DATA.is_dir() else None


class BenchConfig(Section):
    """Everything `tunelab bench` needs besides the models."""

    tasks: list[str] | None = None
    """Task names, comma-separated or repeated (default: every registered task whose data is
    found); `<task>_<part>` for a part of one, as mmlu_<subject>."""
    data_dir: OptionalLocalFolder = None
    """Local copies of the benchmark files (default: $TUNELAB_BENCH_DATA); a task not found here
    is read from the cache, fetched from the Hugging Face hub the first time."""
    cache: OptionalLocalFolder = None
    """Where benchmarks fetched from the hub are kept (default: benchmarks/ in tunelab's cache,
    ~/.cache/tunelab or $TUNELAB_CACHE)."""
    fetch: bool = True
    """Fetch a task's data from the Hugging Face hub into the cache when it is not found."""
    log_samples: bool = False
    """Also write every question as scored (prompt, choices, log-likelihoods, scores) to
    <output>/samples/<model>/<task>.jsonl, as lm-evaluation-harness's --log_samples."""
    limit: Limit = None
    """At most N questions per task (per part, as per MMLU subject)."""
    fewshot: int = Field(0, ge=0, le=5)
    """Few-shot examples per question, for the tasks that take them (the harness: 0 or 5)."""
    batch_size: int = Field(16, ge=1)
    """Answers scored together."""
    output: LocalFolder = Path("bench")
    """Folder for leaderboard.md and leaderboard.json."""

    @field_validator("tasks", mode="before")
    @classmethod
    def _comma_separated(cls, value):
        if value is None:
            return None
        given = [value] if isinstance(value, str) else value
        names = [t.strip() for item in given for t in item.split(",") if t.strip()]
        if not names:  # `--tasks ,`: not "no data found", a list without a name
            raise ValueError(
                f"tasks {','.join(given)!r} names no task: give names (arc_easy,mmlu), or leave "
                "tasks out to run every task whose data is found"
            )
        # Once each: a task named twice was scored twice and weighed twice in the Average,
        # which then was not the mean of the row's scores.
        return list(dict.fromkeys(names))

    @model_validator(mode="after")
    def _default_data_dir(self) -> BenchConfig:
        if self.data_dir is None:  # read when the settings are made, at the edge
            self.data_dir = bench_data_dir()
        if self.cache is None:
            from tunelab.models.load import cache_root

            self.cache = cache_root() / "benchmarks"
        return self


@dataclass
class TaskResult:
    task: str
    main_metric: str
    metrics: dict[str, float]  # mean over questions, 0-1
    n: int
    seconds: float
    per_question: list[float] = field(default_factory=list)  # the main metric of each question
    samples: Path | None = None  # where --log-samples wrote each question
    groups: list[str] = field(default_factory=list)  # each question's part (MMLU subject)
    of: int | None = None  # the task's questions, where --limit scored only its first `n`
    keys: list[str] = field(default_factory=list)  # each question's `Doc.key`

    @property
    def main(self) -> float:
        return self.metrics[self.main_metric]

    @property
    def counted(self) -> str:
        """How many questions were scored, and under --limit which: "20 of 2,376 questions: the
        first 20 (--limit)", or "the first 5 of each of 57 subjects" for MMLU."""
        if self.of is None:
            return f"{self.n} questions"
        sizes = Counter(self.groups).values()
        first = f"the first {self.n}"
        if len(sizes) > 1:
            first = f"the first {max(sizes)} of each of {len(sizes)} subjects"
        return f"{self.n} of {self.of:,} questions: {first} (--limit)"

    @property
    def stderr(self) -> float | None:
        """The main metric's standard error over the questions, as lm-evaluation-harness reports
        it: the sample standard deviation over sqrt(n) for one part, pooled over the parts
        (`pooled_sample_stderr`) for a task of several, as all of MMLU; None when a part has
        under two questions (the harness's "N/A")."""
        parts: dict[str, list[float]] = {}
        for group, score in zip(self.groups or [""] * len(self.per_question), self.per_question):
            parts.setdefault(group, []).append(score)
        sizes = [len(scores) for scores in parts.values()]
        if not parts or min(sizes) < 2:
            return None
        # The harness pools each subject's variance (the spread within subjects), so the
        # spread between subjects' means is left out: not the stdev of all questions at once.
        within = sum((len(s) - 1) * statistics.variance(s) for s in parts.values())
        return math.sqrt(within / (sum(sizes) - len(sizes)) / sum(sizes))


def score_docs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    task: Task,
    docs: list[Doc],
    batch_size: int = 16,
    on_progress=None,
    lls: list[list[float]] | None = None,
    log: WorkLog | None = None,
) -> list[dict[str, float]]:
    """Each doc's scores under the task's rule, from one batched log-likelihood pass; with
    `lls`, each doc's choices' log-likelihoods are appended to it too. With a `log`, choices it
    holds are read from it and each new one is added as it is scored."""
    from tunelab.evaluate.bench.loglik import Request

    requests = [Request(d.context, [TARGET_DELIMITER + c for c in d.choices]) for d in docs]
    scored = _loglikelihoods(model, tokenizer, requests, log, batch_size, on_progress)
    if lls is not None:
        lls.extend(scored)
    return [task.score(doc, ll) for doc, ll in zip(docs, scored)]


def _loglikelihoods(model, tokenizer, requests, log, batch_size, on_progress) -> list[list[float]]:
    """`loglikelihoods` of the requests whose choices `log` does not hold all of."""
    from tunelab.evaluate.bench.loglik import loglikelihoods

    if log is None:
        return loglikelihoods(
            model, tokenizer, requests, batch_size=batch_size, on_progress=on_progress
        )
    keys = [[choice_key(r.context, c) for c in r.continuations] for r in requests]
    todo = [i for i, ks in enumerate(keys) if not all(k in log.records for k in ks)]

    def keep(request: int, choice: int, total: float) -> None:
        log.add(keys[todo[request]][choice], total)

    held = len(requests) - len(todo)  # the bar counts the questions the log answered as done

    def progress(done: int, total: int) -> None:
        if on_progress is not None:
            on_progress(held + done, held + total)

    fresh = loglikelihoods(
        model, tokenizer, [requests[i] for i in todo], batch_size=batch_size,
        on_progress=progress, on_scored=keep,
    )  # fmt: skip
    out = [[log.records.get(k) for k in ks] for ks in keys]
    for i, lls in zip(todo, fresh):
        out[i] = lls
    return out


def choice_key(context: str, continuation: str) -> str:
    """A scored choice's key in a work log: a digest, as a 5-shot MMLU context runs to pages."""
    return hashlib.sha256(f"{context}\x00{continuation}".encode()).hexdigest()[:32]


def run_task(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    name: str,
    cfg: BenchConfig,
    on_progress=None,
    samples: Path | None = None,
    log: WorkLog | None = None,
) -> TaskResult:
    """Load one task's questions (fetching them first if need be) and score them; metrics are
    micro-averages over questions. `samples`: write each question as scored there. `log`: the
    choices an interrupted run scored, and where the new ones go."""
    from tunelab.evaluate.bench.fetch import data_for

    task = get_task(name)
    folder = data_for(name, cfg.data_dir, cfg.cache, cfg.fetch)
    docs = task.load(folder, limit=cfg.limit, fewshot=cfg.fewshot if task.fewshot else 0)
    # --limit takes the first questions, as the harness's does: say of how many, so 20 of 2,376
    # are not read as ARC-Easy's score.
    whole = len(task.load(folder)) if cfg.limit is not None else len(docs)
    start = time.perf_counter()
    lls: list[list[float]] = []
    scores = score_docs(model, tokenizer, task, docs, cfg.batch_size, on_progress, lls, log)
    seconds = time.perf_counter() - start
    metric = main_metric(task)
    if samples is not None:
        from tunelab.evaluate.bench.samples import write_samples

        write_samples(samples, docs, lls, scores, metric)
    keys = scores[0].keys() if scores else [metric]
    metrics = {k: sum(s[k] for s in scores) / max(len(scores), 1) for k in keys}
    per_question = [s[metric] for s in scores]
    groups = [d.group for d in docs]
    of = whole if whole > len(docs) else None
    keys = [d.key for d in docs]
    return TaskResult(
        name, metric, metrics, len(docs), seconds, per_question, samples, groups, of, keys
    )


def available(tasks: list[str], cfg: BenchConfig) -> tuple[list[str], dict[str, str]]:
    """The tasks whose data can be read (locally, from the cache, or fetched from the hub), and
    for the others the reason why not."""
    from tunelab.evaluate.bench.fetch import data_for

    ok, missing = [], {}
    for name in tasks:
        try:
            data_for(name, cfg.data_dir, cfg.cache, cfg.fetch)  # an unknown name raises too
            ok.append(name)
        except TunelabError as err:
            missing[name] = str(err)
    return ok, missing


def bench_model(
    name: str, cfg: BenchConfig, on_task=None, on_progress=None, on_note=None
) -> list[TaskResult]:
    """Load a model (any source tunelab knows) and run every task of `cfg` on it.
    `on_task(model, result)` after each task; `on_progress(model, task, done, total)` during it.
    Each scored choice goes to a work log in `cfg.output` as it is made, so a run cut short
    scores only what is left when run again (`on_note(text)` is told so); `bench` removes the
    logs once the leaderboard is saved (a Ctrl-C during a later model kept this one's work)."""
    import torch

    from tunelab.evaluate.bench.samples import samples_file
    from tunelab.run import load_model
    from tunelab.work_log import WorkLog, weights_fingerprint

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, tokenizer = load_model(name, device=device)
    header = {"weights": weights_fingerprint(model), "device": device, "dtype": str(model.dtype)}
    log = WorkLog(partial_scores(cfg, name), header, "scored choices")
    if on_note is not None and (note := log.resumed()):
        on_note(note)
    results = []
    for task in cfg.tasks:
        report = None
        if on_progress is not None:

            def report(done, total, task=task):
                on_progress(name, task, done, total)

        samples = samples_file(cfg.output, name, task) if cfg.log_samples else None
        results.append(run_task(model, tokenizer, task, cfg, report, samples, log))
        if on_task is not None:
            on_task(name, results[-1])
    return results


def with_tasks(cfg: BenchConfig, on_skip=None) -> BenchConfig:
    """`cfg` with its tasks named: when none are given, every registered task whose data is
    found; the others (HellaSwag's files are often absent) are skipped, not fatal, each told to
    `on_skip(task, why)`."""
    if cfg.tasks is not None:
        return cfg
    chosen, missing = available(list(TASKS), cfg)
    for name, why in missing.items():
        if on_skip is not None:
            on_skip(name, why)
    return cfg.model_copy(update={"tasks": chosen})


def check_tasks(cfg: BenchConfig) -> None:
    """Fail on an unknown task name or missing data before any model loads, not after the
    first tasks have run; an empty task list would save an empty leaderboard."""
    if not cfg.tasks:
        raise TunelabError(
            f"no benchmark to run: no task's data was found in {cfg.data_dir or 'no --data-dir'}"
            f" nor the cache {cfg.cache}, nor fetched from the hub (offline?). Point --data-dir "
            "(or TUNELAB_BENCH_DATA) at the benchmark files, or name --tasks."
        )
    _, missing = available(cfg.tasks, cfg)
    if missing:
        raise TunelabError(next(iter(missing.values())))
    if cfg.fewshot and not shots(cfg.tasks, cfg.fewshot):
        takers = ", ".join(name for name, task in TASKS.items() if task.fewshot)
        raise TunelabError(
            f"fewshot {cfg.fewshot}: none of {', '.join(cfg.tasks)} takes few-shot examples "
            f"(they are scored zero-shot, as the harness does); drop --fewshot or add a task "
            f"that takes them ({takers})"
        )


def bench(
    models: list[str],
    cfg: BenchConfig | None = None,
    on_task=None,
    on_progress=None,
    on_skip=None,
    on_note=None,
) -> list[dict]:
    """The Python API of `tunelab bench`: run, save, and return the leaderboard records (see
    `with_tasks` for the default tasks, `bench_model` for the callbacks; `on_note` is also told
    where each run's own scores were kept, or why they could not be)."""
    from tunelab.evaluate.bench.run_scores import keep_run_scores
    from tunelab.run import Run, refuse_unloadable

    cfg = with_tasks(cfg or BenchConfig(), on_skip)
    check_tasks(cfg)
    # A mistyped path, or a run that saved no model, fails now, not once the models before it
    # are scored (a run that saved its model passes at once: no config read for it here).
    for name in models:
        refuse_unloadable(name)
    rows = {name: bench_model(name, cfg, on_task, on_progress, on_note) for name in models}
    table = leaderboard(rows)
    save(table, cfg)
    for name, results in rows.items():  # a run's own scores stay with it (`tunelab runs`)
        if run := Run.find(name):
            try:
                kept = keep_run_scores(run, results, cfg.fewshot)
                said = f"{run.name}'s scores kept in {kept} (listed by `tunelab runs`)"
            except TunelabError as err:  # a read-only run: the minutes scored are not lost
                said = f"warning: {err}; {run.name}'s scores are in {cfg.output} alone"
            if on_note is not None:
                on_note(said)
    for name in models:
        partial_scores(cfg, name).unlink(missing_ok=True)
    _remove_empty(cfg.output / "scores.partial")
    return table


def _remove_empty(folder: Path) -> None:
    """Remove `folder` if it holds no file: a finished bench leaves no empty scores.partial/
    behind to be taken for an interrupted one (each model's log is a file directly in it)."""
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def partial_scores(cfg: BenchConfig, name: str) -> Path:
    """The work log of one model's scored choices, kept until the leaderboard is saved."""
    from tunelab.models.load import model_folder

    return cfg.output / "scores.partial" / f"{model_folder(name)}.jsonl"
