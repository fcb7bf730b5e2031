"""An LLM judge: a model compares answer sets pairwise by a fixed rubric, beside the human votes."""
