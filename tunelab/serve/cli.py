"""`tunelab serve`, `tunelab generate` and `tunelab chat`: the CLI faces of tunelab.serve.launch
and tunelab.serve.chat; imports stay light for `--help`."""

from __future__ import annotations

from typing import Annotated

import typer

from tunelab.generation.reply_limit import DEFAULT_MAX_NEW_TOKENS
from tunelab.options import AllowHost, Port
from tunelab.serve.batch_limit import DEFAULT_MAX_BATCH
from tunelab.serve.launch import DEFAULT_HOST, DEFAULT_MAX_BODY_MB, DEFAULT_PORT

ModelArg = Annotated[
    str, typer.Argument(help="Run folder, embedded default, HF dir, hub id, or a server URL.")
]
Template = Annotated[str | None, typer.Option(help="Default: the run's template, else chat.")]
GenerateTemplate = Annotated[
    str | None,
    typer.Option(
        help="chat, qa, alpaca, a Jinja string, or text: the prompt as written, for the model to "
        "continue (default: the run's template; text for a run trained on raw text alone; else "
        "chat)."
    ),
]
ApiKey = Annotated[
    str | None, typer.Option(envvar="TUNELAB_API_KEY", help="Bearer key for a server URL.")
]
ServedModel = Annotated[
    str | None,
    typer.Option(help="With a server URL: which of its models answers (default: its first)."),
]
SystemPrompt = Annotated[
    str | None,
    typer.Option(help="The system prompt (default: the run's, else the model's own, if any)."),
]
MaxNewTokens = Annotated[
    int | None,
    typer.Option(
        min=1,
        help=f"Longest reply, in tokens (default: {DEFAULT_MAX_NEW_TOKENS}, or the room a long "
        "message leaves; a limit given that does not fit is refused).",
    ),
]
Temperature = Annotated[float, typer.Option(min=0.0, help="0: greedy; higher: more varied.")]


def generate_command(
    model: ModelArg,
    prompt: Annotated[
        str,
        typer.Argument(
            help="The question or instruction, or text to continue; - reads it from standard input."
        ),
    ],
    max_new_tokens: MaxNewTokens = None,
    temperature: Temperature = 0.0,
    template: GenerateTemplate = None,
    api_key: ApiKey = None,
    served_model: ServedModel = None,
    system_prompt: SystemPrompt = None,
) -> None:
    """Answer one question with a model, a finetuned run, or a running server; continue a text
    (--template text, the default for a run trained on raw text alone)."""
    import sys

    from rich.console import Console

    from tunelab.errors import TunelabError
    from tunelab.run import asked_template
    from tunelab.serve.chat import Session, refuse_undecodable
    from tunelab.serve.chat_repl import keep_undecodable_stdin
    from tunelab.terminal import say_wrapped

    if prompt == "-":  # echo "question" | tunelab generate RUN -
        keep_undecodable_stdin()
        prompt = sys.stdin.read().strip()
        if not prompt:
            raise TunelabError("no question on standard input (the prompt was -)")
    elif not prompt.strip():  # an unset shell variable ("$Q"): not a question to answer
        raise TunelabError("the question is empty: give one, or - to read it from standard input")
    refuse_undecodable(prompt)  # before the model loads
    template, note = asked_template(model, template, system_prompt)
    if note:  # not the answer: a script reading stdout gets it alone
        say_wrapped(Console(stderr=True), note, "dim")
    session = Session.open(
        model, template, api_key=api_key, served_model=served_model, system_prompt=system_prompt
    )
    try:
        session.reply(
            prompt,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            remember=False,
            on_text=lambda text: print(text, end="", flush=True),
        )
    except KeyboardInterrupt:
        print(flush=True)  # the reply's line ends: "interrupted" ran on after its last word
        raise
    print()
    ending, capping = session.reply_notes(max_new_tokens)
    if ending:
        print(ending, file=sys.stderr)  # not the answer: a script reading stdout gets it alone
    if capping:
        Console(stderr=True).print(f"[yellow]{capping}[/]", highlight=False)


def chat_command(
    model: ModelArg,
    max_new_tokens: MaxNewTokens = None,
    temperature: Temperature = 0.0,
    template: Template = None,
    api_key: ApiKey = None,
    served_model: ServedModel = None,
    system_prompt: SystemPrompt = None,
) -> None:
    """Talk with a model or server in the terminal (/reset clears history, /quit or Ctrl-D leaves, /help)."""
    from tunelab.serve.chat import Session, refuse_raw_text_chat

    refuse_raw_text_chat(template)  # before the model loads
    session = Session.open(
        model, template, api_key=api_key, served_model=served_model, system_prompt=system_prompt
    )
    session.repl(max_new_tokens=max_new_tokens, temperature=temperature)


def serve_command(
    models: Annotated[
        list[str],
        typer.Argument(
            help="Runs or models to serve; a client names each by its id: a run's folder name "
            "(runs/demo: demo), any other model the name exactly as typed (/tmp/x/model.gguf)."
        ),
    ],
    host: Annotated[
        str,
        typer.Option(
            help="Interface to listen on; 0.0.0.0 opens it to your network (needs a key)."
        ),
    ] = DEFAULT_HOST,
    port: Port = DEFAULT_PORT,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="TUNELAB_API_KEY", help="Require `Authorization: Bearer KEY`."),
    ] = None,
    insecure: Annotated[
        bool,
        typer.Option("--insecure", help="Listen on a non-loopback --host without an --api-key."),
    ] = False,
    allow_host: AllowHost = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="The base URL clients reach the server at (--host 0.0.0.0: "
            "http://10.0.0.5:8000; behind a proxy: https://api.example.com): the serving line "
            "gives it, and its host is let in."
        ),
    ] = None,
    max_body_mb: Annotated[
        float, typer.Option(help="Largest request body accepted, in MB; larger gets 413.")
    ] = DEFAULT_MAX_BODY_MB,
    # At least 1: an engine with no rows never takes a request, and every client waits forever.
    max_batch: Annotated[
        int, typer.Option(min=1, help="Requests decoded together, per model.")
    ] = DEFAULT_MAX_BATCH,
    threads: Annotated[
        int | None,
        typer.Option(help="CPU threads for the model; on a small CPU, one less than the cores."),
    ] = None,
) -> None:
    """Serve models over an OpenAI-compatible API (/v1/chat/completions, /v1/completions,
    /v1/responses)."""
    from rich.console import Console
    from rich.markup import escape

    import tunelab
    from tunelab.serve.launch import check_exposure, checked_public_url, loadable_ids
    from tunelab.web import check_port_free

    warning = check_exposure(host, api_key, insecure)  # before minutes of loading, not after
    checked_public_url(public_url)
    console = Console()
    if warning:  # --insecure got it past check_exposure
        console.print(f"[bold yellow]warning:[/] {escape(warning)}")
    check_port_free(host, port)  # before the line that says it serves there
    # "serving" is said once the models are loaded: a model that fails to load said it first.
    console.print(f"loading {', '.join(loadable_ids(models))}", markup=False)
    tunelab.serve(
        models,
        host=host,
        port=port,
        api_key=api_key,
        insecure=insecure,
        allow_host=allow_host,
        max_body_mb=max_body_mb,
        max_batch=max_batch,
        threads=threads,
        public_url=public_url,
    )
