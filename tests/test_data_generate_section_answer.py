"""What a section's heading question is answered by (tunelab/data/generate/template/section_answer.py):
here, sections that list what a product needs. Headings' questions in general:
test_data_generate_headings.py."""

from __future__ import annotations

from tests.conftest import pairs_of


def test_a_dependencies_section_asks_what_the_product_depends_on(tmp_path):
    # FastAPI's and typer's READMEs: "What are dependencies?" needs a sentence saying what
    # dependencies are, so "FastAPI depends on Pydantic and Starlette." made no pair at all,
    # and "Typer requires only a few dependencies:" and its list none either.
    doc = tmp_path / "fastapi.md"
    doc.write_text(
        "# FastAPI\n\nFastAPI is a web framework.\n\n## Dependencies\n\n"
        "FastAPI depends on Pydantic and Starlette.\n"
    )
    assert pairs_of(doc)["What does FastAPI depend on?"] == (
        "FastAPI depends on Pydantic and Starlette."
    )
    doc = tmp_path / "typer.md"
    doc.write_text(
        "# Typer\n\nTyper builds CLIs.\n\n## Dependencies\n\n**Typer** requires only a few "
        "dependencies:\n\n* `rich`: to show errors.\n* `shellingham`: to detect the shell.\n\n"
        "## Requirements\n\nTyper stands on the shoulders of giants:\n\n* Click for the CLI.\n"
    )
    pairs = pairs_of(doc)
    assert pairs["What does Typer depend on?"] == (
        "Typer requires only a few dependencies:\n"
        "* `rich`: to show errors.\n* `shellingham`: to detect the shell."
    )
    assert pairs["What does Typer require?"] == (
        "Typer stands on the shoulders of giants:\n* Click for the CLI."
    )
