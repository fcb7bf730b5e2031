"""Facts: whether an answer states the facts its question needs (score.py; what a report says
the scores stand on, score_notes.py), and the facts proposed from a reference answer for a person
to review (propose.py, `tunelab data facts`)."""
