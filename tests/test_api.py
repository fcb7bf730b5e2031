"""The Python API is the command line's, by the same names: `tunelab.train(config)` is
`tunelab train`, and stays the function whatever else of tunelab is imported."""

from __future__ import annotations

import functools
import inspect

import click
import pytest
import typer

import tunelab
from tests.conftest import tiny_config, write_jsonl
from tunelab.cli import app
from tunelab.evaluate.suite import errors
from tunelab.generation.generate import generate
from tunelab.serve.chat import Session

# The commands whose function has another name, and why. A conversation's reply takes the
# generation settings on to generation.
CONVERSATION = [tunelab.chat, Session.reply, generate]
FUNCTIONS = {
    "eval": [tunelab.evaluate],  # eval is Python's own builtin
    "errors": [errors],  # tunelab.errors is the module of TunelabError
    "generate": CONVERSATION,  # tunelab.generation.generate is the module that generates
    "chat": CONVERSATION,
}
# Options Python spells otherwise: train's --set, generate's question.
SPELLED = {("train", "set_"): "overrides", ("generate", "prompt"): "text"}
# Options that shape only the `next:` line a command prints (the model the pasted train line
# names, checked as typed): a Python caller gets no such line, so its function has no use for them.
NEXT_LINE_ONLY = {
    *(("data split", "model"), ("data facts", "model")),
    *(("data augment", "train_model"), ("data generate", "train_model")),
}


def _commands(group, path=()):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def _not_taken(name: str, command: click.Command) -> list[str]:
    """The options of `tunelab NAME` its Python function lacks, or has with another default. A
    function with **settings takes the fields of the config the command's options are made
    from (options.py gives those the fields' defaults): --set among them."""
    by_name = functools.reduce(
        lambda found, part: getattr(found, part, None), name.split(), tunelab
    )
    if not (name in FUNCTIONS or inspect.isfunction(by_name)):
        return [f"{name}: no function tunelab.{name.replace(' ', '.')}"]
    functions = FUNCTIONS.get(name) or [by_name]
    params = {}
    for function in reversed(functions):  # the first function's name wins
        params |= inspect.signature(function).parameters
    takes_settings = any(p.kind == p.VAR_KEYWORD for p in params.values())
    section = getattr(command.callback, "section", None)
    wrong = []
    for option in command.params:
        if (name, option.name) in NEXT_LINE_ONLY:
            continue
        spelled = SPELLED.get((name, option.name), option.name)
        param = params.get(spelled)
        if param is not None and param.kind != param.VAR_KEYWORD:
            if param.default is param.empty and not option.required:
                wrong.append(f"{name} {option.name}: required in Python")
            elif param.default is not param.empty and param.default != option.default:
                wrong.append(f"{name} {option.name}: {option.default!r} != {param.default!r}")
        elif not (takes_settings and section and spelled in {"set_", *section.model_fields}):
            wrong.append(f"{name} {option.name}: not taken")
    return wrong


def test_every_command_is_a_function_by_its_name_with_every_option_and_default():
    # From a walk: rate, demo and the data commands had none; runs had no `out`, train no
    # default config; serve and export took their options unnamed, as **settings.
    commands = dict(_commands(typer.main.get_command(app)))
    assert [wrong for name, c in commands.items() for wrong in _not_taken(name, c)] == []
    assert {"data check", "data split", "rate", "demo"} <= set(commands)


def test_the_data_commands_are_functions_by_their_names(tmp_path, qa_file):
    written = tunelab.data.split(qa_file, tmp_path / "split", test_size=0.5, seed=1)
    assert written["rows"] == [
        sum(1 for _ in p.open()) for p in (written["train"], written["test"])
    ]
    with pytest.raises(tunelab.TunelabError, match="exists: pass --overwrite"):
        tunelab.data.facts(written["test"], written["train"])
    proposed = tunelab.data.facts(written["test"], tmp_path / "facts.jsonl")
    assert proposed.rows == written["rows"][1]
    repeated = write_jsonl(tmp_path / "repeated.jsonl", [{"question": "Why?", "answer": "So."}] * 2)
    with pytest.raises(tunelab.TunelabError, match="--strict: 1 warning"):
        tunelab.data.check(repeated, model="tiny-random", strict=True)
    clean = tmp_path / "clean.jsonl"
    report = tunelab.data.check(repeated, model="tiny-random", fix=True, output=clean)
    assert list(report.dropped) == [1] and len(clean.read_text().splitlines()) == 1
    # The package the function stands where it is still imports, as the other commands' do.
    import tunelab.data.generate.shared as shared

    assert shared.GenerateConfig().mode == "template"


