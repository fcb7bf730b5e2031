"""Who judges and how they are asked, for both of `tunelab judge`'s modes (pairwise verdicts,
single-answer grades): the judge's settings, putting conversations to a local model or an
OpenAI-compatible endpoint, and writing each record as soon as its replies are in, so a run cut
short by Ctrl-C or a judge error keeps what it finished."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

from tunelab.config import LocalPath, OptionalLocalPath
from tunelab.data.files.jsonl_files import append_jsonl, read_jsonl
from tunelab.data.prompts.templates import ONE_QUESTION_TEMPLATES
from tunelab.errors import TunelabError
from tunelab.evaluate.human import VOTES_FILE
from tunelab.section import Limit, Section
from tunelab.terminal import is_are, n_things

# Puts conversations to the judge: their replies in order, each handed on as it comes (a generator).
Ask = Callable[[list[list[dict]]], Iterable[str]]
# Conversations a local judge scores in one go before their verdicts are written.
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
    """The longest reply an endpoint judge may give (a pairwise verdict is 5 tokens, a grade 10);
    a local judge writes none: it chooses its verdict by likelihood."""

    def source(self) -> str:
        """The judge as its records name it: another model behind the same server
        (`--judge-model`) is another judge, asked anew; a run is one judge whether its folder
        or its model/ folder names it (it is asked as the run either way), and however its path
        is typed (`as_recorded`)."""
        from tunelab import remote
        from tunelab.run import Run

        judge = self.judge
        if judge and not remote.is_endpoint(judge):
            judge = as_recorded(Run.folder_named(judge) or Path(judge))
        return f"judge:{judge}" + (f" ({self.judge_model})" if self.judge_model else "")


def as_recorded(path: Path) -> str:
    """A local judge's path in one form, however it was typed (runs/x, ./runs/x,
    /home/me/project/runs/x were three judges): from the working folder where it lies inside it,
    as records of `--judge runs/x` hold it, else absolute. A name that is no path here (a hub
    id), as given."""
    if not path.exists():
        return str(path)
    here = Path.cwd()  # the working folder with its links followed, as the system gives it
    # As typed first, so that a link inside the working folder keeps its own name; then with
    # links followed, for a path typed through a link to the working folder.
    for form in (Path(os.path.abspath(path)), path.resolve()):
        if form.is_relative_to(here):
            return str(form.relative_to(here))
    return os.path.abspath(path)


def asker(config: JudgeConfig) -> Ask:
    """How to put conversations to the judge: an endpoint's chat API one at a time (greedy), or a
    local model (asked as it was trained, for a run) in batches, which chooses its mode's likeliest
    allowed reply (`likeliest`). Replies are handed on as they come, so their verdicts are on disk
    before the next are asked for."""
    from tunelab import remote

    if not config.judge:
        raise TunelabError("say who judges: --judge MODEL, RUN or http://server URL")
    if remote.is_endpoint(config.judge):
        # A chat API only generates: it cannot score a reply it did not write.
        url, settings = (
            config.judge,
            (config.judge_model, config.max_new_tokens, 0.0, config.api_key),
        )
        return lambda conversations: (written(url, c, settings) for c in conversations)
    from tunelab.evaluate.judge import grades, verdicts

    return likeliest(config.judge, grades.REPLIES if config.grade else verdicts.REPLIES)


class Written(str):
    """An endpoint judge's reply, with why it ended as its server says: "length" is cut short
    at --max-new-tokens, "stop" a reply the judge ended itself (None: the server did not say)."""

    finish_reason: str | None


def written(url: str, conversation: list[dict], settings: tuple) -> Written:
    """The endpoint's greedy reply to one conversation, with why it ended."""
    from tunelab import remote

    ended: list[str] = []
    reply = Written(remote.complete_chat(url, conversation, *settings, on_finish=ended.append))
    reply.finish_reason = ended[0] if ended else None
    return reply


class Chosen(str):
    """A local judge's reply: the allowed reply it finds likeliest, with every allowed reply's
    log-likelihood (none: the prompt was too long for the judge, and the reply is empty)."""

    loglikelihoods: dict[str, float]

    def __new__(cls, loglikelihoods: dict[str, float]) -> Chosen:
        best = max(loglikelihoods, key=loglikelihoods.__getitem__) if loglikelihoods else ""
        chosen = super().__new__(cls, best)
        chosen.loglikelihoods = loglikelihoods
        return chosen


