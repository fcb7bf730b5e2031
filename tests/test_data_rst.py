"""reStructuredText documents are read as a reader sees them (tunelab/data/documents/rst.py): a
note's text as prose, code blocks as code, a function's parameters as definitions, version markers
and tables of contents as nothing, and every line where it was, so answers cite the right line."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.conftest import pairs_of
from tests.test_data_generate import rows
from tunelab.cli import app
from tunelab.data.documents.rst import rst_as_markdown
from tunelab.data.documents.sections import read_sections

GUIDE = """\
Ferrylog
========

:description: The Ferrylog guide.

Ferrylog ships log files to a collector.

.. note::
   The agent never uploads files larger than 20 GB.

.. versionadded:: 2.0

Install
-------

Run the installer:

.. code-block:: bash
   :linenos:

   pip install ferrylog
   ferrylog init

.. warning:: The agent stops if the disk is full.

API
~~~

.. function:: ship(path, retries=3)

   Ship one file.

   :param path: The file to ship, read whole.
   :param retries: How many times to try before giving up.
   :type retries: int
   :returns: The number of bytes sent.

.. toctree::
   :maxdepth: 2

   install
   usage

Check the setup with :command:`ferrylog check`::

    ferrylog check --collector
"""


def test_directives_read_as_prose_code_and_definitions_without_their_markers(tmp_path):
    # Each directive was read as prose: ".. note:: The agent never uploads ..." asked nothing,
    # the installer's commands were in no answer, and ":param path: ..." was a sentence; a
    # field that says nothing alone (":description: ...") asked "What is description?".
    doc = tmp_path / "guide.rst"
    doc.write_text(GUIDE)
    pairs = pairs_of(doc)
    assert pairs["What does the agent never upload?"] == (
        "The agent never uploads files larger than 20 GB."
    )
    assert pairs["When does the agent stop?"] == "The agent stops if the disk is full."
    assert pairs["How do I install Ferrylog?"] == (
        "Run the installer:\n\n```bash\npip install ferrylog\nferrylog init\n```"
    )
    # A parameter is asked as one of its function: "What is `retries`?" named no function.
    assert pairs["What is the `retries` parameter of `ship`?"] == (
        "The `retries` parameter of `ship`: How many times to try before giving up."
    )
    assert "What is `retries`?" not in pairs
    said = " ".join([*pairs, *pairs.values()])
    unread = ("::", "versionadded", "linenos", "toctree", ":type", "returns", "description")
    for marker in unread:
        assert marker not in said


def test_a_parameter_is_asked_as_one_of_the_class_or_function_it_belongs_to(tmp_path):
    doc = tmp_path / "api.rst"
    doc.write_text(
        "API\n===\n\n.. py:class:: Client(url, timeout=30)\n\n   A connection to a collector.\n\n"
        "   :param url: The collector's address, with its port.\n"
        "   :ivar sent: How many bytes went out so far.\n\n"
        "   .. py:method:: load_model(path)\n\n      Load a model from disk.\n\n"
        "      :param path: The model's folder or GGUF file.\n\n"
        "Fields outside any description:\n\n:param path: A path of nothing described here.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What is the `url` parameter of `Client`?"] == (
        "The `url` parameter of `Client`: The collector's address, with its port."
    )
    assert pairs["What is the `sent` attribute of `Client`?"] == (
        "The `sent` attribute of `Client`: How many bytes went out so far."
    )
    assert pairs["What is the `path` parameter of `load_model`?"] == (
        "The `path` parameter of `load_model`: The model's folder or GGUF file."
    )
    # A parameter of no function named is no question: whose `path` it is, nothing says.
    assert [q for q in pairs if "`path`" in q] == ["What is the `path` parameter of `load_model`?"]


def test_an_rst_document_keeps_its_headings_and_every_line_its_number(tmp_path):
    # "API" over "~~~" was a line of prose in the section above it.
    doc = tmp_path / "guide.rst"
    doc.write_text(GUIDE)
    sections = read_sections(doc)
    assert [(s.headings, s.line) for s in sections] == [
        (["Ferrylog"], 1),
        (["Ferrylog", "Install"], 13),
        (["Ferrylog", "Install", "API"], 26),
    ]
    markdown = rst_as_markdown(GUIDE).splitlines()
    lines = GUIDE.splitlines()
    for said in ("The agent never uploads", "pip install ferrylog", "of `ship`: The file to ship"):
        assert said in markdown[next(i for i, line in enumerate(lines) if said[-12:] in line)]
    # A `::` paragraph's code is code, the paragraph's colon kept and the role read as code.
    assert markdown[-4:] == [
        "Check the setup with `ferrylog check`:",
        "```",
        "ferrylog check --collector",
        "```",
    ]


TABLES = """\
Ferrylog
========