def test_the_stage_functions_keep_their_names_once_the_stages_are_imported():
    import tunelab.compare.run
    import tunelab.evaluate.suite
    import tunelab.export.merged
    import tunelab.serve.launch
    import tunelab.train.loop  # noqa: F401 -- the import that used to replace tunelab.train

    for name in ("train", "evaluate", "bench", "compare", "serve", "export"):
        function = getattr(tunelab, name)
        assert inspect.isfunction(function) and function.__doc__, name
    assert tunelab.Run.open and tunelab.Config().name == "run"


def test_a_stage_module_imports_by_its_dotted_name_as_well():
    """`import tunelab.evaluate.facts.score as score` goes through the function that stands where
    the package is; it must still give the module."""
    import tunelab.compare.run as compare_run
    import tunelab.evaluate.facts.score as score
    import tunelab.export.merged as merged
    import tunelab.serve.engine as engine
    import tunelab.train.loop as loop

    modules = (score, loop, compare_run, engine, merged)
    names = [module.__name__ for module in modules]
    assert names == [
        "tunelab.evaluate.facts.score",
        "tunelab.train.loop",
        "tunelab.compare.run",
        "tunelab.serve.engine",
        "tunelab.export.merged",
    ]
    assert score.score_facts and tunelab.evaluate.__doc__


def test_settings_are_a_config_or_its_fields_as_keywords(tmp_path, qa_file):
    result = tunelab.evaluate("tiny-random", data=str(qa_file), limit=1, output=str(tmp_path))
    assert len(result.rows) == 1 and (tmp_path / "summary.json").exists()
    with pytest.raises(tunelab.TunelabError, match="limit must be at least 1"):
        tunelab.compare("runs/none", limit=0)


def test_train_takes_resume_as_the_command_does(tmp_path, qa_file):
    with pytest.raises(tunelab.TunelabError, match="no such run to resume"):
        tunelab.train(tiny_config(tmp_path, qa_file), resume=True)


def test_keywords_given_with_a_config_apply_over_it(tmp_path, qa_file):
    # They were dropped silently: a saved config with limit=1 beside it scored every row.
    from tunelab.evaluate.suite import EvalConfig

    config = EvalConfig(data=str(qa_file), output=str(tmp_path))
    assert len(tunelab.evaluate("tiny-random", config, limit=1).rows) == 1
    base = tunelab.plan(model="SmolLM2-135M", device="cpu")
    bigger = tunelab.plan(
        tunelab.Config.from_dict({"model": {"name": "SmolLM2-135M"}}), device="cpu", batch_size=64
    )
    assert bigger.config.batch_size == 64 and bigger.peak > base.peak


def test_a_notebook_s_change_to_a_config_is_checked_as_it_is_made(tmp_path, qa_file):
    # batch_size -3 looped forever in training; lr "abc" failed deep in the scheduler.
    config = tiny_config(tmp_path, qa_file)
    with pytest.raises(tunelab.TunelabError, match="batch_size: Input should be greater"):
        config.train.batch_size = -3
    with pytest.raises(tunelab.TunelabError, match="lr: Input should be a valid number"):
        config.train.lr = "abc"
    config.train.batch_size = 1
    assert config.train.batch_size == 1
    # A value the section's own rules refuse is not kept behind the error.
    with pytest.raises(tunelab.TunelabError, match="cpu_offload needs train.parallel: fsdp"):
        config.train.cpu_offload = True
    assert config.train.cpu_offload is False
    with pytest.raises(tunelab.TunelabError, match=r"lrr: unknown setting \(did you mean lr\?\)"):
        config.train.lrr = 1e-4


def test_one_name_where_a_list_is_taken_and_a_misspelled_keyword(tmp_path):
    # "runs" was read as the folders r, u, n, s; export(mergd=...) was a raw TypeError.
    with pytest.raises(tunelab.TunelabError, match=r"/nowhere: no such folder here"):
        tunelab.runs(str(tmp_path / "nowhere"))
    with pytest.raises(
        tunelab.TunelabError, match=r"unknown setting 'mergd' \(did you mean merged\?\)"
    ):
        tunelab.export("tiny-random", mergd=str(tmp_path / "x"))


def test_train_takes_a_path_and_a_copied_run_trains_into_itself_as_the_command_does(
    tmp_path, qa_file
):
    # From a walk: Config.from_yaml("runs/copy/config.yaml") named the original run, so resuming
    # the copy from Python trained into the original (with overwrite, would have deleted it).
    import shutil

    run = tunelab.train(tiny_config(tmp_path, qa_file, max_steps=2, save_every=1))
    copy = run.parent / "copy"
    shutil.copytree(run, copy)
    before = (run / "metrics.jsonl").read_text()
    resumed = tunelab.train(copy / "config.yaml", resume=True, overrides=["train.max_steps=3"])
    assert resumed == copy and (run / "metrics.jsonl").read_text() == before
    assert '"step": 3' in (copy / "metrics.jsonl").read_text()
    with pytest.raises(tunelab.TunelabError, match="overrides go with a path"):
        tunelab.train(tiny_config(tmp_path, qa_file), overrides=["train.lr=1"])


