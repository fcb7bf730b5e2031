"""Data files read into rows, each with its `file:line`: a user's (JSONL, JSON, CSV/TSV, Parquet, a
saved dataset, a hub dataset, documents; read.py, the entry point) and the JSONL files tunelab
writes and appends to itself (jsonl_files.py), all on one text and JSON-line reader (file_text.py);
how a train/test split lies on disk (split_folders.py); files written whole or not at all, checked
before the work starts (write_files.py)."""
