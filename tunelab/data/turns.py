"""A chat row's turns (`messages`, ShareGPT's `conversations` or Gemini's `contents`) read as
templates take them: each turn's role and text, an assistant's tool calls (Gemini's functionCall
parts) and a tool's results (its functionResponse parts), a refusal naming the turn of a chat
that trains nothing or is no chat at all, and the turns through the last reply, which train."""

from __future__ import annotations

import json
import math
from typing import Any

from tunelab.data.files.file_text import DataError
from tunelab.data.shapes import chat_column, holds
from tunelab.data.tool_calls import read_tool_calls
from tunelab.meant import not_a_choice

# Gemini's system prompt beside its contents, and the parts of its turns that call a function
# and give its result, as its REST API and its Python SDK spell them.
INSTRUCTION_KEYS = ("systemInstruction", "system_instruction")
CALL_KEYS = ("functionCall", "function_call")
RESULT_KEYS = ("functionResponse", "function_response")
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "model": "assistant",  # Gemini's (and Gemma's template's) name for it
    "system": "system",
    # A tool's result: context for the reply after it, never trained (LLaMA-Factory's ShareGPT
    # calls it "observation").
    "tool": "tool",
    "observation": "tool",
    # OpenAI's former name for it, and Gemini's for a turn of functionResponse parts.
    "function": "tool",
    # An assistant's call of a tool, its value the call as JSON (LLaMA-Factory's ShareGPT).
    "function_call": "assistant",
}


def read_messages(row: dict[str, Any], source: str) -> list[dict[str, Any]]:
    """The turns of a chat row, each {"role", "content"} (and an assistant's "tool_calls"), with
    ShareGPT's and Gemini's roles and keys read as OpenAI's; a DataError naming the turn that is
    unusable."""
    key = chat_column(row) or "messages"
    raw = row.get(key)
    # Named by the row's own column: "messages[0]" of a ShareGPT row sent one to a column its
    # file does not have.
    named = key
    if isinstance(raw, str):  # a CSV cell holds its turns as JSON text
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise DataError(
                f"{source}: field {named!r} is text that is not JSON: a CSV cell must hold the "
                'turns as a JSON list ([{"role": "user", "content": ...}, ...])'
            ) from None
    if not isinstance(raw, list) or not raw:
        raise DataError(f"{source}: field {named!r} must be a non-empty list of turns")
    messages: list[dict[str, Any]] = []
    places: list[int] = []  # the turn of the row each message is read from
    for i, turn in enumerate(raw):
        if not isinstance(turn, dict):
            raise DataError(f"{source}: {named}[{i}] must be an object with role and content")
        given = turn.get("role", turn.get("from"))
        role = SHAREGPT_ROLES.get(given) if isinstance(given, str) else None  # ["user"]: unhashable
        if given is None:
            raise DataError(
                f"{source}: {named}[{i}] names no role: give each turn a 'role' (or ShareGPT's "
                f"'from'), one of {', '.join(sorted(SHAREGPT_ROLES))}"
            )
        if role is None:
            roles = tuple(sorted(SHAREGPT_ROLES))
            raise DataError(f"{source}: {not_a_choice(f'{named}[{i}] role', given, roles)}")
        where = f"{source}: {named}[{i}]"
        read = [
            _turn(t, SHAREGPT_ROLES[t["role"]], where) for t in _function_turns(turn, role, where)
        ]
        messages += read or [_turn(turn, role, where)]
        places += [i] * max(len(read), 1)
    # A reply opening the chat answers nothing: templates keep it as context, never train on it.
    replies = [m for m in messages[1:] if m["role"] == "assistant"]
    if not replies:
        opening = " after the first turn" if messages[0]["role"] == "assistant" else ""
        raise DataError(f"{source}: {named} has no assistant turn{opening} to train on")
    if not _says_something(replies[-1]):
        raise DataError(f"{source}: the last assistant turn is empty")
    if all(m.get("weight") == 0 for m in replies):
        raise DataError(
            f"{source}: every assistant turn has weight 0, so the row trains nothing; give the "
            "replies to learn weight 1, or drop the row"
        )
    # An empty reply mid-chat would teach the model to end its turn at once after that message;
    # an empty user turn asks nothing, as a Q&A row's empty question (refused by _field) does.
    # An assistant turn that only calls tools says something: OpenAI writes its content null.
    for i, turn in enumerate(messages):
        asks_or_replies = turn["role"] == "user" or (turn["role"] == "assistant" and i > 0)
        if asks_or_replies and not _says_something(turn):
            raise DataError(f"{source}: {named}[{places[i]}] is an empty {turn['role']} turn")
    return with_system_column(messages, _system(row, source), source)


