"""`tunelab runs`: the run folders side by side (runs.py), their table laid out for the terminal
(runs_table.py), and each run against the first over the questions both answered (run_pairs.py)."""
