"""Running the streaming validators on Ray Data (`synthspec validate DATA --spec S --ray [ADDRESS]`).

The chunk descriptors (`batches.Chunk`: a byte range or row groups, no
records; CSV chunks carry their Arrow table) become a Ray dataset; a
callable-class `map_batches` stage (one actor per worker, each with the
validators prepared once, as a local worker process has) turns each chunk
into a pickled `ChunkResult`; the driver reads the results back in chunk
order (`preserve_order`) and merges and finishes exactly as the local runner
does, so a validator gives the same findings on both.  Ray is an optional
extra: `pip install 'synthspec[ray]'`.  The data file must be readable at the
same path on every node.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator

from synthspec import codes
from synthspec.diagnostics import SynthspecError
from synthspec.validate.batches import Chunk
from synthspec.validate.stream import ChunkResult, Job, Worker


class _RayWorker:
    """The `map_batches` callable: one `Worker` per actor."""

    def __init__(self, job_bytes: bytes) -> None:
        self.worker = Worker(pickle.loads(job_bytes))

    def __call__(self, batch: dict) -> dict:
        out = []
        for blob in batch["chunk"]:
            out.append(pickle.dumps(self.worker.process(pickle.loads(blob)), protocol=5))
        return {"i": batch["i"], "result": out}


def _connect(address: str) -> bool:
    """Connect to Ray (`local`: start one here, sized to this machine); True when we started it."""
    try:
        import ray
    except ImportError:
        raise SynthspecError("--ray needs Ray installed", hint="pip install 'synthspec[ray]'", code=codes.RAY_MISSING) from None
    if ray.is_initialized():
        return False
    try:
        if address in ("", "local"):
            # a cluster of our own stays on loopback
            ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False,
                     _node_ip_address="127.0.0.1")
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise SynthspecError(
            f"cannot connect to Ray at {address!r}: {exc}",
            hint="start a cluster with `ray start --head`, or pass --ray without an address for a local one",
            code=codes.RAY_CONNECT_FAILED,
        ) from None
    return True


def run_on_ray(job: Job, chunks: Iterable[Chunk], address: str, workers: int) -> Iterator[ChunkResult]:
    """Chunk results in order from `workers` Ray actors."""
    import ray

    started = _connect(address)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False
        items = [{"i": k, "chunk": pickle.dumps(c, protocol=5)} for k, c in enumerate(chunks)]
        if not items:
            return
        ds = ray.data.from_items(items, override_num_blocks=len(items))
        results = ds.map_batches(
            _RayWorker,
            fn_constructor_args=(pickle.dumps(job, protocol=5),),
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
        )
        for row in results.iter_rows():
            yield pickle.loads(row["result"])
    finally:
        if started:
            ray.shutdown()


__all__ = ["run_on_ray"]
