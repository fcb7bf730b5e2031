"""One typed config from YAML, with overrides and errors that name the bad key."""

from __future__ import annotations

import pytest

from tunelab.config import Config
from tunelab.errors import TunelabError


def test_yaml_with_overrides_and_relative_data_path(tmp_path):
    (tmp_path / "qa.jsonl").write_text("{}\n")
    (tmp_path / "cfg.yaml").write_text("name: x\ndata:\n  path: qa.jsonl\ntrain:\n  lr: 0.001\n")
    config = Config.from_yaml(tmp_path / "cfg.yaml", ["train.lr=5e-5", "train.method=full"])
    assert config.train.lr == 5e-5 and config.train.method == "full"
    assert config.data.path == str(tmp_path / "qa.jsonl")
    assert config.model.name == "smollm2-135m-instruct"


def test_round_trip(tmp_path):
    config = Config(name="r")
    config.to_yaml(tmp_path / "c.yaml")
    assert Config.from_yaml(tmp_path / "c.yaml") == config


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("train:\n  learning_rate: 1\n", "train.learning_rate: unknown setting"),
        ("train:\n  method: qlora\n", "train.method"),
        ("data: [1, 2\n", "not valid YAML"),
        ("- a\n- b\n", "a config is a mapping"),
        ("data: [1]\n", "data: Input should be a valid dictionary"),
        # A value where a section goes was "Input should be a valid dictionary or instance of
        # ModelConfig": the section's first setting is what such a value means.
        (
            "model: tiny-random\n",
            r"line 1: model: a section of settings, not a value: write `model: \{name: tiny-ra",
        ),
        ("data: qa.jsonl\n", r"write `data: \{path: qa.jsonl\}` \(--set data.path=qa.jsonl\)"),
        # PyYAML said "found character '\t' that cannot start any token": an editor shows spaces.
        ("name: x\n\tdata: 1\n", r"bad.yaml:2:1: not valid YAML: found .*: a tab; YAML indents"),
        (
            'data: {path: "C:\\data\\qa.jsonl"}\n',
            r"unknown escape character 'd': a backslash in double quotes starts an escape",
        ),
        (
            "data:\n  system_prompt: Rules: be brief\n",
            r"bad.yaml:2:23: not valid YAML: mapping values .*: a value holding \": \" goes in quo",
        ),
        # PyYAML keeps the last of two blocks: the first block's settings were dropped silently.
        (
            "train:\n  lr: 0.5\nname: x\ntrain:\n  epochs: 1\n",
            r"bad.yaml:4:1: not valid YAML: 'train' set twice \(first on line 1\)",
        ),
        ("train:\n  lr: 0.5\n  lr: 0.1\n", r"bad.yaml:3:3: not valid YAML: 'lr' set twice"),
        (
            "train: {batchsize: 2}\n",
            r"train.batchsize: unknown setting \(did you mean train.batch_size\?\)",
        ),
        (
            "train: {lora: {rank: 2}}\n",
            r"train.lora.rank: unknown setting \(known: train.lora.r, train",
        ),
        # Other tools' names for the same settings: too unlike tunelab's for a spelling match.
        ("train: {learning_rate: 0.1}\n", r"unknown setting \(did you mean train.lr\?\)"),
        ("train: {max_seq_length: 64}\n", r"unknown setting \(did you mean data.max_length\?\)"),
        # A setting put in the wrong section was answered with that section's whole list.
        ("train: {max_length: 64}\n", r"train.max_length: unknown setting \(did you mean data.m"),
        ("lora: {r: 8}\n", r"lora: unknown setting \(did you mean train.lora\?\)"),
        ("model: {seed: 1}\n", r"\(did you mean data.seed or train.seed\?\)"),
        (
            "data: {lerning_rate: 1}\n",
            r"data.lerning_rate: unknown setting \(did you mean train.lr",
        ),
        # Each of these divided by zero, or trained silently, deep in the loop.
        (
            "train: {batch_size: 0}\n",
            "train.batch_size: Input should be greater than or equal to 1",
        ),
        (
            "train: {eval_every: 0}\n",
            "train.eval_every: Input should be greater than or equal to 1",
        ),
        ("train: {epochs: -1}\n", "train.epochs: Input should be greater than 0"),
        ("train: {max_steps: 0}\n", "max_steps must be at least 1"),
        ("data: {test_size: -1}\n", "data.test_size: Input should be greater than or equal to 0"),
        # 2.5 held out 2 questions without a word.
        (
            "data: {test_size: 2.5}\n",
            "data.test_size: test_size is a fraction below 1 .* or a whole",
        ),
        # A raw text's 1-token windows trained no token, and the run said "finished".
        ("data: {max_length: 1}\n", "data.max_length: Input should be greater than or equal to 2"),
    ],
)
def test_bad_config_is_one_clear_error_naming_the_key(tmp_path, yaml_text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(TunelabError, match=message):
        Config.from_yaml(path)


def test_max_length_past_the_models_context_is_named_before_any_work(tmp_path, qa_file):
    from tests.conftest import tiny_config
    from tunelab.train.loop import train

    config = tiny_config(tmp_path, qa_file)
    config.data.max_length = 4096  # tiny-random has 2048 positions
    with pytest.raises(TunelabError, match=r"data.max_length=4096 .* context of 2048 tokens"):
        train(config)


def test_max_length_past_the_context_is_refused_alone_before_the_model_loads(
    tmp_path, qa_file, monkeypatch, capsys
):
    # It first warned "the plan needs 608.7 GiB per device" for a length training then refused.
    from tests.conftest import tiny_config
    from tunelab.train import loop, session

    def loads(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(session, "load_model", loads)
    config = tiny_config(tmp_path, qa_file)
    config.data.max_length = 100_000
    with pytest.raises(TunelabError, match=r"data.max_length=100000 .* context of 2048 tokens"):
        loop.train(config)
    assert "warning" not in capsys.readouterr().out


def test_default_max_length_shrinks_to_a_short_context():
    from tunelab.config import DataConfig, fit_max_length

    assert fit_max_length(DataConfig(), "gpt2-like", 256).max_length == 256
    assert fit_max_length(DataConfig(max_length=128), "gpt2-like", 256).max_length == 128
    with pytest.raises(TunelabError, match="set data.max_length to 256 or less"):
        fit_max_length(DataConfig(max_length=1024), "gpt2-like", 256)


def test_a_folder_is_not_a_config_file(tmp_path):
    with pytest.raises(TunelabError, match="is a folder"):
        Config.from_yaml(tmp_path)


def test_a_path_from_home_is_read_from_home(tmp_path, monkeypatch):
    # "~/data/qa.jsonl" was "data file not found": YAML and --set leave "~" as it is.
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "c.yaml"
    path.write_text("data: {path: ~/qa.jsonl}\nmodel: {name: ~/models/mine}\n")
    config = Config.from_yaml(path, ["data.test_path=~/test.jsonl"])
    assert config.data.path == str(tmp_path / "qa.jsonl")
    assert config.data.test_path == str(tmp_path / "test.jsonl")
    assert config.model.name == str(tmp_path / "models" / "mine")


def test_a_run_folder_from_home_is_made_in_home(tmp_path, monkeypatch):
    # output_dir: ~/runs made a folder named "~" where the command ran.
    monkeypatch.setenv("HOME", str(tmp_path))
    config = Config.from_dict({"name": "r", "output_dir": "~/runs"})
    assert config.run_dir == tmp_path / "runs" / "r"


def test_a_config_saved_as_utf16_is_named_not_a_traceback(tmp_path):
    # PowerShell's `>` writes UTF-16: a UnicodeDecodeError traceback.
    path = tmp_path / "c.yaml"
    path.write_text("name: x\n", encoding="utf-16")
    with pytest.raises(TunelabError, match=r"c.yaml: not UTF-8 text but UTF-16; re-save the file"):
        Config.from_yaml(path)
    # One saved in Latin-1 is told its line and byte, and the iconv that converts it.
    path.write_bytes("name: x\n# café\n".encode("latin-1"))
    with pytest.raises(TunelabError) as refused:
        Config.from_yaml(path)
    assert "c.yaml:2: not UTF-8 text (byte 0xe9 at byte 13); re-save the file as UTF-8" in str(
        refused.value
    )
    assert f"iconv -f latin1 -t utf-8 {path} > converted.yaml" in str(refused.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["train=5", "train.lr=1"], "train is 5, not a section"),
        (["train.lr=[x"], r"--set 'train.lr=\[x':1:3: not valid YAML"),
        (["=5"], "must look like key.sub=value"),
        (["train..lr=1"], "must look like key.sub=value"),
    ],
)
def test_bad_override_is_one_clear_error(overrides, message):
    with pytest.raises(TunelabError, match=message):
        Config.from_dict({}, overrides)


