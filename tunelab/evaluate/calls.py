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
from collections.abc import Iterator
from typing import Any

from tunelab.data.templates import Example
from tunelab.data.tool_calls import call_in_json
from tunelab.evaluate.metrics import score_texts


def score_reply(answer: str, example: Example) -> dict[str, float]:
    """Every text metric of `answer` to the example's last reply: by its calls where that reply
    calls tools (what it says beside them is not scored), else as text."""
    expected = example.reply.get("tool_calls")
    if not expected:
        return score_texts(answer, example.answer)
    reference = [(c["function"]["name"], c["function"]["arguments"]) for c in expected]
    return score_texts(_one_form(calls_in(answer)), _one_form(reference))


def reply_text(example: Example) -> str:
    """The text of the example's last reply without the calls it makes: what its facts are
    stated in, "" where it only calls tools."""
    return example.reply.get("content", "")


def calls_alone(example: Example) -> bool:
    """Whether the example's last reply only calls tools: it states no facts, and is scored by
    the calls it makes (`score_reply`)."""
    return bool(example.reply.get("tool_calls")) and not reply_text(example).strip()


def calls_in(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The calls a reply's text makes, as (name, arguments): each JSON object in it with a name
    and its arguments (or "parameters"; an object, or JSON text of one, as OpenAI sends them),
    alone, wrapped as OpenAI's {"function": ...}, or in a list."""
    return [call for _, _, found in _call_spans(text) for call in found]


def text_beside_calls(text: str) -> str:
    """A reply's text without the calls it makes (`calls_in`): what it says beside them."""
    kept, at = [], 0
    for start, end, _ in _call_spans(text):
        kept.append(text[at:start])
        at = end
    return "".join([*kept, text[at:]])


def call_differences(answer: str, reference: str) -> str:
    """What the calls of `answer` get wrong of the reference's, for the error report: the calls
    it makes that the reference does not, and the reference's it leaves out (a call in one form,
    as `score_reply` compares them); "" where they are the same."""
    made, wanted = _shown(calls_in(answer)), _shown(calls_in(reference))
    if not made:
        return "makes no call; the reference calls " + "; ".join(wanted)
    other = [call for call in made if call not in wanted]
    left = [call for call in wanted if call not in made]
    if other and left:
        return f"calls {'; '.join(other)} where the reference calls {'; '.join(left)}"
    if other:
        return f"calls {'; '.join(other)} besides the reference's calls"
    return f"leaves out {'; '.join(left)}" if left else ""


def _call_spans(text: str) -> Iterator[tuple[int, int, list[tuple[str, dict[str, Any]]]]]:
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


def _shown(calls: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [
        f"{name}({json.dumps(_by_value(arguments), sort_keys=True)})" for name, arguments in calls
    ]


def _next_json(text: str, start: int) -> int:
    found = [i for i in (text.find("{", start), text.find("[", start)) if i >= 0]
    return min(found, default=-1)


def _one_form(calls: list[tuple[str, dict[str, Any]]]) -> str:
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
