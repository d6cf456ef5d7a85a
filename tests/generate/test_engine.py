"""The engine end to end on the tiny model: records, provenance, manifest, resume, retries, formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate import BuildOptions, Rejection, run_build
from synthspec.generate.journal import read_jsonl_tail_safe
from synthspec.ir import compile_spec

MINI = Path(__file__).parent / "fixtures" / "mini.synth"


@pytest.fixture(scope="module")
def mini_spec():
    return compile_spec(MINI).spec


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _values(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "_provenance"} for r in records]


def test_build_writes_valid_records_with_provenance(tmp_path, mini_spec, tiny_backend):
    out = tmp_path / "mini.jsonl"
    result = run_build(mini_spec, tiny_backend, BuildOptions(out=out, batch_size=4, progress="off"))
    assert (result.written, result.failed, result.interrupted) == (6, 0, False)
    records = _jsonl(out)
    assert [r["_provenance"]["index"] for r in records] == list(range(6))
    for record in records:
        assert re.fullmatch(r"[A-Z]{3}-[0-9]{3}", record["code"])
        assert 3 <= len(record["note"].split()) <= 8
        assert record["code"] in record["note"]
        assert record["label"] == f"{record['sentiment']}:{record['code']}"
        assert record["sentiment"] in ("positive", "negative") and 1 <= record["stars"] <= 5
        prov = record["_provenance"]
        assert prov["backend"] == "transformers" and prov["model_sha256"] == tiny_backend.identity.model_sha256
        assert prov["technique"] == "plain" and isinstance(prov["sub_seed"], int)
        assert set(prov["field_seeds"]) == {"code", "note"}
    manifest = json.loads(result.paths.manifest.read_text())
    journal = read_jsonl_tail_safe(result.paths.journal)
    assert manifest["status"] == "complete" and manifest["counts"] == {"requested": 6, "written": 6,
                                                                "dropped_by_dataset_check": 0}
    assert manifest["tokens"]["completion_tokens"] == sum(e["completion_tokens"] for e in journal) > 0
    assert manifest["identity"]["seed"] == 11


def test_resume_after_crash_gives_the_same_records(tmp_path, mini_spec, tiny_backend):
    whole = tmp_path / "whole.jsonl"
    run_build(mini_spec, tiny_backend, BuildOptions(out=whole, batch_size=2, progress="off"))
    crashed = tmp_path / "crashed.jsonl"
    first = run_build(mini_spec, tiny_backend, BuildOptions(out=crashed, batch_size=2, progress="off"))
    # simulate a crash after the first batch: keep 2 journal lines plus half of the third
    journal = first.paths.journal.read_bytes().split(b"\n")
    first.paths.journal.write_bytes(b"\n".join(journal[:2]) + b"\n" + journal[2][:40])
    crashed.write_bytes(b"\n".join(crashed.read_bytes().split(b"\n")[:3])[:-10])  # a torn output too
    resumed = run_build(mini_spec, tiny_backend, BuildOptions(out=crashed, batch_size=2, progress="off"))
    assert (resumed.kept, resumed.generated, resumed.written) == (2, 4, 6)
    assert _jsonl(crashed) == _jsonl(whole)  # identical records, provenance included
    manifest = json.loads(resumed.paths.manifest.read_text())
    journal_entries = read_jsonl_tail_safe(resumed.paths.journal)
    assert len(journal_entries) == 6
    assert manifest["tokens"]["prompt_tokens"] == sum(e["prompt_tokens"] for e in journal_entries)
    again = run_build(mini_spec, tiny_backend, BuildOptions(out=crashed, batch_size=2, progress="off"))
    assert (again.kept, again.generated) == (6, 0)


def test_changed_build_is_refused_unless_forced(tmp_path, mini_spec, tiny_backend):
    out = tmp_path / "mini.jsonl"
    run_build(mini_spec, tiny_backend, BuildOptions(out=out, progress="off"))
    reseeded = mini_spec.model_copy(update={"seed": 12})
    with pytest.raises(SynthspecError) as info:
        run_build(reseeded, tiny_backend, BuildOptions(out=out, progress="off"))
    assert "seed: 11 → 12" in info.value.render() and "--force" in info.value.render()
    assert len(_jsonl(out)) == 6  # the refused build touched nothing
    forced = run_build(reseeded, tiny_backend, BuildOptions(out=out, progress="off", force=True))
    assert forced.kept == 0 and forced.written == 6
    assert json.loads(forced.paths.manifest.read_text())["identity"]["seed"] == 12


def test_foreign_output_file_is_not_clobbered(tmp_path, mini_spec, tiny_backend):
    out = tmp_path / "mine.jsonl"
    out.write_text('{"precious": true}\n')
    with pytest.raises(SynthspecError, match="not written by this build"):
        run_build(mini_spec, tiny_backend, BuildOptions(out=out, progress="off"))
    assert out.read_text() == '{"precious": true}\n'


def test_record_check_rejections_are_retried_and_ledgered(tmp_path, mini_spec, tiny_backend):
    calls = {"n": 0}

    def refuse_first_round(values: dict) -> list[Rejection]:
        # one batch of 6: the first 6 calls are every record's first round
        calls["n"] += 1
        if calls["n"] <= 6:
            return [Rejection("first-round", "every record is refused once", field="note")]
        return []

    out = tmp_path / "mini.jsonl"
    result = run_build(mini_spec, tiny_backend, BuildOptions(out=out, batch_size=6, progress="off"),
                       record_check=refuse_first_round)
    assert result.written == 6 and result.rejected >= 6
    assert all(r["_provenance"]["round"] == 1 for r in _jsonl(out))
    ledger = _jsonl(result.paths.rejects)
    refused = [row for row in ledger if row["validator"] == "first-round"]
    assert sorted({row["index"] for row in refused}) == list(range(6))
    assert all(row["reason"] == "every record is refused once" and row["field"] == "note" for row in refused)


def test_interrupt_keeps_finished_batches_and_resumes(tmp_path, mini_spec, tiny_backend):
    calls = {"n": 0}

    def interrupt_in_second_batch(values: dict) -> list[Rejection]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return []

    out = tmp_path / "mini.jsonl"
    stopped = run_build(mini_spec, tiny_backend, BuildOptions(out=out, batch_size=2, progress="off"),
                        record_check=interrupt_in_second_batch)
    assert stopped.interrupted and stopped.written == 2
    assert json.loads(stopped.paths.manifest.read_text())["status"] == "interrupted"
    assert len(_jsonl(out)) == 2
    resumed = run_build(mini_spec, tiny_backend, BuildOptions(out=out, batch_size=2, progress="off"))
    assert (resumed.kept, resumed.written) == (2, 6)


def test_a_ctrl_c_swallowed_by_native_code_still_stops_the_build(tmp_path, mini_spec, tiny_backend):
    # a native extension that checks signals can turn Ctrl-C into its own error and drop the
    # KeyboardInterrupt; the build's SIGINT latch still stops it at the scheduler's next safe point
    import os
    import signal

    calls = {"n": 0}

    def swallow_a_ctrl_c_in_second_batch(values: dict) -> list[Rejection]:
        calls["n"] += 1
        if calls["n"] == 3:
            try:
                os.kill(os.getpid(), signal.SIGINT)  # the latch handler raises KeyboardInterrupt here...
            except KeyboardInterrupt:
                pass  # ...which "native code" swallows
        return []

    out = tmp_path / "mini.jsonl"
    stopped = run_build(mini_spec, tiny_backend, BuildOptions(out=out, batch_size=2, progress="off"),
                        record_check=swallow_a_ctrl_c_in_second_batch)
    assert stopped.interrupted and 2 <= stopped.written < 6
    assert json.loads(stopped.paths.manifest.read_text())["status"] == "interrupted"
    resumed = run_build(mini_spec, tiny_backend, BuildOptions(out=out, batch_size=2, progress="off"))
    assert resumed.written == 6 and not resumed.interrupted


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_flat_formats_hold_the_same_records(tmp_path, mini_spec, tiny_backend, fmt):
    reference = tmp_path / "ref.jsonl"
    run_build(mini_spec, tiny_backend, BuildOptions(out=reference, progress="off"))
    out = tmp_path / f"mini.{fmt}"
    run_build(mini_spec, tiny_backend, BuildOptions(out=out, format=fmt, progress="off"))
    if fmt == "csv":
        import csv

        rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(out).to_pylist()
    expected = _jsonl(reference)
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected, strict=True):
        assert row["code"] == want["code"] and row["note"] == want["note"] and row["label"] == want["label"]
        assert json.loads(row["_provenance"]) == want["_provenance"]


# ---------------------------------------------------------------- trust: lock, ledger, give-ups, exact counts

LETTERS = Path(__file__).parent / "fixtures" / "letters.synth"


@pytest.fixture(scope="module")
def letters_spec():
    spec = compile_spec(LETTERS).spec
    return spec.model_copy(update={"validators": ()})  # these tests inject their own checks


def _lines(path: Path) -> list[dict]:
    return read_jsonl_tail_safe(path, repair=False)


def test_two_builds_into_one_output_are_refused(tmp_path, letters_spec, tiny_backend):
    from synthspec.generate.state import BuildLock, BuildPaths

    out = tmp_path / "letters.jsonl"
    with BuildLock(BuildPaths(out).lock):  # another build holds the output
        with pytest.raises(SynthspecError) as info:
            run_build(letters_spec, tiny_backend, BuildOptions(out=out, progress="off"))
    assert "another build is writing" in info.value.render() and info.value.diagnostics[0].code == "B013"
    assert not out.exists()
    assert run_build(letters_spec, tiny_backend, BuildOptions(out=out, progress="off")).written == 4  # released


def test_a_record_that_keeps_failing_is_given_up_with_fresh_seeds_and_its_tokens_counted(
        tmp_path, letters_spec, tiny_backend):
    from synthspec.lower import plan_records

    doomed_stars = plan_records(letters_spec)[1].sampled["stars"]
    doomed = [p.index for p in plan_records(letters_spec) if p.sampled["stars"] == doomed_stars]

    def refuse_doomed(values: dict) -> list[Rejection]:
        return [Rejection("picky", "never this one")] if values["stars"] == doomed_stars else []

    out = tmp_path / "letters.jsonl"
    options = BuildOptions(out=out, batch_size=2, progress="off")
    result = run_build(letters_spec, tiny_backend, options, record_check=refuse_doomed)
    assert sorted(result.missing) == doomed and result.failed == len(doomed)
    assert result.written == 4 - len(doomed)
    assert all("failed every try" in why and "picky: never this one" in why for why in result.missing.values())
    journal = _lines(result.paths.journal)
    gave_up = [e for e in journal if e.get("kind") == "gave_up"]
    generations = options.max_regenerations + 1
    assert sorted((e["index"], e["generation"]) for e in gave_up) == sorted(
        (i, g) for i in doomed for g in range(generations))
    manifest = json.loads(result.paths.manifest.read_text())
    assert manifest["status"] == "incomplete" and sorted(map(int, manifest["missing"])) == doomed
    assert manifest["budget"]["regenerations"] == options.max_regenerations
    # every token counted once: the total is the sum over the journal, given-up work included
    assert manifest["tokens"]["completion_tokens"] == sum(e.get("completion_tokens", 0) for e in journal)
    assert sum(e["completion_tokens"] for e in gave_up) > 0
    ledger = _lines(result.paths.rejects)
    rounds = options.max_record_attempts * generations
    picky = [r for r in ledger if r["validator"] == "picky"]
    assert sorted((r["index"], r["round"]) for r in picky) == sorted((i, n) for i in doomed for n in range(rounds))
    first_seeds = {json.dumps(r["raw"]) + str(r["round"]) for r in picky}

    # re-running tries the missing records again with fresh seeds: later rounds, nothing ledgered twice
    again = run_build(letters_spec, tiny_backend, options, record_check=refuse_doomed)
    assert again.kept == 4 - len(doomed) and sorted(again.missing) == doomed
    ledger = _lines(result.paths.rejects)
    later = [r for r in ledger if r["validator"] == "picky" and r["round"] >= rounds]
    assert sorted((r["index"], r["round"]) for r in later) == sorted(
        (i, n) for i in doomed for n in range(rounds, 2 * rounds))
    assert len({r["key"] for r in ledger}) == len(ledger)
    assert not first_seeds & {json.dumps(r["raw"]) + str(r["round"]) for r in later}


def test_exact_count_a_fresh_generation_replaces_a_given_up_one(tmp_path, letters_spec, tiny_backend):
    calls = {"n": 0}
    rounds = BuildOptions(out=tmp_path).max_record_attempts

    def refuse_first_generation_of_record_0(values: dict) -> list[Rejection]:
        calls["n"] += 1  # batch size 1: record 0's first generation makes the first `rounds` calls
        return [Rejection("first-generation", "refused")] if calls["n"] <= rounds else []

    result = run_build(letters_spec, tiny_backend, BuildOptions(out=tmp_path / "l.jsonl", batch_size=1,
                                                                progress="off"),
                       record_check=refuse_first_generation_of_record_0)
    assert (result.written, result.failed, result.missing) == (4, 0, {})
    records = _jsonl(result.paths.out)
    assert records[0]["_provenance"]["round"] == rounds  # the next generation's first round: fresh seeds
    assert json.loads(result.paths.manifest.read_text())["given_up"] == 1


def test_resume_after_a_crash_does_not_ledger_the_same_rejections_again(tmp_path, letters_spec, tiny_backend):
    def refuse_a_and_b(values: dict) -> list[Rejection]:
        return [Rejection("no-ab", "A and B are refused")] if values["letter"] in ("A", "B") else []

    whole = tmp_path / "whole.jsonl"
    done = run_build(letters_spec, tiny_backend, BuildOptions(out=whole, batch_size=2, progress="off"),
                     record_check=refuse_a_and_b)
    ledger = _lines(done.paths.rejects)
    assert ledger, "this seed must produce rejections for the test to mean anything"
    cut = tmp_path / "cut.jsonl"
    for suffix in ("", ".journal.jsonl", ".rejects.jsonl", ".manifest.json"):
        cut.with_name(cut.name + suffix).write_bytes(whole.with_name(whole.name + suffix).read_bytes())
    journal = cut.with_name(cut.name + ".journal.jsonl")
    lines = journal.read_bytes().splitlines(keepends=True)
    records = [i for i, line in enumerate(lines) if b'"kind": "record"' in line]
    journal.write_bytes(b"".join(lines[: records[1] + 1]) + lines[records[1] + 1][:9])  # killed mid-write
    resumed = run_build(letters_spec, tiny_backend, BuildOptions(out=cut, batch_size=2, progress="off"),
                        record_check=refuse_a_and_b)
    assert resumed.kept == 2 and resumed.written == 4
    assert _jsonl(cut) == _jsonl(whole)
    assert _lines(resumed.paths.rejects) == ledger  # the same rejections, each once


def test_a_backend_error_is_a_ledgered_rejection_not_an_abort(tmp_path, letters_spec, tiny_backend):
    """A backend that fails some requests (as a server's 4xx does) costs retries, never the build."""
    from synthspec.generate.backends.base import Backend, GenResult

    class Flaky(Backend):
        name = "flaky"
        preferred_batch = 2

        def __init__(self) -> None:
            self.calls = 0

        @property
        def identity(self):
            return tiny_backend.identity

        def generate(self, requests):
            results = tiny_backend.generate(requests)
            out = []
            for result in results:
                self.calls += 1
                out.append(GenResult("", 0, 0, False, error="HTTP 400: bad grammar") if self.calls % 2 else result)
            return out

    result = run_build(letters_spec, Flaky(), BuildOptions(out=tmp_path / "l.jsonl", progress="off"))
    assert result.written == 4 and result.failed == 0
    errors = [r for r in _lines(result.paths.rejects) if r["validator"] == "backend"]
    assert errors and all("HTTP 400: bad grammar" in r["reason"] and r["stage"] == "field" for r in errors)


# ---------------------------------------------------------------- the scheduler: no barrier, out-of-order commits


class _OneAtATime:
    """A decode session that finishes one request per poll, the newest first (a worst case for ordering).

    It decodes on the real tiny model, one request at a time, so every result
    depends on its own request only: the scheduler may run continuously.
    """

    batch_invariant = True

    def __init__(self, backend, slots: int, log: list) -> None:
        self.backend, self.slots, self.log, self.pending = backend, slots, log, []

    def submit(self, key, request) -> None:
        self.log.append(("submit", key[0], request.grammar))
        self.pending.append((key, request))

    def in_flight(self) -> int:
        return len(self.pending)

    def free_slots(self) -> int:
        return self.slots - len(self.pending)

    def poll(self):
        key, request = self.pending.pop()
        self.log.append(("done", key[0], request.grammar))
        return [(key, self.backend.generate([request])[0])]

    def close(self) -> None:
        self.pending.clear()


def _one_at_a_time_backend(tiny_backend, log: list):
    from synthspec.generate.backends.base import Backend

    class OneAtATime(Backend):
        name = "transformers"
        preferred_batch = 3

        @property
        def identity(self):
            return tiny_backend.identity

        def generate(self, requests):
            return tiny_backend.generate(requests)

        def open_session(self, slots):
            return _OneAtATime(tiny_backend, slots, log)

    return OneAtATime()


@pytest.mark.slow
def test_continuous_scheduler_has_no_barrier_and_commits_out_of_order(tmp_path, mini_spec, tiny_backend):
    log: list = []
    out = tmp_path / "mini.jsonl"
    spec = mini_spec.model_copy(update={"count": 4})
    result = run_build(spec, _one_at_a_time_backend(tiny_backend, log), BuildOptions(out=out, progress="off"))
    assert result.written == 4 and result.failed == 0
    assert [r["_provenance"]["index"] for r in _jsonl(out)] == list(range(4))  # the output ends in index order
    journal = [e["index"] for e in _lines(result.paths.journal) if e["kind"] == "record"]
    assert journal != sorted(journal)  # ...though records finished and were journaled out of order
    manifest = json.loads(result.paths.manifest.read_text())
    assert manifest["depends_on"] == {"batch_size": 3, "scheduler": "continuous", "threads": None}
    # no barrier: the newest record finishes first and moves on to its next field at once, while the
    # first field of record 0 is still waiting
    submits = [(n, i) for n, (event, i, _) in enumerate(log) if event == "submit"]
    first_of = {}
    for n, i in submits:
        first_of.setdefault(i, n)
    next_field_of_2 = next(n for n, i in submits if i == 2 and n != first_of[2])
    first_done_of_0 = next(n for n, (event, i, _) in enumerate(log) if event == "done" and i == 0)
    assert next_field_of_2 < first_done_of_0
    # a crash after two records resumes to exactly the same dataset
    cut = tmp_path / "cut.jsonl"
    for suffix in ("", ".journal.jsonl", ".rejects.jsonl", ".manifest.json"):
        if out.with_name(out.name + suffix).exists():
            cut.with_name(cut.name + suffix).write_bytes(out.with_name(out.name + suffix).read_bytes())
    lines = cut.with_name(cut.name + ".journal.jsonl").read_bytes().splitlines(keepends=True)
    records = [n for n, line in enumerate(lines) if b'"kind": "record"' in line]
    cut.with_name(cut.name + ".journal.jsonl").write_bytes(b"".join(lines[: records[1] + 1]))
    resumed = run_build(spec, _one_at_a_time_backend(tiny_backend, []), BuildOptions(out=cut, progress="off"))
    assert resumed.kept == 2 and _jsonl(cut) == _jsonl(out)
