"""Extract and fingerprint in one step, in worker processes: one round trip per chunk.

Extraction (trafilatura) is CPU-bound and holds the GIL, and fingerprinting (MinHash band
keys, story term counts, search terms) is a pure function of the extracted text, so both
run where the page is parsed: a worker gets a chunk of delivered documents and sends back
fingerprinted articles (about 11 KB each) or failures, never the page again.

Where the chunks run:
- ``prepare_batch(..., workers=N)``: a persistent pool of N forkserver processes on this
  machine (default: one per core), chunks of ``chunk_size`` documents;
- ``prepare_chunk``: one chunk in the calling process, what a Dask worker runs when the
  flow uses Prefect's Dask task runner (flows/ingest.py);
- ``start_ahead``: chunks started before the flow runs (while Prefect's server boots),
  which ``submit_batch`` then takes instead of submitting them again.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from mediawatch import interrupt
from mediawatch.config import ExtractSettings
from mediawatch.extract import extract_document
from mediawatch.fingerprint import fingerprint_batch
from mediawatch.lifeline import exit_with_parent
from mediawatch.pausepoint import pause
from mediawatch.records import Article, Failure, Fingerprinted, RawDocument, raw_hash

log = logging.getLogger(__name__)

Prepared = Fingerprinted | Failure


def prepare_chunk(docs: Sequence[RawDocument], settings: ExtractSettings) -> list[Prepared]:
    """Extract, then fingerprint the chunk's articles together (MinHash.bulk); in order."""
    pause("extract")  # tests: a chunk being extracted
    extracted = [extract_document(d, settings) for d in docs]
    pairs = [(d, a) for d, a in zip(docs, extracted, strict=True) if isinstance(a, Article)]
    fps = fingerprint_batch([a for _, a in pairs], for_verify=True)
    done = iter(replace(f, raw_hash=raw_hash(d)) for (d, _), f in zip(pairs, fps, strict=True))
    return [
        next(done) if isinstance(x, Article) else replace(x, raw_hash=raw_hash(d))
        for d, x in zip(docs, extracted, strict=True)
    ]


def chunks(docs: Sequence[RawDocument], size: int) -> list[list[RawDocument]]:
    size = max(1, size)
    return [list(docs[i : i + size]) for i in range(0, len(docs), size)]


def pool_chunks(docs: Sequence[RawDocument], size: int, workers: int) -> list[list[RawDocument]]:
    """Chunks of ``size`` for the worker pool, the last round in ever smaller ones (half,
    a quarter... down to one document): the batch is stored only once its last chunk is
    back, and a worker that finishes early waits for the others, on average half a chunk
    (about 0.1 s at 8 pages a chunk). Results come back in order whatever the chunks."""
    size, out, i = max(1, size), [], 0
    while i < len(docs):
        step = size
        while step > 1 and len(docs) - i <= workers * step:
            step //= 2
        out.append(list(docs[i : i + step]))
        i += step
    return out


_pools: dict[int, ProcessPoolExecutor] = {}
# Held while workers start or get chunks, and while an interrupted run stops them: a
# batch's task in another thread then cannot start workers that no one would stop.
_lock = threading.RLock()


def _pool(workers: int) -> ProcessPoolExecutor:
    """One pool per process, kept across batches: starting workers costs a second.

    forkserver, not fork: the caller may run Prefect's threads, and forking a
    threaded process can deadlock the child.
    """
    if workers not in _pools:
        if interrupt.requested():  # the run is stopping: no new workers for it
            raise RuntimeError("the run is being stopped")
        ctx = multiprocessing.get_context("forkserver")
        # its own session first (mediawatch.forkserver_session), then the stage code
        ctx.set_forkserver_preload(["mediawatch.forkserver_session", "mediawatch.prepare"])
        _keep(workers, ctx)
    return _pools[workers]


def _keep(workers: int, ctx: multiprocessing.context.BaseContext) -> ProcessPoolExecutor:
    _pools[workers] = pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_worker_start,
        initargs=(os.getpid(),),
    )
    atexit.register(pool.shutdown, cancel_futures=True)
    if len(_pools) == 1:
        interrupt.on_stop(stop_workers)
    return pool


def fork_workers(workers: int) -> bool:
    """The pool's workers forked from this process now, when it runs a single thread
    (a run of the warm runner, mediawatch.runner: everything imported, Prefect's threads
    not started yet): no interpreter to start nor modules to import per worker, which a
    forkserver pays (a second or more of CPU). Later batches use this pool; True if made."""
    if workers <= 1 or workers in _pools:
        return False
    try:
        if len(os.listdir("/proc/self/task")) != 1:  # a thread may hold a lock: no fork
            return False
        with _lock:
            pool = _keep(workers, multiprocessing.get_context("fork"))
            pool.submit(int)  # starts every worker (fork), then the pool's own thread
    except (OSError, RuntimeError, BrokenProcessPool) as exc:
        _pools.pop(workers, None)
        log.warning("no workers forked ahead (%s)", exc)
        return False
    return True


