"""`tunelab data inspect`: show what the model will actually learn from a few rows."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tunelab.data.load import load_examples
from tunelab.data.tokenize import IGNORE, fit_length, tokenize_example


def inspect_file(
    path: str,
    *,
    model: str,
    rows: int = 3,
    template: str = "chat",
    shape: str = "auto",
    max_length: int = 512,
) -> None:
    from tunelab.models import load_tokenizer

    console = Console()
    tokenizer = load_tokenizer(model)
    examples = load_examples(path, shape=shape, on_error="skip")
    console.print(
        f"[bold]{path}[/]: {len(examples)} examples; template {template!r}, model {model}"
    )
    console.print("[dim]masked prompt tokens are dim; [/][bold green]trained tokens are green[/]\n")
    table = Table("row", "tokens", "trained", "masked", "fits")
    for example in examples[:rows]:
        item = tokenize_example(example, tokenizer, template)
        fitted = fit_length(item, max_length, "keep_response")
        console.rule(example.source)
        console.print(render_mask(item.input_ids, item.labels, tokenizer))
        trained = item.trained_tokens
        fits = "yes" if fitted is item else ("truncated" if fitted else "dropped")
        table.add_row(
            example.source,
            str(len(item.input_ids)),
            str(trained),
            str(len(item.input_ids) - trained),
            fits,
        )
    console.print(table)


def render_mask(input_ids: list[int], labels: list[int], tokenizer) -> str:
    """Rich markup of the decoded tokens, grouped into runs of trained / masked tokens."""
    parts: list[str] = []
    start = 0
    for i in range(1, len(input_ids) + 1):
        if i == len(input_ids) or (labels[i] == IGNORE) != (labels[start] == IGNORE):
            text = escape(tokenizer.decode(input_ids[start:i]))
            style = "dim" if labels[start] == IGNORE else "bold green"
            parts.append(f"[{style}]{text}[/]")
            start = i
    return "".join(parts)
