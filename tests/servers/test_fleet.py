"""A build over a fleet of two real llama.cpp server processes on loopback.

Valid by construction, reproducible against the same fleet, a 4xx answer is one record's
problem (not the build's), and a server killed mid-build loses nothing: the build equals the
one no server died in.  The server kill is the module's last test (it spends a server).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthspec.generate.backends.base import GenRequest
from synthspec.generate.backends.server import ServerBackend
from synthspec.generate.backends.server.fleet import DOWN_AFTER, Server
from synthspec.generate.grammars import accepts
from tests.servers.helpers import start_llama_server, stop

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MINI = Path(__file__).resolve().parent.parent / "generate" / "fixtures" / "mini.synth"
SENTENCE = 'start: "The " WORD " is " ("red"|"blue") ".\\n"\nWORD: /[a-z]{2,10}/\n'


@pytest.fixture(scope="module")
def fleet():
    started = [start_llama_server() for _ in range(2)]
    yield [url for url, _ in started], [proc for _, proc in started]
    for _, proc in started:
        stop(proc)


@pytest.fixture(scope="module")
def reference(fleet, tmp_path_factory):
    """One build over the fleet: (spec, output, the finished process)."""
    tmp_path = tmp_path_factory.mktemp("fleet")
    spec = _spec(tmp_path, fleet[0])
    out = tmp_path / "a.jsonl"
    return spec, out, _build(spec, out)


def _spec(tmp_path: Path, urls: list[str]) -> Path:
    servers = ", ".join(f'"{u}"' for u in urls)
    path = tmp_path / "fleet.synth"
    path.write_text(MINI.read_text(encoding="utf-8").replace(
        "  field label:", f"  model {{\n    servers [{servers}]\n    per_server 2\n  }}\n  field label:"),
        encoding="utf-8")
    return path


def _build(spec: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synthspec", "build", str(spec), "--count", "3", "--batch-size",
                           "1", "--out", str(out), "--progress", "off", *extra],
                          capture_output=True, text=True, timeout=600)


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _fields(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "_provenance"} for r in records]


def test_aimd_window_and_down_marking():
    server = Server("http://x", cap=4)
    assert server.capacity(0.0) == 4
    server.failed("HTTP 429", overload=True, now=0.0)
    assert server.window == 2.0 and server.capacity(0.0) == 2  # multiplicative decrease
    server.succeeded()
    assert 2.0 < server.window < 3.0  # additive increase, one slot per window of successes
    for _ in range(DOWN_AFTER):
        server.failed("refused", overload=False, now=10.0)
    assert server.down and server.capacity(10.0) == 0  # cooling down
    assert server.capacity(server.down_until) == 1  # then one request on probation
    server.succeeded()
    assert not server.down


def test_a_4xx_is_one_request_error_not_an_abort(fleet):
    urls, _ = fleet
    backend = ServerBackend(urls, per_server=1)
    try:
        # a prompt longer than the servers' 2048-token context: llama_cpp.server answers 400
        bad = GenRequest("red blue " * 1500, SENTENCE, 20, 1)
        good = GenRequest("Colours:\n", SENTENCE, 20, 1)
        session = backend.open_session(4)
        session.submit("bad", bad)
        session.submit("good", good)
        done = {}
        while session.in_flight():
            done.update(session.poll())
        assert done["bad"].error is not None and "HTTP 400" in done["bad"].error and done["bad"].truncated
        assert done["good"].error is None and accepts(SENTENCE, done["good"].text)
        assert backend.generate([good]) == [done["good"]]  # the same request, the same text
    finally:
        backend.close()


def test_fleet_build_is_valid_by_construction(fleet, reference):
    urls, _ = fleet
    _, out, first = reference
    assert first.returncode == 0, first.stderr
    assert "constraint of `code` on all servers: sent as grammar" in first.stderr  # said once, per field
    records = _records(out)
    assert len(records) == 3
    for record in records:
        assert re.fullmatch(r"[A-Z]{3}-[0-9]{3}", record["code"]) and record["code"] in record["note"]
        assert record["_provenance"]["backend"] == "openai"
        assert record["_provenance"]["model_sha256"].startswith("models: ")
    manifest = json.loads(out.with_name(out.name + ".manifest.json").read_text())
    info = manifest["backend_info"]
    assert info["constraints"] == "server-enforced, re-checked" and all(p["enforced"] for p in info["probe"])
    assert sorted(s["url"] for s in info["servers"]) == sorted(u + "/v1" for u in urls)
    assert all(s["served"] > 0 for s in info["servers"])  # both servers took requests
    assert manifest["tokens"]["completion_tokens"] > 0 and info["usage"]["completion_tokens"] > 0


def test_reproducible_and_a_server_killed_mid_build_loses_nothing(tmp_path, fleet, reference):
    """A second build against the same fleet, one of whose servers is SIGKILLed after the first
    record: it still equals the first build record for record, provenance included."""
    urls, procs = fleet
    spec, first, done = reference
    assert done.returncode == 0, done.stderr
    out = tmp_path / "killed.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "synthspec", "build", str(spec), "--count", "3", "--batch-size",
                             "1", "--out", str(out), "--progress", "off", "--per-server", "1", "--retries", "6",
                             "--timeout", "120"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = out.with_name(out.name + ".journal.jsonl")
    deadline = time.monotonic() + 300
    while not (journal.exists() and journal.read_bytes().count(b"\n") >= 1):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    procs[1].send_signal(signal.SIGKILL)  # a server dies with requests in flight
    procs[1].wait()
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert _records(out) == _records(first)  # nothing lost, nothing different
    info = json.loads((tmp_path / "killed.jsonl.manifest.json").read_text())["backend_info"]
    assert {s["per_server"] for s in info["servers"]} == {1}  # the command line's --per-server
    dead = next(s for s in info["servers"] if s["url"] == urls[1] + "/v1")
    assert dead["recent_errors"]  # its failures were seen and the requests went elsewhere
