"""The server backend's request bodies, per dialect, against the fields each server documents.

vLLM and SGLang cannot run on this CPU-only machine, so their bodies are checked against
their documentation (the versions named in each test); the llama.cpp dialect and the probe
run against real `llama_cpp.server` processes in tests/servers/.  Unreachable servers are
real sockets with nothing listening.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate import grammars
from synthspec.generate.backends import backend_name, open_backend
from synthspec.generate.backends.base import GenRequest
from synthspec.generate.backends.server.dialects import detect, get_dialect, routes_for
from synthspec.generate.backends.server.probe import ANSWER, LLGUIDANCE, PLAIN, probe_request
from synthspec.ir import compile_spec
from synthspec.ir.model import ModelSpec

# A category, a regex string and a text with `must not include` (llguidance's & and ~).
CATEGORY = '%llguidance {}\n\nstart: " " ("billing" | "card lost") "\\n"\n'
CODE = '%llguidance {}\n\nstart: " " VALUE "\\n"\nVALUE: /[A-Z]{3}-[0-9]{3}/\n'
FORBIDDEN = '%llguidance {}\n\nstart: " " BODY "\\n"\nBODY: /[a-z]+( [a-z]+){2,6}/ & ~/(?s:.*(monzo|revolut).*)/\n'


def _request(grammar: str) -> GenRequest:
    return GenRequest("Ticket:", grammar, 40, 1234, 0.7, 0.9, 40, 1.1)


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here any more
    return port


def test_the_probe_grammars_allow_exactly_one_answer():
    for grammar in (PLAIN, LLGUIDANCE):
        assert grammars.accepts(grammar, ANSWER)
        assert not grammars.accepts(grammar, ANSWER.replace("7", "8"))
        assert not grammars.accepts(grammar, " 4")
    assert probe_request("vllm").grammar == LLGUIDANCE and probe_request("llamacpp").grammar == PLAIN
    assert probe_request("sglang").temperature == 0.0


def test_vllm_body_follows_the_structured_outputs_api():
    """vLLM >= 0.12 docs (features/structured_outputs): constraints only in `structured_outputs`;
    `guided_grammar` & co. were removed in 0.12 and are ignored, so none may be sent."""
    dialect = get_dialect("vllm")
    for grammar in (CATEGORY, CODE, FORBIDDEN):
        body = dialect.body("m", _request(grammar))
        assert body["structured_outputs"] == {"grammar": grammar}  # the Lark text as is: & and ~ survive
        assert not any(k.startswith("guided_") or k in ("grammar", "ebnf", "response_format") for k in body)
        assert body["repetition_penalty"] == 1.1 and body["seed"] == 1234 and body["top_k"] == 40
        assert body["prompt"] == "Ticket:" and body["max_tokens"] == 40 and body["model"] == "m"
        assert routes_for("vllm", grammar).sent.startswith("structured_outputs.grammar")
    assert dialect.path == "/completions"


def test_llamacpp_body_sends_gbnf_where_there_is_one():
    """llama.cpp server (tools/server README) and llama-cpp-python 0.3 `llama_cpp.server`:
    `grammar` takes GBNF; `repeat_penalty`, `top_k`, `seed` are sampling fields."""
    dialect = get_dialect("llamacpp")
    body = dialect.body("m", _request(CODE))
    assert body["grammar"].startswith("root ::=") and body["repeat_penalty"] == 1.1 and body["seed"] == 1234
    assert "repetition_penalty" not in body and "structured_outputs" not in body
    forbidden = dialect.body("m", _request(FORBIDDEN))
    assert "grammar" not in forbidden  # GBNF cannot say "not monzo": no grammar rather than a wrong one
    route = routes_for("llamacpp", FORBIDDEN)
    assert route.sent is None and "&/~" in route.client_checked
    assert routes_for("llamacpp", CODE).sent.startswith("grammar")


def test_sglang_body_sends_ebnf():
    """SGLang docs (advanced_features/structured_outputs, 0.4/0.5): one of `json_schema`, `regex`,
    `ebnf` per request; XGrammar (the default) reads GGML BNF."""
    dialect = get_dialect("sglang")
    body = dialect.body("m", _request(CATEGORY))
    assert body["ebnf"].startswith("root ::=") and "grammar" not in body and "regex" not in body
    assert body["repetition_penalty"] == 1.1
    assert "ebnf" not in dialect.body("m", _request(FORBIDDEN))


def test_openai_body_is_a_strict_json_schema_and_the_text_is_rechecked():
    """OpenAI chat completions API: `response_format: {type: json_schema, json_schema: {name, strict,
    schema}}`; strict schemas need `additionalProperties: false` and every property required."""
    dialect = get_dialect("openai")
    body = dialect.body("gpt", _request(CATEGORY))
    assert dialect.path == "/chat/completions" and body["messages"][0]["content"] == "Ticket:"
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == ["value"]
    assert schema["properties"]["value"]["enum"] == [" billing\n", " card lost\n"]
    assert "enum" not in dialect.schema(FORBIDDEN)["properties"]["value"]
    assert "every text constraint" in routes_for("openai", FORBIDDEN).client_checked
    answer = {"choices": [{"message": {"content": json.dumps({"value": "card lost"})}, "finish_reason": "stop"}]}
    text, reason = dialect.text(answer)
    assert text == "card lost" and reason == "stop"
    assert [t for t in dialect.framings(CATEGORY, text) if grammars.accepts(CATEGORY, t)] == [" card lost\n"]


def test_auto_reads_owned_by():
    assert detect({"data": [{"id": "x", "owned_by": "vllm"}]}) == "vllm"
    assert detect({"data": [{"id": "x", "owned_by": "sglang"}]}) == "sglang"
    assert detect({"data": [{"id": "x", "owned_by": "llamacpp"}]}) == "llamacpp"  # llama-server
    assert detect({"data": [{"id": "x.gguf", "owned_by": "me"}]}) == "llamacpp"  # llama-cpp-python
    assert detect({"data": [{"id": "gpt-4o", "owned_by": "system"}]}) == "openai"


def test_unreachable_server_is_a_clear_error():
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(SynthspecError) as info:
        open_backend(ModelSpec(servers=(url,)))
    text = info.value.render()
    assert "cannot reach the model server" in text and url in text
    assert "llama_cpp.server" in text  # the hint says how to start one


def test_servers_select_the_server_backend_and_none_is_an_error():
    assert backend_name(ModelSpec(servers=("http://x",))) == "openai"
    assert backend_name(ModelSpec(backend="server")) == "openai"  # `server` is another spelling
    assert backend_name(ModelSpec()) == "llamacpp"
    assert backend_name(ModelSpec(), "llama.cpp") == "llamacpp"
    with pytest.raises(SynthspecError):
        open_backend(ModelSpec(backend="server"))


def _spec(tmp_path: Path, model: str) -> Path:
    path = tmp_path / "s.synth"
    path.write_text('dataset s {\n  count 2\n  field a: category("x", "y")\n  model {\n' + model + "\n  }\n}\n",
                    encoding="utf-8")
    return path


def test_model_block_takes_the_server_settings(tmp_path):
    model = compile_spec(_spec(tmp_path, '    backend server\n    servers ["http://127.0.0.1:1"]\n'
                                         "    dialect vllm\n    per_server 8\n    retries 5\n    timeout 30")).spec.model
    assert (model.backend, model.dialect, model.per_server, model.retries, model.timeout) == \
        ("openai", "vllm", 8, 5, 30.0)
    with pytest.raises(SynthspecError) as info:
        compile_spec(_spec(tmp_path, "    dialect vlm"))
    assert "C098" in info.value.render() and "vllm" in info.value.render()
    with pytest.raises(SynthspecError) as info:
        compile_spec(_spec(tmp_path, "    per_server 0"))
    assert "per_server" in info.value.render()


def test_explain_says_what_each_field_sends(tmp_path, capsys):
    from synthspec.cli import main

    spec = tmp_path / "v.synth"
    spec.write_text('dataset v {\n  count 2\n  list banned = ["Monzo"]\n  field code: string /[A-Z]{3}/\n'
                    "  field text: text {\n    words 3..6\n    must not include banned\n  }\n"
                    '  model {\n    servers ["http://127.0.0.1:1"]\n    dialect llamacpp\n  }\n}\n', encoding="utf-8")
    assert main(["explain", str(spec), "--section", "grammar"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("servers (llamacpp)")]
    assert lines == ["servers (llamacpp): sent as grammar (GBNF translated from the Lark grammar); only checked "
                     "after: nothing",
                     "servers (llamacpp): sent as nothing; only checked after: the whole grammar (it uses "
                     "llguidance's &/~, which GBNF cannot express)"]
