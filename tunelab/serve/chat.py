"""A conversation with a local model or run, for `tunelab generate` and `tunelab chat`."""

from __future__ import annotations

from dataclasses import dataclass, field

from tunelab.data.templates import Example, render_prompt
from tunelab.generate import generate


@dataclass
class Session:
    model: object
    tokenizer: object
    template: str = "chat"
    system_prompt: str | None = None
    history: list[dict[str, str]] = field(default_factory=list)
    endpoint: str | None = None  # an OpenAI-compatible server instead of a local model
    api_key: str | None = None

    @classmethod
    def open(cls, name: str, template: str | None = None, api_key: str | None = None) -> Session:
        """Load a model or run (a run answers with the template and system prompt it was trained
        with), or connect to a server URL."""
        from tunelab.models import load_model, run_config
        from tunelab.remote import is_endpoint

        if is_endpoint(name):
            return cls(None, None, endpoint=name, api_key=api_key)
        config = run_config(name)
        run_template = config.data.template if config else "chat"
        system_prompt = config.data.system_prompt if config else None
        model, tokenizer = load_model(name)
        return cls(model, tokenizer, template or run_template, system_prompt)

    def reply(self, text: str, *, remember: bool = True, **generate_kwargs) -> str:
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
            return answer
        # Plain templates have no notion of turns: only the chat template carries history.
        example = Example(messages=messages if self.template == "chat" else messages[-1:])
        prompt = render_prompt(example, self.tokenizer, self.template, self.system_prompt)
        answer = generate(self.model, self.tokenizer, [prompt], **generate_kwargs)[0].text
        if remember:
            self.history = [*messages, {"role": "assistant", "content": answer}]
        return answer

    def repl(self, **generate_kwargs) -> None:
        from rich.console import Console

        console = Console()
        console.print("[dim]chatting; /reset clears the history, /quit or Ctrl-D leaves[/]")
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
                console.print(f"[bold green]model>[/] {self.reply(text, **generate_kwargs)}")
