"""The bodies of the server's requests: what /v1/chat/completions and /v1/completions read,
validated as strictly as OpenAI does, and the parameters refused (a 400 naming the field) rather
than answered without the output they ask for."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tunelab.serve.api_errors import ApiError
from tunelab.serve.formats import ResponseFormat
from tunelab.serve.logprobs import MAX_LOGPROBS


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
        # where false would read as 0: the chosen token's, and no stream).
        if isinstance(data, dict):
            return {
                name: value
                for name, value in data.items()
                if value is not None and not (name == "logprobs" and value is False)
            }
        return data

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


class ChatBody(RequestBody):
    messages: list[Message] = Field(min_length=1)
    # OpenAI's chat logprobs: those of the reply's tokens (tunelab.serve.logprobs).
    ANSWERED: ClassVar[frozenset[str]] = frozenset({"logprobs", "top_logprobs"})
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
