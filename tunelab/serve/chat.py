"""A conversation with a local model or run, for `tunelab generate` and `tunelab chat`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from tunelab.data.prompts.chat_template import require_chat_template
from tunelab.data.prompts.templates import RAW_TEXT, Prompt, no_system_prompt
from tunelab.errors import TunelabError
from tunelab.generation.generate import Generation, generate
from tunelab.generation.reply_limit import DEFAULT_MAX_NEW_TOKENS
from tunelab.generation.reply_room import fitting_advice, refuse_reply_limit


@dataclass
class Session:
    model: object
    tokenizer: object
    prompt: Prompt = Prompt()
    history: list[dict[str, str]] = field(default_factory=list)
    endpoint: str | None = None  # an OpenAI-compatible server instead of a local model
    api_key: str | None = None
    served_model: str | None = None  # which of the server's models answers
    served_template: str | None = None  # the template it takes one question in, as its card says
    last: Generation | None = None  # the latest local reply
    finish_reason: str | None = None  # why the latest reply ended, local or served
    blank: str = ""  # what the latest reply was where it held no text (`blank_reply`), else ""
    told_forgetting: bool = False  # the REPL said this chat forgets its oldest exchanges
    told_capping: bool = False  # the REPL said its replies are capped by the room left
    room_left: int | None = None  # the reply's limit, where the context left less than the default
    # The prompt a one-shot reply (remember=False) is asked in where it is not `prompt`: a run
    # trained on raw text alone continues the text as written, as `tunelab generate` does.
    one_shot: Prompt | None = None

    @classmethod
    def open(
        cls,
        name: str,
        template: str | None = None,
        api_key: str | None = None,
        served_model: str | None = None,
        system_prompt: str | None = None,
    ) -> Session:
        """Load a model or run (a run answers with the template and system prompt it was trained
        with), or connect to a server URL and pick one of its models (`served_model`, else its
        first). `system_prompt` replaces the run's (or is sent first to a server)."""
        from tunelab.remote import is_endpoint, served_models
        from tunelab.run import asked_template, load_model, prompt_for
        from tunelab.run_prompt import refuse_system_prompt_of

        if is_endpoint(name):
            if template:  # the server asks its model in that model's own template
                raise TunelabError(
                    "--template picks how a local model is asked; a server asks each of its "
                    "models in its own template: leave --template out with a server URL"
                )
            served = served_models(name, api_key)
            if not served:
                raise TunelabError(f"the server at {name} offers no models")
            if served_model is not None and served_model not in served:
                from tunelab.serve.launch import meant_id

                raise TunelabError(
                    f"the server at {name} serves {', '.join(served)}, not {served_model!r}."
                    f"{meant_id(served_model, served)}"
                )
            served_model = served_model or next(iter(served))
            # The server would answer from the last question alone, the system prompt left out.
            if system_prompt is not None and served[served_model] is not None:
                raise no_system_prompt(
                    served[served_model],
                    f"model {served_model!r} at {name}",
                    "serve a run trained with data.template: chat, which takes one",
                )
            return cls(
                None,
                None,
                Prompt(system_prompt=system_prompt),
                endpoint=name,
                api_key=api_key,
                served_model=served_model,
                served_template=served[served_model],
            )
        if served_model is not None:
            raise TunelabError("--served-model picks one of a server's models: give a server URL")
        prompt = prompt_for(name, template, system_prompt)
        refuse_system_prompt_of(name, prompt, system_prompt)  # before the weights load
        model, tokenizer = load_model(name)
        if prompt.template == "chat":  # said now, not at each message of a chat
            require_chat_template(tokenizer, "with --template qa")
        asked, _ = asked_template(name, template, system_prompt)
        one_shot = Prompt(asked) if asked == RAW_TEXT != prompt.template else None
        return cls(model, tokenizer, prompt, one_shot=one_shot)

    @property
    def continues_text(self) -> bool:
        """Whether a one-shot reply (remember=False) continues the text as written (the 'text'
        template, RAW_TEXT) rather than answering it: a run trained on raw text alone does, unless
        a template or system prompt was given. Told here, not printed, as `tunelab generate`
        prints its dim line."""
        return (self.one_shot or self.prompt).template == RAW_TEXT

    @property
    def one_question_template(self) -> str | None:
        """The template a model takes one question in, the latest message alone: a run's qa,
        alpaca or Jinja template, the one its export carries, or the one a `tunelab serve` model's
        card names; None where it has turns."""
        from tunelab.run_prompt import one_question_template

        if self.endpoint is not None:
            return self.served_template
        return one_question_template(self.prompt, self.tokenizer)

    @property
    def one_question_at_a_time(self) -> bool:
        return self.one_question_template is not None

    def reply(
        self,
        text: str,
        *,
        remember: bool = True,
        on_text: Callable[[str], None] | None = None,
        max_new_tokens: int | None = None,
        **generate_kwargs,
    ) -> str:
        """The model's answer to `text` after the history so far; `on_text` receives it piece by
        piece as it is made, less what the reply cuts (a local model), or as it streams. A
        reply that starts repeating a sentence stops there, as no useful answer says one sentence
        twice. Without `max_new_tokens`, a reply takes up to DEFAULT_MAX_NEW_TOKENS, or the room a
        message that leaves less has beside it (`room_left`), as the server takes its default; a
        `max_new_tokens` given that does not fit beside the message is refused."""
        refuse_undecodable(text)
        if remember:
            refuse_raw_text_chat(self.prompt.template)
        if max_new_tokens is not None:  # checked here, as None alone means "the default"
            refuse_reply_limit(max_new_tokens)
        self.room_left = None
        messages = [*self.history, {"role": "user", "content": text}]
        if self.endpoint:
            messages, answer = self._server_reply(
                messages, on_text, max_new_tokens, **generate_kwargs
            )
            if remember:
                self.history = [*messages, {"role": "assistant", "content": answer}]
            self.blank = blank_reply(answer)
            return answer
        asked = self.prompt if remember or self.one_shot is None else self.one_shot
        messages = self.within_context(messages, max_new_tokens, asked)
        prompt = asked.chat(messages, self.tokenizer)
        self.last = generate(
            self.model,
            self.tokenizer,
            [prompt],
            max_new_tokens=self.room_left or max_new_tokens or DEFAULT_MAX_NEW_TOKENS,
            on_text=on_text,
            stop_repeats=True,
            # A code answer keeps its indentation, " Yes" after "Answer:" its word; a continued text
            # its leading space, so that the prompt and the reply read as one text.
            trim="end" if asked.template == RAW_TEXT else "gap",
            **generate_kwargs,
        )[0]
        answer = self.last.text
        self.finish_reason = self.last.finish_reason
        self.blank = blank_reply(answer, self.last.completion_tokens)
        if remember:
            self.history = [*messages, {"role": "assistant", "content": answer}]
        return answer

    def within_context(
        self,
        messages: list[dict[str, str]],
        max_new_tokens: int | None = None,
        asked: Prompt | None = None,
    ) -> list[dict[str, str]]:
        """`messages` less their oldest exchanges, as many as the prompt and a full reply need to
        fit the model's context: a long chat forgets its start rather than running the model past
        the positions it knows. The system prompt is the template's, so it always stays. With no
        `max_new_tokens`, a last message that leaves less room than the default reply sets
        `room_left`, the reply's limit. `asked`: the prompt they are asked in (the session's)."""
        from tunelab.models.load import context_length

        context = context_length(self.model, self.tokenizer)
        wanted = max_new_tokens or DEFAULT_MAX_NEW_TOKENS
        while (prompt := self._prompt_tokens(messages, asked or self.prompt)) > context - wanted:
            if len(messages) > 1:
                messages = messages[2:]  # a user turn and its reply: the chat still opens on a user
            elif max_new_tokens is None and prompt < context:
                self.room_left = context - prompt
                return messages
            else:
                raise self._too_long(prompt, context, max_new_tokens)
        return messages

    @staticmethod
    def _too_long(prompt: int, context: int, max_new_tokens: int | None) -> TunelabError:
        fix = fitting_advice(prompt, context, max_new_tokens, "--max-new-tokens", "it")
        if max_new_tokens is None:  # the message alone fills the context
            return TunelabError(
                f"this message ({prompt} tokens as the model reads it) leaves no room for a "
                f"reply in the model's context of {context} tokens: {fix}"
            )
        return TunelabError(
            f"this message ({prompt} tokens as the model reads it) and a reply of up to "
            f"{max_new_tokens} tokens do not fit the model's context of {context} tokens: {fix}"
        )

    def _server_reply(
        self,
        messages: list[dict[str, str]],
        on_text,
        max_new_tokens=None,
        temperature=0.0,
        top_p=1.0,
        stop=None,
        seed=None,
        **others,
    ) -> tuple[list[dict[str, str]], str]:
        """(the messages the server could take, its reply), streamed to `on_text` as it comes.
        A chat longer than the server's model takes forgets its oldest exchanges, as with a
        local model: the server says when the prompt does not fit, and the chat asks again (with
        no `max_new_tokens`, a last message that fits gets the room its context leaves). top_p,
        stop and seed are sent as OpenAI names them; a local-only setting is refused."""
        from tunelab.remote import ContextExceeded, stream_chat

        if others:
            raise TunelabError(
                f"{', '.join(sorted(others))}: not a setting a server is asked with (it takes "
                "max_new_tokens, temperature, top_p, stop and seed)"
            )
        sampling = {"top_p": top_p, **({"stop": stop} if stop else {}), "seed": seed}
        # Sent first each time, never forgotten with the oldest exchanges.
        said = self.prompt.system_prompt
        system = [{"role": "system", "content": said}] if said else []
        asked = max_new_tokens or DEFAULT_MAX_NEW_TOKENS

        while True:
            pieces: list[str] = []
            try:
                for piece in stream_chat(
                    self.endpoint,
                    system + messages,
                    self.served_model,
                    max_tokens=asked,
                    temperature=temperature,
                    api_key=self.api_key,
                    on_finish=partial(setattr, self, "finish_reason"),
                    sampling=sampling,
                ):
                    pieces.append(piece)
                    if on_text is not None:
                        on_text(piece)
                return messages, "".join(pieces)
            except ContextExceeded as err:
                if pieces:
                    raise
                if len(messages) <= 1:
                    # The message fits, the default reply not: as a local model's does, the
                    # reply gets the room there is; a limit the user gave is refused, as there.
                    if max_new_tokens is None and err.room and 0 < err.room < asked:
                        asked = self.room_left = err.room
                        continue
                    if err.sizes:  # said as a local model's is, in its options' names: not
                        # "plus max_tokens=256", a limit the user never gave, or "lower max_tokens"
                        raise self._too_long(*err.sizes, max_new_tokens) from None
                    raise
                messages = messages[2:]  # a user turn and its reply, as within_context drops

    def _prompt_tokens(self, messages: list[dict[str, str]], asked: Prompt) -> int:
        prompt = asked.chat(messages, self.tokenizer)
        return len(self.tokenizer(prompt, add_special_tokens=False).input_ids)

    def forgetting_note(self) -> str:
        """What a person is told once a chat outgrows the model's context."""
        of = ""
        if self.endpoint is None:
            from tunelab.models.load import context_length

            of = f" of {context_length(self.model, self.tokenizer)} tokens"
        return (
            f"(this chat is past the model's context{of}: it forgets its oldest exchanges as it "
            "goes on; /reset starts a new one)"
        )

    def capping_note(self) -> str:
        """What a person is told when the last reply's limit was the room its message left."""
        if not self.room_left:
            return ""
        return (
            f"replies are capped at {self.room_left} tokens: the prompt fills the rest of the "
            "context"
        )

    def repl(self, **generate_kwargs) -> None:
        """Chat in the terminal until /quit or Ctrl-D, as `tunelab chat` does."""
        from tunelab.serve.chat_repl import repl

        repl(self, **generate_kwargs)

    def reply_notes(
        self, max_new_tokens: int | None = None, capping_told: bool = False
    ) -> tuple[str, str]:
        """What a person is told after a reply: why it ended (`ending_note`) and that replies
        are capped (`capping_note`, unless `capping_told`). A reply cut at the cap gets the
        capping note alone, which says why it ended."""
        capping = "" if capping_told else self.capping_note()
        if capping and self.finish_reason == "length":
            return "", capping
        return self.ending_note(max_new_tokens), capping

    def ending_note(self, max_new_tokens: int | None = None) -> str:
        """Why the last reply ended, where a person should know: it began repeating itself, or it
        ran out of tokens (it may be cut mid-sentence); "" otherwise. `max_new_tokens` is the
        limit asked for (None: the default)."""
        if self.finish_reason == "repeat":
            return "(stopped: the answer began repeating itself)"
        if self.blank and self.finish_reason != "length":
            # A blank line and nothing else read as a hang or a crash: a run trained a step or
            # two ends its reply at once.
            return f"({self.blank})"
        if self.finish_reason == "length" and self.room_left:  # no --max-new-tokens helps it
            return (
                f"(cut at {self.room_left} tokens, the room the model's context left: a shorter "
                "message leaves more)"
            )
        if self.finish_reason == "length":
            limit = max_new_tokens or DEFAULT_MAX_NEW_TOKENS
            return f"(cut at {limit} tokens: --max-new-tokens gives it more)"
        return ""


