"""`tunelab plan` as a user runs it: the parts it prints and whether the run fits, a bad setting
named, a run folder or a training YAML planned with its own settings unless an option says
otherwise, the Python API planning as the command does, and train warning before loading a run
the plan says does not fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tunelab.cli import app
from tunelab.train.plan.estimate import GIB, estimate
from tunelab.train.plan.settings import PlanConfig

runner = CliRunner()


def test_plan_prints_its_parts_and_whether_the_run_fits():
    result = runner.invoke(
        app,
        [
            "plan",
            "Llama-3.1-8B",
            "--method",
            "qlora",
            "--gpu-memory",
            "80",
            "--gradient-checkpointing",
        ],
    )
    assert result.exit_code == 0, result.output
    for part in ("weights", "LoRA adapters", "AdamW state", "activations", "loss", "peak"):
        assert part in result.output
    assert "fits" in result.output and "does not fit" not in result.output
    for nonsense in ("0", "-3"):  # -3 printed "does not fit: ... --gpu-memory -3 GiB", exit 0
        refused = runner.invoke(app, ["plan", "Llama-3.1-70B", "--gpu-memory", nonsense])
        assert refused.exit_code != 0 and "gpu_memory" in str(refused.exception) + refused.output
    result = runner.invoke(app, ["plan", "Llama-3.1-70B", "--method", "full", "--gpu-memory", "80"])
    assert result.exit_code == 0, result.output
    assert "does not fit" in result.output
    peak = estimate(PlanConfig(model="Llama-3.1-70B", method="full", gpu_memory=80)).peak
    assert f"{peak / GIB:.1f} GiB needed" in " ".join(result.output.split())


def test_a_bad_setting_is_named():
    result = runner.invoke(app, ["plan", "--method", "half"])
    assert result.exit_code != 0
    assert "method" in str(result.exception) or "method" in result.output
    # Impossible sizes are refused, not divided by (processes 0) or planned as negative memory.
    for option, value in (("--processes", "0"), ("--max-length", "-5"), ("--batch-size", "0")):
        result = runner.invoke(app, ["plan", "smollm2-135m-instruct", option, value])
        assert result.exit_code != 0 and option[2:].replace("-", "_") in str(result.exception)


def full_run(tmp_path, qa_file) -> str:
    """A run folder trained by full finetuning at batch 3 (the plan's defaults: lora, batch 8)."""
    from tests.conftest import tiny_run

    run = tiny_run(tmp_path, qa_file.parent)
    config = run / "config.yaml"
    config.write_text(config.read_text() + "train: {batch_size: 3, method: full}\n")
    return str(run)


def printed(result) -> str:
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def test_a_runs_plan_takes_the_runs_settings_unless_an_option_says_otherwise(tmp_path, qa_file):
    run = full_run(tmp_path, qa_file)
    plain = printed(runner.invoke(app, ["plan", run]))
    assert "the settings of" in plain and "with the options given" in plain
    assert "full, batch 3 x 512 tokens" in plain
    # The run's method, the batch given.
    assert "full, batch 5 x 512 tokens" in printed(
        runner.invoke(app, ["plan", run, "--batch-size", "5"])
    )
    # Its model/ folder is planned as the run (it was planned as a model: lora, batch 8).
    assert "full, batch 3 x 512 tokens" in printed(runner.invoke(app, ["plan", f"{run}/model"]))


def test_a_run_stopped_before_its_model_was_written_is_planned_as_that_run(tmp_path, qa_file):
    # A SIGTERM keeps the checkpoint alone, no model/: the plan of such a run recursed on its
    # own folder until Python's limit (a RecursionError traceback), where one would plan its
    # resume on another machine.
    import shutil

    run = Path(full_run(tmp_path, qa_file))
    shutil.rmtree(run / "model")
    (run / "checkpoints" / "step-000002").mkdir(parents=True)
    plain = printed(runner.invoke(app, ["plan", str(run)]))
    assert "the settings of" in plain
    assert "full, batch 3 x 512 tokens" in plain


def test_an_option_given_at_its_default_value_still_overrides_the_run(tmp_path, qa_file):
    import tunelab

    run = full_run(tmp_path, qa_file)
    batch = printed(runner.invoke(app, ["plan", run, "--batch-size", "8"]))  # 8: the default
    assert "full, batch 8 x 512 tokens" in batch
    for lora in (["--method", "lora"], ["--set", "method=lora"]):  # lora: the default
        assert "lora, rank 16, batch 3 x 512 tokens" in printed(
            runner.invoke(app, ["plan", run, *lora])
        )
    planned = tunelab.plan(model=run, method="lora").config
    assert (planned.method, planned.batch_size) == ("lora", 3)


def test_the_python_api_plans_a_run_folder_as_the_command_does(tmp_path, qa_file, monkeypatch):
    import tunelab
    from tunelab.train.plan import estimate as plan_module

    run = full_run(tmp_path, qa_file)
    real, by_command = plan_module.estimate, []

    def recorded(cfg, shape=None):
        by_command.append(real(cfg, shape))
        return by_command[-1]

    monkeypatch.setattr(plan_module, "estimate", recorded)
    printed(runner.invoke(app, ["plan", run, "--batch-size", "5", "--device", "cpu"]))
    monkeypatch.undo()
    by_api = tunelab.plan(PlanConfig(model=run, batch_size=5, device="cpu"))
    assert (by_api.config.method, by_api.config.batch_size) == ("full", 5)
    assert by_api.config == by_command[0].config and by_api.peak == by_command[0].peak
    assert tunelab.plan(model=run, batch_size=5, device="cpu").config == by_api.config


def test_train_warns_before_loading_when_the_plan_does_not_fit(
    tmp_path, qa_file, monkeypatch, capsys
):
    from tests.conftest import tiny_config
    from tunelab.train import loop
    from tunelab.train.plan import fit

    monkeypatch.setattr(fit, "free_ram", lambda: 2**20)  # a machine with 1 MiB free
    loop.train(tiny_config(tmp_path, qa_file, max_steps=1))
    printed = " ".join(capsys.readouterr().out.split())
    assert "warning: the plan needs" in printed and "more than free RAM, 0.0 GiB" in printed
    assert printed.index("warning: the plan") < printed.index("model tiny-random")


def test_no_warning_when_the_model_cannot_be_sized_without_loading_it(tmp_path, qa_file):
    from tests.conftest import tiny_config
    from tunelab.train.plan.fit import fit_warning

    config = tiny_config(tmp_path, qa_file)
    unknown = config.model_copy(update={"model": config.model.model_copy(update={"name": "x/y"})})
    assert fit_warning(unknown, 1, "cpu") is None
    assert fit_warning(config, 1, "cpu") is None  # tiny-random fits anywhere


def test_the_python_api_plans_a_training_config_or_keywords(tmp_path, qa_file):
    import tunelab
    from tests.conftest import tiny_config

    by_name = tunelab.plan(model="Llama-3.2-1B", method="full", device="cuda")
    assert by_name.peak > by_name.tensors > 16 * 1_235_814_400  # float32 weights, grads, m, v
    config = tiny_config(tmp_path, qa_file, batch_size=3)
    assert tunelab.plan(config).config.batch_size == 3


def test_max_length_beyond_the_context_and_the_largest_part_are_said():
    result = runner.invoke(
        app,
        ["plan", "SmolLM2-135M", "--device", "cpu", "--batch-size", "1", "--max-length", "9000"],
    )
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())
    assert "beyond the model's context of 8,192 tokens" in printed
    assert "largest: activations" in printed
    plan = estimate(PlanConfig(model="SmolLM2-135M", device="cpu", max_length=8192))
    assert not [note for note in plan.notes if "context" in note]
    # On a CPU, how far resident memory runs above the plan, and the setting that keeps it near.
    assert any("train.return_freed_memory: true" in note for note in plan.notes)
    assert not estimate(PlanConfig(model="SmolLM2-135M", device="cuda")).notes
    assert plan.largest().name == "activations"


