"""Find personal data and secrets in text (emails, phone numbers, API keys, card numbers, IPs) and
mask them, so a data set can be checked and scrubbed before a model memorises it."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

# Order matters: keys first, so a key that contains digits is not also read as a phone number.
PATTERNS: dict[str, re.Pattern[str]] = {
    "api_key": re.compile(
        r"\b(?:sk-(?:proj-)?[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}"
        r"|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|hf_[A-Za-z0-9]{30,}"
        r"|glpat-[A-Za-z0-9_-]{20,})"
    ),
    "email": re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
    "credit_card": re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"),
    "phone": re.compile(
        r"(?<![\w.+-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}(?![\w-]|\.\d)"
    ),
    # Not part of a longer dotted number (1.2.3.4.5 is a version).
    "ip_address": re.compile(
        r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d]|\.\d)"
    ),
}
# "Version 1.2.3.4", "v1.2.3.4", "release 10.0.0.1": a version, not an address.
_VERSION_BEFORE = re.compile(r"(?:\bversion|\brelease|\bbuild|\bver\.?|\bv)\s*$", re.I)
# A long token mixing upper case, lower case and digits reads as a secret even without a known prefix.
GENERIC_SECRET = re.compile(r"(?<![\w/.-])[A-Za-z0-9_\-]{32,}(?![\w/.-])")
# A team's mailbox ("support@lamini.ai", in lamini_docs' answers) is how users reach a company,
# no person's data: masked, the model learnt to answer "write to [EMAIL]".
ROLE_MAILBOXES = frozenset(
    "support info contact sales help hello admin team press media billing security privacy "
    "careers jobs feedback enquiries inquiries office webmaster postmaster abuse noreply "
    "no-reply ops legal partners marketing service customerservice".split()
)
MASKS = {
    "api_key": "[API_KEY]",
    "email": "[EMAIL]",
    "credit_card": "[CARD]",
    "phone": "[PHONE]",
    "ip_address": "[IP]",
}


@dataclass
class Finding:
    kind: str
    text: str
    start: int
    end: int

    @property
    def shown(self) -> str:
        """The match half-masked, so a report can point at it without repeating the secret."""
        keep = max(2, len(self.text) // 4)
        return self.text[:keep] + "…" if len(self.text) > keep else self.text


def find_pii(text: str, kinds: list[str] | None = None) -> list[Finding]:
    """Every match in `text`, non-overlapping, earliest pattern in PATTERNS wins a contested span."""
    wanted = kinds or list(MASKS)
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for kind, pattern in PATTERNS.items():
        if kind not in wanted:
            continue
        for m in pattern.finditer(text):
            if kind == "ip_address" and _VERSION_BEFORE.search(text, 0, m.start()):
                continue
            if free(m.start(), m.end()) and _plausible(kind, m.group()):
                found.append(Finding(kind, m.group(), m.start(), m.end()))
                taken.append((m.start(), m.end()))
    if "api_key" in wanted:
        for m in GENERIC_SECRET.finditer(text):
            token = m.group()
            mixed = any(c.isupper() for c in token) and any(c.islower() for c in token)
            if mixed and sum(c.isdigit() for c in token) >= 4 and free(m.start(), m.end()):
                found.append(Finding("api_key", token, m.start(), m.end()))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def scrub(text: str, kinds: list[str] | None = None) -> tuple[str, list[Finding]]:
    """`text` with each finding replaced by its mask, e.g. `[EMAIL]`; also returns the findings."""
    findings = find_pii(text, kinds)
    for f in reversed(findings):  # right to left keeps earlier offsets valid
        text = text[: f.start] + MASKS[f.kind] + text[f.end :]
    return text, findings


def scrub_row(value: Any, kinds: list[str]) -> Any:
    """A data row (strings, lists, dicts) with every finding masked; its provenance (`meta`)
    names files and hashes, not people, and stays readable."""
    if isinstance(value, str):
        return scrub(value, kinds)[0]
    if isinstance(value, list):
        return [scrub_row(v, kinds) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "meta" else scrub_row(v, kinds) for k, v in value.items()}
    return value


def _plausible(kind: str, match: str) -> bool:
    if kind == "email":
        return match.split("@")[0].split("+")[0].lower() not in ROLE_MAILBOXES
    if kind == "ip_address":
        # Loopback, "any", private (a router's 192.168.1.1) and documentation addresses appear
        # in every server and router manual and identify no one outside their own network;
        # masked, a manual's "Open http://192.168.8.1" taught the model "[IP]".
        return not ipaddress.ip_address(match).is_private
    digits = re.sub(r"\D", "", match)
    if kind == "credit_card":
        return 13 <= len(digits) <= 19 and _luhn(digits)
    if kind == "phone":
        # Versions (1.2.3), dates (2024-01-31) and plain numbers are not phone numbers: ask for
        # 9-15 digits and either a + prefix, parentheses or at least two separators.
        separators = len(re.findall(r"[\s.()-]", match.strip()))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", match.strip()):
            return False
        return 9 <= len(digits) <= 15 and (match.lstrip().startswith(("+", "(")) or separators >= 2)
    return True


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
