"""Human rating: answers judged blind in a browser, and the ratings the votes give. The defaults
the command and tunelab.rate share sit here, read without loading the app at `import tunelab`."""

# Where `tunelab rate` appends votes and `tunelab judge` reads them (writing its verdicts beside
# them), unless --votes names another file: one default, so the two find each other.
VOTES_FILE = "ratings/votes.jsonl"
# The judging page's port (`tunelab rate --port`): not `tunelab serve`'s 8000, so both can run.
DEFAULT_PORT = 8008
