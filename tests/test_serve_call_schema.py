"""A reply's call checked against the JSON schema of the function's `parameters`
(tunelab.serve.call_schema): arguments that break it are the model's text, not a call an agent
would run, and a warning names what failed. The served tiny model says a scripted reply."""

from __future__ import annotations

import json

import pytest

from tests.test_serve_tool_calls import ASK, served  # noqa: F401  (a module-scoped server)
from tunelab.serve.call_schema import misfit

# A function whose arguments nest: an address that needs its city and country, a unit from a
# list, a whole number of days, and nothing else.
FORECAST_TOOL = {
    "type": "function",
    "function": {
        "name": "get_forecast",
        "parameters": {
            "type": "object",
            "properties": {
                "address": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                    "required": ["city", "country"],
                },
                "unit": {"enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["address"],
            "additionalProperties": False,
        },
    },
}
PARIS = {"city": "Paris", "country": "FR"}


def forecast_call(arguments: dict) -> str:
    return (
        f"<tool_call>\n{json.dumps({'name': 'get_forecast', 'arguments': arguments})}\n</tool_call>"
    )


@pytest.mark.parametrize(
    "arguments, why",
    [
        ({"address": {"city": "Paris"}},
         "arguments.address.country is missing, which its schema requires"),
        ({"address": {"city": 75, "country": "FR"}}, "arguments.address.city is 75, not a string"),
        ({"address": PARIS, "unit": "kelvin"},
         'arguments.unit is "kelvin", not one of "celsius", "fahrenheit"'),
        ({"address": PARIS, "days": "3"}, 'arguments.days is "3", not an integer'),
        ({"address": PARIS, "days": 1.5}, "arguments.days is 1.5, not an integer"),
        ({"address": PARIS, "hours": 3},
         "arguments.hours is not one of its properties (address, unit, days)"),
    ],
)  # fmt: skip
def test_a_call_whose_arguments_break_the_functions_schema_is_text_and_a_warning(
    served,  # noqa: F811
    caplog,
    arguments,
    why,
):
    # An agent would hand such arguments to its function, which breaks on them.
    client, script, _ = served
    script.text = forecast_call(arguments)
    reply = client.chat.completions.create(model="agent", messages=ASK, tools=[FORECAST_TOOL])
    assert reply.choices[0].message.content == script.text
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].finish_reason == "stop"
    assert f"its call to 'get_forecast' does not fit the function's parameters: {why}" in (
        caplog.text
    )


def test_a_call_whose_arguments_fit_the_schema_is_a_call(served):  # noqa: F811
    client, script, _ = served
    arguments = {"address": PARIS, "unit": "celsius", "days": 3}
    script.text = forecast_call(arguments)
    reply = client.chat.completions.create(model="agent", messages=ASK, tools=[FORECAST_TOOL])
    (call,) = reply.choices[0].message.tool_calls
    assert json.loads(call.function.arguments) == arguments
    assert reply.choices[0].finish_reason == "tool_calls"


def test_a_schema_as_pydantic_writes_it_is_checked_through_its_refs_and_unions():
    # Agents often write a function's parameters as a pydantic model's JSON schema: its nested
    # models are $refs into $defs, and an optional field an anyOf with null.
    from pydantic import BaseModel

    class Address(BaseModel):
        city: str
        country: str

    class Trip(BaseModel):
        to: Address
        nights: int | None = None

    schema = Trip.model_json_schema()
    assert misfit({"to": PARIS, "nights": None}, schema) is None
    assert misfit({"to": PARIS, "nights": 2}, schema) is None
    assert misfit({"to": {"city": "Paris"}}, schema) == (
        "arguments.to.country is missing, which its schema requires"
    )
    assert misfit({"to": PARIS, "nights": "two"}, schema) == (
        'arguments.nights is "two", which fits none of its anyOf schemas'
    )
