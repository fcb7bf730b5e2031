"""tunelab: finetune, evaluate and run a small language model of your own, on your own machine.

The functions below are commands, with the same options: train, plan, runs, evaluate (`tunelab
eval`), bench, rate, judge, compare, serve, export, demo, and chat (`tunelab chat` and
`generate`: `tunelab.chat(run).reply(q)`); the data commands are tunelab.data.inspect, check,
split, generate, augment and facts. `tunelab errors` is tunelab.evaluate.suite.errors (the name
tunelab.errors is the module of TunelabError).

    import tunelab
    run = tunelab.train("examples/lora.yaml")          # tunelab train examples/lora.yaml
    tunelab.evaluate([run, "smollm2-135m-instruct"])   # tunelab eval
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from tunelab.config import Config
from tunelab.errors import TunelabError
from tunelab.evaluate.human import DEFAULT_PORT as DEFAULT_RATE_PORT
from tunelab.evaluate.human import VOTES_FILE
from tunelab.export import DEFAULT_DTYPE, DEFAULT_GGUF_TYPE
from tunelab.run import Run
from tunelab.serve.batch_limit import DEFAULT_MAX_BATCH
from tunelab.serve.launch import DEFAULT_HOST, DEFAULT_MAX_BODY_MB, DEFAULT_PORT
from tunelab.web import LOCALHOST

if TYPE_CHECKING:
    from rich.console import Console

    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.evaluate.bench.score import BenchConfig
    from tunelab.evaluate.eval_config import EvalConfig
    from tunelab.evaluate.human.pairing import RateConfig
    from tunelab.evaluate.judge.asking import JudgeConfig
    from tunelab.serve.chat import Session
    from tunelab.train.plan.estimate import Plan
    from tunelab.train.plan.settings import PlanConfig

# torch's OpenMP threads spin up to 300,000 times at each op's end before they sleep. Beside
# another busy process on the same cores, the thread a spinning one waits for is descheduled,
# and decoding (thousands of small ops) crawls: `eval` of 24 questions beside two busy 2-thread
# processes on 2 cores took 46-164 s, against 21-24 s with 1,000 spins (what libgomp itself
# uses when it sees more threads than cores), and 7.2-7.8 s alone either way; training steps
# the same. Read when torch loads, which tunelab does later; a value the user set wins.
os.environ.setdefault("GOMP_SPINCOUNT", "1000")

__all__ = [
    "Config",
    "Run",
    "TunelabError",
    "bench",
    "chat",
    "compare",
    "demo",
    "evaluate",
    "export",
    "judge",
    "plan",
    "rate",
    "runs",
    "serve",
    "train",
]

# The stage packages load first, so that the functions below keep their names: importing one
# later (`import tunelab.train.loop`) would otherwise put the package where the function was.
for _stage in ("train", "evaluate", "compare", "serve", "export", "demo"):
    importlib.import_module(f"{__name__}.{_stage}")
del _stage


def _settings(config, kind: type, settings: dict):
    """A config, its fields as keywords, or both: the keywords over the config's own (given with
    a config they were dropped silently); only what was set counts as set (the plan's run rule)."""
    if config is None:
        return kind(**settings)
    if not settings:
        return config
    return kind(**{**config.model_dump(exclude_unset=True), **settings})


def _listed(items) -> list:
    """One name or path where a list is taken is a list of one (a string was split into letters:
    `tunelab.runs("runs")` read the folders "r", "u", "n", "s")."""
    return [items] if isinstance(items, str | Path | Run) else list(items)


def _known(settings: dict, function) -> None:
    """A misspelled keyword (caught by `**misspelled`) is a TunelabError naming the one meant, as
    a config's field is."""
    import inspect

    from tunelab.meant import closest_name

    known = [
        n
        for n, p in inspect.signature(function).parameters.items()
        if p.kind == p.KEYWORD_ONLY or p.default is not p.empty
    ]
    for name in settings:
        if name not in known:
            close = closest_name(name, known, cutoff=0.6)
            hint = f"did you mean {close}?" if close else "known: " + ", ".join(known)
            raise TunelabError(f"{function.__name__}(): unknown setting {name!r} ({hint})")


def train(
    config: Config | str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    overrides: list[str] | None = None,
) -> Path:
    """Finetune as `config` says and return the run folder (`tunelab train SOURCE --set ...`):
    a Config, or a YAML file or run folder read as the command reads it (a copied run folder,
    or its config.yaml, is that run, not the one its config names), or none: the defaults.
    resume: continue the run from its last checkpoint (`--resume`); overwrite: replace an
    existing run of the same name (`--overwrite`); overrides: `--set` settings, for a path or
    the defaults."""
    from tunelab.train.loop import train as train_run
    from tunelab.train.run_config import config_from

    if not isinstance(config, Config):
        config = config_from(config, overrides)
    elif overrides:
        raise TunelabError("overrides go with a path; set a Config's fields on it")
    return train_run(config, resume=resume, overwrite=overwrite)


def plan(config: PlanConfig | Config | None = None, **settings) -> Plan:
    """The memory a run will take per device, from the model's shape alone (`tunelab plan`): its
    parts (.parts), peak in bytes (.peak) and one layer's saved tensors (.per_layer). Settings: a
    PlanConfig, a training Config (the plan of that run), or PlanConfig's fields as keywords; a
    run folder as the model plans with the run's settings but for those given, as the command
    does (`tunelab.plan(model="runs/x", batch_size=4)` is `tunelab plan runs/x --batch-size 4`;
    overrides=["train.batch_size=4"] is its `--set train.batch_size=4`)."""
    from tunelab.train.plan.estimate import estimate
    from tunelab.train.plan.settings import PlanConfig

    if isinstance(config, Config):
        config = PlanConfig.of(config).sized_to_data(config)
    return estimate(_settings(config, PlanConfig, settings).with_run_settings())


def judge(answers: list[str | Path], config: JudgeConfig | None = None, **settings):
    """Have a judge model compare answer sets pairwise, both orders each, by a fixed rubric; the
    verdicts go beside the human votes and rate the models (`tunelab judge`). With grade=True,
    grade each answer alone against its reference instead: judged-right and judged-false rates
    (`tunelab judge --grade`). Settings: a JudgeConfig, or its fields as keywords (judge,
    judge_model, grade, votes, limit...)."""
    from tunelab.evaluate.human.answers import load_answers
    from tunelab.evaluate.judge.asking import JudgeConfig, asker
    from tunelab.evaluate.judge.grades import grade
    from tunelab.evaluate.judge.verdicts import judge as judge_answers

    config = _settings(config, JudgeConfig, settings)
    paths = [Path(a) for a in _listed(answers)]
    if config.grade:
        return grade(load_answers(paths, at_least=1), config, asker(config))
    return judge_answers(load_answers(paths), config, asker(config))


def rate(
    answers: list[str | Path],
    votes: str | Path = VOTES_FILE,
    host: str = LOCALHOST,
    port: int = DEFAULT_RATE_PORT,
    allow_host: list[str] | None = None,
    results: bool = False,
    config: RateConfig | None = None,
    console: Console | None = None,
    raters: list[str] | None = None,
    insecure: bool = False,
    **settings,
) -> list[dict]:
    """Judge answer sets side by side, blind, at http://HOST:PORT/ until Ctrl-C, each vote added
    to `votes` (`tunelab rate`), then raise KeyboardInterrupt saying the votes kept (as a stopped
    `tunelab serve` does); results: serve nothing, read the votes so far. `raters`: only these
    judge, each through the private link printed for them (`--raters`); a non-loopback host needs
    raters, or insecure to let anyone who reaches it judge and read the results. Returns the
    Bradley–Terry and Elo ratings of the votes on these answers. `console` is told what the
    command says: questions not every set answers, votes on other answers, the ratings table.
    Settings: a RateConfig, or its fields as keywords (pairs, explore)."""
    from tunelab.evaluate.human.pairing import RateConfig
    from tunelab.evaluate.human.session import rate as rate_answers

    config = _settings(config, RateConfig, settings)
    listed = _listed(answers)
    raters = None if raters is None else _listed(raters)
    return rate_answers(
        listed, votes, host, port, allow_host or (), results, config, console, raters, insecure
    )


def runs(
    paths: list[str | Path] | None = None, plot: bool = False, out: str | Path | None = None
) -> list[dict]:
    """The run folders at a glance (`tunelab runs`): a row per run (model, method, data, steps,
    losses, best held-out score, time, status, and "bench": its benchmark scores); every run
    after the first also gets "vs_first": its eval's and each benchmark task's paired difference
    from the first run over the questions both answered (`run_pairs.versus_first`); plot: also
    their loss curves in the image `out` (runs.png unless named; a folder gets runs.png inside
    it, a name without a suffix .png), as `--plot --out`."""
    from tunelab.train.runs.run_pairs import versus_first
    from tunelab.train.runs.runs import (
        PLOT_FILE,
        check_plot_out,
        find_runs,
        names,
        plot_runs,
        summary,
    )

    if not isinstance(plot, bool):  # plot="x.png" named the image before `out` did
        raise TunelabError(f"runs(): plot is True or False; the image is out= (not {plot!r})")
    check_plot_out(plot, out)
    found = find_runs(_listed(paths) if paths else ["runs"])
    called = names(found)
    if plot and found:
        plot_runs(found, Path(out or PLOT_FILE), called)
    rows = [summary(run, name) for run, name in zip(found, called)]
    for row, pairs in zip(rows[1:], versus_first(found, rows)[1:]):
        row["vs_first"] = pairs
    return rows


def evaluate(models, config: EvalConfig | None = None, **settings):
    """Answer a test set with a model or run and score it (`tunelab eval`); several models (a run
    and its base, say) are asked alike and give one result each, to compare. Settings: an
    EvalConfig, or its fields as keywords (data, limit, max_new_tokens...)."""
    from tunelab.evaluate.eval_config import EvalConfig
    from tunelab.evaluate.suite import evaluate as evaluate_models

    return evaluate_models(models, _settings(config, EvalConfig, settings))


def bench(models: list[str | Run], config: BenchConfig | None = None, **settings) -> list[dict]:
    """Score models on the benchmarks as lm-evaluation-harness does; returns the leaderboard rows
    and saves them (`tunelab bench`). Settings: a BenchConfig, or its fields as keywords."""
    from tunelab.evaluate.bench.score import BenchConfig
    from tunelab.evaluate.bench.score import bench as bench_models

    return bench_models([str(m) for m in _listed(models)], _settings(config, BenchConfig, settings))


def compare(model: str | Run, config: CompareConfig | None = None, **settings) -> Comparison:
    """Prompting vs retrieval (RAG) vs finetuned vs finetuned with RAG, on the run's test set;
    of a model that is no run, prompting vs RAG alone on `data`, retrieving from `corpus`
    (`tunelab compare`). Settings: a CompareConfig, or its fields as keywords."""
    from tunelab.compare.run import CompareConfig
    from tunelab.compare.run import compare as compare_arms

    return compare_arms(model, _settings(config, CompareConfig, settings))


def serve(
    models: list[str | Run],
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    api_key: str | None = None,
    insecure: bool = False,
    allow_host: list[str] | None = None,
    max_body_mb: float = DEFAULT_MAX_BODY_MB,
    max_batch: int = DEFAULT_MAX_BATCH,
    threads: int | None = None,
    public_url: str | None = None,
    **misspelled,
) -> None:
    """Serve models over an OpenAI-compatible API until Ctrl-C (`tunelab serve`): a client picks
    one by id (a run's folder name, any other model's name as given); a non-loopback host needs
    an api_key (or insecure); public_url: the base URL clients reach it at (`--public-url`)."""
    from tunelab.serve.launch import serve as serve_models

    _known(misspelled, serve)
    serve_models(
        [str(m) for m in _listed(models)],
        host=host,
        port=port,
        api_key=api_key,
        max_batch=max_batch,
        max_body_mb=max_body_mb,
        insecure=insecure,
        allow_host=allow_host or (),
        threads=threads,
        public_url=public_url,
    )


def export(
    run: str | Run,
    merged: str | Path | None = None,
    gguf: str | Path | None = None,
    gguf_type: str = DEFAULT_GGUF_TYPE,
    dtype: str = DEFAULT_DTYPE,
    overwrite: bool = False,
    push: str | None = None,
    **misspelled,
) -> dict[str, Path]:
    """Write a run as a merged Hugging Face folder and/or a GGUF file with its Ollama Modelfile,
    and/or push it to the hub (`tunelab export`). Returns what was written, by kind."""
    from tunelab.export import export as export_model

    _known(misspelled, export)
    return export_model(run, merged, gguf, gguf_type, dtype, overwrite, push)


def demo(steps: int | None = None, output_dir: str = "runs") -> dict:
    """Finetune the embedded model on tunelab's own docs and score base against finetuned on
    held-out questions, offline (`tunelab demo`); steps: optimizer steps (default: the recipe's
    4 epochs); the run is output_dir/demo. Returns the scores (demo_scores.json)."""
    from tunelab.demo.run import run_demo

    if steps is not None and steps < 1:
        raise TunelabError(f"--steps {steps}: at least 1")
    return run_demo(steps=steps, output_dir=output_dir)


# `import tunelab.evaluate.facts as facts` reads the attribute `evaluate` of tunelab, which is the
# function above, not the package; Python then looks for the module by that object's __name__.
# Naming each command that shadows a stage package after the package lets the import find it;
# `from tunelab.evaluate import facts` never needed this. help() shows the same name.
for _command in (train, evaluate, compare, serve, export, demo):
    _command.__name__ = f"{__name__}.{_command.__name__}"
del _command


def chat(
    model: str | Run,
    template: str | None = None,
    api_key: str | None = None,
    served_model: str | None = None,
    system_prompt: str | None = None,
) -> Session:
    """A conversation with a model, a run (with its own template and system prompt, which
    `system_prompt` replaces) or a server's URL, as `tunelab chat` and `tunelab generate` hold
    it: `.reply(question)` answers after the turns so far and keeps the exchange in `.history`
    (`remember=False`: the question alone, kept out, as `generate` asks it: a run trained on
    raw text alone continues it as written, unless `template` or `system_prompt` is given: said by
    `.continues_text`, never printed); a
    reply takes max_new_tokens (default tunelab.generation.reply_limit.DEFAULT_MAX_NEW_TOKENS, or
    the room a long message leaves) and temperature, and `on_text` receives it piece by piece."""
    from tunelab.serve.chat import Session

    return Session.open(
        str(model),
        template,
        api_key=api_key,
        served_model=served_model,
        system_prompt=system_prompt,
    )


# The `tunelab data` commands: `tunelab.data.check(...)` is `tunelab data check`. They are
# defined in data_commands.py (they reach stages the data package must not import) and set on
# the package here. Two stand where modules of their names are (data/split.py, data/generate/),
# which load first and are named as the commands above, for the same reason.
importlib.import_module(f"{__name__}.data.split")
importlib.import_module(f"{__name__}.data.generate")
from tunelab import data, data_commands  # noqa: E402 -- needs _settings above

for _name in data_commands.__all__:
    setattr(data, _name, getattr(data_commands, _name))
data_commands.split.__name__ = f"{__name__}.data.split"
data_commands.generate.__name__ = f"{__name__}.data.generate"
del _name
