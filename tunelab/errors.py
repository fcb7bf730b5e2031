"""The one error type for mistakes a user can cause and fix (bad file, unknown model, bad config)."""


class TunelabError(Exception):
    """A user-facing error: its message names the file, line or field and what to do."""


def first_few(items: list[str], shown: int = 3) -> str:
    """The first `shown` of `items`, then how many more: a long list named in one message."""
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more
