"""A conversation with a local model or run, for `tunelab generate` and `tunelab chat`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tunelab.data.templates import Prompt
from tunelab.generate import generate


@dataclass
class Session:
    model: object
    tokenizer: object
    prompt: Prompt = Prompt()
    history: list[dict[str, str]] = field(default_factory=list)
    endpoint: str | None = None  # an OpenAI-compatible server instead of a local model
    api_key: str | None = None

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
        prompt = self.prompt.chat(messages, self.tokenizer)
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