def test_a_setting_that_holds_text_takes_the_text_as_typed():
    # YAML read "Be brief #1 priority" as "Be brief" and a comment, silently; "Rules: be brief"
    # as a mapping, 2024 as a number and yes as a boolean, each refused as no text.
    config = Config.from_dict(
        {},
        ["data.system_prompt=Be brief #1 priority", "name=2024", "data.path=data #2.jsonl",
         "data.fields.question=Q: text", "model.quantize=null", "train.lr=1e-4"],
    )  # fmt: skip
    assert config.data.system_prompt == "Be brief #1 priority"
    assert (config.name, config.data.path) == ("2024", "data #2.jsonl")
    assert config.data.fields == {"question": "Q: text"}
    assert config.model.quantize is None and config.train.lr == 1e-4
    for prompt in ("yes", "Rules: be brief", "[Important] be brief"):
        assert Config.from_dict({}, [f"data.system_prompt={prompt}"]).data.system_prompt == prompt
    # Quotes that kept text from YAML still do; a choice takes no stray spaces; a mapping or a
    # list is still read as YAML.
    assert Config.from_dict({}, ['data.system_prompt="Be brief"']).data.system_prompt == "Be brief"
    assert Config.from_dict({}, ["data.truncation= right"]).data.truncation == "right"
    fields = Config.from_dict({}, ["data.fields={question: prompt}"]).data.fields
    assert fields == {"question": "prompt"}
    # In a YAML file YAML has read the value before the config sees it (0123 is 83, no the
    # boolean false): never taken as text, each says to quote it.
    for value, read in ((False, "false"), (83, "83"), (2024, "2024")):
        with pytest.raises(TunelabError, match=f"YAML read it as {read}: put the text in quotes"):
            Config.from_dict({"name": value})


