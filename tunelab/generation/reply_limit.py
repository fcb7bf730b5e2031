"""How long a reply is when no limit is asked for (one number for `generate`, the chat, asking a
server too: tunelab.remote, and the `tunelab generate` and `tunelab chat` commands) and the room a
JSON reply needs to close, in a module of its own so that a command's --help and a config's check
can name them without loading torch (tunelab/generation/generate.py and structured.py, which use
them, do)."""

# A chat message that leaves less room than this beside it gets the room left instead. Stages
# with a budget of their own set it in their config (eval's answers, augment's rewrites,
# compare's answers, data generation's chunks), whatever this number is.
DEFAULT_MAX_NEW_TOKENS = 256

# Enough tokens to close any reply of a compact schema like data generation's from wherever it
# is: finish a character (4 bytes), the keys still required (under 30 bytes), the closing marks.
CLOSING_TOKENS = 56