def test_a_training_yaml_is_planned_before_it_has_run(tmp_path):
    # It was read as a config.json ("not a readable config.json").
    config = tmp_path / "train.yaml"
    config.write_text(
        "name: p\nmodel: {name: SmolLM2-135M}\ndata: {max_length: 256}\n"
        "train: {method: full, batch_size: 4}\n"
    )
    said = printed(runner.invoke(app, ["plan", str(config), "--device", "cpu"]))
    assert "full, batch 4 x 256 tokens" in said
    assert "full, batch 2 x 256" in printed(
        runner.invoke(app, ["plan", str(config), "--device", "cpu", "--batch-size", "2"])
    )


def test_set_takes_the_training_spelling_for_a_yaml_or_a_run(tmp_path, qa_file):
    import tunelab

    plan = ["plan", "examples/lora.yaml", "--device", "cpu"]
    said = printed(runner.invoke(app, [*plan, "--set", "train.batch_size=1"]))
    assert "lora, rank 16, batch 1 x 256 tokens" in said  # the YAML says batch 8
    # One run planned, whichever spelling: the same peak as the flat key's, below batch 8's.
    one = tunelab.plan(model="examples/lora.yaml", batch_size=1, device="cpu")
    eight = tunelab.plan(model="examples/lora.yaml", device="cpu")
    assert f"peak │ {one.peak / GIB:.2f}" in said and one.peak < eight.peak
    api = tunelab.plan(model="examples/lora.yaml", overrides=["train.batch_size=1"], device="cpu")
    assert api.peak == one.peak
    run = full_run(tmp_path, qa_file)
    assert "full, batch 2 x 128 tokens" in printed(
        runner.invoke(
            app, ["plan", run, "--set", "train.batch_size=2", "--set", "data.max_length=128"]
        )
    )
    # The training config's section dropped: plan's flat key, and the YAML's full one.
    section = runner.invoke(app, [*plan, "--set", "lora.r=8"])
    told = " ".join(str(section.exception).split())
    assert "did you mean lora_r?" in told and "YAML or run: --set train.lora.r=8" in told
    misspelled = runner.invoke(app, [*plan, "--set", "train.batchsize=1"])
    assert misspelled.exit_code != 0 and "did you mean train.batch_size" in str(
        misspelled.exception
    )
    # A model alone has no training config: its flat keys are the plan's.
    alone = runner.invoke(app, ["plan", "SmolLM2-135M", "--set", "train.batch_size=1"])
    assert alone.exit_code != 0 and "--set batch_size=1" in str(alone.exception)
    assert "batch 1 x" in printed(
        runner.invoke(app, ["plan", "SmolLM2-135M", "--set", "batch_size=1"])
    )


