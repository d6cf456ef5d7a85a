"""`FindingLog`: a list of findings that spills to disk past a limit and reads back exactly what was added."""

from __future__ import annotations

import pickle

import pytest

from synthspec.diagnostics import Severity
from synthspec.validate import findings as findings_module
from synthspec.validate.api import Finding
from synthspec.validate.findings import FindingLog, gather


def make(n: int, start: int = 0) -> list[Finding]:
    kinds = (Severity.ERROR, Severity.WARNING, Severity.INFO)
    return [
        Finding("dedup", kinds[i % 3], f"near duplicate of record {i // 2}", record_index=i,
                record_id=None if i % 5 else f"r{i}", field="text", value=round(i / 7, 4) if i % 2 else "x",
                threshold=0.8, code="near")
        for i in range(start, start + n)
    ]


def test_a_log_past_its_limit_keeps_the_rest_on_disk_and_reads_back_every_finding_in_order(monkeypatch) -> None:
    monkeypatch.setattr(findings_module, "BLOCK", 7)
    items = make(100)
    log = FindingLog(limit=10)
    for f in items[:60]:
        log.append(f)
    log.extend(items[60:])
    assert len(log) == 100 and log.spilled == 90
    assert list(log) == items and log == items and items == list(log)
    assert log[0] == items[0] and log[55] == items[55] and log[-1] == items[-1]
    assert log[:5] == items[:5] and log[50:53] == items[50:53]
    assert list(log) == items  # reading twice reads the same
    with pytest.raises(IndexError):
        log[100]


def test_an_empty_and_a_small_log_behave_as_lists() -> None:
    assert not FindingLog() and len(FindingLog()) == 0 and list(FindingLog()) == []
    small = FindingLog(make(3), limit=10)
    assert small and small.spilled == 0 and small == make(3)
    assert FindingLog(make(3)) != make(4)


def test_a_spilled_log_sent_to_another_process_carries_its_findings() -> None:
    items = make(40)
    log = FindingLog(items, limit=5)
    again = pickle.loads(pickle.dumps(log))
    assert isinstance(again, FindingLog) and again == items


def test_sort_works_on_a_spilled_log() -> None:
    items = make(30)
    log = FindingLog(reversed(items), limit=4)
    log.sort(key=lambda f: f.record_index)
    assert list(log) == items and len(log) == 30


def test_gather_extends_the_first_log_in_place_instead_of_copying_it() -> None:
    first = FindingLog(make(5), limit=3)
    merged = gather([first, make(5, start=5), make(5, start=10)])
    assert merged is first and list(merged) == make(15)
    assert list(gather([make(2), make(2, start=2)])) == make(4)
    assert len(gather([])) == 0