def test_a_config_changed_field_by_field_is_checked_whole_before_training(tmp_path, qa_file):
    # From a walk: each assignment checks its own section, so int8 weights with full finetuning
    # got through and failed after the model loaded, with a bare RuntimeError.
    config = tiny_config(tmp_path, qa_file)
    config.model.quantize = "int8"
    config.train.method = "full"
    with pytest.raises(tunelab.TunelabError, match="only adapters can train"):
        tunelab.train(config)
    with pytest.raises(tunelab.TunelabError, match="train.lr"):
        tunelab.train(tiny_config(tmp_path, qa_file).model_copy(update={"train": {"lr": -1}}))


def test_serve_takes_the_command_s_option_names_and_refuses_a_bad_port_before_loading():
    # From a walk: `allow_host` and `threads` were unknown to tunelab.serve, and port 70000
    # loaded the model, said it served there, then crashed in the socket library.
    with pytest.raises(tunelab.TunelabError, match="a port is 1 to 65535"):
        tunelab.serve(["runs/none"], port=70000, allow_host=["box.lan"], threads=1)
    with pytest.raises(tunelab.TunelabError, match="at least 1"):
        tunelab.serve(["runs/none"], max_batch=0)
    with pytest.raises(tunelab.TunelabError, match="--threads 0: at least 1"):
        tunelab.serve(["runs/none"], threads=0)


def test_a_missing_or_empty_data_file_is_named_before_the_model_loads(
    tmp_path, qa_file, monkeypatch
):
    import tunelab.train.session as session

    def no_load(*args, **kwargs):
        raise AssertionError("the model loaded before the data file was looked for")

    monkeypatch.setattr(session, "load_model", no_load)
    config = tiny_config(tmp_path, tmp_path / "missing.jsonl")
    with pytest.raises(tunelab.TunelabError, match="data.path: data file not found"):
        tunelab.train(config)
    # An empty file (a script's export that wrote nothing) too: it was said after the load.
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    with pytest.raises(tunelab.TunelabError, match=f"^data.path: {empty}: is empty"):
        tunelab.train(tiny_config(tmp_path, empty))


def test_a_data_file_given_for_the_config_says_how_to_train_on_it(tmp_path, qa_file):
    # `tunelab train qa.jsonl` said "not valid YAML: expected '<document start>', but found '{'".
    with pytest.raises(tunelab.TunelabError) as caught:
        tunelab.train(str(qa_file))
    assert str(caught.value) == (
        f"{qa_file} is data, not a config: train on it with `tunelab train --set "
        f"data.path={qa_file}` (or a config file whose data.path names it)"
    )


def test_evaluate_of_several_models_keeps_their_comparison_as_the_command_does(tmp_path, qa_file):
    results = tunelab.evaluate(
        ["tiny-random", "tiny-random"], data=str(qa_file), limit=1, output=str(tmp_path)
    )
    assert len(results) == 2
    saved = (tmp_path / "comparison.json").read_text()
    assert '"metrics"' in saved and (tmp_path / "comparison.md").exists()


def test_changes_to_a_bare_config_s_sections_are_what_trains(tmp_path, qa_file):
    # Checking the config whole dropped a section made by default and changed after: its
    # data.path was "not set", its lr the default.
    config = tunelab.Config()
    config.name, config.output_dir = "bare", str(tmp_path / "runs")
    config.model.name = "tiny-random"
    config.data.path, config.data.max_length = str(qa_file), 128
    config.train.lr, config.train.max_steps, config.train.save_every = 1e-3, 1, 100
    run = tunelab.train(config)
    saved = tunelab.Run.open(run).config
    assert saved.train.lr == 1e-3 and saved.data.path == str(qa_file)


def test_chat_holds_a_conversation_as_the_command_does():
    session = tunelab.chat("tiny-random")
    first = session.reply("What is tunelab?", max_new_tokens=6)
    assert session.history == [
        {"role": "user", "content": "What is tunelab?"},
        {"role": "assistant", "content": first},
    ]
    alone = session.reply("What is tunelab?", max_new_tokens=6, remember=False)
    assert alone == first and len(session.history) == 2  # greedy; asked alone, kept out
    pieces = []
    session.reply("And then?", max_new_tokens=6, on_text=pieces.append)
    assert "".join(pieces) == session.history[-1]["content"]
