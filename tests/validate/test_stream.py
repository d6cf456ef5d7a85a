"""The streaming runner against the one-shot runner: same findings, metrics and verdicts, in bounded pieces.

Real data (BANKING77 queries resampled with small edits, so there are real
exact and near duplicates and seed copies), real worker processes, the real
signature cache on disk.  Ray is tested in test_ray_validate.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.bench_validate import make_records as bench_records
from synthspec.diagnostics import SynthspecError
from synthspec.ir.model import ValidatorUse
from synthspec.validate import findings as findings_module
from synthspec.validate import minhash
from synthspec.validate.batches import plan_chunks
from synthspec.validate.finder import FoundPlugin, LoadedPlugin, LoadedPlugins
from synthspec.validate.findings import FindingLog
from synthspec.validate.registry import get_registry
from synthspec.validate.runner import validate_records
from synthspec.validate.signatures import MINHASH_TAG, SignatureCache
from synthspec.validate.stream import validate_file
from tests.validate.stream_plugin import Shortest, V1Total

SUITE = ("schema", "forbidden", "dedup", "distribution", "diversity", "bias", "leakage", "seed_copy", "combinations")


def make_records(n: int, seed: int = 0) -> list[dict]:
    """The benchmark's near-duplicate BANKING77 queries, every 7th with an id column."""
    out = bench_records(n, seed)
    for k in range(0, n, 7):
        out[k]["id"] = f"r{k}"
    return out


def write_jsonl(path: Path, records: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    return path


def with_plugins(*classes) -> LoadedPlugins:
    base = get_registry()
    plugins = dict(base.plugins)
    for cls in classes:
        found = FoundPlugin("synthspec-test-plugins", cls.name, "0.1", f"{cls.__module__}:{cls.__name__}")
        plugins[cls.name] = LoadedPlugin(found, cls)
    return LoadedPlugins(plugins=plugins, failures=list(base.failures))


def suite_spec(banking_spec, extra=()):
    uses = [ValidatorUse(name=n, params={"semantic": False} if n == "dedup" else {}) for n in SUITE]
    uses += [ValidatorUse(name=n) for n in extra]
    return banking_spec.model_copy(update={"validators": tuple(uses)})


def assert_same(a, b) -> None:
    assert a.record_count == b.record_count
    for ra in a.runs:
        rb = b.run(ra.name)
        assert (ra.status, ra.error) == (rb.status, rb.error), ra.name
        assert [f.to_json() for f in ra.result.findings] == [f.to_json() for f in rb.result.findings], ra.name
        assert ra.result.metrics == rb.result.metrics, ra.name
        assert [h.to_json() for h in ra.result.histograms] == [h.to_json() for h in rb.result.histograms], ra.name
        assert [n for n in ra.result.notes if "collected in memory" not in n] == [
            n for n in rb.result.notes if "collected in memory" not in n
        ], ra.name
    assert (a.dropped, a.flagged, a.failed) == (b.dropped, b.flagged, b.failed)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, list[dict]]:
    records = make_records(12_000)
    return write_jsonl(tmp_path_factory.mktemp("stream") / "data.jsonl", records), records


def test_streaming_suite_equals_the_one_shot_suite_on_many_chunks_and_two_processes(
    banking_spec, banking_seeds, data, tmp_path, monkeypatch
) -> None:
    path, records = data
    spec = suite_spec(banking_spec, extra=("shortest", "v1_total"))
    registry = with_plugins(Shortest, V1Total)
    one_shot = validate_records(spec, records, banking_seeds, registry)
    assert len(one_shot.run("dedup").errors) > 1000 and len(one_shot.run("seed_copy").errors) > 1000
    monkeypatch.setattr(minhash, "PARALLEL_MIN", 0)  # dedup's banding split over the finish pool's 2 processes
    streamed = validate_file(spec, path, workers=2, seeds=banking_seeds, registry=registry,
                             cache_dir=tmp_path / "cache", target_bytes=60_000)
    assert streamed.executor == "2 processes"
    assert_same(one_shot, streamed)
    assert streamed.run("shortest").result.metrics["records"] == len(records)
    assert streamed.run("v1_total").result.metrics["last_text"] == records[-1]["text"]
    assert all(r.peak_rss and r.peak_rss > 10 * 2**20 for r in streamed.runs)
    # a second run reads the signatures back from the cache and still agrees, with the findings of dedup and
    # seed_copy (thousands each) spilled to disk past 500 in memory
    monkeypatch.setattr(minhash, "PARALLEL_MIN", 10**9)
    monkeypatch.setattr(findings_module, "MEMORY_LIMIT", 500)
    monkeypatch.setattr(findings_module, "BLOCK", 128)
    again = validate_file(spec, path, workers=1, seeds=banking_seeds, registry=registry,
                          cache_dir=tmp_path / "cache", target_bytes=200_000)
    for name in ("dedup", "seed_copy"):
        kept = again.run(name).result.findings
        assert isinstance(kept, FindingLog) and kept.spilled > 1000, name
    assert_same(one_shot, again)


