"""Reading tool calls out of a reply: the format is the model's own, learned from its chat
template by rendering a known call (Hermes' and Qwen2.5's `<tool_call>{json}</tool_call>`,
Llama 3.1's bare JSON), and the calls found are answered as OpenAI's `tool_calls`."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from tunelab.data.prompts.chat_template import turn_end
from tunelab.data.prompts.per_template import per_template
from tunelab.data.tool_calls import PROBE_ARGUMENT, PROBE_NAME, call_in_json, rendered
from tunelab.serve.call_schema import misfit

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

log = logging.getLogger(__name__)
_BETWEEN_CALLS = " \t\r\n,;"


@dataclass(frozen=True)
class CallFormat:
    """How a chat template writes a call: its JSON between `opens` and `closes` (Hermes' and
    Qwen2.5's "<tool_call>" and "</tool_call>"; Llama 3.1's bare JSON: both empty), and a whole
    call as it `writes` one, from the reply's start to its closing (the name PROBE_NAME, the
    arguments' object at `arguments`: a slice). For a request: the functions it offers, by
    name, each with its `parameters` schema (None: any call is read), and the `opening` the
    reply is made to start with (tool_choice), as the template writes it (prefilled after the
    prompt) and as the reply decodes it (`opened`)."""

    opens: str
    closes: str
    writes: str = field(default="", compare=False)
    arguments: tuple[int, int] = field(default=(0, 0), compare=False)
    offered: Mapping[str, dict[str, Any]] | None = None
    opening: str = ""
    opened: str = ""

    def offering(self, tools: list[dict[str, Any]]) -> CallFormat:
        """This format, reading only calls to `tools` (OpenAI's) that fit their parameters."""
        offered = {}
        for tool in tools:
            parameters = tool["function"].get("parameters")
            offered[tool["function"]["name"]] = parameters if isinstance(parameters, dict) else {}
        return replace(self, offered=offered)

    def forcing(self, name: str | None, decoded: Callable[[str], str]) -> CallFormat:
        """This format for a reply made to call: the function `name` (the call up to its
        arguments prefilled, and no other function read), or with None any offered one (the
        call up to its name prefilled). The opening ends before the value that follows and the
        space before it, so the reply's first token is one the model writes there itself (a
        BPE's ' "' or ' {'). `decoded` is the opening as the engine decodes a reply."""
        if name is None:
            # Up to the name (its JSON string's quote), or the arguments, whichever comes first.
            at = self.writes.find(PROBE_NAME, 0, self.arguments[0])
            at = self.arguments[0] if at < 0 else at - self.writes[:at].endswith('"')
            opening = self.writes[:at].rstrip()
            return replace(self, opening=opening, opened=decoded(opening))
        opening = self.around_arguments(name)[0].rstrip()
        offered = {name: (self.offered or {}).get(name, {})}
        return replace(self, offered=offered, opening=opening, opened=decoded(opening))

    def around_arguments(self, name: str) -> tuple[str, str]:
        """A call to `name` as the template writes one: the text before its arguments' object
        and after it, its closing included."""
        start, end = self.arguments
        escaped = json.dumps(name)[1:-1]  # the name is written inside a JSON string
        before, after = self.writes[:start], self.writes[end:]
        return before.replace(PROBE_NAME, escaped), after.replace(PROBE_NAME, escaped)

    def read(self, text: str) -> tuple[str | None, list[dict[str, Any]]]:
        """The text said beside the calls (None when nothing is) and the calls, as OpenAI's.
        Text with a part that is meant as a call but reads as none is all content, no call, as
        is a reply with a call the client cannot make (a warning in the server's log says why):
        an agent runs each call it is given."""
        said, calls = self._split(text)
        if calls and (why := self._not_offered(calls)):
            log.warning("a reply's calls are answered as its text: %s", why)
            return text, []
        return said, calls

    def _not_offered(self, calls: list[dict[str, Any]]) -> str | None:
        if self.offered is None:
            return None
        for call in calls:
            name = call["function"]["name"]
            if name not in self.offered:
                offered = ", ".join(sorted(self.offered))
                return f"it calls {name!r}, which the request does not offer (it offers {offered})"
            given = json.loads(call["function"]["arguments"])
            if wrong := misfit(given, self.offered[name]):
                return f"its call to {name!r} does not fit the function's parameters: {wrong}"
        return None

    def _split(self, text: str) -> tuple[str | None, list[dict[str, Any]]]:
        if not self.opens:  # bare JSON: the whole reply is calls, or it is text
            calls, end = _calls_at(text)
            rest = text[end:].strip()
            return (None, calls) if calls and rest in ("", self.closes) else (text, [])
        said, *parts = text.split(self.opens)
        calls = []
        for part in parts:
            found, end = _calls_at(part)
            rest = part[end:].lstrip()
            # A reply cut short (a stop string, max_tokens) may end before the closing tag.
            if not found or (rest and not rest.startswith(self.closes)):
                return text, []
            calls += found
            said += rest[len(self.closes) :]
        return said.strip() or None, calls


def answer(
    text: str, finish: str | None, calls: CallFormat | None, cut_by: str | None = None
) -> tuple[dict, str | None]:
    """A reply's message and finish reason: its calls, if it makes any, with "tool_calls". A
    reply made to open a call is read, and said if it makes none, from its prefilled opening;
    one `cut_by` max_tokens or a stop string before its call was whole makes no call, and its
    content says so first: a client that forced a call would otherwise find no call, and text
    that reads as the start of one."""
    text = calls.opened + text if calls else text
    content, found = calls.read(text) if calls else (text, [])
    if not found:
        if calls is not None and calls.opening and cut_by:
            fix = "raise max_tokens" if cut_by == "max_tokens" else "leave stop out"
            said = f"tool call cut short by {cut_by} before it was whole, so none is made: {fix}"
            text = f"[{said}] {text}"
        return {"role": "assistant", "content": text}, finish
    return {"role": "assistant", "content": content, "tool_calls": found}, "tool_calls"


@per_template  # once per template, not once per request
def call_format(tokenizer: PreTrainedTokenizerBase) -> CallFormat | None:
    """The chat template's call format: a probe call rendered as an assistant turn, the text
    around its JSON (as the engine decodes it: no special tokens), or None where no JSON object
    there reads as the call."""
    call = {"type": "function", "function": {"name": PROBE_NAME, "arguments": {PROBE_ARGUMENT: 1}}}
    asked = [{"role": "user", "content": "q"}]
    prompt = rendered(tokenizer, asked)
    text = rendered(tokenizer, [*asked, {"role": "assistant", "content": "", "tool_calls": [call]}])
    if not prompt or not text.startswith(prompt):
        return None
    reply = text[len(prompt) :]
    span = _probe_span(reply)
    if span is None:
        return None
    after = reply[span[1] :]
    for end in (turn_end(tokenizer), tokenizer.eos_token):
        if end and end in after:
            after = after[: after.index(end)]
            break
    opens, closes = (as_decoded(tokenizer, t) for t in (reply[: span[0]], after))
    # The call as the template writes it, its closing as the engine decodes a reply's.
    writes = reply[: span[1]] + after[: len(after) - len(after.lstrip())] + closes
    # The probe's arguments object opens at the last "{" before its one argument.
    start = reply.rindex("{", span[0], reply.index(PROBE_ARGUMENT, span[0]))
    end = json.JSONDecoder().raw_decode(reply, start)[1]
    return CallFormat(opens, closes, writes, (start, end))


def _probe_span(reply: str) -> tuple[int, int] | None:
    """Where the outermost JSON object that reads as the probe call is in `reply`."""
    named = reply.find(PROBE_NAME)
    decoder = json.JSONDecoder()
    for start in [i for i, c in enumerate(reply[:named]) if c == "{"]:  # outermost first
        try:
            value, end = decoder.raw_decode(reply, start)
        except json.JSONDecodeError:
            continue
        call = _call(value)
        if call and json.loads(call["function"]["arguments"]) == {PROBE_ARGUMENT: 1}:
            return start, end
    return None


def as_decoded(tokenizer: PreTrainedTokenizerBase, text: str) -> str:
    ids = tokenizer(text, add_special_tokens=False).input_ids
    return tokenizer.decode(ids, skip_special_tokens=True).strip()


def _calls_at(text: str) -> tuple[list[dict[str, Any]], int]:
    """The calls `text` opens with, JSON objects (or lists of them) one after another, each a
    call ({"name": ..., "arguments" or "parameters": {...}}), and where they end."""
    decoder, calls, end = json.JSONDecoder(), [], 0
    at = len(text) - len(text.lstrip(_BETWEEN_CALLS))
    while at < len(text):
        try:
            value, after = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            break
        found = [_call(item) for item in (value if isinstance(value, list) else [value])]
        if not found or None in found:
            break
        calls += found
        end = at = after
        while at < len(text) and text[at] in _BETWEEN_CALLS:
            at += 1
    return calls, end


def _call(value: Any) -> dict[str, Any] | None:
    """One call as OpenAI answers it (arguments as JSON text), or None."""
    call = call_in_json(value)
    if call is None:
        return None
    name, arguments = call
    return {
        "id": f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
