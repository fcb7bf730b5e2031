"""An export never replaces a user's file unasked, and a place it cannot write is a one-line error
naming the path, found before the minute of merging."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest
from gguf import GGUFReader
from transformers import PreTrainedTokenizerFast
from typer.testing import CliRunner

from tests.test_export import gguf_run  # noqa: F401  (a module-scoped fixture: a LoRA run on a BPE model)
from tunelab.cli import app
from tunelab.errors import TunelabError
from tunelab.export import export_gguf, export_merged


def test_gguf_export_replaces_an_existing_file_only_with_overwrite(gguf_run, tmp_path):  # noqa: F811
    target = tmp_path / "existing.txt"
    target.write_text("my notes")
    with pytest.raises(TunelabError, match="--overwrite"):
        export_gguf(str(gguf_run), target, "f32")
    result = CliRunner().invoke(app, ["export", str(gguf_run), "--gguf", str(target)])
    assert isinstance(result.exception, TunelabError) and str(target) in str(result.exception)
    assert target.read_text() == "my notes"

    args = ["export", str(gguf_run), "--gguf", str(target), "--gguf-type", "f32", "--overwrite"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert GGUFReader(str(target)).fields["general.architecture"].contents() == "llama"
    # No partial file left: the GGUF and its Ollama Modelfile only.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.Modelfile", "existing.txt"]


def test_export_onto_a_folder_or_under_a_file_names_the_path(tmp_path):
    blocker = tmp_path / "plain.txt"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["export", "tiny-random", "--gguf", str(tmp_path)])
    assert isinstance(result.exception, TunelabError)
    assert f"{tmp_path} is a folder" in str(result.exception)
    with pytest.raises(TunelabError, match="plain.txt is a file, not a folder"):
        export_gguf("tiny-random", blocker / "model.gguf")
    with pytest.raises(TunelabError, match="plain.txt is a file, not a folder"):
        export_merged("tiny-random", blocker / "merged")
    with pytest.raises(TunelabError, match="plain.txt is a file"):
        export_merged("tiny-random", blocker)
    assert blocker.read_text() == "x"


def test_a_merged_and_gguf_export_checks_the_gguf_before_writing_the_folder(tmp_path):
    from tunelab.export import export

    same = tmp_path / "out"
    with pytest.raises(TunelabError, match="both name"):
        export("tiny-random", merged=same, gguf=same)
    # tiny-random's tokenizer is bytes only: no GGUF, and so no merged folder either.
    with pytest.raises(TunelabError, match="no BPE merges"):
        export("tiny-random", merged=tmp_path / "merged", gguf=tmp_path / "model.gguf")
    assert list(tmp_path.iterdir()) == []


def test_a_gguf_export_makes_a_new_folder_as_it_writes(gguf_run, tmp_path):  # noqa: F811
    # Finding the target writable made its folder, and a refusal after it left it empty.
    from tunelab.export import export

    with pytest.raises(TunelabError, match="no BPE merges"):
        export("tiny-random", gguf=tmp_path / "out" / "tiny.gguf")
    assert list(tmp_path.iterdir()) == []
    written = export(str(gguf_run), gguf=tmp_path / "out" / "model.gguf", gguf_type="f32")
    assert GGUFReader(str(written["gguf"])).fields["general.architecture"].contents() == "llama"
    assert sorted(p.name for p in written["gguf"].parent.iterdir()) == [
        "model.Modelfile",
        "model.gguf",
    ]


@pytest.mark.parametrize(
    "targets",
    [
        ["--gguf", "weird.Modelfile"],  # its Modelfile would be written over it
        ["--gguf", "model.gguf", "--merged", "model.Modelfile"],
    ],
)
def test_an_export_whose_modelfile_would_replace_another_output_is_refused(tmp_path, targets):
    args = [str(tmp_path / arg) if not arg.startswith("--") else arg for arg in targets]
    result = CliRunner().invoke(app, ["export", "tiny-random", *args])
    assert isinstance(result.exception, TunelabError), result.output
    assert "the Modelfile of --gguf (NAME.gguf → NAME.Modelfile) both name" in str(result.exception)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_export_into_a_read_only_folder_names_the_path(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    for export, target in ((export_gguf, locked / "m.gguf"), (export_merged, locked / "m")):
        with pytest.raises(TunelabError, match=f"cannot write {target}"):
            export("tiny-random", target)


def test_a_failed_merged_export_leaves_its_folder_empty_for_the_retry(tmp_path, monkeypatch):
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    # The weights are written, then the tokenizer fails: no model without its tokenizer is left.
    monkeypatch.setattr(PreTrainedTokenizerFast, "save_pretrained", full_disk)
    target = tmp_path / "merged model"
    with pytest.raises(TunelabError, match=f"cannot write {target}: No space left"):
        export_merged("tiny-random", target)
    assert list(target.iterdir()) == []
    monkeypatch.undo()
    assert (export_merged("tiny-random", target) / "tokenizer.json").exists()


def test_an_export_of_what_cannot_be_loaded_leaves_no_empty_folder(tmp_path):
    # The writability check made --merged's folder; the load failed after it and left it empty.
    from tunelab.export import export

    killed = tmp_path / "runs" / "killed"  # a run killed before it wrote model/
    killed.mkdir(parents=True)
    (killed / "config.yaml").write_text("name: killed\n")
    (killed / "metrics.jsonl").write_text('{"step": 0, "eval_loss": 5.0}\n')
    with pytest.raises(TunelabError, match="saved no model yet"):
        export(str(killed), merged=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    with pytest.raises(TunelabError, match="saved no model yet"):
        export(str(killed), merged=tmp_path / "exp" / "a" / "merged")
    assert not (tmp_path / "exp").exists()


# `tunelab export` killed (kill, docker stop, a CI timeout) as it writes: `kill` lands where
# `cut_at` is called, once the output it writes is on disk under its `.part` name.
KILLED_WHILE_WRITING = """
import importlib, os, signal, sys
from tunelab.cli import main

def killed_after(write):
    def write_then_sigterm(*args, **kwargs):
        write(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
    return write_then_sigterm

module = importlib.import_module({"merged": "tunelab.export.merged", "gguf": "tunelab.export.to_gguf"}[sys.argv[1]])
cut_at = {"merged": "save_tokenizer", "gguf": "write_gguf"}[sys.argv[1]]
setattr(module, cut_at, killed_after(getattr(module, cut_at)))
sys.argv = ["tunelab", "export", sys.argv[2], "--merged", "out", "--gguf", "m.gguf"]
main()
"""


@pytest.mark.parametrize("killed_in", ["merged", "gguf"])
def test_an_export_killed_while_writing_leaves_no_partial_output(gguf_run, tmp_path, killed_in):  # noqa: F811
    # SIGTERM ended the process at once: a 538 MB `out.part1234/` of the embedded model's
    # merged weights stayed behind, or `m.gguf.part`, for no rerun to clean up.
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_WRITING, killed_in, str(gguf_run)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 143, done.stderr  # SIGTERM's exit code, as a shell reports it
    left = sorted(path.name for path in tmp_path.iterdir())
    if killed_in == "merged":  # its folder, made empty by the check before the merge
        assert left == ["out"] and list((tmp_path / "out").iterdir()) == []
    else:  # the merged folder whole, and said so
        assert left == ["out"] and (tmp_path / "out" / "tokenizer.json").exists()
        assert "written whole before it: merged out" in done.stderr
