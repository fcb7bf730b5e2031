"""How fast a thing went, as a sentence says it after its verb: template mode asks "How fast ...?"
of it, and every mode's filters count a "What ...?" answered with one as that question asked
again (same_ask.py)."""

from __future__ import annotations

import re

# How fast a verb went, where its object would be: "ran ~12% faster", "ran 1.3x slower than
# ...", "ran slow for all three", "ran 83 tok/s", "runs at 220–235 GFLOP/s".
SPEED = re.compile(
    r"(?:[~≈]?\d[\d.,]*\s*(?:x|×|%)\s+)?(?:fast|faster|slow|slower|quicker|quickly|slowly)\b"
    r"|(?:at\s+)?[~≈]?\d[\d.,]*(?:\s*[–-]\s*\d[\d.,]*)?\s*[a-z]+/s\b",
    re.IGNORECASE,
)
