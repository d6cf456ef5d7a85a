"""Text, HTML and JSON reports, and the `synthspec validate` command on the BANKING77 slice."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from synthspec.cli import main
from synthspec.datafiles import read_table
from synthspec.ir.compile import compile_spec
from synthspec.ir.model import ValidatorUse
from synthspec.report import print_report, render_html
from synthspec.validate import validate_records
from tests.conftest import REPO

FIX = REPO / "tests" / "fixtures" / "banking77"


def _report(extra: list[dict] | None = None):
    spec = compile_spec(FIX / "banking.synth").spec
    spec = spec.model_copy(
        update={
            "validators": (
                ValidatorUse(name="schema"),
                ValidatorUse(name="forbidden"),
                ValidatorUse(name="distribution"),
                ValidatorUse(name="dedup", params={"semantic": False}),
            )
        }
    )
    records = read_table(FIX / "sample.csv")[:200] + (extra or [])
    return validate_records(spec, records), records


def test_html_report_is_self_contained_with_inline_svg_and_escapes_text() -> None:
    report, records = _report(
        [{"text": "<script>alert(1)</script> mail x@example.com", "category": "card_arrival"}]
    )
    html = render_html(report, records)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert html.count("<svg") >= 2  # text length and category plots
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
    assert not re.search(r"""(src|href)=["']?https?:""", html)  # nothing fetched from the network
    assert "<script" not in html
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        ET.fromstring(svg)  # every plot is well-formed XML


def test_text_report_names_validators_and_findings() -> None:
    report, _ = _report([{"text": "call +44 20 7946 0958 now", "category": "card_arrival"}])
    console = Console(record=True, width=140)
    print_report(report, console)
    out = console.export_text()
    assert "forbidden" in out and "+44 20 7946 0958" in out and "passed" in out


@pytest.mark.slow  # embeds ~1,900 texts for the calibrated semantic dedup
def test_validate_command_json_html_and_exit_code(tmp_path: Path, capsys) -> None:
    html = tmp_path / "r.html"
    rc = main(
        [
            "validate",
            str(FIX / "sample.csv"),
            "--spec",
            str(FIX / "banking.synth"),
            "--report",
            str(html),
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and not data["failed"]
    assert {v["name"] for v in data["validators"]} >= {"schema", "dedup", "seed_copy", "distribution"}
    dedup = next(v for v in data["validators"] if v["name"] == "dedup")
    assert (
        "seeds_semantic_duplicate_rate" in dedup["metrics"] and "semantic_duplicate_rate" in dedup["metrics"]
    )
    assert html.read_text().count("<svg") >= 2


def test_fail_policy_makes_validate_exit_1(tmp_path: Path) -> None:
    spec = tmp_path / "s.synth"
    spec.write_text('dataset d { output "o.jsonl" field text: text validate forbidden fail }\n')
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "fine"}\n{"text": "write to a@b.com"}\n')
    clean = tmp_path / "clean.jsonl"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "synthspec",
            "validate",
            str(data),
            "--spec",
            str(spec),
            "--clean",
            str(clean),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr
    assert "FAILED" in proc.stdout and "a@b.com" in proc.stdout
    assert clean.read_text().count("\n") == 2  # fail flags, it does not drop


def test_validate_bad_input_is_a_diagnostic(tmp_path: Path) -> None:
    data = tmp_path / "d.jsonl"
    data.write_text("{not json}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "synthspec", "validate", str(data), "--spec", str(FIX / "banking.synth")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "invalid JSON" in proc.stderr and "Traceback" not in proc.stderr
