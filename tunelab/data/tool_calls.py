"""Tool-calling chats: a row's `tools` (the functions offered to the model) and an assistant
turn's `tool_calls`, read into the form chat templates take (OpenAI's, as transformers and TRL
pass them: arguments an object), and the check that a model's chat template writes them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tunelab.data.files.file_text import DataError
from tunelab.data.prompts.per_template import per_template
from tunelab.errors import TunelabError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

FUNCTION_SHAPE = '{"type": "function", "function": {"name": ..., "arguments": {...}}}'
TOOL_SHAPE = '{"type": "function", "function": {"name": ..., "parameters": {...}}}'
# Gemini's list of the functions a tool offers, as its REST API and its Python SDK spell it.
DECLARATIONS = ("functionDeclarations", "function_declarations")
GEMINI_FUNCTION = {"name", "description", "parameters"}  # a declaration's keys OpenAI's share


def read_tools(row: dict[str, Any], source: str) -> list[dict[str, Any]] | None:
    """The row's `tools` as a list of {"type": "function", "function": {...}}, or None for a row
    that offers none (LLaMA-Factory writes "" there). A JSON string is read as its list (as
    LLaMA-Factory and a CSV cell hold it), and a bare function ({"name": ..., "parameters": ...})
    is wrapped as OpenAI's are; Gemini's ([{"functionDeclarations": [...]}]) are the functions
    they declare."""
    raw = _json_text(row.get("tools"), f"{source}: field 'tools'")
    if raw is None or raw == []:
        return None
    if not isinstance(raw, list):
        raise DataError(f"{source}: field 'tools' must be a list of functions ({TOOL_SHAPE})")
    if any(isinstance(tool, dict) and tool.keys() & set(DECLARATIONS) for tool in raw):
        return _gemini_tools(raw, f"{source}: tools") or None
    return read_tool_list(raw, f"{source}: tools")


def _gemini_tools(raw: list[Any], where: str) -> list[dict[str, Any]]:
    """The functions Gemini's tools declare, each read as OpenAI's (its name, description and
    parameters are theirs); a tool or a declaration that holds more (Google Search, a
    function's response schema) is refused: trained without it, the model would learn another
    offer than the one it is given."""
    tools = []
    for i, tool in enumerate(raw):
        key = next((k for k in DECLARATIONS if k in tool), "") if isinstance(tool, dict) else ""
        others = sorted(set(tool) - {key}) if isinstance(tool, dict) else []
        if others or not key:
            held = f"holds {others}" if others else f"is {tool!r}"
            raise DataError(
                f"{where}[{i}] {held}: of Gemini's tools only functionDeclarations (a "
                f'list of {{"name", "description", "parameters"}}) is read; leave the others '
                f"out, or write the functions as OpenAI's tools ({TOOL_SHAPE})"
            )
        if not isinstance(tool[key], list):
            raise DataError(f"{where}[{i}].{key} must be a list of functions")
        for j, function in enumerate(tool[key]):
            extra = sorted(set(function) - GEMINI_FUNCTION) if isinstance(function, dict) else []
            if extra:
                raise DataError(
                    f"{where}[{i}].{key}[{j}] holds {extra}, which OpenAI's tools have no place "
                    f'for: give each function {{"name", "description", "parameters"}} alone'
                )
        tools += read_tool_list(tool[key], f"{where}[{i}].{key}")
    return tools


def read_tool_list(raw: list[Any], where: str) -> list[dict[str, Any]]:
    """Each function of a `tools` list as OpenAI's, a bare one wrapped; `where` names the list
    ("file:3: tools", or a request's "tools")."""
    tools = []
    for i, tool in enumerate(raw):
        function = tool.get("function", tool) if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not _is_name(function.get("name")):
            raise DataError(f"{where}[{i}] must be a function with a name ({TOOL_SHAPE})")
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            field = f"{where}[{i}]{'.function' if function is not tool else ''}.parameters"
            raise DataError(
                f"{field} must be an object (the JSON schema of the function's arguments), "
                f"got {type(parameters).__name__}"
            )
        tools.append(tool if "function" in tool else {"type": "function", "function": tool})
    return tools


def read_tool_calls(raw: Any, where: str) -> list[dict[str, Any]]:
    """An assistant turn's calls as [{"type": "function", "function": {"name", "arguments"}}],
    the arguments an object whether given as one or as JSON text (as OpenAI sends them): the
    form chat templates write (Qwen2.5's and Llama 3.1's `arguments | tojson`). `where` names the
    field ("file:3: messages[1].tool_calls")."""
    raw = _json_text(raw, where)
    if isinstance(raw, dict):  # one call, as LLaMA-Factory's function_call turn holds it
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{where} must be a non-empty list of calls ({FUNCTION_SHAPE})")
    return [_call(call, f"{where}[{i}]") for i, call in enumerate(raw)]


def _call(call: Any, where: str) -> dict[str, Any]:
    function = call.get("function", call) if isinstance(call, dict) else None
    if not isinstance(function, dict) or not _is_name(function.get("name")):
        raise DataError(f"{where} must be a call with function.name ({FUNCTION_SHAPE})")
    if call.get("type", "function") != "function":
        raise DataError(f"{where}.type is {call['type']!r}: only function calls are trained")
    arguments = _json_text(function.get("arguments", {}), f"{where}.function.arguments")
    if not isinstance(arguments, dict):
        raise DataError(
            f"{where}.function.arguments must be an object of the arguments (or its JSON text), "
            f"got {type(arguments).__name__}"
        )
    read = {"type": "function", "function": {"name": function["name"], "arguments": arguments}}
    if isinstance(call.get("id"), str):  # templates that pair a result with its call read it
        read["id"] = call["id"]
    return read


def _json_text(value: Any, where: str) -> Any:
    """`value`, or what its text holds when it is JSON text; "" (an empty cell) is None."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        raise DataError(f"{where} is text that is not JSON ({err.msg} at {err.pos})") from None


def _is_name(name: Any) -> bool:
    return isinstance(name, str) and bool(name.strip())


def call_in_json(value: Any) -> tuple[str, dict[str, Any]] | None:
    """A JSON value a model generated, read as one call (name, arguments), or None: the call
    alone or wrapped as OpenAI's {"function": ...}, its arguments (or Llama 3.1's "parameters")
    an object or JSON text of one, as OpenAI sends them. Serve answers with it and eval scores
    by it, so both read a reply's calls alike."""
    if not isinstance(value, dict):
        return None
    function = value["function"] if isinstance(value.get("function"), dict) else value
    name = function.get("name")
    arguments = function.get("arguments", function.get("parameters"))
    if isinstance(arguments, str):  # some models write the arguments as JSON text, as OpenAI does
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return None
    if not _is_name(name) or not isinstance(arguments, dict):
        return None
    return name, arguments


def said(turn: dict[str, Any]) -> str:
    """What a turn says, as text: its content, then an assistant's calls one JSON object a line
    ({"name": ..., "arguments": {...}}, as Hermes' and Llama 3.1's templates write a call).
    Where a reply is read as text (eval's reference, data check, split's repeats), a call is
    what it says, not an empty answer."""
    calls = [
        json.dumps({"name": c["function"]["name"], "arguments": c["function"]["arguments"]})
        for c in turn.get("tool_calls") or ()
    ]
    return "\n".join(text for text in (turn["content"], *calls) if text)


def has_tool_calls(messages: list[dict[str, Any]]) -> bool:
    return any(m.get("tool_calls") for m in messages)


def require_tool_calls(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    tokenizer: PreTrainedTokenizerBase,
) -> None:
    """Refuse calls or tools a chat template would leave out: a call trained as an empty reply,
    or calls learned without the functions they choose from."""
    if has_tool_calls(messages) and not _renders_tool_calls(tokenizer):
        raise TunelabError(
            "this chat has an assistant turn with tool_calls, but the model's chat template does "
            "not write them (SmolLM2's writes each turn's content alone): use a model whose "
            "template does (Qwen2.5, Llama 3.1, Hermes), or write each call as the assistant's "
            "text content, as the model should say it"
        )
    if tools and not renders_tools(tokenizer):
        raise TunelabError(
            "this row offers tools, but the model's chat template does not write a tools list: "
            "use a model whose template does (Qwen2.5, Llama 3.1, Hermes), or describe the "
            "functions in a system turn and leave the row's tools out"
        )


PROBE_NAME = "tunelab_probe_function"
PROBE_ARGUMENT = "tunelab_probe_argument"


@per_template
def _renders_tool_calls(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether the chat template writes an assistant's call, its name and its arguments."""
    call = {"type": "function", "function": {"name": PROBE_NAME, "arguments": {PROBE_ARGUMENT: 1}}}
    turns = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
    ]
    text = rendered(tokenizer, turns)
    return PROBE_NAME in text and PROBE_ARGUMENT in text


@per_template
def renders_tools(tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether the chat template writes the functions offered (`apply_chat_template(tools=)`)."""
    parameters = {"type": "object", "properties": {PROBE_ARGUMENT: {"type": "string"}}}
    tool = {"type": "function", "function": {"name": PROBE_NAME, "parameters": parameters}}
    return PROBE_NAME in rendered(tokenizer, [{"role": "user", "content": "q"}], [tool])


def rendered(tokenizer, turns, tools=None) -> str:
    try:
        return tokenizer.apply_chat_template(
            turns, tools=tools, tokenize=False, add_generation_prompt=True
        )
    except Exception:  # a template's raise_exception, or one that reads fields a turn lacks
        return ""
