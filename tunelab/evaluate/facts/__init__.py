"""Facts: whether an answer states the facts its question needs (score.py), and the facts proposed
from a reference answer for a person to review (propose.py, `tunelab data facts`)."""
