"""The bodies of the server's requests: what /v1/chat/completions, /v1/completions and
/v1/responses read, validated as strictly as OpenAI does, and the parameters refused (a 400
naming the field) rather than answered without the output they ask for."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tunelab.serve.api_errors import ApiError
from tunelab.serve.formats import ResponseFormat, TextFormat
from tunelab.serve.logprobs import MAX_LOGPROBS
from tunelab.serve.tool_calls import history_calls


class Fields(NamedTuple):
    """What a request's body calls its messages, its reply's limit and its format: a refusal of
    one names it as the client sent it."""

    messages: str = "messages"
    limit: str = "max_tokens"
    format: str = "response_format"


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)  # "include_usage": "no" is a 400
    include_usage: bool = False


class RequestBody(BaseModel):
    # Fields of the OpenAI API that only label a request (user, metadata, ...) are ignored; those
    # whose answer tunelab cannot give (logprobs, echo, ...) or that would change the reply in a
    # way it does not (penalties, logit_bias, vLLM's top_k) are refused below when set.
    # Strict, as OpenAI's: "temperature": "0" or "n": true is a 400 naming the field, not a
    # number guessed from a string or a bool (an int is still a float: "temperature": 1); JSON
    # has no NaN or Infinity, and 1e400 is no temperature or penalty either.
    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False)
    ANSWERED: ClassVar[frozenset[str]] = frozenset()  # of those, what this endpoint does answer
    model: str
    max_tokens: int | None = Field(None, ge=1)
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, ge=0.0, le=1.0)  # 0 as OpenAI takes it: the likeliest token
    n: int = Field(1, ge=1, le=16)
    stop: str | list[str] | None = None
    seed: int | None = None
    # Not OpenAI's: vLLM's and llama.cpp's; without it, the checkpoint's own (generation_config).
    # At least 0.01: dividing a seen token's logit by much less overflows it, as a tiny temperature.
    repetition_penalty: float | None = Field(None, ge=0.01)
    stream: bool = False  # "stream": "yes" or 1 is a 400, not a stream the client did not expect
    stream_options: StreamOptions | None = None
    logprobs: bool | int | None = None
    top_logprobs: int | None = None
    echo: bool = False
    best_of: int | None = None
    suffix: str | None = None
    frequency_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    presence_penalty: float = Field(0.0, ge=-2.0, le=2.0)
    logit_bias: dict[str, float] | None = None
    top_k: int | None = None  # vLLM's and llama.cpp's; 0 or -1: every token, as without it
    min_p: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_is_not_given(cls, data: Any) -> Any:
        # OpenAI reads null as "use the default", and its clients send null for a parameter set
        # to None (temperature=None): refusing it would break code that works against OpenAI.
        # `logprobs: false` asks for none, as null does (a completion's logprobs is a count,
        # where false would read as 0: the chosen token's).
        return _given(data, {"logprobs"})

    def refuse_unsupported(self) -> None:
        """A 400 for asked-for output tunelab does not produce, rather than a quiet answer
        without it (an eval harness reading logprobs would score garbage)."""
        asked = {
            "logprobs": self.logprobs is not None and self.logprobs is not False,
            "top_logprobs": bool(self.top_logprobs),
            "echo": self.echo,
            "best_of": self.best_of not in (None, 1),
            "suffix": bool(self.suffix),
            # What a client sends as its default (0, {}) changes nothing: answered.
            "frequency_penalty": self.frequency_penalty != 0,
            "presence_penalty": self.presence_penalty != 0,
            "logit_bias": bool(self.logit_bias),
            "top_k": self.top_k not in (None, 0, -1),
            "min_p": bool(self.min_p),
        }
        for param, given in asked.items():
            if given and param not in self.ANSWERED:
                raise ApiError(
                    400,
                    f"{param} is not supported by tunelab serve",
                    "unsupported_parameter",  # OpenAI's code for a parameter a model does not take
                    param,
                )
        if self.stream_options is not None and not self.stream:  # as OpenAI answers it
            raise ApiError(
                400, "stream_options is only allowed with stream: true", param="stream_options"
            )


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None  # an assistant's that calls has none
    tool_calls: Any = None  # an assistant's: read as training reads them (serve.tool_calls)
    tool_call_id: str | None = None  # a tool result's: the call it answers
    name: str | None = None

    def plain(self, index: int) -> dict[str, Any]:
        """The message (the `index`th) as the chat template takes it: its text parts joined by
        lines, as vLLM joins them, an assistant's calls and the id of the call a tool's result
        answers. Any other part (an image, audio) is a 400, as OpenAI and vLLM answer it for a
        text-only model, rather than a reply to a message the model never saw."""
        content = self.content
        if content is None and self.role != "assistant":  # as OpenAI: not an empty question
            raise ApiError(
                400,
                f"a {self.role} message needs its content: a string, or text parts",
                param=f"messages.{index}.content",
            )
        if isinstance(content, list):
            content = _joined_text(content, f"messages.{index}.content", ("text",), ".type")
        role = "system" if self.role == "developer" else self.role
        plain: dict[str, Any] = {"role": role, "content": content or ""}
        if self.tool_calls:  # OpenAI's exports write null or [] on turns that call nothing
            if role != "assistant":
                raise ApiError(
                    400,
                    f"a {role} message has tool_calls: only an assistant calls tools",
                    param=f"messages.{index}.tool_calls",
                )
            plain["tool_calls"] = history_calls(self.tool_calls, index)
        for key in ("tool_call_id", "name") if role == "tool" else ():
            if getattr(self, key) is not None:
                plain[key] = getattr(self, key)
        return plain


class ChatBody(RequestBody):
    messages: list[Message] = Field(min_length=1)
    # OpenAI's chat logprobs: those of the reply's tokens (tunelab.serve.logprobs).
    ANSWERED: ClassVar[frozenset[str]] = frozenset({"logprobs", "top_logprobs"})
    FIELDS: ClassVar[Fields] = Fields()
    logprobs: bool | None = None
    top_logprobs: int | None = Field(None, ge=0, le=MAX_LOGPROBS)
    max_completion_tokens: int | None = Field(None, ge=1)
    response_format: ResponseFormat | None = None  # text, json_object or json_schema
    tools: list[Any] | None = None  # read, and refused by field, in serve.tool_calls
    tool_choice: str | dict[str, Any] | None = None
    functions: list[dict[str, Any]] | None = None  # the old names of tools and tool_choice
    function_call: str | dict[str, Any] | None = None

    def refuse_unsupported(self) -> None:
        super().refuse_unsupported()
        if self.top_logprobs is not None and not self.logprobs:  # as OpenAI and vLLM answer it
            raise ApiError(400, "top_logprobs needs logprobs: true", param="top_logprobs")
        # The old names are not read as calls: an agent offered them would take the text reply
        # for the model's final answer. The choice "none" asks for text: given.
        choice = self.function_call
        if (self.functions and choice != "none") or isinstance(choice, dict):
            raise ApiError(
                400,
                "functions and function_call, OpenAI's old names, are not supported by tunelab "
                'serve: send tools (and tool_choice) instead, or set function_call to "none"',
                param="functions",
            )


class CompletionBody(RequestBody):
    prompt: str | list[str] | list[int] | list[list[int]]  # text, or token ids
    # OpenAI's legacy scoring: max_tokens 0 with echo scores the prompt (tunelab.serve.logprobs).
    ANSWERED: ClassVar[frozenset[str]] = frozenset({"logprobs", "echo"})
    max_tokens: int | None = Field(None, ge=0)
    logprobs: int | None = Field(None, ge=0, le=MAX_LOGPROBS)
    # vLLM constrains completions to it too; tunelab constrains chat replies only.
    response_format: dict[str, Any] | None = None

    def refuse_unsupported(self) -> None:
        super().refuse_unsupported()
        if self.response_format and self.response_format.get("type") != "text":
            raise ApiError(
                400,
                "response_format is answered on /v1/chat/completions, not /v1/completions",
                param="response_format",
            )


class TextConfig(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    format: TextFormat | None = None
    verbosity: Any = None  # "medium", OpenAI's default, is what any model here gives


# What the Responses API asks that tunelab serve does not do, and what to do instead.
KEPT = "tunelab serve keeps no responses: send the conversation so far as input messages"
NOT_DONE = {
    "previous_response_id": KEPT,
    "conversation": KEPT,
    "store": "tunelab serve keeps no responses: leave store out or send false",
    "background": "a response is answered while the request waits, or streamed (stream: true)",
    "prompt": "tunelab serve keeps no prompts: send the text as instructions and input",
    "tools": "tools are answered on /v1/chat/completions",
    "tool_choice": "tools are answered on /v1/chat/completions",
    "reasoning": "the models of tunelab serve answer without a separate reasoning step",
    "include": "a response here holds its message and nothing more to include",
    "top_logprobs": "logprobs are answered on /v1/chat/completions",
    "truncation": "an input too long for the model is a 400: send less, or truncate it yourself",
    "text.verbosity": "a model here answers as it was trained, at no verbosity asked",
}
# Content parts that carry text: a user's input_text, and an earlier reply's output_text.
TEXT_PARTS = ("input_text", "output_text")


class ResponsesBody(BaseModel):
    """OpenAI's Responses API (`client.responses.create`): `instructions` and `input` read as a
    chat's messages, and answered as a chat request (`as_chat`); what it asks beyond that (stored
    conversations, tools, reasoning) is refused by field (`refuse_unsupported`)."""

    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False)
    FIELDS: ClassVar[Fields] = Fields("input", "max_output_tokens", "text.format")
    model: str
    input: str | list[Any]  # a list's items are read (and refused) one by one
    instructions: str | None = None
    max_output_tokens: int | None = Field(None, ge=1)
    temperature: float = Field(1.0, ge=0.0, le=2.0)
    top_p: float = Field(1.0, ge=0.0, le=1.0)
    seed: int | None = None  # chat's (extra_body here): the same sampled reply again
    stream: bool = False
    text: TextConfig | None = None
    store: bool = False  # OpenAI's default is true; nothing is kept here, as false asks
    background: bool = False
    previous_response_id: Any = None
    conversation: Any = None
    prompt: Any = None
    tools: Any = None
    tool_choice: Any = None
    reasoning: Any = None
    include: Any = None
    top_logprobs: Any = None
    truncation: Any = None

    @model_validator(mode="before")
    @classmethod
    def _null_is_not_given(cls, data: Any) -> Any:
        return _given(data)  # as a chat request's

    def refuse_unsupported(self) -> None:
        """A 400 naming the first field asked that tunelab serve does not do, and what to do."""
        asked = {
            "previous_response_id": self.previous_response_id,
            "conversation": self.conversation,
            "store": self.store,
            "background": self.background,
            "prompt": self.prompt,
            "tools": self.tools,
            "tool_choice": self.tool_choice not in (None, "auto", "none"),  # none to choose from
            "reasoning": self.reasoning,
            "include": self.include,
            "top_logprobs": self.top_logprobs,
            "truncation": self.truncation not in (None, "disabled"),
            "text.verbosity": self.text is not None and self.text.verbosity not in (None, "medium"),
        }
        for param, given in asked.items():
            if given:
                raise ApiError(
                    400,
                    f"{param} is not supported by tunelab serve: {NOT_DONE[param]}",
                    "unsupported_parameter",
                    param,
                )

    def as_chat(self) -> ChatBody:
        """The chat request this asks: `instructions` a system message before the input's."""
        said = [{"role": "system", "content": self.instructions}] if self.instructions else []
        if isinstance(self.input, str):
            said.append({"role": "user", "content": self.input})
        elif not self.input:
            raise ApiError(400, "input: an empty list holds no message", "empty_array", "input")
        else:
            said.extend(_input_message(item, i) for i, item in enumerate(self.input))
        text_format = self.text and self.text.format
        return ChatBody.model_validate(
            {
                "model": self.model,
                "messages": said,
                "max_completion_tokens": self.max_output_tokens,
                "temperature": self.temperature,
                "top_p": self.top_p,
                "seed": self.seed,
                "response_format": text_format and text_format.response_format(),
            }
        )


