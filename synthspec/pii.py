"""What synthspec calls personal data: the one definition the grammar and the validators share.

Sits below the pipeline so that lowering (which keeps out of the grammar what a
grammar can express) and validation (which checks finished text with a real
detector) read the same facts:

- `KINDS`: every kind of personal data, by the name specs, reports and the
  `forbidden` validator's `pii=[...]` parameter use;
- the structural patterns (e-mail, phone, card, IBAN, street address) with
  their checksums (Luhn for cards, ISO 13616 mod-97 for IBANs), which are the
  regex detector — the fallback when the `pii` extra (Presidio + spaCy) is not
  installed, and the part of the real detector that needs no model;
- the grammar's share: a run of `DIGIT_RUN_MIN` digits joined by at most one
  separator each (`DIGIT_RUN_SEPARATORS`) and any e-mail address are what a
  generated word may never hold; `find_blocked` finds them in finished text.

Names and places need a model (spaCy NER through Presidio): see
`synthspec.validate.pii`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from string import ascii_lowercase

from synthspec.deferred_re import deferred

KINDS: dict[str, str] = {
    "email": "e-mail address",
    "phone": "phone number",
    "card_number": "payment card number (valid Luhn checksum)",
    "iban": "IBAN (valid mod-97 checksum)",
    "street_address": "street address",
    "person": "person's name (needs the pii extra)",
    "location": "named place: city, region or country (needs the pii extra; off by default)",
}
# Kinds the validators look for unless told otherwise: a country or city name alone
# ("can I transfer to Spain?") is not personal data, so `location` is opt-in.
DEFAULT_KINDS: tuple[str, ...] = ("email", "card_number", "iban", "phone", "street_address", "person")
MODEL_KINDS: tuple[str, ...] = ("person", "location")

# ---------------------------------------------------------------- the grammar's share
DIGIT_RUN_SEPARATORS = " .()+-"
DIGIT_RUN_MIN = 7
EMAIL_LOCAL_CHARS = "A-Za-z0-9._%+-"
DIGIT_RUN = deferred(
    r"(?<![0-9])[0-9](?:[" + re.escape(DIGIT_RUN_SEPARATORS) + r"]?[0-9]){" + str(DIGIT_RUN_MIN - 1) + r",}"
)

# ---------------------------------------------------------------- structural patterns
EMAIL = deferred(
    rf"(?<![\w.+-])[{EMAIL_LOCAL_CHARS}]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{{2,}}(?!\w)"
)
PHONE = deferred(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){1,4}"
    r"(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w])"
)
PHONE_EXTENSION = deferred(r"\s?(?:x|ext\.?)\s?\d{1,5}$")
CARD = deferred(r"(?<!\d)(?:\d[ -]?){11,18}\d(?!\d)")
IBAN = deferred(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}(?![A-Za-z0-9])")
# English street types: the common ones of USPS Publication 28 (street suffixes) and of British usage.
STREET_SUFFIX = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|terrace|way|"
    r"close|crescent|square|sq|parkway|highway|hwy|alley|bend|bluff|bridge|brook|circle|cir|circles|cove|creek|"
    r"crossing|estates?|expressway|extension|falls|fields?|flats?|ford|forks?|freeway|gardens?|gateway|glen|"
    r"green|grove|harbor|harbour|haven|heights|hills?|hollow|islands?|junction|knolls?|lakes?|landing|loop|"
    r"manor|meadows?|mews|mills?|motorway|mount|mountain|neck|orchard|oval|parade|path|pike|pines?|plains?|"
    r"plaza|prairie|ranch|ridge|rise|row|shoals?|shores?|springs?|spur|stravenue|stream|summit|throughway|"
    r"trace|track|trafficway|trail|trl|tunnel|turnpike|valley|villages?|ville|vista|walk|wharf|wells?|yard"
)
ADDRESS = deferred(
    rf"(?<!\w)\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\.?\s+){{1,3}}(?:{STREET_SUFFIX})\.?(?!\w)", re.IGNORECASE
)
# Continental forms: the street type first ("12, rue de la Paix", "Via Roma 12", "Calle Mayor 5"), or as the
# end of one word ("Hauptstraße 5", "Kerkstraat 12"), with a house number.
_STREET_WORD = (r"rue|avenue|boulevard|chemin|all[ée]e|impasse|quai|via|viale|piazza|piazzale|corso|strada|vicolo|"
                r"largo|borgo|contrada|rotonda|stretto|incrocio|calle|avenida|plaza|paseo|camino|carrer|ronda|"
                r"traves[ií]a|rambla|callej[oó]n|glorieta|urbanizaci[oó]n|cuesta|acceso|rua|travessa")
_STREET_END = r"stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|ring|damm|straat|laan|gracht|plein|kade|singel|dijk|steeg"
CONTINENTAL_ADDRESS = deferred(
    rf"(?<!\w)(?:\d{{1,4}}[a-z]?,?\s+)?(?i:{_STREET_WORD})\s+(?:[\w'.\u00c0-\u017f-]+\s+){{0,4}}?"
    rf"[A-Z\u00c0-\u00de][\w'.\u00c0-\u017f-]*,?\s+\d{{1,4}}(?:[/-]\d{{1,4}})?[a-zA-Z]?(?!\w)"
    rf"|(?<!\w)[A-Z\u00c0-\u00de][\w\u00c0-\u017f-]*(?:{_STREET_END})\s+\d{{1,4}}(?:[/-]\d{{1,4}})?[a-z]?(?!\w)"
)
# A postcode next to a place name: "SW1A 1AA" (UK), ", TX 43780" (US state + ZIP), ", 75001 Paris",
# "1234 AB Amsterdam" (NL).
POSTCODE = deferred(
    r"(?<![\w-])[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}(?!\w)"
    r"|,\s*[A-Z]{2,3},?\s+\d{4,5}(?:-\d{4})?(?!\w)"
    r"|,\s*\d{4,5}\s+[A-Z\u00c0-\u00de][a-z\u00e0-\u017f]+"
    r"|(?<!\w)\d{4}\s?[A-Z]{2}\s+[A-Z][a-z]+"
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


@dataclass(frozen=True)
class PiiHit:
    """One piece of personal data: its kind, the text and where it is, and who found it."""

    kind: str
    text: str
    start: int
    end: int
    score: float = 1.0
    source: str = "regex"


def _emails(text: str) -> Iterable[tuple[int, int]]:
    return (m.span() for m in EMAIL.finditer(text))


def card_ok(digits: str) -> bool:
    """A payment card number: 13-19 digits (12 for Maestro, whose numbers start 50 or 56-69) and Luhn."""
    if len(digits) == 12:
        if not (digits[:2] == "50" or "56" <= digits[:2] <= "69"):
            return False
    elif not 13 <= len(digits) <= 19:
        return False
    return luhn_ok(digits) and len(set(digits)) > 1


def _cards(text: str) -> Iterable[tuple[int, int]]:
    for m in CARD.finditer(text):
        if card_ok(re.sub(r"\D", "", m.group(0))):
            yield m.span()


def _ibans(text: str) -> Iterable[tuple[int, int]]:
    return (m.span() for m in IBAN.finditer(text) if iban_ok(m.group(0)))


def _phones(text: str) -> Iterable[tuple[int, int]]:
    """Digit runs of 9-15 digits in phone-like grouping, excluding card numbers and dates/amounts."""
    for m in PHONE.finditer(text):
        raw = m.group(0)
        digits = re.sub(r"\D", "", PHONE_EXTENSION.sub("", raw))
        if not 9 <= len(digits) <= 15:
            continue
        if card_ok(digits):
            continue  # a card number, reported as such
        grouped = raw.startswith(("+", "(")) or re.search(r"[\s.-]", raw) is not None
        if not grouped and not (10 <= len(digits) <= 11 and digits[0] in "01"):
            continue  # a bare digit run: only national-format numbers, not order ids
        stripped = raw.rstrip()
        yield m.start(), m.start() + len(stripped)


def _literal_prefixes(alternation: str) -> tuple[str, ...]:
    """The literal start of each top-level alternative of a regex (`all[ée]e` -> `all`, `str\\.` -> `str`)."""
    pieces: list[str] = []
    depth = start = 0
    for i, ch in enumerate(alternation):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "|" and depth == 0:
            pieces.append(alternation[start:i])
            start = i + 1
    pieces.append(alternation[start:])
    return tuple(piece[: len(piece) - len(piece.lstrip(ascii_lowercase))] for piece in pieces)


def _fewest(anchors: tuple[str, ...]) -> tuple[str, ...]:
    """The anchors that contain no other anchor (a text holding `allee` holds `all`: one test is enough)."""
    return tuple(sorted(a for a in set(anchors) if not any(b != a and b in a for b in anchors)))


# A continental address holds one of its street words or street-name endings, so an ASCII text without any
# of their literal starts cannot match (the pattern may start anywhere, and costs ~16 µs a text to run).
CONTINENTAL_ANCHORS = _fewest(_literal_prefixes(_STREET_WORD) + _literal_prefixes(_STREET_END))


def _continental_possible(text: str) -> bool:
    if not text.isascii():  # case-insensitive matching of non-ASCII is wider than `lower` (ſ matches s)
        return True
    low = text.lower()
    return any(anchor in low for anchor in CONTINENTAL_ANCHORS)


def _addresses(text: str) -> Iterable[tuple[int, int]]:
    patterns = (ADDRESS, CONTINENTAL_ADDRESS, POSTCODE) if _continental_possible(text) else (ADDRESS, POSTCODE)
    for pattern in patterns:
        for m in pattern.finditer(text):
            start, end = m.span()
            while start < end and text[start] in ", ":
                start += 1
            yield start, end


# Order matters: IBANs, then cards, then phones, so an IBAN's digits are not also a card or a phone.
# Every pattern but the e-mail one needs a decimal digit (`\d`: a house number, a postcode, the digits of
# a number), so a text without one skips them: most texts have none, and at 10^7 records it counts.
REGEX_DETECTORS: dict[str, Callable[[str], Iterable[tuple[int, int]]]] = {
    "email": _emails,
    "iban": _ibans,
    "card_number": _cards,
    "phone": _phones,
    "street_address": _addresses,
}


NEEDS_NO_DIGIT = frozenset({"email"})
ANY_DIGIT = deferred(r"\d")


def overlaps(span: tuple[int, int], taken: Iterable[tuple[int, int]]) -> bool:
    return any(a < span[1] and span[0] < b for a, b in taken)


def find_pii_regex(text: str, kinds: Iterable[str] | None = None) -> list[PiiHit]:
    """Personal data the structural patterns find (no model): every kind but `person` / `location`.

    A later hit inside an earlier one is dropped (an IBAN's digits are not
    also a phone).  Hits come back in detector order, then text order.
    """
    wanted = set(DEFAULT_KINDS if kinds is None else kinds)
    hits: list[PiiHit] = []
    taken: list[tuple[int, int]] = []
    digits = ANY_DIGIT.search(text) is not None
    for kind, detector in REGEX_DETECTORS.items():
        if kind not in wanted or (kind not in NEEDS_NO_DIGIT and not digits):
            continue
        for start, end in detector(text):
            if overlaps((start, end), taken):
                continue
            taken.append((start, end))
            hits.append(PiiHit(kind, text[start:end], start, end))
    return hits


EMAIL_ANYWHERE = deferred(rf"[{EMAIL_LOCAL_CHARS}]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{{2,}}")


def find_blocked(text: str) -> list[str]:
    """E-mail addresses and phone/card-like digit runs in `text`: what the grammar keeps out."""
    return [m.group(0) for m in EMAIL_ANYWHERE.finditer(text)] + [m.group(0) for m in DIGIT_RUN.finditer(text)]
