"""Benchmark: PII detection on real customer text, regex detectors vs Presidio + spaCy, side by side.

Texts are real BANKING77 queries (data/banking77/*.csv, CC BY 4.0).  Three detectors side by side in one run:
`before` (the regex detector as it was before this work, `bench/pii_regex_before.py`), `regex` (today's
fallback, `synthspec/pii.py`) and `presidio` (Presidio + spaCy, `synthspec/validate/pii.py`).  Two measurements:

* **Injected**: each of `--per-kind` test-split queries gets one piece of personal data made by Faker (seeded)
  and put into a sentence a customer might write ("... You can reach me at {phone}", "Thanks, {name}",
  "I sent the money to {name} yesterday").  Kinds: names, phones in several national formats, e-mails,
  IBANs, card numbers, postal addresses, each drawn from ten locales.  Recall: share of injected items some
  hit of the right kind overlaps; "any": some hit of any kind overlaps (the record is caught either way —
  an address's street is often read as a name).  Precision: share of a kind's hits that lie on injected
  personal data (the injected texts are otherwise real BANKING77 queries).
* **Clean**: every training-split query as it is (10,003 texts).  False-positive rate: share of texts with
  any hit.  (BANKING77 holds no personal data; a hit there is a false alarm.)

    python bench/bench_pii.py                  # 300 per kind, all clean texts
    python bench/bench_pii.py --per-kind 100 --clean 2000

Needs the `pii` extra and faker (both in `dev`).
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from collections import Counter
from pathlib import Path

import pii_regex_before

from synthspec.datafiles import read_records
from synthspec.pii import PiiHit
from synthspec.validate.pii import PresidioDetector, RegexDetector

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "banking77"
LOCALES = ("en_US", "en_GB", "en_IE", "en_AU", "en_IN", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")
IBAN_LOCALES = ("en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")
KINDS = ("person", "phone", "email", "card_number", "iban", "street_address")
# A hit of any of these kinds counts for the injected kind (an address's city is a `location`).
MATCHES = {"street_address": {"street_address", "location"}}
TEMPLATES = {
    "person": ["My name is {x}.", "This is {x}. {t}", "{t} Thanks, {x}", "{t} Regards, {x}",
               "Hi, I'm {x} and {tl}", "{t} - {x}", "Account holder: {x}. {t}", "{t} My name is {x}",
               # no cue word: only the model can tell these are names
               "{t} I sent the money to {x} yesterday.", "{t} The payment was for {x}.",
               "{x} told me to contact you. {t}", "{t} My friend {x} has the same problem."],
    "phone": ["{t} Call me on {x}.", "My number is {x}. {t}", "{t} You can reach me at {x}",
              "{t} ({x})", "{t} My phone: {x}"],
    "email": ["{t} Email me at {x}", "{t} My email is {x}.", "Reply to {x} please. {t}", "{t} ({x})"],
    "card_number": ["{t} Card number {x}.", "My card {x} {tl}", "{t} The card is {x}"],
    "iban": ["{t} My IBAN is {x}.", "Send it to {x}. {t}", "{t} Account {x}"],
    "street_address": ["{t} I live at {x}.", "Please send it to {x}. {t}", "{t} My address is {x}"],
}


class BeforeDetector:
    """Today's (pre-issue-11) regex detector, `bench/pii_regex_before.py`, behind the same interface."""

    name = "before (regex)"

    def find_many(self, texts, kinds):
        out = []
        for text in texts:
            hits, at = [], 0
            for kind, hit in pii_regex_before.find_pii(text, [k for k in kinds if k in pii_regex_before.DETECTORS]):
                start = text.find(hit)
                at = start if start >= 0 else at
                hits.append(PiiHit(kind, hit, at, at + len(hit)))
            out.append(hits)
        return out


def _value(fake, kind: str, rng: random.Random) -> str:
    if kind == "person":
        return fake.name()
    if kind == "phone":
        return fake.phone_number()
    if kind == "email":
        return fake.email()
    if kind == "card_number":
        number = fake.credit_card_number()
        return " ".join(number[i:i + 4] for i in range(0, len(number), 4)) if rng.random() < 0.5 else number
    if kind == "iban":
        iban = fake.iban()
        return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.5 else iban
    return fake.address().replace("\n", ", ")


