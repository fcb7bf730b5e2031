"""Commands and options in a reference answer, read as tunelab.evaluate.facts.propose reads code:
a fenced block's command lines, without its fence, language tag and comments ("```bash\\n#
install it\\npip install tunelab\\n```" was proposed whole, which a right "Run pip install
tunelab" failed); a known tool's command written without backticks ("Start the server with
tunelab serve RUN" proposed "start" and "server"); and the usage of the option a question asks
about, which restates it ("--test TEXT" to "What does the --test option do?")."""

from __future__ import annotations

import re

# A fenced block: its fence, language tag on a line of its own, and body.
_FENCED = re.compile(r"```(?:[\w+-]*[ \t]*\n)?(.*?)```", re.DOTALL)  # "```pip install x```" too
# A line that comments, not runs: "# install it", "// then", "-- note".
_COMMENT = re.compile(r"\s*(?:#|//|--\s)")
# Command-line tools a manual's answer names without backticks. A command is one of them with
# the plain words after it (subcommands, a metavar: one with an option or a path has its terms
# already, "--upgrade"), after a word that introduces it, and two words at least: "with tunelab
# serve RUN", "run pip install tunelab" (not "with docker containers", "using git history").
_TOOLS = r"(?:tunelab|pip3?|git|docker|npm|npx|conda|brew|apt(?:-get)?|curl|kubectl)"
_BARE_COMMAND = re.compile(
    r"(\b(?i:with|run|running|type|typing|enter|using|execute) )"
    rf"({_TOOLS}(?: (?!(?:and|or|then|to|for|in|on|if|as|the|a|an)\b)"
    r"(?:[a-z][a-z0-9-]*|[A-Z][A-Z_]+)){2,})"
    r"(?![\w`])"
)


def commands_as_code(answer: str) -> str:
    """`answer` with each fenced block's command lines as inline code, one a line, and a known
    tool's bare command in backticks: the code the terms read is what a right answer runs."""

    def lines(block: re.Match) -> str:
        run = [line.strip().removeprefix("$ ") for line in block[1].splitlines()]
        return "\n".join(f"`{line}`" for line in run if line and not _COMMENT.match(line))

    unfenced = _FENCED.sub(lines, answer)
    return _BARE_COMMAND.sub(lambda m: f"{m[1]}`{m[2]}`", unfenced)


def without_asked_usage(question: str, answer: str) -> str:
    """`answer` without an opening usage of the option the question asks about ("--test TEXT:
    the test questions file" to "What does the --test option do?"): what follows is the fact."""
    m = re.match(r"\W*?`?(--?[A-Za-z][\w-]*)(?:[ =]<?[A-Z][A-Z_]*>?)?`?\s*(?::|\s[-–—])\s+", answer)
    if m and re.search(rf"(?<![\w-]){re.escape(m[1])}(?![\w-])", question):
        return answer[m.end() :]
    return answer