def blank_reply(answer: str, tokens: int | None = None) -> str:
    """What a reply that holds no text was, as it is true of it: nothing, ended at its first
    token where a local model's count (`tokens`, its EOS included) says so, or whitespace alone
    (a few whitespace tokens were told they ended at the first); "" for a reply with text. A
    local reply's text is trimmed, so its count tells the two apart."""
    if answer.strip():
        return ""
    if tokens is not None and tokens > 1:
        return f"a reply of whitespace only: the model ended it after {tokens} tokens"
    if answer:  # a server's, untrimmed
        return "a reply of whitespace only"
    if tokens is None:  # a server's: its tokens are not counted here
        return "an empty reply"
    return "an empty reply: the model ended it at its first token"


def refuse_raw_text_chat(template: str | None) -> None:
    """Refuse a conversation asked in RAW_TEXT: it continues one prompt as written, with no
    template to write the turns of a chat."""
    if template == RAW_TEXT:
        raise TunelabError(
            "the 'text' template continues one text as written and writes no turns, so it holds "
            'no conversation: continue a text with `tunelab generate MODEL "TEXT" --template '
            "text` (in Python, `.reply(text, remember=False)`), or chat in a template that "
            "writes turns (--template chat)"
        )


def refuse_undecodable(text: str) -> None:
    """Text read from a file in another encoding (Latin-1, cp1252) holds its bytes that are not
    UTF-8 as lone surrogates, which neither the tokenizer nor a request to a server can take."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        before = text[: err.start]
        line, column = before.count("\n") + 1, err.start - before.rfind("\n")
        code = ord(text[err.start])
        what = f"byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
        raise TunelabError(
            f"the message is not UTF-8 text: {what} at line {line}, character {column}; "
            "convert it first (iconv -f latin1 -t utf-8)"
        ) from None