def test_examples_load_and_validate():
    from pathlib import Path

    for path in sorted((Path(__file__).parent.parent / "examples").glob("*.yaml")):
        Config.from_yaml(path)


def test_a_bad_value_names_its_line_unless_set_on_the_command_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\ntrain:\n  lr: fast\n  lora: {r: 0}\n")
    with pytest.raises(TunelabError) as err:
        Config.from_yaml(path)
    assert "line 3: train.lr: Input should be a valid number" in str(err.value)
    assert "line 4: train.lora.r: Input should be greater than or equal to 1" in str(err.value)
    # ... and what it read there (pydantic's words name only what it wanted).
    assert "unable to parse string as a number (given: 'fast')" in str(err.value)
    with pytest.raises(TunelabError) as err:
        Config.from_yaml(path, ["train.lr=slow", "train.lora.r=4"])
    assert "  --set train.lr: Input should be a valid number" in str(err.value)


def test_a_data_command_reads_a_run_config_s_spelling_of_a_data_setting(tmp_path, wide_terminal):
    # The loader's hint says "--set data.fields.question=Question", as a run's config spells it;
    # `data check`/`split`/`inspect` hold `fields` themselves and refused it as unknown.
    from typer.testing import CliRunner

    from tunelab.cli import app
    from tunelab.data.quality.findings import QualityConfig

    settings = ["data.fields.question=Question", "data.max_length=64"]
    config = QualityConfig.from_dict({}, settings)
    assert config.fields == {"question": "Question"} and config.max_length == 64
    with pytest.raises(TunelabError, match="unknown setting"):
        QualityConfig.from_dict({}, ["train.lr=1e-4"])  # a setting it has not, still refused
    rows = tmp_path / "d.jsonl"
    rows.write_text('{"Question": "Is it on?", "Answer": "Yes, it is on."}\n')
    hint = CliRunner().invoke(app, ["data", "inspect", str(rows), "--model", "tiny-random"])
    assert "--set data.fields.question=Question" in " ".join(hint.output.split())
    mapped = ["--set", "data.fields.question=Question", "--set", "data.fields.answer=Answer"]
    done = CliRunner().invoke(
        app, ["data", "inspect", str(rows), "--model", "tiny-random", *mapped]
    )
    assert done.exit_code == 0 and "d.jsonl:1" in done.output, done.output