def _system(row: dict[str, Any], source: str) -> Any:
    """The row's system prompt beside its turns: its `system` column, or Gemini's
    `systemInstruction` ({"parts": [{"text": ...}]})."""
    key = next((k for k in INSTRUCTION_KEYS if k in row), None)
    if key is None:
        return row.get("system")
    instruction = row[key]
    if isinstance(instruction, dict) and "parts" in instruction:
        return _parts_text(instruction["parts"], f"{source}: {key}")
    if isinstance(instruction, str) or instruction is None:
        return instruction
    raise DataError(f'{source}: {key} must be {{"parts": [{{"text": ...}}]}}')


def system_column_unread(row: dict[str, Any], source: str) -> bool:
    """Whether a chat row's `system` column says other than its Gemini systemInstruction, which
    the row is trained under instead (`system_unread_note` says so)."""
    return (
        any(k in row for k in INSTRUCTION_KEYS)
        and holds(row.get("system"))
        and row["system"] != _system(row, source)
    )


def system_unread_note(sources: list[str]) -> str:
    """What rows of both a systemInstruction and another `system` column are trained under, the
    first of them named."""
    return (
        f"{len(sources)} chat row(s) hold both Gemini's systemInstruction and a 'system' column "
        f"that says otherwise (first: {sources[0]}): they are trained under the "
        "systemInstruction, and the column is not read; keep one of them"
    )


def with_system_column(
    messages: list[dict[str, Any]], system: Any, source: str
) -> list[dict[str, Any]]:
    """The turns under the row's `system` column, where LLaMA-Factory's ShareGPT keeps a chat's
    system prompt and a question/answer or Alpaca row its own: it trained nothing, said as a
    column left unread. A system turn of the row's own that says otherwise is refused: which of
    the two to train under is the user's call."""
    if not holds(system):  # missing, null, blank, or pandas' NaN
        return messages
    if not isinstance(system, str):
        raise DataError(f"{source}: field 'system' must be text, got {type(system).__name__}")
    if messages[0]["role"] != "system":
        return [{"role": "system", "content": system}, *messages]
    if messages[0]["content"] != system:
        raise DataError(
            f"{source}: a 'system' column and a system turn that says otherwise; keep one of them"
        )
    return messages


def through_last_reply(
    messages: list[dict[str, Any]], trained: bool = False
) -> list[dict[str, Any]]:
    """The turns through the last assistant reply, with `trained` the last one trained (not of
    weight 0); all of them where there is none. The turns after it have no reply of theirs to
    train: templates leave them out."""
    ends = [
        i + 1
        for i, m in enumerate(messages)
        if m["role"] == "assistant" and not (trained and m.get("weight") == 0)
    ]
    return messages[: ends[-1]] if ends else messages


def _turn(turn: dict[str, Any], role: str, where: str) -> dict[str, Any]:
    """One turn as templates take it: its role and text, and an assistant's tool calls (a
    ShareGPT "function_call" turn is one, its value the call's JSON, as LLaMA-Factory writes)."""
    content = turn.get("content", turn.get("value"))
    if content is None and "parts" in turn:  # Gemini's turn: {"role", "parts": [{"text"}]}
        content = _parts_text(turn["parts"], where)
    # OpenAI exports write "tool_calls": null (or []) on turns that call nothing.
    calls = turn.get("tool_calls") or None
    if turn.get("role", turn.get("from")) == "function_call":
        calls, content = content, ""
    if calls is not None and role != "assistant":
        raise DataError(f"{where} is a {role} turn with tool_calls: only an assistant calls tools")
    if calls is not None and content is None:  # OpenAI's call turns have content null
        content = ""
    text = _text_content(content)
    if not {"content", "value", "parts"} & set(turn) and calls is None:  # "text": ...
        raise DataError(
            f"{where} has no 'content' (it holds {sorted(turn)}); a turn's text goes in "
            "'content' (ShareGPT's 'value')"
        )
    if text is None:
        raise DataError(
            f"{where}.content must be text or a list of text parts "
            '({"type": "text", "text": ...})'
        )
    read: dict[str, Any] = {"role": role, "content": text}
    if calls is not None:
        read["tool_calls"] = read_tool_calls(calls, f"{where}.tool_calls")
    # OpenAI's finetuning format: an assistant turn of weight 0 is context, not trained.
    if role == "assistant" and "weight" in turn:
        if turn["weight"] not in (0, 1) or isinstance(turn["weight"], bool):
            raise DataError(f"{where}.weight must be 0 (not trained) or 1, got {turn['weight']!r}")
        if turn["weight"] == 0:
            read["weight"] = 0
    # Templates that pair a tool's result with its call (Mistral's, Llama 3.1's) read these.
    for key in ("tool_call_id", "name") if role == "tool" else ():
        if isinstance(turn.get(key), str):
            read[key] = turn[key]
    return read


def _says_something(turn: dict[str, Any]) -> bool:
    return bool(turn["content"].strip() or turn.get("tool_calls"))


