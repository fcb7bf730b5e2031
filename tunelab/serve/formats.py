"""OpenAI's `response_format` on the chat endpoint (`text.format` on the Responses API's):
`json_object` (any JSON object) and `json_schema` (JSON of the given schema), decoded under the
schema (tunelab.generation.structured), so the reply parses unless it runs out of `max_tokens`
first (then its finish_reason is "length")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tunelab.errors import TunelabError
from tunelab.generation.generate import eos_ids
from tunelab.generation.structured import ANY_OBJECT, Constraint
from tunelab.serve.api_errors import ApiError
from tunelab.serve.engine import Engine

# A schema's name as OpenAI takes it.
SchemaName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class JsonSchema(BaseModel):
    # Strict as the request body is: "strict": "false" is a 400, not a guess at what was meant.
    model_config = ConfigDict(extra="ignore", strict=True)
    name: SchemaName
    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema")
    strict: bool | None = False
    description: str | None = None


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    type: Literal["text", "json_object", "json_schema"]
    json_schema: JsonSchema | None = None


class TextFormat(JsonSchema):
    """The Responses API's `text.format`: a `response_format` with the schema's fields beside its
    type rather than under `json_schema`."""

    type: Literal["text", "json_object", "json_schema"]
    name: SchemaName | None = None  # a json_schema's: a 400 without it

    def response_format(self) -> ResponseFormat:
        if self.type != "json_schema":
            return ResponseFormat(type=self.type)
        if self.name is None:  # as OpenAI answers it
            raise ApiError(
                400,
                "text.format.name: a json_schema format needs its name",
                "missing_required_parameter",
                "text.format.name",
            )
        schema = JsonSchema.model_validate(self.model_dump(by_alias=True, exclude={"type"}))
        return ResponseFormat(type="json_schema", json_schema=schema)


def constraint_for(
    engine: Engine, response_format: ResponseFormat | None, param: str = "response_format"
) -> Constraint | None:
    """The constraint a chat request's `response_format` asks for, or None for plain text. A
    strict schema must be enforceable as written; without `strict`, keywords llguidance cannot
    enforce are ignored, as OpenAI treats a non-strict schema as guidance. `param`: the field
    a refusal names."""
    if response_format is None or response_format.type == "text":
        return None
    if response_format.type == "json_object":
        schema, strict = ANY_OBJECT, True
    elif response_format.json_schema is None:
        raise ApiError(
            400, "response_format json_schema needs a json_schema", param="response_format"
        )
    else:
        schema = response_format.json_schema.schema_ or ANY_OBJECT
        strict = bool(response_format.json_schema.strict)
    vocab = engine.model.config.vocab_size
    try:
        return Constraint(
            schema, engine.tokenizer, vocab, eos_ids(engine.model, engine.tokenizer),
            lenient=not strict,
        )  # fmt: skip
    except TunelabError as err:
        raise ApiError(400, str(err), "invalid_json_schema", param) from None