def test_the_cache_recomputes_only_changed_records(banking_spec, banking_seeds, tmp_path) -> None:
    records = make_records(3000, seed=5)
    spec = suite_spec(banking_spec)
    cache = tmp_path / "cache"
    path = write_jsonl(tmp_path / "a.jsonl", records)
    validate_file(spec, path, workers=1, seeds=banking_seeds, cache_dir=cache)
    sig_cache = SignatureCache(cache, MINHASH_TAG)
    first = json.loads(next(sig_cache.dir.glob("shard-*/meta.json")).read_text())["count"]
    distinct = len({" ".join(r["text"].casefold().split()) for r in records})
    assert 0.9 * distinct <= first <= len(records)  # one row per distinct normalised text, at most
    edited = [dict(r) for r in records]
    for k in (10, 500, 2999):
        edited[k]["text"] = f"a completely new text number {k} about my lost card"
    path2 = write_jsonl(tmp_path / "b.jsonl", edited)
    report = validate_file(spec, path2, workers=1, seeds=banking_seeds, cache_dir=cache)
    counts = sorted(json.loads(m.read_text())["count"] for m in sig_cache.dir.glob("shard-*/meta.json"))
    assert counts == sorted([first, 3])
    assert_same(validate_records(spec, edited, banking_seeds), report)


def test_csv_and_parquet_stream_the_rows_read_table_reads(tmp_path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [{"text": f'row {i}, with "quotes"\nand a newline', "category": str(i % 3)} for i in range(500)]
    csv_path = tmp_path / "d.csv"
    import csv

    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["text", "category"])
        w.writeheader()
        w.writerows(rows)
    got = [r for c in plan_chunks(csv_path, target_bytes=4096) for r in c.records()]
    assert got == rows
    pq_path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(rows), pq_path, row_group_size=64)
    chunks = list(plan_chunks(pq_path, target_bytes=2048))
    assert len(chunks) > 1 and [c.start for c in chunks] == sorted(c.start for c in chunks)
    assert [r for c in chunks for r in c.records()] == rows


def test_a_bad_jsonl_line_is_reported_with_its_line_number(banking_spec, tmp_path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps({"text": f"t{i}", "category": "card_arrival"}) for i in range(3000)]
    lines[2500] = '{"text": "broken'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SynthspecError) as err:
        validate_file(suite_spec(banking_spec), path, workers=1, cache_dir=None, target_bytes=5000)
    diag = err.value.diagnostics[0]
    assert diag.code == "D001" and diag.line == 2501 and "invalid JSON" in diag.message


def test_a_crashing_two_phase_plugin_does_not_lose_the_other_results(banking_spec, data) -> None:
    path, records = data

    spec = banking_spec.model_copy(
        update={"validators": (ValidatorUse(name="shortest", params={"keep": -1}), ValidatorUse(name="schema"))}
    )

    class Crashing(Shortest):
        def finish(self, state, ctx):
            raise ValueError("boom")

    Crashing.__module__ = Shortest.__module__
    report = validate_file(spec, path, workers=1, registry=with_plugins(Crashing), cache_dir=None)
    assert report.run("shortest").status == "crashed" and "boom" in report.run("shortest").error
    assert report.run("schema").status in ("ok", "triggered")


def _banded_on_processes(path, whole) -> bool:
    """Banding split by band over two real spawned processes gives the one-process answer."""
    import numpy as np

    from synthspec.validate import minhash
    from synthspec.validate.fanout import FinishPool

    pool = FinishPool(2)
    saved, minhash.PARALLEL_MIN = minhash.PARALLEL_MIN, 0
    try:
        other, sim = minhash.near_duplicates_banded(np.load(path, mmap_mode="r"), 0.8, pool=pool)
        child_peak = pool.take_peak()
    finally:
        minhash.PARALLEL_MIN = saved
        pool.close()
    assert child_peak > 0  # the bands ran in the children, which report their memory
    return {i: (int(other[i]), float(sim[i])) for i in np.flatnonzero(other >= 0)} == {
        i: (m.other, m.similarity) for i, m in whole.items()
    }


def test_banded_near_duplicates_and_batched_reference_matching_equal_the_whole_array_versions(tmp_path) -> None:
    import numpy as np

    from synthspec.validate import minhash

    texts = [r["text"] for r in make_records(6000, seed=9)]
    sig = minhash.signatures(texts)
    whole = minhash.near_duplicates(sig, 0.8)
    np.save(tmp_path / "sig.npy", sig)
    other, sim = minhash.near_duplicates_banded(np.load(tmp_path / "sig.npy", mmap_mode="r"), 0.8)
    assert len(whole) > 1000
    assert {i: (int(other[i]), float(sim[i])) for i in np.flatnonzero(other >= 0)} == {
        i: (m.other, m.similarity) for i, m in whole.items()
    }
    reference, query = sig[:1500], sig[1500:]
    full = minhash.best_matches(reference, query, 0.8)
    assert _banded_on_processes(tmp_path / "sig.npy", whole)
    pieces = {}
    for start in range(0, len(query), 777):
        for i, m in minhash.best_matches(reference, query[start : start + 777], 0.8).items():
            pieces[start + i] = (m.other, m.similarity)
    assert len(full) > 500 and pieces == {i: (m.other, m.similarity) for i, m in full.items()}
