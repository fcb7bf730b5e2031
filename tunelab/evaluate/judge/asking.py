"""Who judges and how they are asked, for both of `tunelab judge`'s modes (pairwise verdicts,
single-answer grades): the judge's settings, putting conversations to a local model or an
OpenAI-compatible endpoint, and writing each record as soon as its replies are in, so a run cut
short by Ctrl-C or a judge error keeps what it finished."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path

from tunelab.config import LocalPath, OptionalLocalPath
from tunelab.data.jsonl_files import read_jsonl
from tunelab.data.write import append_jsonl
from tunelab.errors import TunelabError
from tunelab.evaluate.human import VOTES_FILE
from tunelab.section import Limit, Section

# Puts conversations to the judge: their replies in order, each handed on as it comes (a generator).
Ask = Callable[[list[list[dict]]], Iterable[str]]
# Conversations a local judge answers in one go (generate's batch) before their verdicts are
# written.
LOCAL_CHUNK = 64


class JudgeConfig(Section):
    """Settings of one `tunelab judge`."""

    judge: OptionalLocalPath = None
    """The judge: a model name, a run folder, or an OpenAI-compatible server URL."""
    judge_model: str | None = None
    """The model id at the judge's URL (default: the server's first)."""
    api_key: str | None = None
    """The judge server's API key, if it needs one."""
    grade: bool = False
    """Grade each answer alone against its reference answer (states its facts? states anything
    false?) instead of comparing answer sets pairwise."""
    votes: LocalPath = VOTES_FILE
    """The human votes (`tunelab rate`); the verdicts are written beside them, in judge.jsonl
    (grades: grades.jsonl)."""
    limit: Limit = None
    """Only the first N questions the answer sets share (grading: of each answer set)."""
    max_new_tokens: int = 16
    """The longest reply the judge may give (a pairwise verdict is 5 tokens, a grade 10)."""

    def source(self) -> str:
        """The judge as its records name it: another model behind the same server
        (`--judge-model`) is another judge, asked anew."""
        return f"judge:{self.judge}" + (f" ({self.judge_model})" if self.judge_model else "")


def asker(config: JudgeConfig) -> Ask:
    """How to put conversations to the judge: an endpoint's chat API one at a time, or a local
    model (asked as it was trained, for a run) in batches; greedy either way. Replies are
    handed on as they come, so their verdicts are on disk before the next are asked for."""
    from tunelab import remote

    if not config.judge:
        raise TunelabError("say who judges: --judge MODEL, RUN or http://server URL")
    if remote.is_endpoint(config.judge):
        url, settings = (
            config.judge,
            (config.judge_model, config.max_new_tokens, 0.0, config.api_key),
        )
        return lambda conversations: (
            remote.complete_chat(url, c, *settings) for c in conversations
        )

    from tunelab.generate import generate
    from tunelab.run import load_model, prompt_for

    model, tokenizer = load_model(config.judge)
    prompt = prompt_for(config.judge)

    def ask(conversations: list[list[dict]]) -> Iterator[str]:
        for start in range(0, len(conversations), LOCAL_CHUNK):
            chunk = conversations[start : start + LOCAL_CHUNK]
            prompts = [prompt.chat(c, tokenizer) for c in chunk]
            replies = generate(
                model, tokenizer, prompts, max_new_tokens=config.max_new_tokens, too_long="skip"
            )
            yield from (g.text if g else "" for g in replies)  # "": too long, no verdict

    return ask


def ask_and_write(
    items: list[list[list[dict]]],
    record: Callable[[int, list[str]], dict],
    ask: Ask,
    path: Path,
) -> list[dict]:
    """Ask the judge each item's conversations (a pair's two orders, an answer's one) and append
    `record(item's index, its replies)` to `path` as soon as all its replies are in; an error or
    Ctrl-C says how many are kept."""
    asked = [conversation for conversations in items for conversation in conversations]
    made: list[dict] = []
    if not asked:
        return made
    given = 0

    def counted(replies: Iterable[str]) -> Iterator[str]:
        nonlocal given
        for reply in replies:
            given += 1
            yield reply

    try:
        replies = counted(ask(asked))
        for index, conversations in enumerate(items):
            got = list(islice(replies, len(conversations)))
            if len(got) < len(conversations):
                break
            made.append(record(index, got))
            append_jsonl(path, made[-1])
        if len(made) < len(items):  # the judge stopped short: the rest would go unsaid
            raise TunelabError(f"the judge gave {given} replies to {len(asked)} conversations")
    except TunelabError as err:
        raise TunelabError(f"{err}; {_kept(made, path)}") from err
    except KeyboardInterrupt:
        raise KeyboardInterrupt(_kept(made, path)) from None
    except Exception as err:  # out of memory, say: its traceback shows the note
        err.add_note(_kept(made, path))
        raise
    return made


def _kept(made: list[dict], path: Path) -> str:
    """What a judge run cut short tells the user about the verdicts it made."""
    return f"{len(made)} verdicts of this run are kept in {path}: run again to ask only the rest"


def read_records(path: Path) -> list[dict]:
    """The records of a votes, verdicts or grades file; a damaged line is named, never skipped."""
    hint = "fix or delete that line to keep the others"
    return [record for _, record in read_jsonl(path, hint=hint)]
