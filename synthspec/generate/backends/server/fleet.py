"""Asynchronous requests over a fleet of servers, behind the engine's `DecodeSession`.

One asyncio loop (in a daemon thread) owns one `httpx.AsyncClient`; the
scheduler's `submit` hands a request to it and `poll` waits for whichever
finishes first, so one slow request never idles the fleet.  Per server:

- adaptive concurrency (AIMD): the window grows by 1/window per success up to
  `per_server`, halves on 429 / 503 / a timeout (the server says it is full);
- separate connect and read timeouts (a dead host is noticed in seconds, a long
  generation is still waited for);
- jittered exponential backoff between attempts, each retry preferring another
  server; the same request (same seed) is re-sent, so a retry changes nothing;
- after `DOWN_AFTER` failures in a row the server is marked down and tried
  again after a growing cool-down (one request on probation);
- a 4xx answer other than 429 is the request's own fault: it comes back as
  `GenResult.error` (the engine writes it to the rejects ledger for that record)
  instead of stopping the build.  Only when every server stays down does the
  build stop (a `SynthspecError`; re-running resumes).
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import random
import threading
import time
from collections.abc import Hashable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import httpx

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.generate.backends.base import DecodeSession, GenRequest, GenResult

OVERLOAD_STATUS = {429, 503}
RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
DOWN_AFTER = 3  # failures in a row that mark a server down
COOL_DOWN = (1.0, 30.0)  # first and longest wait before a down server is tried again


def api_key() -> str:
    """The bearer token servers get: `$SYNTHSPEC_API_KEY`, else `$OPENAI_API_KEY` (hosted APIs need one)."""
    return os.environ.get("SYNTHSPEC_API_KEY") or os.environ.get("OPENAI_API_KEY") or "synthspec"


class Transient(Exception):
    """The server could not serve now (connection, timeout, 5xx, 429); another attempt may succeed."""

    def __init__(self, message: str, overload: bool = False) -> None:
        super().__init__(message)
        self.overload = overload


class Refused(Exception):
    """The server refused this request (a 4xx): retrying the same body elsewhere will not help."""


@dataclass
class Server:
    """One server's state, touched only on the fleet's loop."""

    url: str
    cap: int
    window: float = 0.0
    in_flight: int = 0
    failures: int = 0
    down_until: float = 0.0
    cool_down: float = COOL_DOWN[0]
    served: int = 0
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.window = float(self.cap)

    @property
    def down(self) -> bool:
        return self.failures >= DOWN_AFTER

    def capacity(self, now: float) -> int:
        if self.down:  # on probation once its cool-down is over: one request at a time
            return 1 - self.in_flight if now >= self.down_until else 0
        return int(self.window) - self.in_flight

    def succeeded(self) -> None:
        self.failures = 0
        self.cool_down = COOL_DOWN[0]
        self.served += 1
        self.window = min(float(self.cap), self.window + 1.0 / max(self.window, 1.0))

    def failed(self, message: str, overload: bool, now: float) -> None:
        self.errors = (self.errors + [message])[-5:]
        if overload:
            self.window = max(1.0, self.window / 2)
        self.failures += 1
        if self.down:
            self.down_until = now + self.cool_down
            self.cool_down = min(COOL_DOWN[1], self.cool_down * 2)


class Fleet:
    """The servers, the HTTP client and the loop that drives them."""

    def __init__(self, urls: list[str], *, per_server: int, retries: int, timeout: float,
                 connect_timeout: float | None = None, backoff: float = 0.25, down_patience: float = 60.0) -> None:
        self.servers = [Server(url, max(1, per_server)) for url in urls]
        self.retries = max(0, retries)
        self.timeout = httpx.Timeout(timeout, connect=connect_timeout or min(10.0, timeout))
        self.backoff = backoff
        self.down_patience = down_patience
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0}
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="synthspec-fleet", daemon=True)
        self._thread.start()
        self._changed: asyncio.Condition | None = None
        self._client: httpx.AsyncClient | None = None
        self._rotation = 0
        self._all_down_since: float | None = None

    @property
    def capacity(self) -> int:
        return sum(s.cap for s in self.servers)

    # ------------------------------------------------------------ thread side

    def call(self, coro: Any, timeout: float | None = None) -> Any:
        """Run a coroutine on the fleet's loop from a plain thread and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self, coro: Any) -> Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        if self.loop.is_closed():
            return

        async def shutdown() -> None:
            if self._client is not None:
                await self._client.aclose()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        try:
            self.call(shutdown(), timeout=10)
        except Exception:  # noqa: BLE001 - closing must not raise over the build's own error
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self.loop.close()

    # ------------------------------------------------------------ loop side

    def _setup(self) -> tuple[httpx.AsyncClient, asyncio.Condition]:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, limits=httpx.Limits(
                max_connections=None, max_keepalive_connections=max(4, 2 * self.capacity)),
                headers={"Authorization": f"Bearer {api_key()}"})
            self._changed = asyncio.Condition()
        assert self._changed is not None
        return self._client, self._changed

    async def request(self, url: str, path: str, body: dict[str, Any] | None,
                      timeout: httpx.Timeout | None = None) -> dict[str, Any]:
        """One HTTP call; `Transient` or `Refused` on failure, the JSON answer otherwise."""
        client, _ = self._setup()
        try:
            if body is None:
                response = await client.get(url + path, timeout=timeout or self.timeout)
            else:
                response = await client.post(url + path, json=body, timeout=timeout or self.timeout)
        except httpx.TimeoutException as exc:
            raise Transient(f"timed out ({type(exc).__name__})", overload=True) from None
        except httpx.HTTPError as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            detail = response.text[:300]
            if response.status_code in RETRYABLE_STATUS or response.status_code >= 500:
                raise Transient(f"HTTP {response.status_code}: {detail}",
                                overload=response.status_code in OVERLOAD_STATUS)
            raise Refused(f"HTTP {response.status_code}: {detail}")
        try:
            return response.json()
        except json.JSONDecodeError:
            raise Transient(f"answer is not JSON: {response.text[:120]!r}") from None

    async def _acquire(self, avoid: Server | None) -> Server:
        """Wait for a server with a free slot (another one than `avoid` when there is a choice)."""
        _, changed = self._setup()
        async with changed:
            while True:
                now = time.monotonic()
                ready = [s for s in self.servers if s.capacity(now) > 0]
                if len(ready) > 1 and avoid in ready:
                    ready.remove(avoid)
                if ready:
                    self._all_down_since = None
                    self._rotation += 1
                    best = max(s.capacity(now) for s in ready)
                    ready = [s for s in ready if s.capacity(now) == best]
                    server = ready[self._rotation % len(ready)]
                    server.in_flight += 1
                    return server
                if all(s.down for s in self.servers):
                    self._all_down_since = self._all_down_since or now
                    if now - self._all_down_since > self.down_patience:
                        raise SynthspecError(
                            "every model server is down: "
                            + "; ".join(f"{s.url}: {s.errors[-1] if s.errors else '?'}" for s in self.servers),
                            code=codes.SERVER_UNREACHABLE,
                            hint="restart the servers, then re-run the same command: finished records are kept",
                        )
                wake = min((s.down_until for s in self.servers if s.down), default=now + 1.0)
                try:
                    await asyncio.wait_for(changed.wait(), timeout=max(0.05, min(1.0, wake - now)))
                except asyncio.TimeoutError:
                    pass

    async def _release(self) -> None:
        _, changed = self._setup()
        async with changed:
            changed.notify_all()

    async def generate(self, dialect_of: Any, model: str, request: GenRequest, finish: Any) -> GenResult:
        """One generation with retries over the fleet; `finish(server_url, data)` turns an answer into a result."""
        errors: list[str] = []
        last: Server | None = None
        for attempt in range(self.retries + 1):
            server = await self._acquire(last)
            dialect = dialect_of(server.url)
            try:
                data = await self.request(server.url, dialect.path, dialect.body(model, request))
            except Transient as exc:
                server.in_flight -= 1
                server.failed(str(exc), exc.overload, time.monotonic())
                errors.append(f"{server.url}: {exc}")
                await self._release()
                last = server
                await asyncio.sleep(self.backoff * (2 ** min(attempt, 6)) * random.uniform(0.5, 1.5))
                continue
            except Refused as exc:
                server.in_flight -= 1
                server.succeeded()  # the server is fine; the request was not
                await self._release()
                return GenResult("", 0, 0, True, error=f"{codes.SERVER_REFUSED}: {server.url} refused the request: {exc}")
            except BaseException:
                server.in_flight -= 1
                await self._release()
                raise
            server.in_flight -= 1
            server.succeeded()
            await self._release()
            result = finish(server.url, data)
            self.usage["prompt_tokens"] += result.prompt_tokens
            self.usage["completion_tokens"] += result.completion_tokens
            return result
        return GenResult("", 0, 0, True,
                         error=f"no server answered after {self.retries + 1} attempts: {'; '.join(errors[-3:])}")

    def describe(self) -> list[dict[str, Any]]:
        return [{"url": s.url, "per_server": s.cap, "window": round(s.window, 2), "served": s.served,
                 "down": s.down, "recent_errors": list(s.errors)} for s in self.servers]


