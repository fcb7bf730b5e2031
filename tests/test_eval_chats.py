"""`tunelab eval` on chat test rows: each row's last reply is asked with the prompt training
trained it under (the turns before it, the tools offered and the tools' results, by the same
rendering), and a reply that calls tools is scored by the calls it makes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import write_jsonl
from tests.test_data_tool_calls import CALL, ROW, TOOL_TEMPLATE
from tunelab.data.load import to_example
from tunelab.data.prompts.templates import render_segments
from tunelab.evaluate.suite import EvalConfig, evaluate
from tunelab.generation.generate import Generation
from tunelab.models.random_weights import tiny_random

HISTORY = {
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "Hello Ada."},
        {"role": "user", "content": "What is my name?"},
        {"role": "assistant", "content": "Ada."},
    ]
}
# A chat dump that ends on a user turn nobody answered: its last reply is "Ada.".
DUMP = {"messages": [*HISTORY["messages"], {"role": "user", "content": "Thanks!"}]}
ENDS_ON_CALL = {**ROW, "messages": ROW["messages"][:2]}
ALPACA = {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"}


@pytest.fixture
def tool_model(tmp_path: Path) -> Path:
    """The tiny model with a chat template that writes tools, calls and tool results."""
    model, tokenizer = tiny_random()
    tokenizer.chat_template = TOOL_TEMPLATE
    model.save_pretrained(tmp_path / "model")
    tokenizer.save_pretrained(tmp_path / "model")
    return tmp_path / "model"


def asked_prompts(monkeypatch, replies: list[str] | None = None) -> list[str]:
    """The prompts eval asks the model, filled in as it asks them; given `replies`, the model
    says those instead of decoding."""
    import tunelab.work_log as work_log

    asked: list[str] = []
    real = work_log.generate

    def generate(model, tokenizer, prompts, on_batch=None, **kwargs):
        asked.extend(prompts)
        if replies is None:
            return real(model, tokenizer, prompts, on_batch=on_batch, **kwargs)
        said = [Generation(replies[len(asked) - len(prompts) + i], "stop", 1, 1, index=i)
                for i in range(len(prompts))]  # fmt: skip
        if on_batch is not None:
            on_batch(said)
        return said

    monkeypatch.setattr(work_log, "generate", generate)
    return asked


def trained_prompt(row: dict, shape: str, tokenizer, template: str) -> str:
    """Everything before the last trained reply of the row, as training renders it."""
    segments = render_segments(to_example(row, shape, "t.jsonl:1"), tokenizer, template)
    return "".join(text for text, _ in segments[:-1])


@pytest.mark.parametrize(
    "row", [HISTORY, DUMP, ROW, ENDS_ON_CALL], ids=["history", "dump", "tool-result", "call"]
)
def test_a_chat_rows_last_reply_is_asked_as_training_trained_it(
    tmp_path, monkeypatch, tool_model, row
):
    from transformers import AutoTokenizer

    data = write_jsonl(tmp_path / "t.jsonl", [row])
    asked = asked_prompts(monkeypatch)
    cfg = EvalConfig(data=str(data), output=str(tmp_path / "o"), max_new_tokens=2, analyse=False)
    evaluate(str(tool_model), cfg)
    tokenizer = AutoTokenizer.from_pretrained(tool_model)
    assert asked == [trained_prompt(row, "messages", tokenizer, "chat")]
    # The turns before the reply, the tools offered and a tool's result are in the prompt.
    wanted = ["get_weather"] if "tools" in row else ["Be brief.", "Hello Ada.", "What is my name?"]
    assert all(text in asked[0] for text in wanted)
    if row is ROW:
        assert "Paris: 21C, sunny" in asked[0] and '"city": "Paris"' in asked[0]


def test_an_alpaca_rows_input_is_asked_in_its_own_block_as_trained(tmp_path, monkeypatch):
    from tunelab.models.random_weights import tiny_tokenizer

    data = write_jsonl(tmp_path / "t.jsonl", [ALPACA])
    asked = asked_prompts(monkeypatch)
    cfg = EvalConfig(data=str(data), output=str(tmp_path / "o"), template="alpaca", analyse=False)
    evaluate("tiny-random", cfg.model_copy(update={"max_new_tokens": 2}))
    assert asked == [trained_prompt(ALPACA, "alpaca", tiny_tokenizer(), "alpaca")]
    assert "### Input:\nGood morning" in asked[0]


def test_a_reply_ending_on_a_call_scores_the_call_the_model_makes(
    tmp_path, monkeypatch, tool_model
):
    made = [
        # Hermes (Qwen2.5) writes its call so, the arguments in another order than the reference.
        '<tool_call>\n{"name": "get_weather", "arguments": {"unit": "C", "city": "Paris"}}\n'
        "</tool_call>",
        # Llama 3.1 names the arguments "parameters".
        '{"name": "get_weather", "parameters": {"city": "Paris", "unit": "C"}}',
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Rome", "unit": "C"}}\n'
        "</tool_call>",
        "It is sunny in Paris.",
    ]
    call = {"function": {**CALL["function"], "arguments": {"city": "Paris", "unit": "C"}}}
    row = {
        **ROW,
        "messages": [
            ROW["messages"][0],
            {"role": "assistant", "content": None, "tool_calls": [call]},
        ],
    }
    data = write_jsonl(tmp_path / "t.jsonl", [row] * len(made))
    asked_prompts(monkeypatch, made)
    cfg = EvalConfig(data=str(data), output=str(tmp_path / "o"), max_new_tokens=2, analyse=False)
    rows = evaluate(str(tool_model), cfg).rows
    assert [r["scores"]["exact_match"] for r in rows] == [1.0, 1.0, 0.0, 0.0]
    assert 0.0 < rows[2]["scores"]["token_f1"] < 1.0  # the right function, a wrong argument
    assert rows[0]["reference"] == json.dumps(
        {"name": "get_weather", "arguments": call["function"]["arguments"]}
    )


def test_a_text_reply_is_scored_as_text_and_calls_beside_it_as_calls():
    from tunelab.evaluate.calls import score_reply

    text = to_example(HISTORY, "messages", "t.jsonl:1")
    assert score_reply("Ada.", text)["exact_match"] == 1.0
    two = {"role": "assistant", "content": "", "tool_calls": [CALL, CALL]}
    calls = to_example({**ROW, "messages": [ROW["messages"][0], two]}, "messages", "t.jsonl:1")
    said = json.dumps({"name": "get_weather", "arguments": {"city": "Paris"}})
    assert score_reply(f"[{said}, {said}]", calls)["exact_match"] == 1.0  # Mistral's list
    assert score_reply(said, calls)["exact_match"] == 0.0  # one call of two


def test_parallel_calls_are_scored_as_a_set_not_in_their_order():
    from tunelab.evaluate.calls import score_reply

    def call(city: str) -> dict:
        return {
            "type": "function",
            "function": {"name": "get_weather", "arguments": {"city": city}},
        }

    both = {"role": "assistant", "content": "", "tool_calls": [call("Paris"), call("Oslo")]}
    row = to_example({**ROW, "messages": [ROW["messages"][0], both]}, "messages", "t.jsonl:1")

    def said(*cities: str) -> str:  # as Hermes writes calls, one after another
        return "\n".join(
            f'<tool_call>\n{{"name": "get_weather", "arguments": {{"city": "{city}"}}}}\n</tool_call>'
            for city in cities
        )

    # OpenAI's parallel calls and BFCL's parallel category: the order the model says them in
    # does not matter, but each call does, as often as the reference makes it.
    assert score_reply(said("Oslo", "Paris"), row)["exact_match"] == 1.0
    assert score_reply(said("Paris", "Paris"), row)["exact_match"] == 0.0
    assert score_reply(said("Oslo", "Paris", "Paris"), row)["exact_match"] == 0.0


def test_a_calls_arguments_are_compared_by_value_numbers_in_any_form():
    # They were compared as JSON text: {"days": 3.0} missed the reference's {"days": 3}.
    from tunelab.evaluate.calls import score_reply

    call = {"function": {"name": "forecast", "arguments": {"days": 3, "limits": [0, 2.5]}}}
    reply = {"role": "assistant", "content": None, "tool_calls": [call]}
    row = to_example({**ROW, "messages": [ROW["messages"][0], reply]}, "messages", "t.jsonl:1")

    def said(days: str, limits: str = "[0, 2.5]") -> str:
        return f'{{"name": "forecast", "arguments": {{"days": {days}, "limits": {limits}}}}}'

    for same in (said("3"), said("3.0"), said("3e0"), said("3", "[0.0, 2.50]")):
        assert score_reply(same, row)["exact_match"] == 1.0, same
    for other in (said('"3"'), said("3.5"), said("true"), said("3", "[0, 2]")):
        assert score_reply(other, row)["exact_match"] == 0.0, other


def test_eval_reads_a_replys_calls_as_serve_answers_them():
    from tunelab.evaluate.calls import calls_in
    from tunelab.serve.call_format import CallFormat

    hermes = CallFormat("<tool_call>", "</tool_call>")
    for text in (
        '<tool_call>\n{"name": "f", "arguments": {"x": 1}}\n</tool_call>',
        '<tool_call>\n{"function": {"name": "f", "parameters": "{\\"x\\": 1}"}}\n</tool_call>',
        '<tool_call>\n{"name": "f"}\n</tool_call>',  # no arguments: not a call, for either
        '<tool_call>\n{"name": " ", "arguments": {}}\n</tool_call>',
    ):
        _, served = hermes.read(text)
        read = [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in served]
        assert calls_in(text) == read


def test_what_a_chat_row_was_asked_after_is_written_beside_its_question(
    tmp_path, monkeypatch, tool_model
):
    # The rows showed the last user question alone, though the whole conversation is asked: a
    # reader of "What is my name?" could not see the turn that said it.
    plain = {
        "messages": [
            {"role": "user", "content": "Is it raining?"},
            {"role": "assistant", "content": "No."},
        ]
    }
    data = write_jsonl(tmp_path / "t.jsonl", [HISTORY, ROW, plain])
    asked_prompts(monkeypatch, ["Ada.", "Bananas are yellow fruit.", "No."])
    cfg = EvalConfig(data=str(data), output=str(tmp_path / "o"), max_new_tokens=2)
    evaluate(str(tool_model), cfg)
    out = tmp_path / "o"
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert rows[0]["question"] == "What is my name?"
    assert rows[0]["asked_after"] == [
        "system: Be brief.", "user: My name is Ada.", "assistant: Hello Ada."
    ]  # fmt: skip
    assert rows[1]["asked_after"] == [
        "tools: get_weather",
        'assistant: {"name": "get_weather", "arguments": {"city": "Paris"}}',
        "tool: Paris: 21C, sunny",
    ]
    assert "asked_after" not in rows[2]  # the question is all it asked
    said = (out / "errors.md").read_text()
    assert "  - asked after (3):\n    - tools: get_weather\n    - assistant: " in said
    # The page and the spreadsheet showed the question alone.
    page = (out / "errors.html").read_text()
    assert "<summary>asked after (3)</summary>\n<ul>\n<li>tools: get_weather</li>" in page
    assert "<li>assistant: {&quot;name&quot;: &quot;get_weather&quot;" in page  # escaped
    with (out / "predictions.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert table[0]["asked_after"].splitlines() == rows[0]["asked_after"]
    assert table[2]["asked_after"] == ""


def test_the_facts_of_a_function_calling_row_are_read_off_its_question_and_its_replys_text(
    tmp_path, monkeypatch, tool_model
):
    from tunelab.evaluate.facts.propose_file import propose_file
    from tunelab.evaluate.facts.score_notes import facts_named_note

    # Gemini's function-calling row: the function's result is a user turn after the question,
    # which was read as the question (""), so "not needed" was no question of what is not and
    # its right answer's negation denied the fact.
    looked_up = {"functionResponse": {"name": "requirements", "response": {"gpu": False}}}
    contents = [{"role": "user", "parts": [{"text": "What isn't needed to train?"}]},
                {"role": "model", "parts": [{"functionCall": {"name": "requirements"}}]},
                {"role": "user", "parts": [looked_up]},
                {"role": "model", "parts": [{"text": "A GPU is not needed."}]}]  # fmt: skip
    gemini = {"contents": contents, "facts": [["GPU"]]}
    # OpenAI's row whose reply only calls a tool (content null, read as the reference "None"):
    # it states no fact, and is scored by its call.
    calls = {**ENDS_ON_CALL, "facts": [["Paris"]]}
    data = write_jsonl(tmp_path / "t.jsonl", [gemini, calls])
    call = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    asked_prompts(monkeypatch, ["A GPU is not needed.", call])
    cfg = EvalConfig(data=str(data), output=str(tmp_path / "o"), max_new_tokens=2, analyse=False)
    said, called = evaluate(str(tool_model), cfg).rows
    assert said["question"] == "What isn't needed to train?"
    assert said["facts"]["fact_accuracy"] == 1.0
    assert called["scores"]["exact_match"] == 1.0 and called["calls_only"]
    assert "facts" not in called
    assert facts_named_note([said, called]) == (
        f"1 test row replying only with tool calls ({data}:2): scored by the calls made (exact "
        "match and token F1 of the calls), not by facts (any named are not read), and read by "
        "the error analysis by their calls (wrong_calls), not by the text categories (too_long, "
        "misspelling, off_topic_answer...)"
    )
    # `tunelab data facts` read the call's function name off it as a fact.
    write_jsonl(data, [ENDS_ON_CALL])
    found = propose_file(data, tmp_path / "facts.jsonl")
    assert (found.proposed, found.left, found.calls) == (0, [], [f"{data}:1"])
    assert "facts" not in json.loads((tmp_path / "facts.jsonl").read_text())


def test_a_reply_that_only_calls_tools_is_analysed_by_its_calls(tmp_path, monkeypatch, tool_model):
    # The error analysis read the call's JSON as the reply's words: a call to another function
    # fell in no category (its JSON's "name" and "arguments" are the reference's words too), an
    # argument saying the set's refusal refused the question, and errors.md said the answers were
    # "judged by wording alone".
    refusal = "I only answer weather questions."
    off_topic = {"messages": [{"role": "user", "content": "Who won the cup?"},
                              {"role": "assistant", "content": refusal}], "kind": "off_topic"}  # fmt: skip
    data = write_jsonl(tmp_path / "t.jsonl", [ENDS_ON_CALL, off_topic])
    wrong = {"name": "get_time", "arguments": {"zone": "Berlin", "note": refusal}}
    asked_prompts(monkeypatch, [f"<tool_call>\n{json.dumps(wrong)}\n</tool_call>", refusal])
    out = tmp_path / "o"
    called, refused = evaluate(str(tool_model), EvalConfig(data=str(data), output=str(out))).rows
    assert called["refusal"]["refused"] is False and refused["refusal"]["refused"] is True
    assert called["errors"] == [
        {
            "category": "wrong_calls",
            "reason": f'calls get_time({{"note": "{refusal}", "zone": "Berlin"}}) where the '
            'reference calls get_weather({"city": "Paris"})',
        }
    ]
    report = (out / "errors.md").read_text()
    assert "## wrong_calls (1)" in report and "wording alone" not in report


def hermes(call: dict) -> str:
    return f"<tool_call>\n{json.dumps(call)}\n</tool_call>"


def test_a_call_with_one_wrong_argument_is_a_wrong_call_named_by_that_argument(
    tmp_path, monkeypatch, tool_model
):
    # The right function with a wrong city scored token F1 past 0.5 and fell in no category.
    data = write_jsonl(tmp_path / "t.jsonl", [ENDS_ON_CALL])
    asked_prompts(monkeypatch, [hermes({"name": "get_weather", "arguments": {"city": "Lyon"}})])
    cfg = EvalConfig(data=str(data), output=str(tmp_path / "o"))
    (row,) = evaluate(str(tool_model), cfg).rows
    assert row["scores"]["token_f1"] >= 0.5 and row["scores"]["exact_match"] == 0.0
    assert row["errors"] == [
        {
            "category": "wrong_calls",
            "reason": 'get_weather: argument city is "Lyon" where the reference has "Paris"',
        }
    ]


def test_a_calls_arguments_that_differ_are_each_named():
    from tunelab.evaluate.calls import call_differences

    def said(*calls: tuple[str, dict]) -> str:
        return "\n".join(hermes({"name": name, "arguments": args}) for name, args in calls)

    reference = said(("get_weather", {"city": "Paris", "days": 3}), ("get_time", {"zone": "CET"}))
    assert call_differences(said(("get_weather", {"city": "Paris", "days": "3"})), reference) == (
        'get_weather: argument days is "3" where the reference has 3; leaves out '
        'get_time({"zone": "CET"})'
    )
    made = said(("get_weather", {"city": "Paris", "unit": "C"}), ("get_time", {"zone": "CET"}))
    assert call_differences(made, reference) == (
        'get_weather: leaves out argument days (the reference has 3), argument unit is "C", '
        "which the reference leaves out"
    )
    again = said(("get_time", {"zone": "CET"}), ("get_time", {"zone": "CET"}))
    assert call_differences(again, said(("get_time", {"zone": "CET"}))) == (
        'calls get_time({"zone": "CET"}) besides the reference\'s calls'  # made twice, once asked
    )


def test_a_reply_with_text_and_calls_has_its_facts_read_in_its_text_and_its_calls_compared(
    tmp_path, monkeypatch, tool_model
):
    # The text's facts were read in the calls' JSON too, and a reply whose text stated its facts
    # was never weak: a wrong call beside the right text fell in no category.
    reply = {
        "role": "assistant",
        "content": "Let me check the weather in Paris.",
        "tool_calls": [CALL],
    }
    row = {**ROW, "messages": [{"role": "user", "content": "How warm is it in France's capital?"},
                               reply], "facts": [["Paris"]]}  # fmt: skip
    data = write_jsonl(tmp_path / "t.jsonl", [row, row])
    right_call, wrong_call = (
        hermes({"name": "get_weather", "arguments": {"city": city}}) for city in ("Paris", "Lyon")
    )
    asked_prompts(
        monkeypatch,
        [
            f"Let me check the weather in Lyon.\n{right_call}",
            f"Let me check it in Paris.\n{wrong_call}",
        ],
    )
    out = tmp_path / "o"
    wrong_text, wrong_args = evaluate(
        str(tool_model), EvalConfig(data=str(data), output=str(out))
    ).rows
    assert wrong_text["calls"] and wrong_text["scores"]["exact_match"] == 1.0
    assert wrong_text["missed_facts"] == ["Paris"]  # the call's "Paris" states no fact
    assert wrong_args["facts"]["fact_accuracy"] == 1.0
    assert {"category": "wrong_calls",
            "reason": 'get_weather: argument city is "Lyon" where the reference has "Paris"'
            } in wrong_args["errors"]  # fmt: skip
    assert "## wrong_calls (1)" in (out / "errors.md").read_text()
