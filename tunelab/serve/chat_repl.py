"""`tunelab chat`'s terminal: read a message (one line, or several between \"\"\"), stream the
reply, and say what a person should know about it; the conversation itself is a
tunelab.serve.chat.Session."""

from __future__ import annotations

import io
import re
import sys
from functools import partial
from typing import TYPE_CHECKING

from tunelab.errors import SigtermAsCtrlC, TunelabError

if TYPE_CHECKING:
    from tunelab.serve.chat import Session


def repl(session: Session, **generate_kwargs) -> None:
    """Chat with `session` in the terminal until /quit or Ctrl-D; /reset clears the history."""
    from rich.console import Console
    from rich.markup import escape

    keep_undecodable_stdin()
    console = Console()
    console.print(
        "[dim]chatting; /reset clears the history, /quit or Ctrl-D leaves, /help lists the "
        'commands, """ starts and ends a message of several lines[/]'
    )
    if session.one_question_at_a_time:
        from tunelab.data.prompts.templates import template_named

        console.print(
            f"[yellow]This model answers with {template_named(session.one_question_template)}, "
            "which has no turns: it sees one question at a time, not the conversation so far. "
            "Ask each question whole.[/]",
            highlight=False,
        )
    while True:
        try:
            text = _read_message(console)
        except EOFError:
            console.print()
            return
        except SigtermAsCtrlC:  # kill: the chat ends, as it did before SIGTERM became a Ctrl-C
            raise
        except KeyboardInterrupt:
            # A stray Ctrl-C (one meant for a reply that had just ended) lost the whole
            # conversation; it clears the line typed, as in a shell, Python or Ollama.
            console.print("\n[dim](Ctrl-D or /quit leaves)[/]")
            continue
        if text in COMMANDS:
            if COMMANDS[text][1](session, console) == "leave":
                return
            continue
        if re.fullmatch(r"/\w+", text):  # a mistyped command is not a question for the model
            console.print(
                f"[yellow]unknown command {escape(text)}: {_commands()}[/]", highlight=False
            )
            continue
        if text:
            _say(session, console, text, generate_kwargs)


def _reset(session: Session, console) -> None:
    session.history, session.told_forgetting, session.told_capping = [], False, False
    console.print("[dim](history cleared: the next message starts a new chat)[/]")


def _help(session: Session, console) -> None:
    console.print(f"[dim]{_commands()}[/]", highlight=False)


def _leave(session: Session, console) -> str:
    return "leave"


# The one table of the chat's commands: the loop runs them, /help and a mistyped one list them.
COMMANDS = {
    "/reset": ("clears the history", _reset),
    "/quit": ("leaves (as Ctrl-D does)", _leave),
    "/exit": ("leaves, as /quit", _leave),
    "/help": ("lists these commands", _help),
}


def _commands() -> str:
    return "; ".join(f"{name} {does}" for name, (does, _) in COMMANDS.items())


def _say(session: Session, console, text: str, generate_kwargs: dict) -> None:
    """One exchange of the REPL. Ctrl-C or an error (a server gone, a message too long)
    ends the reply, not the chat: the history keeps what was said before it."""
    from rich.markup import escape

    console.print("[bold green]model>[/] ", end="")
    session.last = session.finish_reason = None
    stream = partial(console.out, end="", highlight=False)
    remembered = len(session.history)
    try:
        session.reply(text, on_text=stream, **generate_kwargs)
    except SigtermAsCtrlC:
        console.out("")
        raise
    except KeyboardInterrupt:
        console.out("")
        console.print("[dim](stopped; this exchange is not remembered)[/]")
        return
    except TunelabError as err:
        console.out("")
        console.print(f"[red]error:[/] {escape(str(err))}", highlight=False)
        return
    console.out("")
    # The cap is said once, as forgetting is below; a cut reply each time.
    limit = generate_kwargs.get("max_new_tokens")
    ending, capping = session.reply_notes(limit, session.told_capping)
    if ending:
        console.print(f"[dim]{ending}[/]")
    if capping:
        session.told_capping = True
        console.print(f"[yellow]{capping}[/]")
    # Said once: from here on each reply forgets another exchange, which a note at every
    # turn would only repeat; a person who asks about the start of the chat should know.
    if len(session.history) < remembered + 2 and not session.told_forgetting:
        session.told_forgetting = True
        console.print(f"[dim]{session.forgetting_note()}[/]")


def keep_undecodable_stdin() -> None:
    """Let standard input read bytes that are not text as lone surrogates (Python's default under
    a UTF-8 locale, not under PYTHONIOENCODING=utf-8:strict), so a message holding them is refused
    by name, and a chat goes on, instead of the read failing with a traceback."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")


_BLOCK = '"""'


def _read_message(console) -> str:
    """One message typed at the prompt: a line, or the lines between a \"\"\" and the next one
    (as Ollama reads them), so that a pasted paragraph with line breaks is one message, not one
    message a line."""
    text = console.input("[bold cyan]you>[/] ").strip()
    if not text.startswith(_BLOCK):
        return text
    lines, rest = [], text[len(_BLOCK) :]
    while not rest.endswith(_BLOCK):
        lines.append(rest)
        try:
            rest = console.input("[bold cyan]...[/] ").rstrip()
        except EOFError:  # piped input, or Ctrl-D: a message left open was dropped unsaid
            console.print(
                f"\n[yellow]not sent: the message opened with {_BLOCK} was never closed by "
                f"another {_BLOCK}[/]",
                highlight=False,
            )
            raise
    lines.append(rest[: -len(_BLOCK)])
    return "\n".join(lines).strip()