def sixty_rows(tmp_path, packing: bool, model: str = "tiny-random") -> str:
    """A training YAML whose batch_size, 64, is more rows than its data holds: 60."""
    from tests.conftest import write_jsonl

    rows = [{"question": f"What is part {i} made of?", "answer": f"Steel {i}."} for i in range(60)]
    data = write_jsonl(tmp_path / "sixty.jsonl", rows)
    config = tmp_path / "sixty.yaml"
    config.write_text(
        f"name: sixty\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: {model}}}\n"
        f"data: {{path: {data}, test_size: 0, max_length: 256, packing: {str(packing).lower()}}}\n"
        "train: {batch_size: 64, max_steps: 1}\n"
    )
    return str(config)


def test_a_batch_larger_than_the_data_is_planned_as_the_loop_makes_it(tmp_path):
    import tunelab

    config = sixty_rows(tmp_path, packing=False)
    said = printed(runner.invoke(app, ["plan", config, "--device", "cpu"]))
    assert "batch 60 x 96 tokens" in said  # the rows' padded width: see the test below
    assert "batch 64 → 60 rows: the training set has 60 rows" in said
    sized = dict(model="tiny-random", max_length=96, packing=False, device="cpu")
    as_sized = estimate(PlanConfig(batch_size=60, **sized))
    assert f"{as_sized.peak / GIB:.1f} GiB needed" in said
    # A model alone has no data: its batch is the setting's.
    alone = printed(runner.invoke(app, ["plan", "tiny-random", "--batch-size", "64"]))
    assert "batch 64 x 512 tokens" in alone and "→" not in alone
    # A batch the data fills is as it was set.
    assert "batch 8 x 96" in printed(runner.invoke(app, ["plan", config, "--batch-size", "8"]))
    assert tunelab.plan(model=config, device="cpu").peak == as_sized.peak


def test_a_data_file_training_refuses_is_named_under_the_plan_of_the_settings(tmp_path):
    """A bad row (data.on_error: raise) stops training, not the plan: it plans the batch as set,
    and says which row kept the data unread."""
    config = sixty_rows(tmp_path, packing=False)
    data = tmp_path / "sixty.jsonl"
    lines = data.read_text().splitlines()
    data.write_text("\n".join([*lines[:4], '{"question": "What is part 4', *lines[5:]]) + "\n")
    said = printed(runner.invoke(app, ["plan", config, "--device", "cpu"]))
    assert "batch 64 x 256 tokens" in said and "→" not in said
    # The path, wider than the test's terminal, may fold anywhere: compared without spaces.
    assert f"thedatawasnotread({data}:5:notvalidJSON" in said.replace(" ", "")
    assert "batch and rows planned as set" in said
    assert "on_error" not in said  # the fixes are training's and `data check`'s to say
    # Skipped, the bad row leaves the rest to size the batch, and no note.
    skipping = printed(runner.invoke(app, ["plan", config, "--set", "data.on_error=skip"]))
    assert "batch 64 → 59 rows: the training set has 59 rows" in skipping
    assert "not read" not in skipping
    # A file whose name holds "; " is named whole (cut there, it read "the data was not read (").
    named = data.rename(tmp_path / "part; 2.jsonl")
    said = printed(runner.invoke(app, ["plan", config, "--set", f"data.path={named}"]))
    assert f"({named}:5:notvalidJSON".replace(" ", "") in said.replace(" ", "")


