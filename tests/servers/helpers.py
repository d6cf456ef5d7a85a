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


def start_llama_server(limit: float = 120.0, token_by_token: bool = True) -> tuple[str, subprocess.Popen]:
    """A real `python -m llama_cpp.server` on the embedded model; (base URL, process) once it listens.

    `token_by_token=False` drops `--n_batch 1` (faster prompts, answers then depend on the cache)."""
    from synthspec.generate.backends.llamacpp import embedded_model_path

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(embedded_model_path()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", *(["--n_batch", "1"] if token_by_token else [])],
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


class RayCluster:
    """A real two-node Ray cluster on loopback: `ray start --head` plus a second `ray start` joining it.

    Both run with `--block` as child processes of the test, so stopping them stops exactly what
    was started here (never `ray stop`, which would end other people's clusters on the machine).
    Every port is chosen free; the head's temp dir is private to this cluster.
    """

    def __init__(self, tmp: str, cpus_per_node: int = 1) -> None:
        import os

        # a loopback test cluster without token auth, whatever ~/.ray holds (the driver sets the same)
        os.environ["RAY_AUTH_MODE"] = "disabled"
        env = {**os.environ, "SYNTHSPEC_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        ray_cli = [sys.executable, "-m", "ray.scripts.scripts"]  # the `ray` command of this very environment
        self.procs = [subprocess.Popen(
            [*ray_cli, "start", "--block", "--head", "--port", str(self.port), "--include-dashboard", "false",
             "--temp-dir", tmp, *self._node_args(cpus_per_node)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.procs[0].poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("ray head did not start") from None
                time.sleep(0.2)
        self.procs.append(subprocess.Popen(
            [*ray_cli, "start", "--block", "--address", self.address, *self._node_args(cpus_per_node)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    @staticmethod
    def _node_args(cpus: int) -> list[str]:
        args = ["--node-ip-address", "127.0.0.1", "--num-cpus", str(cpus), "--disable-usage-stats"]
        for flag in ("--node-manager-port", "--object-manager-port", "--metrics-export-port",
                     "--runtime-env-agent-port", "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port"):
            args += [flag, str(free_port())]
        return args

    def wait_for_nodes(self, n: int = 2, limit: float = 120.0) -> None:
        import ray

        deadline = time.monotonic() + limit
        while len([node for node in ray.nodes() if node["Alive"]]) < n:
            assert time.monotonic() < deadline, "the second Ray node did not join"
            time.sleep(0.2)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
