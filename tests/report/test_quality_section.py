"""The text quality section of every report: measures beside the seeds' own, and a seeded sample.

Real BANKING77 records (the report fixture) against their seeds, plus records made degenerate on
purpose, through the real runner and the real text / HTML / JSON renderers.
"""

from __future__ import annotations

import json

from rich.console import Console

from synthspec.datafiles import read_table
from synthspec.ir.compile import compile_spec
from synthspec.ir.model import ValidatorUse
from synthspec.report import print_report, render_html
from synthspec.report.review import export_review
from synthspec.validate import validate_records
from synthspec.validate.quality import measure_quality
from tests.conftest import REPO

FIX = REPO / "tests" / "fixtures" / "banking77"


def _spec():
    spec = compile_spec(FIX / "banking.synth").spec
    return spec.model_copy(update={"validators": (ValidatorUse(name="schema"),)})


def _seeds(spec):
    from synthspec.validate import load_seeds

    return load_seeds(spec)


def test_real_queries_measure_like_their_seeds():
    spec = _spec()
    records = read_table(FIX / "sample.csv")[:300]
    text = measure_quality(spec, records, _seeds(spec))["fields"]["text"]
    mine, seeds = text["records"], text["seeds"]
    assert text["ngram"] == 4
    # held-out real queries are real queries: every measure close to the seeds'
    for key in ("repeated_ngram_share", "clean_ending_share", "sentence_end_share", "oov_share"):
        assert abs(mine[key] - seeds[key]) < 0.1, key
    assert abs(mine["mean_words"] - seeds["mean_words"]) < 3


def test_degenerate_records_are_visible_beside_the_seeds():
    spec = _spec()
    loops = [{"category": "card_arrival", "text": "where is my card where is my card where is my card"}] * 5
    cut = [{"category": "card_arrival", "text": "my card number is 107-165-"}] * 5
    text = measure_quality(spec, loops + cut, _seeds(spec))["fields"]["text"]["records"]
    assert text["repeated_ngram_share"] == 0.5
    assert text["clean_ending_share"] == 0.5
    assert text["sentence_end_share"] == 0.0


def test_every_report_carries_the_measures_and_the_sample(tmp_path):
    spec = _spec()
    records = read_table(FIX / "sample.csv")[:40]
    records[3] = {"category": "card_arrival", "text": "my card my card my card my card (search: travel"}
    report = validate_records(spec, records)
    data = json.loads(json.dumps(report.to_json()))
    assert data["quality"]["fields"]["text"]["records"]["texts"] == 40
    shown = data["quality"]["sample"]["indices"]
    # the sample is the one `review export --sample 5 --seed 0` picks
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    ratings, _ = export_review(path, tmp_path / "review", sample=5, seed=0)
    assert [int(row["record_index"]) for row in read_table(ratings)] == shown
    html = render_html(report, records)
    assert "Text quality" in html and "A sample of records" in html
    assert records[shown[0]]["text"][:30].replace("'", "&#x27;") in html
    console = Console(record=True, width=160)
    print_report(report, console)
    out = console.export_text()
    assert "texts with a repeated word 4-gram" in out and "as `review export` picks them" in out
