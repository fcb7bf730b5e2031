"""Data files read into rows, each with its `file:line`: a user's (JSONL, JSON, CSV/TSV, Parquet, a
saved dataset, a hub dataset, documents; read.py, the entry point) and the JSONL files tunelab
writes and appends to itself (jsonl_files.py), all on one text and JSON-line reader (file_text.py)."""
