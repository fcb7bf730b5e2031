"""The docs are what a newcomer runs: every `tunelab ...` line they show names a real command
with options it has and `--set` settings its config takes, every setting they name (`train.lr`)
exists, every file they name or link is in the tree, every link to a heading finds it, and the
README's Layout names every module. The README and its docs pages (the guide) show every command,
which of them take `--set`, and every environment variable, and the defaults they state are the
code's."""

from __future__ import annotations

import inspect
import re
import shlex
from itertools import pairwise
from pathlib import Path

import pytest
import typer

from tunelab.cli import app
from tunelab.config import Config, DataConfig, LoraConfig, TrainConfig
from tunelab.data.generate.augment.augment_rows import AugmentConfig
from tunelab.data.generate.shared import GenerateConfig
from tunelab.data.quality.findings import QualityConfig
from tunelab.errors import TunelabError
from tunelab.evaluate.human.cli import rate_command
from tunelab.evaluate.human.pairing import RateConfig
from tunelab.evaluate.judge.asking import JudgeConfig
from tunelab.generation.reply_limit import DEFAULT_MAX_NEW_TOKENS
from tunelab.kernels.build import WAIT_S
from tunelab.section import flatten
from tunelab.serve import launch
from tunelab.serve.cli import serve_command
from tunelab.serve.logprobs import MAX_LOGPROBS
from tunelab.serve.server import (
    CHAT_DEFAULT_MAX_TOKENS,
    COMPLETION_DEFAULT_MAX_TOKENS,
    MAX_PROMPTS,
)
from tunelab.train.parallel.distributed import COLLECTIVE_TIMEOUT
from tunelab.train.runs.runs import PLOT_FILE

ROOT = Path(__file__).resolve().parent.parent
DOCS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "tunelab" / "demo" / "README.md",
    *sorted((ROOT / "examples").glob("*.md")),
    *sorted((ROOT / "examples").glob("*.yaml")),
    ROOT / "benchmarks" / "README.md",
]
IDS = [str(doc.relative_to(ROOT)) for doc in DOCS]
# What a user reads to use tunelab: the README and its pages, not measurements.md, which keeps
# earlier figures and text as they were written (a default it quotes may have changed since).
GUIDE = [ROOT / "README.md", *(p for p in DOCS[1:] if p.parent.name == "docs")]
GUIDE.remove(ROOT / "docs" / "measurements.md")
# Spans shaped like a setting that are not one: transformers' method, a file's name.
NOT_SETTINGS = {"model.generate", "model.gguf"}


def command_lines(doc: Path) -> list[tuple[int, str]]:
    """Each `tunelab ...` the doc shows, with its line: in a ```bash block (a line continued by
    `\\` joined to the next; `torchrun ... -m tunelab.cli` too), in a YAML file's comment, or
    inline in backticks."""
    found, in_bash, continued = [], False, ""
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        text = continued + line.strip()
        if text.endswith("\\"):
            continued = text[:-1]
            continue
        continued = ""
        if text.startswith("```"):
            in_bash = text == "```bash" and not in_bash
            continue
        if doc.suffix == ".yaml":  # `#   tunelab train x.yaml      (what it does)`
            text = re.split(r"\s{2,}", text.removeprefix("#").strip())[0]
        text = re.sub(r"^\S*(torchrun|python)\b.* -m tunelab(\.cli)? ", "tunelab ", text)
        if (in_bash or doc.suffix == ".yaml") and text.startswith("tunelab "):
            found.append((number, text))
        found += [(number, span) for span in re.findall(r"`(tunelab [^`]+)`", line)]
    return found


def problems_of(words: list[str]) -> list[str]:
    """What is wrong with `tunelab WORDS` as the CLI reads it (nothing is run)."""
    command = typer.main.get_command(app)
    while hasattr(command, "commands"):
        if not words or words[0].startswith("-"):
            return []  # `tunelab data --help`, a group shown alone
        if words[0] not in command.commands:
            return [f"no command {words[0]!r}"]
        command = command.commands[words.pop(0)]
    options = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    # The train command's --set reaches the run's Config; the others' their stage's config.
    section = getattr(command.callback, "section", Config)
    found = []
    for word, following in pairwise([*words, ""]):
        if not re.match(r"--?[a-z]", word):
            continue
        if word.split("=")[0] not in options:
            found.append(f"{command.name} has no option {word.split('=')[0]}")
        elif word == "--set":
            try:
                section.from_dict({}, [following], source="the docs")
            except TunelabError as err:
                found.append(str(err))
    return found