|pypi| |coverage|

|project| ships log files to a collector.

Settings
--------

+-------------+----------------------+
| Setting     | Default              |
+=============+======================+
| retries     | 3, then the file is  |
|             | skipped              |
+-------------+----------------------+
| poll_every  | 60 seconds           |
+-------------+----------------------+

Limits
------

===========  ==========
Limit        Maximum
===========  ==========
file size    20 GB
line length  64 KB
===========  ==========

.. |pypi| image:: https://img.shields.io/pypi/v/ferrylog.svg
.. |coverage| image:: https://img.shields.io/codecov/ferrylog.svg
.. |project| replace:: Ferrylog
"""


def test_grid_and_simple_tables_are_read_by_their_rows_as_markdown_tables_are(tmp_path):
    # A grid table's borders and a simple table's rules were lines of prose: no row was asked.
    doc = tmp_path / "guide.rst"
    doc.write_text(TABLES)
    pairs = pairs_of(doc)
    assert pairs["What is the default retries?"] == (
        "The default retries is 3, then the file is skipped."
    )
    assert pairs["What is the default poll_every?"] == "The default poll_every is 60 seconds."
    assert pairs["What is the maximum file size?"] == "The maximum file size is 20 GB."
    assert pairs["What is the maximum line length?"] == "The maximum line length is 64 KB."
    said = " ".join([*pairs, *pairs.values()])
    assert "+--" not in said and "===" not in said


def test_a_substitution_is_its_text_and_a_badge_is_nothing(tmp_path):
    # "What is Ferrylog?" was answered "|pypi| |coverage|", and "|project| ships ..." asked
    # nothing.
    doc = tmp_path / "guide.rst"
    doc.write_text(TABLES)
    pairs = pairs_of(doc)
    assert pairs["What is Ferrylog?"] == "Ferrylog ships log files to a collector."
    assert "|" not in " ".join([*pairs, *pairs.values()])
    # The table's rows stay where a reader finds them: the lines after the table keep theirs.
    markdown = rst_as_markdown(TABLES).splitlines()
    assert markdown[5] == "Ferrylog ships log files to a collector."
    assert markdown[TABLES.splitlines().index("Limits")] == "## Limits"


CODE_THEN_HEADING = '''\
Ferrylog
========

Ship a file from Python::

    def ship(path):
        """Ship one file.

        Returns
        -------
        int
        """

Limits
------

The agent never uploads files larger than 20 GB.
'''


def test_code_keeps_its_rule_lines_and_a_heading_right_after_it_is_a_heading(tmp_path):
    # A docstring's `"""` and `-------` lines were blanked inside the code, and "Limits" (the
    # code's closing fence standing where the blank line above it was) was a line of prose.
    markdown = rst_as_markdown(CODE_THEN_HEADING).splitlines()
    assert markdown[4:14] == [
        "```",
        "def ship(path):",
        '    """Ship one file.',
        "",
        "    Returns",
        "    -------",
        "    int",
        '    """',
        "```",
        "## Limits",
    ]
    doc = tmp_path / "guide.rst"
    doc.write_text(CODE_THEN_HEADING)
    assert [s.headings for s in read_sections(doc)] == [["Ferrylog"], ["Ferrylog", "Limits"]]


def test_a_sentence_after_a_code_block_is_no_part_of_the_lead_before_it(tmp_path):
    # The lead and the sentence after its `::` block were read as one sentence, "Run the
    # following command to upgrade: Upgrades from ... are not supported.", and listed as in no
    # answer, though a pair answered each.
    doc = tmp_path / "operations.rst"
    doc.write_text(
        "Zephyrine\n=========\n\nUpgrading\n---------\n\nRun the following command to upgrade::\n\n"
        "    sudo zephyrctl upgrade --channel stable\n\n"
        "Upgrades from versions older than 2.4 are not supported.\n"
    )
    out = tmp_path / "qa.jsonl"
    result = CliRunner().invoke(app, ["data", "generate", str(doc), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert {row["question"] for row in rows(out)} == {
        "How do I upgrade Zephyrine?",
        "Are upgrades from versions older than 2.4 supported?",
    }
    assert "in no answer" not in " ".join(result.output.split())
