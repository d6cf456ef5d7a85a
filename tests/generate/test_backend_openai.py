"""The server-fleet backend: errors when nobody answers (real sockets, no server listening)."""

from __future__ import annotations

import socket

import pytest

from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends import backend_name, open_backend
from synthspec.ir.model import ModelSpec


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here any more
    return port


def test_unreachable_server_is_a_clear_error():
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(SynthspecError) as info:
        open_backend(ModelSpec(servers=(url,)))
    text = info.value.render()
    assert "cannot reach the model server" in text and url in text
    assert "llama_cpp.server" in text  # the hint says how to start one


def test_servers_select_the_openai_backend_and_none_is_an_error():
    assert backend_name(ModelSpec(servers=("http://x",))) == "openai"
    assert backend_name(ModelSpec()) == "llamacpp"
    assert backend_name(ModelSpec(), "llama.cpp") == "llamacpp"
    with pytest.raises(SynthspecError):
        open_backend(ModelSpec(backend="openai"))
