"""An export is asked as its run was trained: the chat template, the run's system prompt (in the
Ollama Modelfile too) and its BOS, and it stops at the run's turn end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gguf import GGUFReader
from transformers import (
    AutoTokenizer,
    PreTrainedTokenizerFast,
)
from typer.testing import CliRunner

import tunelab.models.load
from tests.conftest import repl_typing, write_jsonl
from tests.test_export import MESSAGE_TEXTS, MESSAGES, make_run_with_tokenizer, small_bpe_tokenizer
from tests.test_serve import make_lora_run
from tunelab.cli import app
from tunelab.config import Config
from tunelab.data.example import Example
from tunelab.data.prompts.templates import Prompt, render_prompt
from tunelab.errors import TunelabError
from tunelab.export import export, export_gguf, export_merged
from tunelab.models.random_weights import (
    CHATML_TEMPLATE,
)
from tunelab.run import load_tokenizer
from tunelab.serve.chat import Session


@pytest.mark.parametrize(
    "template, default",
    [
        (CHATML_TEMPLATE, "You are a helpful AI assistant."),
        # no system turn without one
        (
            "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
            "{% endfor %}",
            None,
        ),
        # Llama 3.1's kind: a system header always, its own text empty
        (
            "{{ '<|start_header_id|>system<|end_header_id|>\n\nToday.\n\n' }}"
            "{% if messages[0]['role'] == 'system' %}{{ messages[0]['content'] }}{% endif %}"
            "<|eot_id|>{% for m in messages %}{% if m['role'] != 'system' %}{{ m['content'] }}"
            "{% endif %}{% endfor %}",
            None,
        ),
        (
            "{{ raise_exception('System role not supported') if messages[0]['role'] == 'system' }}"
            "{% for m in messages %}{{ m['content'] }}{% endfor %}",
            None,
        ),
    ],
)
def test_a_template_s_default_system_prompt_is_what_it_writes_when_none_is_given(template, default):
    from tunelab.run_prompt import default_system_prompt

    tokenizer = small_bpe_tokenizer()
    tokenizer.chat_template = template
    assert default_system_prompt(tokenizer) == default


def test_a_system_prompt_a_modelfile_cannot_hold_is_refused_before_anything_is_written(
    tmp_path,
):
    run = trained_with(
        make_run_with_tokenizer(tmp_path, small_bpe_tokenizer()),
        system_prompt='Answer """only""" about tunelab.',
    )
    with pytest.raises(TunelabError, match="Ollama Modelfile cannot say"):
        export(str(run), merged=tmp_path / "m", gguf=tmp_path / "q.gguf")
    assert not (tmp_path / "m").exists() and not (tmp_path / "q.gguf").exists()


def trained_with(run: Path, **data) -> Path:
    """`run` as if trained with these data settings (template, system_prompt)."""
    config = Config.from_yaml(run / "config.yaml")
    for key, value in data.items():
        setattr(config.data, key, value)
    config.to_yaml(run / "config.yaml")
    return run


def test_exports_carry_the_runs_system_prompt_as_tunelab_serve_uses_it(tmp_path):
    system = 'You answer "tunelab" questions.'
    run = trained_with(
        make_run_with_tokenizer(tmp_path, small_bpe_tokenizer()), system_prompt=system
    )
    served = render_prompt(Example(messages=MESSAGES), load_tokenizer(str(run)), "chat", system)
    result = CliRunner().invoke(
        app,
        [
            "export",
            str(run),
            "--merged",
            str(tmp_path / "merged"),
            "--gguf",
            str(tmp_path / "r.gguf"),
        ],
    )
    assert result.exit_code == 0, result.output
    # Ollama ignores the GGUF's Jinja template: the Modelfile beside it says the system prompt.
    assert f'SYSTEM """{system}"""' in (tmp_path / "r.Modelfile").read_text()
    from_gguf = AutoTokenizer.from_pretrained(tmp_path, gguf_file="r.gguf")
    for tokenizer in (AutoTokenizer.from_pretrained(tmp_path / "merged"), from_gguf):
        prompt = tokenizer.apply_chat_template(MESSAGES, tokenize=False, add_generation_prompt=True)
        assert prompt == served
        own = [{"role": "system", "content": "Be brief."}, *MESSAGES]  # a client's own one wins
        assert system not in tokenizer.apply_chat_template(own, tokenize=False)


def test_a_qa_run_exports_a_chat_template_that_asks_in_its_qa_format(tmp_path):
    run = trained_with(make_lora_run(tmp_path), template="qa")
    tokenizer = AutoTokenizer.from_pretrained(export_merged(str(run), tmp_path / "merged"))
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]
    prompt = tokenizer.apply_chat_template(
        [*history, *MESSAGES], tokenize=False, add_generation_prompt=True
    )
    assert prompt == f"### Question:\n{MESSAGE_TEXTS[0]}\n\n### Answer:"


def bos_bpe_tokenizer() -> PreTrainedTokenizerFast:
    """small_bpe_tokenizer opening every text with a BOS, as Llama 3's does."""
    from tokenizers import processors

    tokenizer = small_bpe_tokenizer()
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="<|endoftext|> $A", special_tokens=[("<|endoftext|>", 0)]
    )
    tokenizer.bos_token = "<|endoftext|>"
    return tokenizer