def test_packed_the_plan_counts_the_rows_training_makes(tmp_path, capsys):
    import re

    import tunelab
    from tunelab.config import Config

    config = sixty_rows(tmp_path, packing=True)
    said = printed(runner.invoke(app, ["plan", config, "--device", "cpu"]))
    rows = int(re.search(r"batch 64 → (\d+) rows: the training set packs into \1 rows", said)[1])
    assert rows < 60 and re.search(rf"batch {rows} x \d+ tokens", said)
    # Training says what its batches hold: the plan's count.
    tunelab.train(Config.from_yaml(config))
    trained = " ".join(capsys.readouterr().out.split())
    assert f"train.batch_size 64 → {rows}: the training set packs into {rows} rows" in trained


def test_train_warns_only_of_the_batch_its_data_can_fill(tmp_path, monkeypatch):
    from tunelab.config import Config
    from tunelab.train.plan import fit

    config = Config.from_yaml(sixty_rows(tmp_path, packing=False))
    asked = estimate(PlanConfig.of(config, 1, "cpu"))  # 64 rows a batch
    # As train sizes it, before its data is tokenized: 60 rows of max_length.
    filled = estimate(PlanConfig.of(config, 1, "cpu").sized_to_data(config, tokenize=False))
    assert filled.config.batch_size == 60 and filled.peak < asked.peak
    monkeypatch.setattr(fit, "free_ram", lambda: (asked.peak + filled.peak) / 2)
    assert fit.fit_warning(config, 1, "cpu") is None
    monkeypatch.setattr(fit, "free_ram", lambda: filled.peak / 2)
    assert f"needs {filled.peak / GIB:.1f} GiB per device" in fit.fit_warning(config, 1, "cpu")


@pytest.mark.parametrize("packing", [False, True])
def test_rows_are_planned_as_wide_as_training_pads_them(tmp_path, monkeypatch, packing):
    """The loop pads a batch to its longest row, not to max_length: the plan's row width is
    the width of the batch a tiny-random run really trains on (here its only batch)."""
    import re

    import tunelab

    config = sixty_rows(tmp_path, packing)
    said = printed(runner.invoke(app, ["plan", config, "--device", "cpu"]))
    rows, width = map(int, re.search(r"batch (\d+) x (\d+) tokens", said).groups())
    kind = "packed rows" if packing else "rows"
    assert f"rows padded to {width} tokens, the longest of {rows} {kind} (max_length 256)" in said
    assert width < 256 and width % 8 == 0
    assert first_batch_shape(monkeypatch, config) == (rows, width)
    assert tunelab.plan(model=config, device="cpu").config.max_length == width


