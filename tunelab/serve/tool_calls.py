"""Tool calls on /v1/chat/completions, the request's side: the functions it offers and the calls
of its history, read as training reads a row's (tunelab.data.tool_calls), and what the reply is
read for (tunelab.serve.call_format), or a 400 naming the field."""

from __future__ import annotations

import json
import re
from functools import partial
from typing import TYPE_CHECKING, Any

from tunelab.data.files.file_text import DataError
from tunelab.data.tool_calls import read_tool_calls, read_tool_list, renders_tools
from tunelab.serve.api_errors import ApiError
from tunelab.serve.call_format import CallFormat, as_decoded, call_format

if TYPE_CHECKING:
    from tunelab.serve.bodies import ChatBody
    from tunelab.serve.engine import Engine

_INDEX = re.compile(r"\[(\d+)\]")


def offered(
    engine: Engine, body: ChatBody
) -> tuple[list[dict[str, Any]] | None, CallFormat | None]:
    """The tools to write into the prompt, and the format to read the reply's calls in (None:
    the reply is text), with the opening a `tool_choice` of "required" or a named function
    makes the reply start with. Bad tools or choices, or a model whose template cannot write
    them or whose calls cannot be read back, are 400s naming the field."""
    choice = body.tool_choice if body.tool_choice is not None else "auto"
    named = _named(choice)
    if not body.tools:
        if choice == "required" or named is not None:
            raise ApiError(400, "tool_choice needs tools to choose from", param="tool_choice")
        return None, None
    try:
        tools = read_tool_list(body.tools, "tools")
    except DataError as err:
        raise _field_error(str(err)) from None
    names = [tool["function"]["name"] for tool in tools]
    if named is not None and named not in names:
        raise ApiError(
            400,
            f"tool_choice names the function {named!r}, which tools does not offer (it offers "
            f"{', '.join(names)})",
            param="tool_choice",
        )
    if engine.prompt.template != "chat" or not renders_tools(engine.tokenizer):
        if choice == "none":  # text was asked for: the tools the model cannot see change nothing
            return None, None
        raise ApiError(
            400,
            f"model {engine.name!r} cannot be offered tools: its prompt template does not write a "
            "tools list (SmolLM2's chat template, the qa and alpaca templates), as training "
            'refuses them; leave tools out, or set tool_choice to "none" for a text reply',
            param="tools",
        )
    if choice == "none":
        return tools, None
    found = call_format(engine.tokenizer)
    if found is None:
        raise ApiError(
            400,
            f"model {engine.name!r}'s chat template writes a call in a form tunelab cannot read "
            "back from a reply (no JSON object with its name and arguments): set tool_choice to "
            '"none" for a text reply',
            param="tools",
        )
    calls = found.offering(tools)
    if choice == "auto":
        return tools, calls
    return tools, calls.forcing(named, partial(as_decoded, engine.tokenizer))


def _named(choice: Any) -> str | None:
    """The function a `tool_choice` names, None for "auto", "none" or "required", or a 400."""
    if choice in ("auto", "none", "required"):
        return None
    if isinstance(choice, dict) and choice.get("type") == "function":
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if isinstance(name, str) and name:
            return name
    raise ApiError(
        400,
        'tool_choice must be "auto", "none", "required" or {"type": "function", "function": '
        f'{{"name": ...}}}}, got {json.dumps(choice)[:80]}',
        param="tool_choice",
    )


def history_calls(raw: Any, index: int) -> list[dict[str, Any]]:
    """An assistant turn's `tool_calls` as chat templates take them (arguments an object)."""
    try:
        return read_tool_calls(raw, f"messages.{index}.tool_calls")
    except DataError as err:
        raise _field_error(str(err)) from None


def _field_error(message: str) -> ApiError:
    """A 400 for a reader's message, which opens with the field ("tools[1] must be ..."), named
    as the API names fields: "tools.1"."""
    field, _, why = message.partition(" ")
    param = _INDEX.sub(r".\1", field)
    return ApiError(400, f"{param} {why}", param=param)