def _input_message(item: Any, index: int) -> dict[str, str]:
    """An input item as a chat message whose content is its text parts joined by lines, as a chat
    message's are: any item but a message (a tool call's output, a reasoning item), or any part
    but text (an image, a file), is a 400 naming it."""
    where = f"input.{index}"
    if not isinstance(item, dict):
        raise ApiError(
            400,
            f"{where}: an input item is a message, an object with role and content (or send "
            "input as one string)",
            "invalid_type",
            where,
        )
    kind = item.get("type", "message")
    if kind != "message":
        raise ApiError(
            400,
            f"input items of type {kind!r} are not supported by tunelab serve: send messages "
            "(role and content)",
            "unsupported_parameter",
            f"{where}.type",
        )
    role = item.get("role")
    if role not in ("user", "assistant", "system", "developer"):
        raise ApiError(
            400,
            f"{where}.role: one of user, assistant, system or developer (got {role!r})",
            "invalid_value",
            f"{where}.role",
        )
    content = item.get("content")
    if isinstance(content, str):
        return {"role": role, "content": content}
    if not isinstance(content, list):
        raise ApiError(
            400,
            f"{where}.content: a string, or a list of input_text parts",
            param=f"{where}.content",
        )
    text = _joined_text(
        content, f"{where}.content", TEXT_PARTS, "", ", parts of type input_text with their text"
    )
    return {"role": role, "content": text}


def _joined_text(
    parts: list, where: str, kinds: Collection[str], kind_field: str, advice: str = ""
) -> str:
    """The text of content `parts` (at `where`) joined by lines, as vLLM joins them, for a chat
    message and a Responses input item alike: a part of any type but `kinds` (an image, audio) is
    a 400 naming `where`.N`kind_field` (`advice` saying what to send instead), as is a text part
    without its text (as OpenAI: not an empty question)."""
    for position, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in kinds:
            raise ApiError(
                400,
                f"content parts of type {kind!r} are not supported: the models of tunelab serve "
                f"read text only{advice}",
                param=f"{where}.{position}{kind_field}",
            )
        if not isinstance(part.get("text"), str):
            raise ApiError(
                400,
                f"a content part of type {kind!r} needs its text, a string",
                param=f"{where}.{position}.text",
            )
    return "\n".join(part["text"] for part in parts)


def _given(data: Any, false_is_null: Collection[str] = ()) -> Any:
    """A body's fields less those sent as null (and as false, for `false_is_null`)."""
    if not isinstance(data, dict):
        return data
    return {
        name: value
        for name, value in data.items()
        if value is not None and not (name in false_is_null and value is False)
    }