def _worker_start(parent: int) -> None:
    """Pool initializer. A worker leaves the run's process group, so that the
    terminal's Ctrl-C and a SIGTERM sent to the group reach the run only: the run
    decides what to do with them and stops its workers (``stop_workers``). A killed
    run leaves no worker behind (the lifeline)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # forked from the run: not its handler
    with contextlib.suppress(OSError):
        os.setsid()
    exit_with_parent(parent)


def stop_workers() -> None:
    """End the worker processes now, their chunks unfinished (an interrupted run)."""
    got = _lock.acquire(timeout=5.0)  # bounded: this also runs on the way out
    try:
        _stop_workers()
    finally:
        if got:
            _lock.release()


def _stop_workers() -> None:
    for workers, pool in list(_pools.items()):
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            with contextlib.suppress(Exception):
                p.kill()
        _pools.pop(workers, None)


# Chunks started ahead of the run that will ask for them (start_ahead): taken only for
# equal documents (content, fetch time, everything) under equal settings.
_ahead: dict[tuple[ExtractSettings, tuple[RawDocument, ...]], Future[list[Prepared]]] = {}


def _chunk_key(
    chunk: Sequence[RawDocument], settings: ExtractSettings
) -> tuple[ExtractSettings, tuple[RawDocument, ...]]:
    return settings, tuple(chunk)


def start_ahead(
    docs: Sequence[RawDocument], settings: ExtractSettings, workers: int, chunk_size: int
) -> int:
    """Start preparing documents that a run is about to submit, before it can: a one-shot
    run waits several seconds for Prefect's temporary server to boot. submit_batch
    then takes these chunks as they are, when it is given the same documents in the same
    chunks; returns the number of chunks started."""
    if workers <= 1 or len(docs) < 2 * workers:  # prepare_batch's own rule: in-process
        return 0
    try:
        with _lock:
            for c in pool_chunks(docs, chunk_size, workers):
                _start(c, settings, workers)
    except (BrokenProcessPool, RuntimeError, OSError) as exc:
        log.warning("worker processes unavailable (%s); nothing started ahead", exc)
    return len(_ahead)


def _start(chunk: Sequence[RawDocument], settings: ExtractSettings, workers: int) -> None:
    """Submit one chunk ahead unless it is already (held: ``_lock``)."""
    key = _chunk_key(chunk, settings)
    if key not in _ahead:
        _ahead[key] = _pool(workers).submit(prepare_chunk, chunk, settings)


def stream_ahead(
    settings: ExtractSettings, workers: int, chunk_size: int, batch_size: int
) -> Callable[[RawDocument], None]:
    """What takes the documents of a run's first batch as they are read (into a database
    that holds nothing yet: every one of them will be extracted, in the order read) and
    starts each chunk in the workers once it is certainly one of the chunks the run will
    submit (``pool_chunks`` of the whole batch: a chunk of full size with more than a
    round of the workers' chunks after it). The workers start on the first pages while
    the rest are read, not after; ``start_ahead`` then adds the batch's last chunks."""
    size = max(1, chunk_size)
    read: list[RawDocument] = []
    started = 0  # chunks started
    failed = False  # no workers to be had: the run prepares its batch as usual

    def add(doc: RawDocument) -> None:
        nonlocal started, failed
        read.append(doc)
        # prepare_batch's own rule: a batch of fewer than 2 * workers runs in-process
        if failed or workers <= 1 or len(read) < 2 * workers or len(read) > batch_size:
            return
        # chunk k is [k*size, (k+1)*size) and stays full-size when more than
        # workers*size documents follow its start, which the ones read so far prove
        while len(read) - started * size > workers * size:
            chunk = read[started * size : (started + 1) * size]
            started += 1
            try:
                with _lock:
                    _start(chunk, settings, workers)
            except (BrokenProcessPool, RuntimeError, OSError) as exc:
                log.warning("worker processes unavailable (%s); nothing started ahead", exc)
                failed = True
                return

    return add


def drop_ahead() -> int:
    """Cancel what was started ahead and not asked for (the run ended, or it read other
    documents); returns how many chunks that was."""
    left = list(_ahead.values())
    _ahead.clear()
    for f in left:
        f.cancel()
    return len(left)


def submit_batch(
    docs: Sequence[RawDocument], settings: ExtractSettings, workers: int, chunk_size: int
) -> list[Future[list[Prepared]]] | None:
    """Start a batch in the worker pool and return at once (None: no pool to be had)."""
    try:
        with _lock:
            pool = _pool(workers)
            return [
                (_ahead and _ahead.pop(_chunk_key(c, settings), None))
                or pool.submit(prepare_chunk, c, settings)
                for c in pool_chunks(docs, chunk_size, workers)
            ]
    except (BrokenProcessPool, RuntimeError, OSError) as exc:
        _pools.pop(workers, None)
        log.warning("worker processes unavailable (%s); preparing in-process", exc)
        return None


def prepare_batch(
    docs: Sequence[RawDocument], settings: ExtractSettings, workers: int = 1, chunk_size: int = 8
) -> list[Prepared]:
    """Extract and fingerprint a batch, in ``workers`` processes when that is worth it."""
    if workers <= 1 or len(docs) < 2 * workers:
        return prepare_chunk(docs, settings)
    futures = submit_batch(docs, settings, workers, chunk_size)
    if futures is not None:
        try:
            return [p for f in futures for p in f.result()]
        except BrokenProcessPool as exc:
            # e.g. started from a script without an `if __name__ == "__main__":` guard, or
            # a worker killed by the system: the batch still gets done, in this process
            # (not when the run is being stopped, which is what ended the workers).
            if interrupt.requested():
                raise
            _pools.pop(workers, None)
            log.warning("worker processes failed (%s); preparing in-process", exc)
    if interrupt.requested():  # the pool was stopped with the run: nothing more to do
        raise RuntimeError("the run is being stopped")
    return prepare_chunk(docs, settings)
