"""The one error type for mistakes a user can cause and fix (bad file, unknown model, bad config)."""


class TunelabError(Exception):
    """A user-facing error: its message names the file, line or field and what to do."""


def first_few(items: list[str], shown: int = 3) -> str:
    """The first `shown` of `items`, then how many more: a long list named in one message."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def cut_short_by_ctrl_c(err: BaseException) -> bool:
    """Whether `err` came of a Ctrl-C: a library that wraps what its import raised (transformers'
    lazy modules turn a KeyboardInterrupt into "Could not import module 'PreTrainedModel'")
    keeps the KeyboardInterrupt as its cause or context."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, KeyboardInterrupt):
            return True
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return False
