"""`tunelab --help`, a command's --help and a mistyped option answer at once: they load neither
torch nor transformers (5-7 s before the first line), which only the commands that
run a model import, when they run. Each case runs in a fresh interpreter, as the command does."""

import subprocess
import sys

import pytest

# Names, on stderr (stdout holds the help), the model libraries the code before it loaded.
REPORT = """
print("loaded:", *sorted(m for m in ("torch", "transformers") if m in sys.modules), file=sys.stderr)
"""
# The command as the `tunelab` script runs it.
RUN_COMMAND = """
import sys
from tunelab.cli import main
sys.argv = ["tunelab", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
"""


def loaded_after(code: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("module", ["tunelab", "tunelab.cli"])
def test_importing_loads_no_model_library(module):
    assert loaded_after(f"import sys, {module}\n" + REPORT) == "loaded:"


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["eval", "--help"],
        ["compare", "--help"],
        ["data", "generate", "--help"],
        ["generate", "--help"],  # its --max-new-tokens help names the default reply length
        ["train", "--no-such-option"],
    ],
)
def test_help_and_usage_errors_load_no_model_library(args):
    assert loaded_after(RUN_COMMAND + REPORT, *args) == "loaded:"


def test_version_prints_the_installed_version_at_once():
    # `tunelab --version` was "No such option: --version".
    from importlib.metadata import version

    code = RUN_COMMAND + REPORT
    result = subprocess.run(
        [sys.executable, "-c", code, "--version"], capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == f"tunelab {version('tunelab')}"
    assert result.stderr.strip() == "loaded:"


def test_version_of_a_checkout_never_installed_says_so(monkeypatch, capsys):
    # A checkout on PYTHONPATH, never pip-installed: --version raised PackageNotFoundError.
    import importlib.metadata

    import typer

    from tunelab.cli import _print_version

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    with pytest.raises(typer.Exit):
        _print_version(True)
    assert capsys.readouterr().out.startswith("tunelab (not installed: run from ")


def test_listing_runs_loads_no_model_library(tmp_path):
    # `tunelab runs` took 8 s to list one run: its module reached torch through run_folder.
    (tmp_path / "a").mkdir()
    assert loaded_after(RUN_COMMAND + REPORT, "runs", str(tmp_path)) == "loaded:"


def test_template_mode_generation_loads_no_model_library(tmp_path):
    # Checking the config's reply room read a constant from the JSON-schema decoder, which
    # loads torch: 1.5 s of a 3.6 s template run over seven small manuals.
    (tmp_path / "manual.md").write_text(
        "# Kettle\n\n## Capacity\n\nThe kettle holds 1.7 litres.\n", encoding="utf-8"
    )
    out = tmp_path / "qa.jsonl"
    args = ["data", "generate", str(tmp_path / "manual.md"), "--mode", "template", "-o", str(out)]
    assert loaded_after(RUN_COMMAND + REPORT, *args) == "loaded:"
    assert out.read_text(encoding="utf-8").count("\n") >= 1
