"""The tree keeps the shape the README's Layout draws: imports run one way (cli → stages → run →
generation → models → data → config), the data pipeline reaches no stage, stages never import
each other in a circle, and every command is defined in its stage's cli.py."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import typer

from tunelab.cli import app

ROOT = Path(__file__).resolve().parent.parent / "tunelab"
STAGES = (
    "data.generate",
    "data.quality",
    "train",
    "evaluate",
    "serve",
    "export",
    "compare",
    "demo",
)
# Lowest first: a module imports from its own layer or the ones before it.
LAYERS = ["base", "data", "models", "generation", "run", "stage", "cli"]
# The data folders the pipeline reads with (rows from files, documents' sections, a prompt), and
# the pipeline and stages above them, which they never reach up into.
BELOW_PIPELINE = ("tunelab.data.files", "tunelab.data.documents", "tunelab.data.prompts")
PIPELINE = re.compile(
    r"tunelab\.data\.(load|tokenize|pack|pipeline|split|write\w*|generate|quality)(\.|$)"
)


def _modules() -> dict[str, set[str]]:
    """Every tunelab module and the tunelab modules it imports, at the top or inside functions."""
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        imports = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tunelab."):
                imports.add(node.module)
                # `from tunelab.data import pipeline` imports the module it names
                imports |= {f"{node.module}.{a.name}" for a in node.names if _is_module(node, a)}
            elif isinstance(node, ast.Import):
                imports |= {a.name for a in node.names if a.name.startswith("tunelab.")}
        found[name] = imports
    return found


def _is_module(node: ast.ImportFrom, alias: ast.alias) -> bool:
    folder = ROOT.parent.joinpath(*node.module.split("."), alias.name)
    return folder.with_suffix(".py").is_file() or (folder / "__init__.py").is_file()


def _stage(module: str) -> str | None:
    return next((s for s in STAGES if module.startswith(f"tunelab.{s}")), None)


def _layer(module: str) -> str:
    if module in (
        "tunelab",
        "tunelab.__main__",
        "tunelab.cli",
        "tunelab.options",
        "tunelab.data_commands",  # the data commands' Python API, beside tunelab's own
    ) or module.endswith(".cli"):
        return "cli"
    if _stage(module):
        return "stage"
    if module.startswith(("tunelab.models.load.", "tunelab.generation.")):
        return module.split(".")[1]  # a package's modules sit in its layer
    # run_prompt.py reads a run's prompt through tunelab.run, for the stages above both
    named = dict.fromkeys(("tunelab.run", "tunelab.run_prompt"), "run")
    named |= dict.fromkeys(("tunelab.remote", "tunelab.web", "tunelab.work_log"), "generation")
    return named.get(module) or ("data" if module.startswith("tunelab.data") else "base")


def test_imports_run_one_way_down_the_layers():
    upward = [
        f"{module} imports {imported}"
        for module, imports in _modules().items()
        for imported in imports
        if LAYERS.index(_layer(imported)) > LAYERS.index(_layer(module))
    ]
    assert upward == []


def test_data_reaches_no_stage_but_its_own_tools_and_stages_make_no_circle():
    modules = _modules()
    for module, imports in modules.items():
        if module.split(".")[:2] == ["tunelab", "data"]:
            for stage in ("serve", "evaluate", "compare", "train", "export", "demo"):
                assert not any(i.startswith(f"tunelab.{stage}") for i in imports), module
    uses = {s: set() for s in STAGES}
    for module, imports in modules.items():
        if _stage(module) and not module.endswith(".cli"):
            uses[_stage(module)] |= {_stage(i) for i in imports if _stage(i)} - {_stage(module)}

    def reaches(start: str) -> set[str]:
        found, todo = set(), [start]
        while todo:
            for stage in uses[todo.pop()] - found:
                found.add(stage)
                todo.append(stage)
        return found

    assert all(stage not in reaches(stage) for stage in STAGES)


def test_the_folders_below_the_data_pipeline_import_nothing_of_it():
    # files/, documents/ and prompts/ are read by the pipeline (load, tokenize, pack, split and
    # its writer) and the stages on it, never the other way: files/read.py importing write.py
    # (how a split lies on disk), and lazily split.py, made a circle of read and split.
    reaching_up = [
        f"{module} imports {imported}"
        for module, imports in _modules().items()
        if module.startswith(BELOW_PIPELINE)
        for imported in imports
        if PIPELINE.match(imported)
    ]
    assert reaching_up == []


def test_every_name_imported_from_tunelab_is_there():
    """An import inside a function runs only when it is called: b8b23cab's judge imported
    answers.run_folder, which 08ca5c17 had removed, and every judge failed with ImportError
    while importing tunelab went on fine. Each `from tunelab.x import name`, at the top or in a
    function, names something tunelab.x holds."""
    missing = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tunelab"):
                module = importlib.import_module(node.module)
                missing += [
                    f"{path.relative_to(ROOT.parent)}:{node.lineno}: {node.module}.{a.name}"
                    for a in node.names
                    if not hasattr(module, a.name) and not _is_module(node, a)
                ]
    assert missing == []


def test_every_command_is_defined_in_its_stages_cli():
    def commands(group) -> list:
        for command in group.commands.values():
            yield from commands(command) if hasattr(command, "commands") else [command]

    for command in commands(typer.main.get_command(app)):
        module = command.callback.__module__
        assert module.endswith(".cli") and module != "tunelab.cli", command.name


def test_every_file_read_or_written_as_text_names_its_encoding():
    """Without one Python uses the system's (cp1252 on Windows): a Chinese answer written there
    fails, or reads back garbled. Binary modes and classmethods named open (Run.open) aside."""
    unnamed = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or "encoding" in {k.arg for k in node.keywords}:
                continue
            func = node.func
            name = getattr(func, "attr", getattr(func, "id", None))
            owner = getattr(getattr(func, "value", None), "id", "")
            if name not in ("read_text", "write_text", "open") or owner[:1].isupper():
                continue
            if name == "open" and owner == "cls":
                continue
            modes = [k.value for k in node.keywords if k.arg == "mode"]
            modes += node.args[1:2] if isinstance(func, ast.Name) else node.args[:1]
            if name == "open" and modes and "b" in str(getattr(modes[0], "value", "")):
                continue
            unnamed.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    assert unnamed == []


def test_what_a_command_writes_in_the_checkout_by_default_is_no_change_to_commit():
    """`tunelab compare MODEL` and `tunelab bench` run from the checkout, as its README runs them,
    showed their report folders in `git status` beside the code (runs/ and eval/ were ignored)."""
    import shutil
    import subprocess

    from tunelab.compare.run import _out_dir
    from tunelab.config import Config
    from tunelab.evaluate.bench.score import BenchConfig
    from tunelab.evaluate.suite import EvalConfig, output_dir

    checkout = ROOT.parent
    if shutil.which("git") is None or not (checkout / ".git").exists():
        return  # an unpacked source archive has nothing to commit
    written = [
        Path(Config().output_dir) / "mine" / "config.yaml",
        output_dir("tiny-random", EvalConfig()) / "summary.json",
        _out_dir("tiny-random") / "compare.md",
        Path(BenchConfig().output) / "results.json",
    ]
    ignored = subprocess.run(
        ["git", "check-ignore", *map(str, written)], cwd=checkout, capture_output=True, text=True
    ).stdout.split()
    assert ignored == [str(p) for p in written]
