"""Benchmark scoring as lm-evaluation-harness does it: one file per task (tasks/), the
log-likelihood scorer, and the leaderboard."""
