"""How many requests one model's engine decodes together, in a module of its own: the engine
declares its batch from it, and `tunelab serve --help`, `tunelab.serve` and load_engines name it
without loading torch (tunelab/serve/engine.py, where the batch runs, does)."""

# An 8-row step costs ~1.15x a 1-row one on a CPU (README, Serving), so 8 clients are served at
# once for little more than one; more clients than rows queue for a slot.
DEFAULT_MAX_BATCH = 8
