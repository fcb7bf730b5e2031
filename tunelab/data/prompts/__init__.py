"""The prompt-template step: an example turned into the text the model sees, split into segments
trained (the response and its EOS) and masked (everything else): tunelab's templates (chat,
alpaca, qa, Jinja; templates.py), a tokenizer's own chat template (chat_template.py), what a
template does learned once (per_template.py), and what to tell a user about chat rows that train
other than they read (chat_notes.py)."""