def test_a_qa_run_on_a_bos_tokenizer_exports_the_bos_its_prompts_open_with(tmp_path):
    run = trained_with(make_run_with_tokenizer(tmp_path, bos_bpe_tokenizer()), template="qa")
    asked = Prompt("qa").chat(MESSAGES, load_tokenizer(str(run)))  # as eval, chat and serve ask
    assert asked.startswith("<|endoftext|>### Question:")  # training wrote the BOS in too
    written = export(str(run), merged=tmp_path / "merged", gguf=tmp_path / "q.gguf")
    exported = AutoTokenizer.from_pretrained(written["merged"])
    assert Prompt().chat(MESSAGES, exported) == asked
    gguf_template = GGUFReader(str(written["gguf"])).fields["tokenizer.chat_template"].contents()
    assert gguf_template == exported.chat_template
    assert 'TEMPLATE """<|endoftext|>### Question:' in written["modelfile"].read_text()


def test_exports_of_a_model_whose_turn_end_is_no_eos_stop_at_the_turn_end(tmp_path):
    # Qwen2.5 base: EOS "<|endoftext|>", a ChatML turn ends "<|im_end|>". Training ends replies
    # at the turn's end (no EOS after it), so the exports must stop there too: the merged
    # model's generation config (transformers' generate(), vLLM) and the GGUF's end-of-turn.
    tokenizer = small_bpe_tokenizer()
    tokenizer.eos_token = "<|endoftext|>"
    run = make_run_with_tokenizer(tmp_path, tokenizer)
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    merged = export_merged(str(run), tmp_path / "merged")
    stops = json.loads((merged / "generation_config.json").read_text())["eos_token_id"]
    assert end in stops and tokenizer.eos_token_id in stops
    path = export_gguf(str(run), tmp_path / "model.gguf", "f32")
    assert GGUFReader(str(path)).fields["tokenizer.ggml.eot_token_id"].contents() == end


@pytest.mark.parametrize("kind", ["merged", "gguf"])
def test_chat_with_a_qa_runs_export_says_once_that_it_sees_one_question_at_a_time(
    tmp_path, kind, monkeypatch, capsys
):
    run = trained_with(make_run_with_tokenizer(tmp_path, small_bpe_tokenizer()), template="qa")
    written = export(str(run), merged=tmp_path / "merged", gguf=tmp_path / "q.gguf")
    # The export's chat template asks the last question alone, as the run was trained.
    session = Session.open(str(written[kind]))
    repl_typing(monkeypatch, "What is tunelab?", "And what does it export?")
    session.repl(max_new_tokens=3)
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("'qa' template, which has no turns: it sees one question at a time") == 1
    assert out.count("model>") == 2


@pytest.mark.parametrize("kind", ["merged", "gguf"])
def test_a_system_prompt_to_a_qa_runs_export_is_refused_not_dropped(tmp_path, kind, monkeypatch):
    # The export's chat template asks the last question alone: the system prompt was dropped
    # without a word, where the run itself refuses it.
    run = trained_with(make_run_with_tokenizer(tmp_path, small_bpe_tokenizer()), template="qa")
    written = export(str(run), merged=tmp_path / "merged", gguf=tmp_path / "q.gguf")
    monkeypatch.setattr("tunelab.run.load_model", lambda *_: pytest.fail("the weights loaded"))
    test = write_jsonl(tmp_path / "test.jsonl", [{"question": "Hi?", "answer": "Hello."}])
    given = {"generate": ["hi"], "chat": [], "eval": ["--data", str(test)]}
    for command in ("generate", "chat", "eval"):  # eval asked it without a word
        asked = [command, str(written[kind]), *given[command]]
        said = CliRunner().invoke(app, [*asked, "--system-prompt", "Answer in French."])
        assert isinstance(said.exception, TunelabError), said.output
        message = str(said.exception)
        assert message.startswith("--system-prompt refused: this export is asked in the 'qa' "
                                  "template, which gives it the question alone")  # fmt: skip
        # --template chat asks the export in the same chat template: no way around it there.
        assert "--template chat" not in message and "data.template: chat" in message