def make_injected(per_kind: int, seed: int) -> list[tuple[str, str, tuple[int, int]]]:
    """(text, kind, span of the injected value) for `per_kind` test-split queries per kind."""
    from faker import Faker

    Faker.seed(seed)
    rng = random.Random(seed)
    fakes = {loc: Faker(loc) for loc in LOCALES}
    base = [r["text"].strip() for r in read_records(DATA / "test.csv")]
    out = []
    for kind in KINDS:
        locales = IBAN_LOCALES if kind == "iban" else LOCALES
        for i in range(per_kind):
            fake = fakes[locales[i % len(locales)]]
            value = _value(fake, kind, rng)
            t = rng.choice(base)
            template = rng.choice(TEMPLATES[kind])
            head, _, tail = template.partition("{x}")
            fill = {"t": t, "tl": t[:1].lower() + t[1:]}
            prefix = head.format(**fill)
            text = prefix + value + tail.format(**fill)
            out.append((text, kind, (len(prefix), len(prefix) + len(value))))
    return out


def score(detector, injected, clean) -> dict:
    """Per kind: recall, precision; clean: texts with any hit, by kind; seconds per text."""
    start = time.perf_counter()
    hits = detector.find_many([t for t, _, _ in injected], KINDS)
    clean_hits = detector.find_many(clean, KINDS)
    seconds = time.perf_counter() - start
    found = Counter()
    found_any = Counter()
    tp = Counter()
    total_hits = Counter()
    for (_, kind, (a, b)), text_hits in zip(injected, hits, strict=True):
        wanted = MATCHES.get(kind, {kind})
        on_value = [h for h in text_hits if h.start < b and a < h.end]
        found[kind] += any(h.kind in wanted for h in on_value)
        found_any[kind] += bool(on_value)
        for h in text_hits:
            total_hits[h.kind] += 1
            tp[h.kind] += h in on_value
    per_kind = {}
    for kind in KINDS:
        n = sum(1 for _, k, _ in injected if k == kind)
        per_kind[kind] = {
            "recall": found[kind] / n if n else None,
            "recall_any": found_any[kind] / n if n else None,
            "precision": tp[kind] / total_hits[kind] if total_hits[kind] else None,
            "hits": total_hits[kind],
        }
    fp_texts = [i for i, h in enumerate(clean_hits) if h]
    fp_kinds = Counter(h.kind for text_hits in clean_hits for h in text_hits)
    examples = [(clean[i], [(h.kind, h.text) for h in clean_hits[i]]) for i in fp_texts[:20]]
    return {"per_kind": per_kind, "clean_fp_texts": len(fp_texts), "clean_fp_kinds": dict(fp_kinds),
            "examples": examples, "seconds": seconds, "texts": len(injected) + len(clean)}


def _fmt(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-kind", type=int, default=300)
    parser.add_argument("--clean", type=int, default=0, help="clean training texts to use (0: all)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    injected = make_injected(args.per_kind, args.seed)
    clean = [r["text"] for r in read_records(DATA / "train.csv")]
    if args.clean:
        clean = clean[: args.clean]
    print(f"# {platform.platform()}, {platform.python_version()}; {len(injected)} injected texts "
          f"({args.per_kind} per kind, seed {args.seed}), {len(clean)} clean BANKING77 training texts")
    t = time.perf_counter()
    presidio = PresidioDetector()
    load = time.perf_counter() - t
    results = {"before (regex)": score(BeforeDetector(), injected, clean),
               "regex": score(RegexDetector(), injected, clean),
               presidio.name: score(presidio, injected, clean)}
    names = list(results)
    print(f"\n{presidio.name}: loaded in {load:.1f} s\n")
    short = {n: n.split(" (")[0].split(" ")[0] for n in names}
    print("| kind | " + " | ".join(f"{short[n]} recall | {short[n]} recall (any) | {short[n]} precision"
                                   for n in names) + " |")
    print("|---|" + "---:|---:|---:|" * len(names))
    for kind in KINDS:
        cells = []
        for n in names:
            k = results[n]["per_kind"][kind]
            cells += [_fmt(k["recall"]), _fmt(k["recall_any"]), _fmt(k["precision"])]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print("\n| detector | clean texts with a hit | false-positive rate | by kind | ms / text |")
    print("|---|---:|---:|---|---:|")
    for n in names:
        r = results[n]
        rate = r["clean_fp_texts"] / len(clean)
        print(f"| {n} | {r['clean_fp_texts']} / {len(clean)} | {rate:.4f} | {r['clean_fp_kinds'] or '–'} | "
              f"{1000 * r['seconds'] / r['texts']:.2f} |")
    for n in names:
        for text, hits in results[n]["examples"]:
            print(f"  {n} false positive: {text!r} -> {hits}")


if __name__ == "__main__":
    main()
