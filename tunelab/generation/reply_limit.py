"""How long a reply is when no limit is asked for: one number for `generate`, the chat (asking a
server too, tunelab.remote) and the `tunelab generate` and `tunelab chat` commands, in a module
of its own so that a command's --help can name it without loading torch
(tunelab/generation/generate.py, where generation lives, does)."""

# A chat message that leaves less room than this beside it gets the room left instead. Stages
# with a budget of their own set it in their config (eval's answers, augment's rewrites,
# compare's answers, data generation's chunks), whatever this number is.
DEFAULT_MAX_NEW_TOKENS = 256