def test_only_a_command_s_own_section_is_read_in_a_run_s_spelling():
    # train.seed set the data seed of data split, train.batch_size eval's batch size.
    from tunelab.config import DataConfig
    from tunelab.evaluate.suite import EvalConfig

    with pytest.raises(TunelabError, match="unknown setting"):
        DataConfig.from_dict({}, ["train.seed=99"])
    with pytest.raises(TunelabError, match="unknown setting"):
        EvalConfig.from_dict({}, ["train.batch_size=3"])
    assert DataConfig.from_dict({}, ["data.seed=99"]).seed == 99


def test_a_yaml_merge_key_is_no_key_set_twice(tmp_path):
    # `<<:` merges defaults that the mapping's own keys override, as YAML means it.
    path = tmp_path / "merge.yaml"
    path.write_text("name: m\ntrain:\n  <<: {lr: 0.001, max_steps: 3}\n  max_steps: 5\n")
    config = Config.from_yaml(path)
    assert (config.train.lr, config.train.max_steps) == (0.001, 5)


def test_a_local_base_model_beside_the_config_is_found_as_its_data_is(tmp_path, monkeypatch):
    # Data beside a YAML was found from any folder; `model.name: ./tinyllama` beside it was not.
    from tunelab.config import Config

    (tmp_path / "proj" / "tinyllama").mkdir(parents=True)
    (tmp_path / "proj" / "a.yaml").write_text("model: {name: ./tinyllama}\n")
    monkeypatch.chdir(tmp_path)
    assert Config.from_yaml(tmp_path / "proj" / "a.yaml").model.name == str(
        tmp_path / "proj" / "tinyllama"
    )
    (tmp_path / "proj" / "b.yaml").write_text("model: {name: smollm2-135m-instruct}\n")
    assert Config.from_yaml(tmp_path / "proj" / "b.yaml").model.name == "smollm2-135m-instruct"


def test_a_missing_test_file_names_its_setting_and_where_it_was_looked_for(tmp_path):
    # "error: data file not found: tset.jsonl" named neither the setting nor where it looked.
    from tunelab.config import DataConfig
    from tunelab.data.pipeline import prepare
    from tunelab.errors import TunelabError
    from tunelab.models.random_weights import tiny_tokenizer

    qa = tmp_path / "qa.jsonl"
    qa.write_text('{"question": "q", "answer": "a"}\n')
    with pytest.raises(TunelabError, match=r"^data.test_path: data file not found: tset.jsonl \("):
        prepare(DataConfig(path=str(qa), test_path="tset.jsonl"), tiny_tokenizer())
    # An absolute path was looked for where it says: "a relative path in a config is read
    # beside the config" was said of it too.
    with pytest.raises(TunelabError) as absolute:
        prepare(DataConfig(path=str(qa), test_path=str(tmp_path / "tset.jsonl")), tiny_tokenizer())
    assert str(absolute.value).startswith(f"data.test_path: data file not found: {tmp_path}")
    assert "relative" not in str(absolute.value)
    # The training file given as its test file: every row was dropped as a test question's,
    # "no training example left: 0 exact duplicate(s) removed and 1 asking a question of ...".
    with pytest.raises(TunelabError, match=r"^data.test_path is data.path itself \("):
        prepare(
            DataConfig(path=str(qa), test_path=str(tmp_path / "." / "qa.jsonl")), tiny_tokenizer()
        )


