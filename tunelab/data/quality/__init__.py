"""Checking data before training: what a row becomes (inspect), duplicates and leaks, lengths,
diversity, junk and personal data (check), and the report of what was found."""
