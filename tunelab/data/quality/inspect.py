"""`tunelab data inspect`: show what the model will actually learn from a few rows."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tunelab.config import DataConfig, fit_max_length
from tunelab.data.load import load_data
from tunelab.data.pipeline import warn_template
from tunelab.data.prompts.templates import check_template
from tunelab.data.shapes import shape_said
from tunelab.data.tokenize import (
    IGNORE,
    Tokenized,
    chunk_text,
    fit_length,
    prompt_trained,
    special_texts,
    special_token_text,
    tokenize_example,
    trained_last_exchange_only,
    trained_last_reply_only,
)
from tunelab.terminal import n_things


def inspect_file(data: DataConfig, *, model: str, rows: int = 3) -> None:
    """Render the first `rows` examples of data.path as training would, with `data`'s settings."""
    from tunelab.run import load_tokenizer, model_context

    console = Console()
    # model_context checks the model's name (a path not there, a hub id out of reach) before
    # any row is read.
    if limit := model_context(model):  # rows measured as training will cut them
        data = fit_max_length(data, model, limit, "max_length")
    tokenizer = load_tokenizer(model)
    loaded = load_data(data.path, shape=data.shape, fields=data.fields, on_error="skip")
    examples = loaded.examples
    check_template(data.template, examples)
    # Raw text (continued pretraining) takes no template: each text is trained whole, ending in
    # the tokenizer's EOS ("template 'chat'" said of a document read as if it were chatted).
    # The shape the columns told, said: which columns hold the prompt and the reply.
    shown = (
        f"raw text, no template (each ends in EOS {tokenizer.eos_token!r})"
        if examples and all(ex.text is not None for ex in examples)
        else f"{shape_said(loaded.shape)}; template {data.template!r}"
    )
    console.print(
        f"[bold]{escape(data.path)}[/]: {n_things(len(examples), 'example')}; {escape(shown)}, "
        f"model {escape(model)}"
    )
    warn_template(examples, data.template, data.system_prompt, console)
    # Piped (a file, less, a CI log) the colours are gone: trained tokens get brackets there.
    marked = not console.is_terminal
    if marked:
        console.print("trained tokens are between \u00ab and \u00bb; the rest is masked\n")
    else:
        console.print(
            "[dim]masked prompt tokens are dim; [/][bold green]trained tokens are green[/]\n"
        )
    table = Table("row", "tokens", "trained", "masked", "fits")
    special = special_texts(tokenizer)
    for example in examples[:rows]:
        # A raw text's is read as the token itself (or as characters), as training reads it.
        if example.text is None and (token := special_token_text(example, special)):
            console.rule(escape(example.source))
            console.print(f"[yellow]dropped: holds the special token text {escape(repr(token))}[/]")
            table.add_row(escape(example.source), "", "", "", "dropped")
            continue
        item = tokenize_example(
            example, tokenizer, data.template, data.system_prompt,
            special_as_text=data.special_tokens_in_text == "text",
        )  # fmt: skip
        shown, fits = _as_trained(item, example.text is not None, data.max_length, data.truncation)
        if data.train_on_prompt and example.text is None:  # after the cut, as training does
            same = shown is item
            item = prompt_trained(item)
            shown = item if same else prompt_trained(shown)
        console.rule(escape(example.source))
        if trained_last_reply_only(example, item, data.template):
            console.print(
                "[yellow](only the last reply is trained: this chat template writes earlier "
                "replies differently once they are history)[/]"
            )
        if trained_last_exchange_only(example, data.template):
            console.print(
                f"[yellow](only the last exchange is trained, and the earlier turns are not in its "
                f"prompt: the {escape(data.template)} template has room for one question and "
                "answer; --template chat keeps every turn)[/]"
            )
        if shown is not item:
            console.print(
                f"[yellow]({fits} to max_length={data.max_length}; this is what is trained)[/]"
            )
        if fits == "dropped":  # shown as if trained, it looked like a row training keeps
            console.print(
                f"[yellow](dropped: longer than max_length={data.max_length} with truncation "
                f"{data.truncation!r}; none of it is trained)[/]"
            )
        # A dropped row trains none of its tokens: drawn with its reply marked trained, it
        # contradicted the line above and the table's 0.
        labels = [IGNORE] * len(shown.labels) if fits == "dropped" else shown.labels
        console.print(render_mask(shown.input_ids, labels, tokenizer, marked))
        counted = shown if fits.startswith("truncated") else item  # what training gets
        trained = 0 if fits == "dropped" else counted.trained_tokens
        table.add_row(
            escape(example.source),
            str(len(counted.input_ids)),
            str(trained),
            str(len(counted.input_ids) - trained),
            fits,
        )
    console.print(table)


def _as_trained(
    item: Tokenized, is_text: bool, max_length: int, truncation: str
) -> tuple[Tokenized, str]:
    """What training keeps of an example (shown instead of the whole row) and a word for it."""
    if is_text:  # raw text is split into windows, never truncated
        windows = chunk_text(item, max_length)
        if len(windows) <= 1:
            return item, "yes" if windows else "dropped"
        return windows[0], f"split into {len(windows)} windows"
    fitted = fit_length(item, max_length, truncation)
    if fitted is None:
        return item, "dropped"
    if fitted is item:
        return fitted, "yes"
    return fitted, "truncated inside the reply" if fitted.answer_cut else "truncated"


def render_mask(input_ids: list[int], labels: list[int], tokenizer, marked: bool = False) -> str:
    """Rich markup of the decoded tokens, grouped into runs of trained / masked tokens; `marked`,
    each trained run between \u00ab and \u00bb too, for output without colours."""
    parts: list[str] = []
    start = 0
    for i in range(1, len(input_ids) + 1):
        if i == len(input_ids) or (labels[i] == IGNORE) != (labels[start] == IGNORE):
            text = escape(tokenizer.decode(input_ids[start:i]))
            style = "dim" if labels[start] == IGNORE else "bold green"
            if marked and labels[start] != IGNORE:
                text = f"\u00ab{text}\u00bb"
            parts.append(f"[{style}]{text}[/]")
            start = i
    return "".join(parts)