@pytest.mark.parametrize("doc", DOCS, ids=IDS)
def test_every_command_line_shown_runs_as_written(doc):
    wrong = []
    for number, line in command_lines(doc):
        words = shlex.split(line.replace("...", "ARG").replace("…", "ARG"), comments=True)
        wrong += [f"{doc.name}:{number}: {line}\n  {p}" for p in problems_of(words[1:])]
    assert wrong == []


@pytest.mark.parametrize("doc", DOCS, ids=IDS)
def test_every_setting_named_exists(doc):
    settings = flatten(Config().model_dump())
    sections = {key.rsplit(".", n)[0] for key in settings for n in range(1, key.count(".") + 1)}
    wrong = []
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
        for key in re.findall(r"`((?:model|data|train)\.[a-z_.]*[a-z_])(?:[=: ][^`]*)?`", line):
            # a free-form mapping's own keys (data.fields.question) are the user's to name
            in_mapping = isinstance(settings.get(key.rsplit(".", 1)[0]), dict)
            if key not in {*settings, *sections, *NOT_SETTINGS} and not in_mapping:
                wrong.append(f"{doc.name}:{number}: {key}")
    assert wrong == []


@pytest.mark.parametrize("doc", DOCS, ids=IDS)
def test_every_file_named_or_linked_is_there(doc):
    text = doc.read_text(encoding="utf-8")
    links = [(doc.parent / link) for link in re.findall(r"\]\(([^)#:]+)\)", text)]
    folders = "tunelab|benchmarks|docs|examples|tests"
    named = [ROOT / p for p in re.findall(rf"(?<![\w/.~-])((?:{folders})/[\w./-]*\w)", text)]
    assert [str(p) for p in links + named if not p.exists()] == []


def heading_anchors(doc: Path) -> set[str]:
    """The anchors GitHub gives the doc's headings: lower case, punctuation dropped, spaces as
    hyphens, a repeated one numbered (`-1`); headings inside code blocks are none."""
    found, in_code = set(), False
    for line in doc.read_text(encoding="utf-8").splitlines():
        in_code ^= line.lstrip().startswith("```")
        if in_code or not (heading := re.match(r"#{1,6} (.+)", line)):
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading[1].strip())
        anchor = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
        number = 0
        while (unique := anchor + (f"-{number}" if number else "")) in found:
            number += 1
        found.add(unique)
    return found


@pytest.mark.parametrize(
    "doc", [d for d in DOCS if d.suffix == ".md"], ids=lambda d: str(d.relative_to(ROOT))
)
def test_every_link_to_a_heading_finds_it(doc):
    # The README's sections became docs/ pages: `(#training)` had to become
    # `(docs/training.md)`, and a page's `(../README.md#i-want-to-)` must name a real heading.
    wrong = []
    for target, anchor in re.findall(
        r"\]\(([^)\s#]*)#([^)\s]+)\)", doc.read_text(encoding="utf-8")
    ):
        linked = (doc.parent / target).resolve() if target else doc
        if not linked.is_file() or anchor not in heading_anchors(linked):
            wrong.append(f"{doc.name}: ({target}#{anchor})")
    assert wrong == []


def test_the_readmes_layout_names_every_module_and_package():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = text.split("## Layout", 1)[1].split("```")[1]
    package = ROOT / "tunelab"
    names = [p.name for p in package.glob("*.py") if p.name != "__main__.py"]
    names += [f"{p.parent.name}/" for p in package.glob("*/**/__init__.py")]  # data/quality/ too
    assert [name for name in names if f" {name}" not in layout] == []


def _cli_commands(group=None, path=()) -> list[tuple[str, object]]:
    """Every command as it is typed (`data check`), with its click command."""
    group = group or typer.main.get_command(app)
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _cli_commands(command, (*path, name))
        else:
            found.append((" ".join((*path, name)), command))
    return found


def _guide() -> str:
    """The README and its docs pages with their line breaks and indents as single spaces, as a
    reader reads them."""
    return " ".join(" ".join(doc.read_text(encoding="utf-8").split()) for doc in GUIDE)


def test_the_guide_shows_every_command():
    readme = _guide()
    names = [name for name, _ in _cli_commands()]
    assert [name for name in names if not re.search(rf"\btunelab {name}\b", readme)] == []


def test_the_guide_names_the_commands_that_take_set():
    takes_set = [name for name, c in _cli_commands() if any("--set" in p.opts for p in c.params)]
    data = [name for name, _ in _cli_commands() if name.startswith("data ")]
    assert set(data) <= set(takes_set)  # "the `data` commands": every one of them
    named = ", ".join(f"`{name}`" for name in takes_set if name not in data)
    assert f"on {named} and the `data` commands `--set key=value` reaches" in _guide()


