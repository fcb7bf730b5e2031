"""A reply made to call (tool_choice "required" or a named function) decoded under a grammar, so
its call always reads back, as vLLM and OpenAI constrain one: after the prefilled opening, the
rest of the call as the model's template writes it (tunelab.serve.call_format: Hermes' tags,
Llama 3.1's "parameters", Mistral's list), its name one the request offers and its arguments
JSON of that function's `parameters` schema (an alternative per function, vLLM's anyOf), then
the call's closing. The engine is response_format's (tunelab.generation.structured)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from tunelab.errors import TunelabError
from tunelab.generation.generate import eos_ids
from tunelab.generation.structured import ANY_OBJECT, Constraint, lark_json
from tunelab.serve.call_format import CallFormat

if TYPE_CHECKING:
    from tunelab.serve.engine import Engine

log = logging.getLogger(__name__)


def call_constraint(engine: Engine, calls: CallFormat) -> Constraint | None:
    """The grammar a reply made to call is decoded under, or None where it is not made to call.
    Parameters with a keyword llguidance cannot enforce (a `format` it does not know) are
    decoded ignoring it; where they cannot be compiled at all (a look-ahead `pattern`), the
    reply is decoded freely after its opening, and reads back as a call only if the model
    wrote one. Both are said in the log; the call is checked against the whole schema as it is
    read back."""
    if not calls.opening or not calls.offered:
        return None
    vocab, eos = engine.model.config.vocab_size, eos_ids(engine.model, engine.tokenizer)
    try:
        return Constraint(call_grammar(calls), engine.tokenizer, vocab, eos)
    except TunelabError as err:
        strict = err
    try:
        found = Constraint(call_grammar(calls, lenient=True), engine.tokenizer, vocab, eos)
    except TunelabError as err:
        log.warning(
            "the call tool_choice asks for is decoded without a grammar, so it may not read "
            "back (%s): %s",
            ", ".join(calls.offered),
            err,
        )
        return None
    log.warning(
        "the call tool_choice asks for is decoded ignoring what llguidance cannot enforce in "
        "the parameters of %s (%s); the call is still checked against them",
        ", ".join(calls.offered),
        strict,
    )
    return found


def call_grammar(calls: CallFormat, lenient: bool = False) -> str:
    """A Lark grammar for what follows `calls.opening`: a call to one of `calls.offered`."""
    alternatives = []
    for name, parameters in calls.offered.items():
        before, after = calls.around_arguments(name)
        # Arguments are an object where the schema names no type; none declared: any object.
        schema = {"type": "object", **parameters} if parameters else ANY_OBJECT
        arguments = lark_json(schema, lenient)
        alternatives.append(
            f"{_literal(before[len(calls.opening) :])} {arguments} {_literal(after)}"
        )
    return "start: " + " | ".join(f"({a})" for a in alternatives) + "\n"


def _literal(text: str) -> str:
    """`text` as a Lark string; nothing for none (Lark has no empty string)."""
    return json.dumps(text) if text else ""
