"""What a described function or class takes is asked as its own (tunelab/data/documents/fields.py):
a NumPy-style "Parameters" section's entries, in Markdown or reStructuredText, are read as an RST
`:param:` field is ("What is the `path` parameter of `ship`?"), never "What is path?" of a name any
function may have, nor a plural guessed from its spelling ("What are retries?")."""

from __future__ import annotations

from tests.conftest import pairs_of

MARKDOWN = """\
# Ferrylog

## Shipping

```python
def ship(path, retries=3):
    ...
```
Parameters
----------
path : str
    The file to ship, read whole.
retries : int, optional
    How many times to try before giving up.
    Each try waits twice as long as the one before.

## Settings

The agent reads its settings from `ferrylog.toml`.

### Options

verbose : bool
    Print every file the agent ships.
"""

RST = """\
Ferrylog
========

.. code:: python

    class Ferry():
        def __init__(self, url, timeout=30):
            ...

Parameters
~~~~~~~~~~

* url  : str
    The collector's address, with its port.
* timeout  : float, optional
    Seconds to wait for the collector [default: 30].
"""


def test_a_numpy_style_parameter_is_asked_as_one_of_the_function_above_it(tmp_path):
    # "Parameters" right under the code is a heading (it was prose after the closing fence).
    doc = tmp_path / "guide.md"
    doc.write_text(MARKDOWN)
    pairs = pairs_of(doc)
    assert pairs["What is the `path` parameter of `ship`?"] == (
        "The `path` parameter of `ship`: The file to ship, read whole."
    )
    assert pairs["What is the `retries` parameter of `ship`?"] == (
        "The `retries` parameter of `ship`: How many times to try before giving up."
    )
    # An option of no function named is no question: whose `verbose` it is, nothing says.
    assert "What is path?" not in pairs and "What are retries?" not in pairs
    assert not [q for q in pairs if "verbose" in q]


def test_a_class_s_parameters_in_rst_name_the_class_not_its_init(tmp_path):
    doc = tmp_path / "guide.rst"
    doc.write_text(RST)
    pairs = pairs_of(doc)
    assert pairs["What is the `timeout` parameter of `Ferry`?"] == (
        "The `timeout` parameter of `Ferry`: Seconds to wait for the collector [default: 30]."
    )
    assert "What is the `url` parameter of `Ferry`?" in pairs


def test_a_field_s_pair_cites_the_line_of_its_description(tmp_path):
    # Its answer names the field as the document never writes it: the pair cited the line of
    # the section's heading, not the field's.
    import json

    from tunelab.data.generate.from_documents import generate_dataset
    from tunelab.data.generate.shared import GenerateConfig

    doc = tmp_path / "guide.md"
    doc.write_text(MARKDOWN)
    out = tmp_path / "qa.jsonl"
    generate_dataset(GenerateConfig(docs=[str(doc)], output=str(out)), None, progress=False)
    where = {
        row["question"]: int(row["meta"]["location"].rsplit(":", 1)[1])
        for row in map(json.loads, out.read_text().splitlines())
    }
    lines = MARKDOWN.splitlines()
    said = lines.index("    How many times to try before giving up.") + 1
    assert where["What is the `retries` parameter of `ship`?"] == said
