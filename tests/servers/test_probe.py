"""The conformance probe against a real llama.cpp server and a proxy that strips constraint fields."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.server import ServerBackend
from synthspec.generate.backends.server.probe import ANSWER
from tests.servers.helpers import StrippingProxy

pytestmark = pytest.mark.e2e

MINI = Path(__file__).resolve().parent.parent / "generate" / "fixtures" / "mini.synth"


@pytest.fixture
def proxy(llama_server):
    proxy = StrippingProxy(llama_server)
    yield proxy
    proxy.close()


def test_a_server_that_enforces_grammars_passes_the_probe(llama_server):
    backend = ServerBackend([llama_server])  # dialect auto: llama-cpp-python says owned_by "me"
    try:
        assert backend.dialects == {llama_server + "/v1": "llamacpp"}
        [probe] = backend.probes
        assert probe.enforced and probe.answer == ANSWER and probe.field == "grammar"
        info = backend.manifest_info()
        assert info["constraints"] == "server-enforced, re-checked" and not backend.client_checked_only
        assert backend.identity.model_sha256.startswith("models: ") and backend.identity.model_id.endswith(".gguf")
    finally:
        backend.close()


def test_a_server_that_ignores_grammars_is_refused_before_the_first_record(proxy, tmp_path):
    with pytest.raises(SynthspecError) as info:
        ServerBackend([proxy.url], dialect="llamacpp")
    text = info.value.render()
    assert "M012" in text and proxy.url in text and "ignored `grammar`" in text and ANSWER in text
    assert "--allow-unconstrained" in text
    assert proxy.stripped == ["grammar"]  # the probe sent it; the proxy dropped it

    # the same through the command line: exit 1, a clear message, not one record written
    spec = tmp_path / "mini.synth"
    spec.write_text(MINI.read_text(encoding="utf-8").replace(
        "  field label:", f'  model {{\n    backend server\n    servers ["{proxy.url}"]\n    dialect llamacpp\n  }}\n'
        "  field label:"), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = subprocess.run([sys.executable, "-m", "synthspec", "build", str(spec), "--count", "2", "--out", str(out),
                           "--progress", "off"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "ignores the constraints" in done.stderr and proxy.url in done.stderr
    assert not out.exists() or out.read_text() == ""


def test_allow_unconstrained_goes_on_and_says_so(proxy, capsys):
    backend = ServerBackend([proxy.url], dialect="llamacpp", allow_unconstrained=True)
    try:
        assert backend.client_checked_only
        info = backend.manifest_info()
        assert info["constraints"] == "client-checked only"
        assert info["probe"][0]["enforced"] is False and info["probe"][0]["answer"] != ANSWER
        assert "client-checked only" in capsys.readouterr().err
    finally:
        backend.close()


def test_the_openai_dialect_is_refused_by_a_server_without_json_schema(llama_server):
    """llama-cpp-python's chat endpoint does not enforce `response_format: json_schema`, so the probe
    (an enum of one value) fails there: a hosted-API dialect pointed at the wrong server is caught."""
    with pytest.raises(SynthspecError) as info:
        ServerBackend([llama_server], dialect="openai")
    text = info.value.render()
    assert "M012" in text and "response_format" in text and "(openai)" in text