def test_a_device_the_machine_lacks_is_named_before_anything_loads():
    import torch

    from tunelab.train.setup import pick_device

    with pytest.raises(TunelabError, match=r"train.device: unknown device 'gpu'"):
        pick_device("gpu")
    if not torch.cuda.is_available():  # a raw "Torch not compiled with CUDA" traceback before
        with pytest.raises(TunelabError, match=r"train.device: cuda is not available"):
            pick_device("cuda")
    assert pick_device("cpu") == torch.device("cpu")


def test_a_bad_value_given_with_set_is_named_as_the_command_lines(tmp_path):
    # "base.yaml: invalid config / train.lr: ..." sent the user to a file holding lr: 0.001.
    from tunelab.config import Config

    path = tmp_path / "c.yaml"
    path.write_text("name: x\nmodel: {name: tiny-random}\ntrain:\n  lr: 0.001\n  epochs: -1\n")
    with pytest.raises(TunelabError) as err:
        Config.from_yaml(path, ["train.lr=-1"])
    assert "--set train.lr: Input should be greater than 0" in str(err.value)
    assert "line 5: train.epochs" in str(err.value)  # the file's own mistake keeps its line
    # A misspelled section given with --set is the command line's too (it was named bare).
    with pytest.raises(TunelabError, match=r"  --set trian: unknown setting \(did you mean train"):
        Config.from_yaml(path, ["trian.lr=1"])
    # A misspelled setting is answered with the whole path --set takes: "did you mean
    # max_steps?" was pasted back as --set max_steps=20, refused in its turn.
    with pytest.raises(TunelabError, match=r"  --set train.max_step: unknown setting") as err:
        Config.from_yaml(path, ["train.max_step=20"])
    assert "(did you mean train.max_steps?)" in str(err.value)


@pytest.mark.parametrize("name", [".", "", "..", "../elsewhere", "a/b"])
def test_a_run_name_names_one_folder_inside_output_dir(name):
    # From a walk: name "." made the run folder output_dir itself, which --overwrite deleted
    # with every run in it.
    with pytest.raises(TunelabError, match="must name one folder"):
        Config.from_dict({"name": name})


def test_a_test_size_given_as_a_count_reads_back_as_the_count_typed(tmp_path):
    (tmp_path / "qa.jsonl").write_text("{}\n")
    (tmp_path / "cfg.yaml").write_text("name: x\ndata:\n  path: qa.jsonl\n")
    counted = Config.from_yaml(tmp_path / "cfg.yaml", ["data.test_size=8"])
    counted.to_yaml(tmp_path / "counted.yaml")
    assert "test_size: 8\n" in (tmp_path / "counted.yaml").read_text()
    assert Config.from_yaml(tmp_path / "counted.yaml") == counted
    # A fraction stays one, and a config.yaml an older tunelab wrote as 8.0 reads as 8.
    share = Config.from_yaml(tmp_path / "cfg.yaml", ["data.test_size=0.1"])
    share.to_yaml(tmp_path / "share.yaml")
    assert "test_size: 0.1\n" in (tmp_path / "share.yaml").read_text()
    older = Config.from_yaml(tmp_path / "cfg.yaml", ["data.test_size=8.0"])
    assert repr(older.data.test_size) == "8" and older == counted


def test_a_mistyped_choice_is_shown_with_the_choice_it_nearly_is(tmp_path):
    # "rephrasing" begins "'rephrasings'", so the message seemed to show it already: it said
    # neither what was read nor what was meant.
    path = tmp_path / "c.yaml"
    path.write_text("name: x\n")
    with pytest.raises(TunelabError) as err:
        Config.from_yaml(path, ["data.held_out=rephrasing", "train.method=ful"])
    assert "(given: 'rephrasing'; did you mean 'rephrasings'?)" in str(err.value)
    assert "(given: 'ful'; did you mean 'full'?)" in str(err.value)
    # Nothing close: what was read alone.
    with pytest.raises(TunelabError) as err:
        Config.from_yaml(path, ["data.truncation=middle"])
    assert "Input should be 'keep_response', 'right' or 'drop' (given: 'middle')" in str(err.value)
