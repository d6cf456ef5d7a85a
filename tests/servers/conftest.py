"""Fixtures: real llama.cpp server processes on loopback (module-scoped: a start costs seconds)."""

from __future__ import annotations

import pytest

from tests.servers.helpers import start_llama_server, stop


@pytest.fixture(scope="module")
def llama_server():
    url, proc = start_llama_server()
    yield url
    stop(proc)
