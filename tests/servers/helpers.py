"""Real model servers on loopback for the fleet tests: `llama_cpp.server` processes and a constraint-stripping proxy.

Servers start with `--n_batch 1` (see tests/e2e/test_build_e2e.py: a prompt evaluated token by
token gives the same logits whether or not its prefix was cached, so a record does not depend
on which server, or after which request, it was generated) and one thread each (the machine
is shared; llama.cpp threads spin-wait).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

#: the request fields that carry a constraint in any dialect
CONSTRAINT_FIELDS = ("grammar", "structured_outputs", "ebnf", "regex", "json_schema", "response_format")


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def start_llama_server(limit: float = 120.0) -> tuple[str, subprocess.Popen]:
    """A real `python -m llama_cpp.server` on the embedded model; (base URL, process) once it listens."""
    from synthspec.generate.backends.llamacpp import embedded_model_path

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_model_path()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--n_batch", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return f"http://127.0.0.1:{port}", proc
        except OSError:
            if proc.poll() is not None:
                raise AssertionError("llama_cpp.server exited") from None
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("llama_cpp.server did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class StrippingProxy:
    """A loopback HTTP proxy that forwards to `upstream` with every constraint field removed:
    a fair stand-in for a server that ignores the constraints it is sent."""

    def __init__(self, upstream: str) -> None:
        upstream = upstream.rstrip("/")
        stripped: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _forward(self, body: bytes | None) -> None:
                if body:
                    data = json.loads(body)
                    stripped.extend(k for k in CONSTRAINT_FIELDS if k in data)
                    body = json.dumps({k: v for k, v in data.items() if k not in CONSTRAINT_FIELDS}).encode()
                request = urllib.request.Request(upstream + self.path, data=body,
                                                 headers={"Content-Type": "application/json"},
                                                 method="POST" if body is not None else "GET")
                try:
                    with urllib.request.urlopen(request, timeout=120) as response:
                        status, payload = response.status, response.read()
                except urllib.error.HTTPError as exc:
                    status, payload = exc.code, exc.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._forward(None)

            def do_POST(self) -> None:  # noqa: N802
                self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, *args: object) -> None:
                pass

        self.stripped = stripped
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class BlackHole:
    """A loopback port that accepts connections and never answers (a hung server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()