class FleetSession(DecodeSession):
    """Requests in flight on the fleet: `poll` returns whatever finished first."""

    def __init__(self, slots: int, run: Any) -> None:
        super().__init__(slots)
        self._run = run  # GenRequest -> concurrent Future of a GenResult
        self._done: queue.Queue[tuple[Hashable, Future]] = queue.Queue()
        self._futures: dict[int, Future] = {}
        self._count = 0

    def submit(self, key: Hashable, request: GenRequest) -> None:
        future = self._run(request)
        self._count += 1
        self._futures[id(future)] = future
        future.add_done_callback(lambda f, key=key: self._done.put((key, f)))

    def in_flight(self) -> int:
        return self._count

    def poll(self) -> list[tuple[Hashable, GenResult]]:
        if self._count == 0:
            return []
        finished = [self._done.get()]
        while True:
            try:
                finished.append(self._done.get_nowait())
            except queue.Empty:
                break
        out = []
        failure: BaseException | None = None
        for key, future in finished:
            self._count -= 1
            self._futures.pop(id(future), None)
            exc = future.exception()
            if exc is not None:
                failure = failure or exc
                continue
            out.append((key, future.result()))
        if failure is not None:
            self.close()
            raise failure
        return out

    def close(self) -> None:
        for future in list(self._futures.values()):
            future.cancel()
        self._futures.clear()
