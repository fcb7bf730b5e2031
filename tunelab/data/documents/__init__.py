"""Documents (Markdown, text, reStructuredText, HTML, PDF) read into sections under their headings
and cut into chunks of a token budget: what data generation asks about, what pretraining on
documents reads, and the corpus compare's RAG arms search."""