def test_eval_of_a_qa_runs_export_says_its_chat_template_holds_the_qa_layout(tmp_path, monkeypatch):
    # "questions asked with template 'chat'" read as a chat layout, though the export's chat
    # template asks in the run's qa one.
    run = trained_with(make_run_with_tokenizer(tmp_path, small_bpe_tokenizer()), template="qa")
    merged = export(str(run), merged=tmp_path / "merged")["merged"]
    test = write_jsonl(tmp_path / "test.jsonl", [{"question": "Hi?", "answer": "Hello."}])
    out = tmp_path / "ev"
    args = ["eval", str(merged), "--data", str(test), "--max-new-tokens", "2", "--output", str(out)]
    said = CliRunner().invoke(app, args, env={"COLUMNS": "300"})
    assert said.exit_code == 0, said.output
    layout = "the model's own chat template (tunelab's qa layout, written by export)"
    assert f"questions asked with {layout}" in " ".join(said.output.split())
    assert json.loads((out / "summary.json").read_text())["asked_with"] == layout
    assert f"(questions asked with {layout})" in (out / "errors.md").read_text()
    assert CliRunner().invoke(app, ["errors", str(out)]).exit_code == 0  # rewrites errors.md
    assert f"(questions asked with {layout})" in (out / "errors.md").read_text()
    # A model asked in another template is said as before.
    ran = CliRunner().invoke(app, [*args, "--template", "alpaca"], env={"COLUMNS": "300"})
    assert "questions asked with template 'alpaca'" in " ".join(ran.output.split()), ran.output
    # compare asks it as eval does, and says so alike.
    docs = write_jsonl(tmp_path / "docs.jsonl", [{"text": "tunelab exports a run."}])
    asked = ["compare", str(merged), "--data", str(test), "--corpus", str(docs), "--k", "1"]
    compared = tmp_path / "cmp"
    # Said of the tokenizer the model was asked with: compare loaded it a second time for this.
    loaded = []
    read = tunelab.models.load.pretrained_tokenizer
    monkeypatch.setattr(
        "tunelab.models.load.pretrained_tokenizer", lambda name: loaded.append(name) or read(name)
    )
    said = CliRunner().invoke(app, [*asked, "--max-new-tokens", "2", "--output", str(compared)])
    assert said.exit_code == 0, said.output
    assert loaded == [str(merged)]
    assert json.loads((compared / "compare.json").read_text())["asked_with"] == layout
    assert f"asked with {layout}" in (compared / "compare.md").read_text()


def test_an_export_made_before_its_chat_template_named_its_template_is_told_all_the_same(
    tmp_path,
):
    # Exports written before the Jinja comment: chat took them for models that read the whole
    # conversation, said nothing, and let a system prompt be dropped.
    from tunelab.run_prompt import one_question_template

    run = trained_with(make_run_with_tokenizer(tmp_path, small_bpe_tokenizer()), template="alpaca")
    merged = export(str(run), merged=tmp_path / "merged")["merged"]
    tokenizer = load_tokenizer(merged)
    tokenizer.chat_template = tokenizer.chat_template.split("-#}", 1)[1]  # as export wrote it
    tokenizer.save_pretrained(merged)
    assert "tunelab:" not in load_tokenizer(merged).chat_template
    assert Session.open(str(merged)).one_question_template == "alpaca"
    with pytest.raises(TunelabError, match="this export is asked in the 'alpaca' template"):
        Session.open(str(merged), system_prompt="Answer in French.")
    # One written before exports carried the BOS (2026-11-30), for a tokenizer that opens with it.
    tokenizer = bos_bpe_tokenizer()
    before, after = json.dumps("### Question:\n"), json.dumps("\n\n### Answer:")
    tokenizer.chat_template = (
        "{%- set ns = namespace(question='') -%}"
        "{%- for message in messages -%}{%- if message['role'] == 'user' -%}"
        "{%- set ns.question = message['content'] -%}{%- endif -%}{%- endfor -%}"
        f"{{{{ {before} + ns.question + {after} }}}}"
        "{%- if messages[-1]['role'] == 'assistant' -%}"
        "{{ messages[-1]['content'] + eos_token }}{%- endif -%}"
    )
    assert one_question_template(Prompt(), tokenizer) == "qa"
    # A model that reads the conversation is not taken for one.
    assert one_question_template(Prompt(), small_bpe_tokenizer()) is None
