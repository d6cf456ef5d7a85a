"""End to end on the real embedded model (Gemma 3 270M): llama.cpp in-process and a real server.

Small counts: the whole file runs in about a minute or two on 2 cores.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthspec.generate import BuildOptions, run_build
from synthspec.generate.backends.base import GenRequest
from synthspec.generate.grammars import accepts
from synthspec.ir import compile_spec

pytestmark = pytest.mark.e2e

MINI = Path(__file__).resolve().parent.parent / "generate" / "fixtures" / "mini.synth"
SENTENCE = 'start: "The " WORD " is " ("red"|"blue") ".\\n"\nWORD: /[a-z]{2,10}/\n'
CLI = [sys.executable, "-c", "import sys; from synthspec.cli import main; sys.exit(main())"]


@pytest.fixture(scope="module")
def gemma():
    from synthspec.generate.backends.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend()
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def mini_spec():
    return compile_spec(MINI).spec


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _fields(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "_provenance"} for r in records]


def test_llamacpp_constrained_and_truncation(gemma):
    results = gemma.generate([GenRequest("Colours of things:\n", SENTENCE, 30, seed) for seed in range(3)])
    assert all(not r.truncated and accepts(SENTENCE, r.text) for r in results)
    [short] = gemma.generate([GenRequest("Colours of things:\n", SENTENCE, 2, 1)])
    assert short.truncated and short.completion_tokens == 2


def test_same_seed_same_records(tmp_path, gemma, mini_spec):
    spec = mini_spec.model_copy(update={"count": 3})
    a = run_build(spec, gemma, BuildOptions(out=tmp_path / "a.jsonl", progress="off"))
    b = run_build(spec, gemma, BuildOptions(out=tmp_path / "b.jsonl", progress="off"))
    assert a.written == b.written == 3
    first, second = _jsonl(a.paths.out), _jsonl(b.paths.out)
    # same batch size, same records (llama.cpp decodes a batch together: another size may give other valid ones)
    assert _fields(first) == _fields(second)
    for record in first:
        assert re.fullmatch(r"[A-Z]{3}-[0-9]{3}", record["code"])
        assert record["code"] in record["note"]
        assert record["_provenance"]["model"] == "embedded:gemma-3-270m-q4_k_m"


def _wait_for_lines(path: Path, n: int, proc: subprocess.Popen, limit: float = 240.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"build ended early: {proc.returncode}: {proc.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError("build made no progress")


def test_sigkill_then_rerun_gives_exactly_n_records(tmp_path):
    out = tmp_path / "killed.jsonl"
    args = [*CLI, "build", str(MINI), "--count", "5", "--batch-size", "1", "--out", str(out), "--progress", "off"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = out.with_name(out.name + ".journal.jsonl")
    _wait_for_lines(journal, 2, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _jsonl(out)
    assert 2 <= len(before) < 5
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    after = _jsonl(out)
    assert len(after) == 5
    assert after[: len(before)] == before  # finished records unchanged, provenance included
    assert [r["_provenance"]["index"] for r in after] == list(range(5))
    reference = tmp_path / "reference.jsonl"
    subprocess.run([*args[:-4], "--out", str(reference), "--progress", "off"], check=True, capture_output=True,
                   timeout=600)
    assert _fields(_jsonl(reference)) == _fields(after)  # as if never killed


def test_ctrl_c_flushes_and_says_how_to_resume(tmp_path):
    out = tmp_path / "interrupted.jsonl"
    args = [*CLI, "build", str(MINI), "--count", "6", "--batch-size", "1", "--out", str(out), "--progress", "off"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_lines(out.with_name(out.name + ".journal.jsonl"), 1, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "resume with the same command" in err and "Traceback" not in err
    kept = _jsonl(out)
    assert 1 <= len(kept) < 6
    assert json.loads(out.with_name(out.name + ".manifest.json").read_text())["status"] == "interrupted"


def _free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(scope="module")
def server():
    """A real llama_cpp.server on loopback, started as docs/build.md says for reproducible builds.

    `--n_batch 1` makes the server evaluate prompts token by token: it reuses the KV cache of
    the previous request's matching prefix, and a prompt evaluated in one batch gives logits that
    differ in the last bits from one evaluated partly from cache, which can flip a sampled token.
    """
    from synthspec.generate.backends.llamacpp import embedded_model_path

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_model_path()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", str(os.cpu_count() or 1), "--n_batch", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError("llama_cpp.server exited") from None
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_server_backend_generates_grammatical_deterministic_text(server):
    from synthspec.generate.backends.openai import OpenAIBackend

    backend = OpenAIBackend([server])
    try:
        requests = [GenRequest("Colours of things:\n", SENTENCE, 30, seed) for seed in range(4)]
        results = backend.generate(requests)
        assert all(not r.truncated and accepts(SENTENCE, r.text) for r in results)
        assert all(r.prompt_tokens > 0 and r.completion_tokens > 0 for r in results)
        # the same requests after a different history (reversed, so every cached prefix differs) come back equal
        assert backend.generate(requests[::-1]) == results[::-1]
        assert backend.generate(requests) == results
    finally:
        backend.close()


def test_build_over_a_server(tmp_path, server, mini_spec):
    from synthspec.generate.backends import open_backend

    spec = mini_spec.model_copy(update={"count": 3, "model": mini_spec.model.model_copy(update={"servers": (server,)})})
    with open_backend(spec.model) as backend:
        result = run_build(spec, backend, BuildOptions(out=tmp_path / "served.jsonl", progress="off"))
    assert result.written == 3 and result.failed == 0
    for record in _jsonl(result.paths.out):
        assert re.fullmatch(r"[A-Z]{3}-[0-9]{3}", record["code"]) and record["code"] in record["note"]
        assert record["_provenance"]["backend"] == "openai"
