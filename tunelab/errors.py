"""The one error type for mistakes a user can cause and fix (bad file, unknown model, bad config)."""


class TunelabError(Exception):
    """A user-facing error: its message names the file, line or field and what to do."""