def _text_content(content: Any) -> str | None:
    """Plain text, or OpenAI-style parts [{"type": "text", "text": ...}] joined, or a number as
    its text (a reply of 4, as a qa row's answer 4 is read); None otherwise."""
    if isinstance(content, str):
        return content
    if isinstance(content, (int, float)) and not isinstance(content, bool):
        return str(content) if math.isfinite(content) else None
    if (
        isinstance(content, list)
        and content
        and all(
            isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
            for p in content
        )
    ):
        return "".join(p["text"] for p in content)
    return None


def parts_text(parts: Any) -> str | None:
    """The text of Gemini's parts ([{"text": ...}, ...]) joined; None where one is no text."""
    if isinstance(parts, list) and all(
        isinstance(part, dict) and isinstance(part.get("text"), str) for part in parts
    ):
        return "".join(part["text"] for part in parts)
    return None


def _parts_text(parts: Any, where: str) -> str:
    """`parts_text`, or a refusal of the part that is no text (an image's inlineData) by its
    place, as the model would be trained without it."""
    if not isinstance(parts, list) or not parts:
        raise DataError(f'{where}.parts must be a non-empty list of {{"text": ...}} parts')
    return "".join(_part_text(part, f"{where}.parts[{j}]") for j, part in enumerate(parts))


def _part_text(part: Any, where: str) -> str:
    if parts_text([part]) is None:
        kind = ", ".join(part) if isinstance(part, dict) else type(part).__name__
        raise DataError(f"{where} is no text ({kind}), which tunelab cannot train on")
    return part["text"]


def _function_turns(turn: dict[str, Any], role: str, where: str) -> list[dict[str, Any]]:
    """A Gemini turn that calls functions or gives their results, as OpenAI's turns (`_turn`
    reads them, as it reads an OpenAI row's): a model turn's functionCall parts its tool_calls
    beside its text; each functionResponse part of a user turn a tool turn, in the order of
    its parts, any text among them a user turn of its own. [] for a turn of neither."""
    parts = turn.get("parts")
    keys = (*CALL_KEYS, *RESULT_KEYS)
    if not isinstance(parts, list) or not any(_key(part, keys) for part in parts):
        return []
    texts, calls, turns = [], [], []
    for j, part in enumerate(parts):
        at = f"{where}.parts[{j}]"
        if key := _key(part, CALL_KEYS):
            if role != "assistant":
                raise DataError(
                    f"{at} is a {key} in a {role} turn: only the model calls a function; move "
                    "it into the model turn before the function's result"
                )
            calls.append(_gemini_call(part[key], f"{at}.{key}"))
        elif key := _key(part, RESULT_KEYS):
            if role == "assistant":
                raise DataError(
                    f"{at} is a {key} in a model turn: a function's result is given in a user "
                    "turn after the model's call; move it there"
                )
            turns.append(_gemini_result(part[key], f"{at}.{key}"))
        elif role == "assistant":
            texts.append(_part_text(part, at))
        elif (text := _part_text(part, at)).strip():
            turns.append({"role": role, "content": text})
    if role == "assistant":
        weight = {"weight": turn["weight"]} if "weight" in turn else {}
        return [{"role": role, "content": "".join(texts), "tool_calls": calls, **weight}]
    return turns


def _key(part: Any, keys: tuple[str, ...]) -> str | None:
    return next((k for k in keys if k in part), None) if isinstance(part, dict) else None


def _named(part: Any) -> bool:
    """Whether a functionCall or functionResponse is an object that names its function."""
    name = part.get("name") if isinstance(part, dict) else None
    return isinstance(name, str) and bool(name.strip())


def _gemini_call(call: Any, where: str) -> dict[str, Any]:
    """A functionCall ({"name", "args"}, args left out for none) as a call `read_tool_calls`
    reads, with its id where it has one."""
    if not _named(call) or not isinstance(call.get("args", {}), dict):
        raise DataError(
            f'{where} must be {{"name": ..., "args": {{...}}}}: the function called and the '
            "object of its arguments"
        )
    read = {"name": call["name"], "arguments": call.get("args", {})}
    return {**read, **({"id": call["id"]} if "id" in call else {})}


def _gemini_result(result: Any, where: str) -> dict[str, Any]:
    """A functionResponse ({"name", "response"}) as a tool turn: the response its content as
    JSON text (text as it is), the name and id of the call it answers beside it."""
    if not _named(result) or "response" not in result:
        raise DataError(
            f'{where} must be {{"name": ..., "response": {{...}}}}: the function called and '
            "what it returned"
        )
    response = result["response"]
    content = response if isinstance(response, str) else json.dumps(response, ensure_ascii=False)
    turn = {"role": "tool", "content": content, "name": result["name"]}
    return {**turn, **({"tool_call_id": result["id"]} if "id" in result else {})}