def test_a_hub_model_whose_tokenizer_is_cached_is_planned_by_its_packed_rows(tmp_path, monkeypatch):
    """Offline, a hub id's tokenizer is read from the Hugging Face cache; not cached, the plan
    counts examples and asks no one."""
    import re

    from huggingface_hub import constants

    from tunelab.models.random_weights import tiny_config, tiny_tokenizer

    model = "HuggingFaceTB/SmolLM2-135M"  # a known shape; here with the tiny tokenizer cached
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty"))
    uncached = printed(runner.invoke(app, ["plan", sixty_rows(tmp_path, True, model)]))
    assert "at most 60 rows: the training set has 60 examples" in uncached
    cache = tmp_path / "hub" / "models--HuggingFaceTB--SmolLM2-135M"
    snapshot = cache / "snapshots" / ("0" * 40)  # as a download leaves it: config, tokenizer
    tiny_tokenizer().save_pretrained(snapshot)
    tiny_config(len(tiny_tokenizer())).save_pretrained(snapshot)
    (cache / "refs").mkdir()
    (cache / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    cached = printed(runner.invoke(app, ["plan", sixty_rows(tmp_path, True, model)]))
    as_tiny = printed(runner.invoke(app, ["plan", sixty_rows(tmp_path, True)]))
    packs = re.search(r"batch 64 → \d+ rows: the training set packs into \d+ rows", as_tiny)[0]
    assert packs in cached


def test_a_row_cut_at_max_length_plans_full_rows_without_tokenizing_the_rest(tmp_path, monkeypatch):
    """Unpacked, a long example cut at max_length makes the widest batch max_length wide: found
    among the examples longest in characters, the rest of a large file is not tokenized."""
    import json

    from tunelab.train.plan import data_rows

    config = sixty_rows(tmp_path, packing=False)
    data = tmp_path / "sixty.jsonl"
    long = {"question": "What is the whole manual?", "answer": "Steel, bolted. " * 40}
    data.write_text(data.read_text() + json.dumps(long) + "\n")
    monkeypatch.setattr(data_rows, "FIRST_TRIED", 5)

    def not_read(*args, **kwargs):
        raise AssertionError("the whole training set was tokenized")

    monkeypatch.setattr(data_rows, "training_tokens", not_read)
    said = printed(runner.invoke(app, ["plan", config, "--device", "cpu"]))
    assert "batch 61 x 256 tokens" in said and "rows padded" not in said
    monkeypatch.undo()
    assert first_batch_shape(monkeypatch, config) == (61, 256)


def test_rows_tried_for_a_full_row_are_not_tokenized_again_for_the_rest(tmp_path, monkeypatch):
    """Unpacked, where none of the examples longest in characters fills a row, the plan reads the
    rest's widths too: each example is tokenized once, and the batch is planned as before."""
    from tunelab.data import tokenize
    from tunelab.train.plan import data_rows

    config = sixty_rows(tmp_path, packing=False)
    monkeypatch.setattr(data_rows, "FIRST_TRIED", 5)
    tokenize_all = tokenize.tokenize_all
    sources: list[str] = []

    def counted(examples, *args, **kwargs):
        sources.extend(example.source for example in examples)
        return tokenize_all(examples, *args, **kwargs)

    monkeypatch.setattr(tokenize, "tokenize_all", counted)
    said = printed(runner.invoke(app, ["plan", config, "--device", "cpu"]))
    assert "batch 60 x 96 tokens" in said  # the widest row of all 60, as before
    assert len(sources) == len(set(sources)) == 60


def first_batch_shape(monkeypatch, config) -> tuple[int, int]:
    """The input_ids shape of the first batch `tunelab train` makes of the config's data."""
    import tunelab
    from tunelab.config import Config
    from tunelab.train import loop

    shapes = []
    iterate_batches = loop.iterate_batches

    def recorded(*args, **kwargs):
        for batch in iterate_batches(*args, **kwargs):
            shapes.append(tuple(batch[2]["input_ids"].shape))
            yield batch

    monkeypatch.setattr(loop, "iterate_batches", recorded)
    tunelab.train(Config.from_yaml(config))
    return shapes[0]


def test_where_questions_are_held_out_the_plan_says_its_rows_are_at_most(tmp_path, capsys):
    # `plan --set train.batch_size=1000` said "the training set has 789 rows" where training
    # had 691: a run moves a held-out question's near repeats to the test side, the plan not.
    import re

    import tunelab
    from tests.conftest import write_jsonl
    from tunelab.config import Config

    asked = [f"What is part {i} made of?" for i in range(30)]
    typed = [q.replace("part", "prat") for q in asked]  # each question again, a typo in it
    rows = [{"question": q, "answer": f"Steel {i % 30}."} for i, q in enumerate(asked + typed)]
    data = write_jsonl(tmp_path / "twice.jsonl", rows)
    config = tmp_path / "twice.yaml"
    config.write_text(
        f"name: twice\noutput_dir: {tmp_path / 'runs'}\nmodel: {{name: tiny-random}}\n"
        f"data: {{path: {data}, test_size: 0.2, max_length: 256, packing: false}}\n"
        "train: {batch_size: 64, max_steps: 1}\n"
    )
    said = printed(runner.invoke(app, ["plan", str(config), "--device", "cpu"]))
    planned = int(
        re.search(r"batch 64 → at most (\d+) rows: the training set has at most \1 ", said)[1]
    )
    assert f"the longest of at most {planned} rows" in said
    tunelab.train(Config.from_yaml(config))
    trained = " ".join(capsys.readouterr().out.split())
    rows = int(re.search(r"train.batch_size 64 → (\d+): the training set has \1 rows", trained)[1])
    assert rows < planned
