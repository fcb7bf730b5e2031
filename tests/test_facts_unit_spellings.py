"""The scorer reads a measure the ways it is written: a glued "m" is metres or minutes but in a
name or a price, a temperature and a voltage are one value however their unit is spelled (other
spellings: test_facts_values.py; the unit list: test_units.py)."""

from __future__ import annotations

import pytest

from tests.conftest import fact_accurate


@pytest.mark.parametrize(
    "fact, answer, stated",
    [
        ("50 m", "The cable is 50m long.", True),  # metres, not 50 million
        ("50m", "The range is up to 50 m.", True),
        ("50m", "It has 50 million rows.", False),
        ("5m", "The timeout is 5 million.", False),
        ("135M", "It has 135m parameters.", False),  # a fact "135m" is read alone, as "135 m"
        ("135m", "Use the 135m model.", True),
        ("70M", "Try pythia-70m first.", True),  # a name's size
        ("$5 million", "It costs $5m a year.", True),
        ("50 million", "It holds 50M rows.", True),  # a capital M is a million
        ("5000", "It keeps 5k rows.", True),
    ],
)
def test_a_glued_m_is_metres_or_minutes_but_a_capital_m_a_million(fact, answer, stated):
    assert fact_accurate(fact, answer) is stated