def test_the_guide_names_every_tunelab_environment_variable_the_code_reads():
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tunelab").rglob("*.py"))
    read = sorted(set(re.findall(r"[\"'](TUNELAB_[A-Z_]+)[\"']", code)))
    readme = _guide()
    assert [name for name in read if name not in readme] == []


def _reads_data_fields(command) -> bool:
    """Whether `--set data.fields.question=Query` reaches the command's config."""
    section = getattr(command.callback, "section", Config)
    given = {name: "x" for name, field in section.model_fields.items() if field.is_required()}
    try:
        section.from_dict(given, ["data.fields.question=Query"], source="the docs")
    except TunelabError as err:  # read, and refused for its meaning: data generate from documents
        return "unknown setting" not in str(err)
    return True


def test_the_guide_names_the_commands_that_read_other_column_names():
    said = re.search(r"data\.fields\.answer=Response` on (.+?); a run reads", _guide())
    assert said, "the guide's sentence on data.fields names the commands it reaches"
    named = re.findall(r"`([^`]+)`", said[1])  # in pairs: `--seeds` is no command, nor opens one
    reach = [name for name in named if re.fullmatch(r"[a-z ]+", name)]
    commands = dict(_cli_commands())
    assert [name for name in reach if not _reads_data_fields(commands[name])] == []
    reading_rows = [name for name in commands if name == "train" or name.startswith("data ")]
    assert sorted(reach) == sorted(reading_rows)


def _default(command, name: str):
    return inspect.signature(command).parameters[name].default


# Defaults and limits the guide states, each with the code's value(s) in its place: what a
# user sets, or leaves, by them (it said a kernel compile was waited for 120 s while the code
# waited 600).
STATED = [
    ("says it waits (up to {} s", WAIT_S),
    ("A reply takes up to {} tokens", DEFAULT_MAX_NEW_TOKENS),
    ("each question asked {} more ways", AugmentConfig.model_fields["paraphrases"].default),
    ("the built-in default is `max_length: {}`", DataConfig().max_length),
    ("The default, `{}`, draws any question", DataConfig().held_out),
    ("LoRA's default dropout {}", LoraConfig().dropout),
    ("`train.parallel: {}` (the default)", TrainConfig().parallel),
    ("wait for it up to {:g} hours", COLLECTIVE_TIMEOUT.total_seconds() / 3600),
    ("(`--out`, default `{}`)", PLOT_FILE),
    ("(Jaccard ≥ {} of both)", QualityConfig().near_dup_threshold),
    ("A test question of {} words or more quoted", QualityConfig().min_quoted_words),
    ("(`--set reworded_answer={}`)", QualityConfig().reworded_answer),
    ("their questions {} (`reworded_question`)", QualityConfig().reworded_question),
    ("that close at {} (`leak_question`)", QualityConfig().leak_question),
    ("(`--set max_answer_share={}`)", QualityConfig().max_answer_share),
    ("and {:.0%} of its content words (`min_grounding`)", GenerateConfig().min_grounding),
    ("`tunelab serve` listens on {}:{}", launch.DEFAULT_HOST, launch.DEFAULT_PORT),
    ("`--max-body-mb` (default {:g})", launch.DEFAULT_MAX_BODY_MB),
    ("(`--max-batch`, default {};", _default(serve_command, "max_batch")),
    ("a completion takes at most {} prompts", MAX_PROMPTS),
    ("gets a reply of up to {} tokens", CHAT_DEFAULT_MAX_TOKENS),
    ("and a completion up to {}, OpenAI's own default", COMPLETION_DEFAULT_MAX_TOKENS),
    ("{} is twice `tunelab chat`'s {} on purpose", CHAT_DEFAULT_MAX_TOKENS, DEFAULT_MAX_NEW_TOKENS),
    ("(`tunelab chat URL` sends its {})", DEFAULT_MAX_NEW_TOKENS),
    ("answers `logprobs` (0-{} likeliest tokens", MAX_LOGPROBS),
    ("`tunelab rate` on {}:{}", _default(rate_command, "host"), _default(rate_command, "port")),
    ("fsynced to `{}`", _default(rate_command, "votes")),
    ("(`--set explore={}`)", RateConfig().explore),
    ("(`--votes`, default `{}`)", JudgeConfig().votes),
]


def test_the_defaults_the_guide_states_are_the_codes():
    stated = [phrase.format(*values) for phrase, *values in STATED]
    readme = _guide()
    assert [phrase for phrase in stated if phrase not in readme] == []
