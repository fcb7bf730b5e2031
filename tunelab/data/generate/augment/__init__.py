"""`tunelab data augment`: a data file grown from its own rows, no document read. augment_rows.py
is the entry point (each question rewritten, by a model or by rules, its answer restated);
rephrase.py, the rules' rewrites; reverse.py, a fact asked from its other end and two facts of
one topic at once; new_rows.py, what both write a new row with (its source's key, its question
in its original's frame, the questions read from a model's reply); rewrite_checks.py, which new
question and answer are kept."""
