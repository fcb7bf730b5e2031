"""tunelab: finetune, evaluate and run a small language model of your own, on your own machine.

The functions below are commands, with the same settings: train, plan, runs, evaluate (`tunelab
eval`), bench, compare, judge, serve, export, and chat (`tunelab chat` and `generate`:
`tunelab.chat(run).reply(q)`). rate and the data commands have their Python code in their
stage's package: `tunelab.data.write.split_file` splits as `data split`...

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
from tunelab.run import Run

if TYPE_CHECKING:
    from tunelab.compare.run import CompareConfig, Comparison
    from tunelab.evaluate.bench.score import BenchConfig
    from tunelab.evaluate.judge.verdicts import JudgeConfig
    from tunelab.evaluate.suite import EvalConfig
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
    "evaluate",
    "export",
    "judge",
    "plan",
    "runs",
    "serve",
    "train",
]

# The stage packages load first, so that the functions below keep their names: importing one
# later (`import tunelab.train.loop`) would otherwise put the package where the function was.
for _stage in ("train", "evaluate", "compare", "serve", "export"):
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
    """A misspelled keyword is a TunelabError naming the one meant, as a config's field is."""
    import difflib
    import inspect

    known = [
        n
        for n, p in inspect.signature(function).parameters.items()
        if p.kind == p.KEYWORD_ONLY or p.default is not p.empty
    ]
    for name in settings:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else "known: " + ", ".join(known)
            raise TunelabError(f"{function.__name__}(): unknown setting {name!r} ({hint})")


def train(
    config: Config | str | Path,
    resume: bool = False,
    overwrite: bool = False,
    overrides: list[str] | None = None,
) -> Path:
    """Finetune as `config` says and return the run folder (`tunelab train SOURCE --set ...`):
    a Config, or a YAML file or run folder read as the command reads it (a copied run folder,
    or its config.yaml, is that run, not the one its config names). resume: continue the run
    from its last checkpoint (`--resume`); overwrite: replace an existing run of the same name
    (`--overwrite`); overrides: `--set` settings, for a path."""
    from tunelab.train.loop import train as train_run
    from tunelab.train.run_folder import config_from

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
    does (`tunelab.plan(model="runs/x", batch_size=4)` is `tunelab plan runs/x --batch-size 4`)."""
    from tunelab.train.plan.estimate import estimate
    from tunelab.train.plan.settings import PlanConfig

    if isinstance(config, Config):
        config = PlanConfig.of(config)
    return estimate(_settings(config, PlanConfig, settings).with_run_settings())


def judge(answers: list[str | Path], config: JudgeConfig | None = None, **settings):
    """Have a judge model compare answer sets pairwise, both orders each, by a fixed rubric; the
    verdicts go beside the human votes and rate the models (`tunelab judge`). Settings: a
    JudgeConfig, or its fields as keywords (judge, judge_model, votes, limit...)."""
    from tunelab.evaluate.human.arena import load_answers
    from tunelab.evaluate.judge.verdicts import JudgeConfig, asker
    from tunelab.evaluate.judge.verdicts import judge as judge_answers

    config = _settings(config, JudgeConfig, settings)
    return judge_answers(load_answers([Path(a) for a in _listed(answers)]), config, asker(config))


def runs(paths: list[str | Path] | None = None, plot: str | Path | None = None) -> list[dict]:
    """The run folders at a glance (`tunelab runs`): a row per run (model, method, data, steps,
    losses, best held-out score, time, status); plot: also their loss curves in this image (a
    folder gets runs.png inside it, a name without a suffix .png, as `tunelab runs --plot`)."""
    from tunelab.train.runs import find_runs, plot_runs, summary

    found = find_runs(_listed(paths) if paths else ["runs"])
    if plot:
        plot_runs(found, Path(plot))
    return [summary(run) for run in found]


def evaluate(models, config: EvalConfig | None = None, **settings):
    """Answer a test set with a model or run and score it (`tunelab eval`); several models (a run
    and its base, say) are asked alike and give one result each, to compare. Settings: an
    EvalConfig, or its fields as keywords (data, limit, max_new_tokens...)."""
    from tunelab.evaluate.suite import EvalConfig
    from tunelab.evaluate.suite import evaluate as evaluate_models

    return evaluate_models(models, _settings(config, EvalConfig, settings))


def bench(models: list[str | Run], config: BenchConfig | None = None, **settings) -> list[dict]:
    """Score models on the benchmarks as lm-evaluation-harness does; returns the leaderboard rows
    and saves them (`tunelab bench`). Settings: a BenchConfig, or its fields as keywords."""
    from tunelab.evaluate.bench.score import BenchConfig
    from tunelab.evaluate.bench.score import bench as bench_models

    return bench_models([str(m) for m in _listed(models)], _settings(config, BenchConfig, settings))


def compare(run: str | Run, config: CompareConfig | None = None, **settings) -> Comparison:
    """Prompting vs retrieval (RAG) vs finetuned vs finetuned with RAG, on the run's test set
    (`tunelab compare`). Settings: a CompareConfig, or its fields as keywords."""
    from tunelab.compare.run import CompareConfig
    from tunelab.compare.run import compare as compare_arms

    return compare_arms(run, _settings(config, CompareConfig, settings))


def serve(models: list[str | Run], **settings) -> None:
    """Serve models over an OpenAI-compatible API until Ctrl-C (`tunelab serve`); settings: host,
    port, api_key, max_batch, max_body_mb, insecure, allow_host, threads."""
    from tunelab.serve.launch import serve as serve_models

    _known(settings, serve_models)
    serve_models([str(m) for m in _listed(models)], **settings)


def export(model: str | Run, **targets) -> dict[str, Path]:
    """Write a run as a merged Hugging Face folder and/or a GGUF file with its Ollama Modelfile,
    and/or push it to the hub (`tunelab export`); targets: merged, gguf, gguf_type, dtype,
    overwrite, push. Returns what was written, by kind."""
    from tunelab.export import export as export_model

    _known(targets, export_model)
    return export_model(model, **targets)


# `import tunelab.evaluate.facts as facts` reads the attribute `evaluate` of tunelab, which is the
# function above, not the package; Python then looks for the module by that object's __name__.
# Naming each command that shadows a stage package after the package lets the import find it;
# `from tunelab.evaluate import facts` never needed this. help() shows the same name.
for _command in (train, evaluate, compare, serve, export):
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
    (`remember=False`: the question alone, kept out, as `generate` asks it); a reply takes
    max_new_tokens (default tunelab.reply_limit.DEFAULT_MAX_NEW_TOKENS, or the room a long
    message leaves) and temperature, and `on_text` receives it piece by piece."""
    from tunelab.serve.chat import Session

    return Session.open(
        str(model),
        template,
        api_key=api_key,
        served_model=served_model,
        system_prompt=system_prompt,
    )
