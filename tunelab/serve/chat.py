"""A conversation with a local model or run, for `tunelab generate` and `tunelab chat`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

from tunelab.data.templates import Prompt
from tunelab.generate import Generation, generate


@dataclass
class Session:
    model: object
    tokenizer: object
    prompt: Prompt = Prompt()
    history: list[dict[str, str]] = field(default_factory=list)
    endpoint: str | None = None  # an OpenAI-compatible server instead of a local model
    api_key: str | None = None
    last: Generation | None = None  # the latest local reply, with its finish reason

    @classmethod
    def open(cls, name: str, template: str | None = None, api_key: str | None = None) -> Session:
        """Load a model or run (a run answers with the template and system prompt it was trained
        with), or connect to a server URL."""
        from tunelab.remote import is_endpoint
        from tunelab.run import load_model, prompt_for

        if is_endpoint(name):
            return cls(None, None, endpoint=name, api_key=api_key)
        prompt = prompt_for(name)
        if template:
            prompt = replace(prompt, template=template)
        return cls(*load_model(name), prompt)

    @property
    def one_question_at_a_time(self) -> bool:
        """A qa/alpaca/Jinja template has no turns: the model sees only the latest message."""
        return self.endpoint is None and self.prompt.template != "chat"

    def reply(
        self,
        text: str,
        *,
        remember: bool = True,
        on_text: Callable[[str], None] | None = None,
        **generate_kwargs,
    ) -> str:
        """The model's answer to `text` after the history so far; `on_text` receives it piece by
        piece as it is made (a local model), or whole (a server). A reply that starts repeating
        a sentence stops there, as no useful answer says one sentence twice."""
        messages = [*self.history, {"role": "user", "content": text}]
        if self.endpoint:
            from tunelab.remote import complete_chat

            answer = complete_chat(
                self.endpoint,
                messages,
                api_key=self.api_key,
                max_tokens=generate_kwargs.get("max_new_tokens", 256),
                temperature=generate_kwargs.get("temperature", 0.0),
            )
            if remember:
                self.history = [*messages, {"role": "assistant", "content": answer}]
            if on_text is not None:
                on_text(answer)
            return answer
        prompt = self.prompt.chat(messages, self.tokenizer)
        self.last = generate(
            self.model,
            self.tokenizer,
            [prompt],
            on_text=on_text,
            stop_repeats=True,
            **generate_kwargs,
        )[0]
        answer = self.last.text
        if remember:
            self.history = [*messages, {"role": "assistant", "content": answer}]
        return answer

    def repl(self, **generate_kwargs) -> None:
        from rich.console import Console

        console = Console()
        console.print("[dim]chatting; /reset clears the history, /quit or Ctrl-D leaves[/]")
        if self.one_question_at_a_time:
            console.print(
                f"[yellow]This model answers with the {self.prompt.template!r} template, which "
                "has no turns: it sees one question at a time, not the conversation so far. "
                "Ask each question whole.[/]"
            )
        while True:
            try:
                text = console.input("[bold cyan]you>[/] ").strip()
            except (EOFError, KeyboardInterrupt):
                console.print()
                return
            if text in ("/quit", "/exit"):
                return
            if text == "/reset":
                self.history = []
                continue
            if text:
                console.print("[bold green]model>[/] ", end="")
                self.last = None
                stream = partial(console.out, end="", highlight=False)
                self.reply(text, on_text=stream, **generate_kwargs)
                console.out("")
                if self.last and self.last.finish_reason == "repeat":
                    console.print("[dim](stopped: the answer began repeating itself)[/]")
