"""Models: where weights come from (the embedded GGUF, a Hugging Face folder or hub id, random
weights), what a model's name names before it loads, and what its code does that tunelab follows."""
