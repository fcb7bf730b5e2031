"""A test reply that calls tools, scored by its calls: the reply's text is the calls in whatever
form the model's template writes them (Hermes' `<tool_call>` tags, Llama 3.1's bare JSON with
"parameters", Mistral's list), so its calls are read out of it and both sides are compared in
one form, `{"name": ..., "arguments": {...}}` a line, the arguments' keys sorted, their numbers
by value (1.0 is 1; "1", a string, stays text), and the lines sorted: the calls of one reply are
parallel (OpenAI's parallel calls, BFCL's parallel category), so the same calls in any order are
an exact match, the right function with a wrong argument part of one. Calls made in turn, one
reply after another's result, are each their own reply's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tunelab.data.example import Example
from tunelab.data.tool_calls import call_in_json
from tunelab.evaluate.metrics import score_texts

Call = tuple[str, dict[str, Any]]  # a function's name and its arguments


def score_reply(answer: str, example: Example) -> dict[str, float]:
    """Every text metric of `answer` to the example's last reply: by its calls where that reply
    calls tools (`calls_tools`; what it says beside them is read by its facts), else as text."""
    if not calls_tools(example):
        return score_texts(answer, example.answer)
    reference = [
        (c["function"]["name"], c["function"]["arguments"]) for c in example.reply["tool_calls"]
    ]
    return score_texts(_one_form(calls_in(answer)), _one_form(reference))


def calls_tools(example: Example) -> bool:
    """Whether the example's last reply calls tools: an answer to it is scored by its calls
    (`score_reply`), and read for facts, a refusal and the text categories by what it says
    beside them (`said_beside_calls`)."""
    return bool(example.reply.get("tool_calls"))


def reply_text(example: Example) -> str:
    """The text of the example's last reply without the calls it makes: what its facts are
    stated in, "" where it only calls tools."""
    return example.reply.get("content", "")


def calls_alone(example: Example) -> bool:
    """Whether the example's last reply only calls tools: it states no facts, and is scored by
    the calls it makes (`score_reply`)."""
    return calls_tools(example) and not reply_text(example).strip()


def scored_by_calls(row: dict[str, Any]) -> bool:
    """Whether an eval row's reply calls tools (`calls_tools`): "calls" in the row, which
    `scores.TestChecks` writes."""
    return bool(row.get("calls"))


def said_beside_calls(text: str, calls: bool) -> str:
    """What an answer (or a reference) says as text: what it says beside its calls where its
    reply calls tools (`calls`: `calls_tools`, in an eval row `scored_by_calls`), all of it
    otherwise. The one reading of a reply's text: its facts, its refusal and the text categories
    are read in it, its calls scored (`score_reply`) and compared (`call_differences`)."""
    return text_beside_calls(text) if calls else text


def calls_in(text: str) -> list[Call]:
    """The calls a reply's text makes, as (name, arguments): each JSON object in it with a name
    and its arguments (or "parameters"; an object, or JSON text of one, as OpenAI sends them),
    alone, wrapped as OpenAI's {"function": ...}, or in a list."""
    return [call for _, _, found in _call_spans(text) for call in found]


def text_beside_calls(text: str) -> str:
    """A reply's text without the calls it makes (`calls_in`) and the tags around each (Hermes'
    `<tool_call>`): what it says beside them."""
    kept, at = [], 0
    for start, end, _ in _call_spans(text):
        opens, closes = _OPENS.search(text, at, start), _CLOSES.match(text, end)
        if opens and closes and opens[1] == closes[1]:
            start, end = opens.start(), closes.end()
        kept.append(text[at:start])
        at = end
    return "".join([*kept, text[at:]])


_OPENS, _CLOSES = re.compile(r"<([\w-]+)>\s*$"), re.compile(r"\s*</([\w-]+)>")


def call_differences(answer: str, reference: str) -> str:
    """What the calls of `answer` get wrong of the reference's, for the error report: a call of
    the reference's function by the arguments that differ ('get_weather: argument city is
    "Lyon" where the reference has "Paris"'), the other calls it makes that the reference does
    not, and the reference's it leaves out (a call in one form, each as often as it is made, as
    `score_reply` compares them); "" where they are the same."""
    made, wanted = calls_in(answer), calls_in(reference)
    if not made:
        return "makes no call; the reference calls " + "; ".join(_shown(wanted))
    other, left = _besides(made, wanted), _besides(wanted, made)
    notes = []
    for call in list(other):  # the reference's function with other arguments
        twin = next((w for w in left if w[0] == call[0]), None)
        if twin is not None:
            other.remove(call)
            left.remove(twin)
            notes.append(f"{call[0]}: {_argument_differences(call[1], twin[1])}")
    if other and left:
        notes.append(
            f"calls {'; '.join(_shown(other))} where the reference calls {'; '.join(_shown(left))}"
        )
    elif other:
        notes.append(f"calls {'; '.join(_shown(other))} besides the reference's calls")
    elif left:
        notes.append(f"leaves out {'; '.join(_shown(left))}")
    return "; ".join(notes)


def _besides(calls: list[Call], others: list[Call]) -> list[Call]:
    """The calls of `calls` not in `others`, each counted as often as it is made."""
    rest, kept = _shown(others), []
    for call, shown in zip(calls, _shown(calls)):
        if shown in rest:
            rest.remove(shown)
        else:
            kept.append(call)
    return kept


def _argument_differences(made: dict[str, Any], wanted: dict[str, Any]) -> str:
    """The arguments of one call that are not the reference's: 'argument city is "Lyon" where
    the reference has "Paris"', one it adds, one it leaves out."""

    def value(arguments: dict[str, Any], key: str) -> str:
        return json.dumps(_by_value(arguments[key]), sort_keys=True, ensure_ascii=False)

    notes = []
    for key in sorted(made.keys() | wanted.keys()):
        if key not in wanted:
            notes.append(f"argument {key} is {value(made, key)}, which the reference leaves out")
        elif key not in made:
            notes.append(f"leaves out argument {key} (the reference has {value(wanted, key)})")
        elif value(made, key) != value(wanted, key):
            notes.append(
                f"argument {key} is {value(made, key)} where the reference has {value(wanted, key)}"
            )
    return ", ".join(notes)


def _call_spans(text: str) -> Iterator[tuple[int, int, list[Call]]]:
    """Where each JSON value of calls is in `text`, with its calls."""
    decoder, at = json.JSONDecoder(), 0
    while (at := _next_json(text, at)) >= 0:
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            at += 1
            continue
        found = [call_in_json(v) for v in (value if isinstance(value, list) else [value])]
        if found and all(found):
            yield at, end, found
            at = end
        else:  # not calls: an object inside may still be one
            at += 1


def _shown(calls: list[Call]) -> list[str]:
    return [
        f"{name}({json.dumps(_by_value(arguments), sort_keys=True)})" for name, arguments in calls
    ]


def _next_json(text: str, start: int) -> int:
    found = [i for i in (text.find("{", start), text.find("[", start)) if i >= 0]
    return min(found, default=-1)


def _one_form(calls: list[Call]) -> str:
    return "\n".join(
        sorted(
            json.dumps({"name": name, "arguments": _by_value(arguments)}, sort_keys=True)
            for name, arguments in calls
        )
    )


def _by_value(value: Any) -> Any:
    """`value` with each whole float an int: JSON's 1.0 and 1 are one number, and a model that
    writes {"days": 3.0} made the reference's call {"days": 3}."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _by_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_by_value(item) for item in value]
    return value
