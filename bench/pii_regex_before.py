"""The regex PII detector as it was before issue 11 (synthspec/validate/pii.py at c03c891), kept verbatim below
this docstring as the "today's" baseline of bench/bench_pii.py.  Not used by synthspec itself."""


from __future__ import annotations

import re
from collections.abc import Callable

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?!\w)")
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){1,4}(?![\w])"
)
CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}(?![A-Za-z0-9])")
STREET_SUFFIX = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|terrace|way|"
    r"close|crescent|square|sq|parkway|highway|hwy"
)
ADDRESS = re.compile(
    rf"(?<!\w)\d{{1,5}}[A-Za-z]?\s+(?:[A-Z][a-z]+\.?\s+){{1,3}}(?:{STREET_SUFFIX})\.?(?!\w)", re.IGNORECASE
)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum used by payment card numbers."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    s = candidate.replace(" ", "").upper()
    if not 15 <= len(s) <= 34 or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    rearranged = s[4:] + s[:4]
    try:
        number = "".join(str(int(ch, 36)) for ch in rearranged)
    except ValueError:
        return False
    return int(number) % 97 == 1


def find_emails(text: str) -> list[str]:
    return EMAIL.findall(text)


def find_cards(text: str) -> list[str]:
    hits = []
    for m in CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1:
            hits.append(m.group(0))
    return hits


def find_ibans(text: str) -> list[str]:
    return [m.group(0) for m in IBAN.finditer(text) if iban_ok(m.group(0))]


def find_phones(text: str) -> list[str]:
    """Digit runs of 9-15 digits in phone-like grouping, excluding card numbers and dates/amounts."""
    hits = []
    for m in PHONE.finditer(text):
        raw = m.group(0)
        digits = re.sub(r"\D", "", raw)
        if not 9 <= len(digits) <= 15:
            continue
        if len(digits) >= 13 and luhn_ok(digits):
            continue  # a card number, reported as such
        grouped = raw.startswith(("+", "(")) or re.search(r"[\s.-]", raw) is not None
        if not grouped and not (10 <= len(digits) <= 11 and digits[0] in "01"):
            continue  # a bare digit run: only national-format numbers, not order ids
        hits.append(raw.strip())
    return hits


def find_addresses(text: str) -> list[str]:
    return [m.group(0) for m in ADDRESS.finditer(text)]


DETECTORS: dict[str, Callable[[str], list[str]]] = {
    "email": find_emails,
    "card_number": find_cards,
    "iban": find_ibans,
    "phone": find_phones,
    "street_address": find_addresses,
}


def find_pii(text: str, kinds: tuple[str, ...] | list[str] | None = None) -> list[tuple[str, str]]:
    """(kind, matched text) for every piece of personal data found.

    Detectors run in a fixed order (cards and IBANs first) and a later hit
    inside an earlier one is dropped, so an IBAN's digits are not also a phone.
    """
    found: list[tuple[str, str]] = []
    taken: list[tuple[int, int]] = []
    wanted = set(kinds or DETECTORS)
    for kind, detector in DETECTORS.items():
        if kind not in wanted:
            continue
        start = 0
        for hit in detector(text):
            at = text.find(hit, start)
            span = (at, at + len(hit))
            if any(a < span[1] and span[0] < b for a, b in taken):
                continue
            taken.append(span)
            found.append((kind, hit))
    return found