def likeliest(judge: str, replies: tuple[str, ...]) -> Ask:
    """A local judge that never fails to reply: each conversation's allowed replies are scored as
    continuations of its prompt (the chat template with the generation prompt), as
    lm-evaluation-harness scores a multiple choice, and the likeliest is the reply. Small models
    rarely keep to a reply format when they generate (the embedded 135M gave no verdict on any of
    215 answers); a closed set of verdicts needs no format kept."""
    from tunelab.evaluate.bench.loglik import Request, fits_whole, loglikelihoods
    from tunelab.models.load import context_length
    from tunelab.run import load_model, prompt_for

    model, tokenizer = load_model(judge)
    prompt = prompt_for(judge)
    limit = context_length(model, tokenizer)

    def ask(conversations: list[list[dict]]) -> Iterator[str]:
        if prompt.template in ONE_QUESTION_TEMPLATES:
            conversations = [rubric_in_question(c) for c in conversations]
        for start in range(0, len(conversations), LOCAL_CHUNK):
            prompts = [
                prompt.chat(c, tokenizer) for c in conversations[start : start + LOCAL_CHUNK]
            ]
            # A prompt too long for the judge gets no verdict, not one on a prompt cut short.
            asked = [Request(p, list(replies)) for p in prompts]
            fits = [fits_whole(tokenizer, request, limit) for request in asked]
            requests = [request for request, fit in zip(asked, fits) if fit]
            # The summed log-likelihood (the harness's acc), not per token (acc_norm): it is the
            # probability that the judge replies that verdict; once a reply's first tokens
            # set it apart its rest is all but certain, which a per-token mean would reward, so
            # "[[NO FALSE]]" would gain on "[[FALSE]]" for its length alone.
            scores = iter(loglikelihoods(model, tokenizer, requests))
            for fit in fits:
                yield Chosen(dict(zip(replies, next(scores))) if fit else {})

    return ask


def rubric_in_question(conversation: list[dict]) -> list[dict]:
    """The judge's conversation with its rubric (the system message) opening the last user turn:
    a judge asked in qa or alpaca form is asked that turn alone, so a qa run judged without ever
    being told what it judges or what its verdicts mean."""
    rubric = [m["content"] for m in conversation if m["role"] == "system"]
    *before, last = [m for m in conversation if m["role"] != "system"]
    return [*before, {**last, "content": "\n\n".join([*rubric, last["content"]])}]


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
            made.append(record(index, got) | _how_chosen(got))
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


def _how_chosen(replies: list[str]) -> dict:
    """What a record says of how its replies came: chosen by a local judge's likelihood (with
    each conversation's allowed replies and their log-likelihoods) or generated."""
    if all(isinstance(reply, Chosen) for reply in replies):
        return {"chosen_by": "likelihood", "loglikelihoods": [r.loglikelihoods for r in replies]}
    reasons = [getattr(reply, "finish_reason", None) for reply in replies]
    return {"chosen_by": "generation"} | ({"finish_reasons": reasons} if any(reasons) else {})


def cut_short(records: list[dict]) -> bool | None:
    """Whether an endpoint judge's replies without a verdict were cut at --max-new-tokens: True
    when one was, False when its server says each ended itself, None when it did not say."""
    reasons = [reason for r in records for reason in r.get("finish_reasons", [None])]
    if "length" in reasons:
        return True
    return False if reasons and None not in reasons else None


def _kept(made: list[dict], path: Path) -> str:
    """What a judge run cut short tells the user about the verdicts it made."""
    kept = "verdict of this run is" if len(made) == 1 else "verdicts of this run are"
    return f"{len(made)} {kept} kept in {path}: run again to ask only the rest"


@contextmanager
def rating_all_kept(kept: int, thing: str, path: Path, left: str = "") -> Iterator[None]:
    """Rating the `kept` records of `path` (a run's, and earlier runs' by this judge): a Ctrl-C
    or SIGTERM then says that every one is kept, as one while asking says how many, where it
    said only "interrupted". `left`: the records a rerun asks again ("the 2 pairs without a
    verdict are"), "" where none is."""
    try:
        yield
    except KeyboardInterrupt:
        every = f"{'all ' if kept > 1 else ''}{n_things(kept, thing)} {is_are(kept)} in {path}"
        again = f"only {left} asked again" if left else "nothing is asked again"
        raise KeyboardInterrupt(
            f"interrupted while rating; {every}: run again to rate them ({again})"
        ) from None


def read_records(path: Path) -> list[dict]:
    """The records of a votes, verdicts or grades file; a damaged line is named, never skipped."""
    hint = "fix or delete that line to keep the others"
    return [record for _, record in read_jsonl(path, hint=hint)]
