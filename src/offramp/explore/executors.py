"""Running chunks of experiments: the chunk function, local processes, and Dask.

One function, :func:`run_chunk`, runs a chunk (one strategy on a range of world indices)
wherever it is sent; two executors send it:

- ``local``: a :class:`concurrent.futures.ProcessPoolExecutor` (forkserver on Linux,
  spawn elsewhere). Each worker writes its chunk's Parquet file itself, atomically, and
  returns only a few numbers, so nothing accumulates in the driver.
- ``dask``: a :class:`distributed.Client` on an existing cluster (``--scheduler``), or a
  local one made for the run. The worker returns the chunk's Parquet bytes (tens of kB)
  and the driver writes the file as each chunk arrives, so no shared file system is
  needed between machines.

Choices
-------
1. The driver keeps at most a few chunks per worker in flight and submits the next as one
   finishes (a bounded window): tasks are made lazily, so the driver's memory does not
   grow with the design.
2. A world's random numbers depend only on (seed, world index) (``offramp.model.streams``),
   and a chunk's parameters are sent with it: which process runs a chunk, and with which
   others, changes no number.
3. Local workers ignore SIGINT: Ctrl-C reaches the driver, which cancels what is pending,
   stops the workers and keeps every finished chunk (files are atomic, so a chunk stopped
   mid-write leaves only a hidden temporary file).
4. A Dask worker that dies is replaced by the scheduler, which runs its chunks elsewhere
   (Dask's ``allowed-failures``); the result cannot differ (choice 2).
5. Dask sets ``MALLOC_TRIM_THRESHOLD_=65536`` in the workers it spawns, which disables
   glibc's adaptive mmap threshold and made these NumPy-heavy chunks run about 1.7x
   slower. A cluster offramp starts unsets it; on an existing cluster ``explore`` asks
   the workers and warns (docs/exploration.md says how to configure it).
6. A chunk's worlds are stepped on ``ChunkTask.threads`` threads inside its worker (the
   compiled unrest kernel releases the GIL); which thread steps which grids changes no
   number. On an existing Dask cluster ``explore`` asks each worker for its machine,
   its threads and the machine's cores, and warns where the worker threads times
   ``threads`` exceed the cores (:func:`oversubscribed_machines`).
7. The driver loads the compiled kernel (:func:`load_kernel`) before it starts any
   worker: on a fresh install it compiles once and writes Numba's on-disk cache, and
   the workers load the kernel from there instead of each compiling it. The
   forkserver preloads it too, so local workers start with it loaded.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from offramp.errors import OfframpError, OptionError
from offramp.explore.dataset import KEY_COLUMNS, ChunkSpec, chunk_path, chunk_table_bytes, write_bytes_atomic
from offramp.explore.options import EXECUTORS

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.context import BaseContext

    import pandas as pd
    from distributed import Client

    from offramp.model.coercer import Strategy
    from offramp.scenario.schema import Scenario

_Item = TypeVar("_Item")

__all__ = [
    "EXECUTORS",
    "ChunkDone",
    "ChunkTask",
    "PerformanceWarning",
    "dask_client",
    "load_kernel",
    "malloc_trim_is_set",
    "oversubscribed_machines",
    "run_chunk",
    "run_dask",
    "run_local",
    "warn_malloc_trim",
    "warn_oversubscribed",
]

#: Chunks in flight per worker (choice 1): enough to keep a worker busy between results.
_WINDOW_PER_WORKER = 2


class PerformanceWarning(UserWarning):
    """A setting that makes a run slower than it need be (results are unaffected)."""


@dataclass(frozen=True, slots=True)
class ChunkTask:
    """Everything a worker needs to run one chunk, and nothing it must look up.

    Attributes
    ----------
    chunk : ChunkSpec
    run_key : str
        The run's key, stored in the chunk file's metadata.
    scenario_text : str
        The scenario file's text (parsed once per worker process).
    scenario_name : str
    seed : int
    replications : int
        R: world w is sample ``w // R``, replication ``w % R``.
    first_sample : int
        The sample id of ``values``' first row.
    parameters : tuple of str
        Parameter paths, one per column of ``values``.
    values : float64 (n, D)
        The sampled values of samples ``first_sample .. first_sample + n - 1``.
    claims : tuple of str
        Claim ids of a ``claims`` design (empty otherwise).
    sides : object (n, C)
        Each sample's side ("essay" or "sceptic") of each claim.
    directory : str or None
        Where the worker writes the chunk's file; None: return the bytes instead.
    threads : int
        Threads the worker steps the chunk's grids on (choice 6).
    """

    chunk: ChunkSpec
    run_key: str
    scenario_text: str
    scenario_name: str
    seed: int
    replications: int
    first_sample: int
    parameters: tuple[str, ...]
    values: np.ndarray
    claims: tuple[str, ...]
    sides: np.ndarray
    directory: str | None
    threads: int


@dataclass(frozen=True, slots=True)
class ChunkDone:
    """What a worker sends back: which chunk, how long it took, and (Dask) its bytes.

    Attributes
    ----------
    id : int
    rows : int
    seconds : float
    payload : bytes or None
    """

    id: int
    rows: int
    seconds: float
    payload: bytes | None = None


@functools.lru_cache(maxsize=4)
def _scenario(text: str, name: str) -> Scenario:
    from offramp.scenario.load import parse_scenario

    return parse_scenario(text, name)


@functools.lru_cache(maxsize=32)
def _strategy(text: str, name: str, strategy: str) -> Strategy:
    from offramp.scenario.translate import build_strategies

    return build_strategies(_scenario(text, name), [strategy])[strategy]


def chunk_frame(task: ChunkTask) -> pd.DataFrame:
    """Run a chunk's experiments and return its rows.

    Parameters
    ----------
    task : ChunkTask

    Returns
    -------
    pandas.DataFrame
        One row per world of the chunk, in world order: sample, replication, world,
        strategy, seed, the sampled values, the claims' sides, then the outcomes.
    """
    import pandas as pd

    from offramp.run.runner import run_worlds
    from offramp.scenario.translate import to_params

    scenario = _scenario(task.scenario_text, task.scenario_name)
    strategy = _strategy(task.scenario_text, task.scenario_name, task.chunk.strategy)
    worlds = np.arange(task.chunk.start, task.chunk.stop, dtype=np.int64)
    sample, replication = np.divmod(worlds, task.replications)
    values = task.values[sample - task.first_sample]  # (B, D): each world's sampled vector

    overrides = {path: values[:, j] for j, path in enumerate(task.parameters)}
    outcomes = run_worlds(
        to_params(scenario, worlds.size, overrides),
        strategy,
        task.chunk.strategy,
        worlds,
        task.seed,
        threads=task.threads,
    )
    columns = {
        "sample": sample,
        "replication": replication,
        "world": worlds,
        "strategy": outcomes["strategy"],
        "seed": outcomes["seed"],
    }
    for j, path in enumerate(task.parameters):
        columns[path] = values[:, j].astype(np.float64)
    for j, claim in enumerate(task.claims):
        columns[f"claims.{claim}"] = task.sides[sample - task.first_sample, j].astype(object)
    columns |= {name: column for name, column in outcomes.items() if name not in KEY_COLUMNS}
    return pd.DataFrame(columns)


def run_chunk(task: ChunkTask) -> ChunkDone:
    """Run one chunk; write its file (or return its bytes when ``task.directory`` is None).

    Parameters
    ----------
    task : ChunkTask

    Returns
    -------
    ChunkDone
    """
    began = time.perf_counter()
    payload = chunk_table_bytes(chunk_frame(task), task.run_key, task.chunk)
    if task.directory is not None:
        write_bytes_atomic(chunk_path(task.directory, task.chunk), payload)
        return ChunkDone(task.chunk.id, task.chunk.rows, time.perf_counter() - began)
    return ChunkDone(task.chunk.id, task.chunk.rows, time.perf_counter() - began, payload)


def load_kernel() -> float:
    """Compile the unrest kernel in this process, or load it from Numba's cache (choice 7).

    Importing :mod:`offramp.model.unrest_kernel` compiles its one signature, writing
    Numba's on-disk cache, or loads it from there if the cache is warm; a second call in
    the same process costs nothing.

    Returns
    -------
    float
        Seconds it took.
    """
    import importlib

    began = time.perf_counter()
    importlib.import_module("offramp.model.unrest_kernel")
    return time.perf_counter() - began


def _ignore_sigint() -> None:
    """Worker initializer (choice 3): Ctrl-C is the driver's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context() -> BaseContext:
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods and sys.platform.startswith("linux"):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(
            [
                "offramp.explore.executors",
                "offramp.run.runner",
                "offramp.model.unrest_kernel",
                "pandas",
                "pyarrow.parquet",
            ]
        )
        return context
    return multiprocessing.get_context("spawn")


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a process pool at once: cancel what is queued, end the running workers."""
    pool.shutdown(wait=False, cancel_futures=True)
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.join(timeout=5)


def run_local(tasks: Iterable[ChunkTask], workers: int, on_done: Callable[[ChunkDone], None]) -> None:
    """Run chunks on local worker processes, calling ``on_done`` in the driver as each ends.

    Parameters
    ----------
    tasks : iterable of ChunkTask
        Made lazily (choice 1); each with ``directory`` set, so workers write the files.
    workers : int
        Worker processes (>= 1).
    on_done : callable
        Called with each :class:`ChunkDone`, in completion order.
    """
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pending = iter(tasks)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_ignore_sigint)
    running: set[Future[ChunkDone]] = set()
    try:
        for task in _take(pending, workers * _WINDOW_PER_WORKER):
            running.add(pool.submit(run_chunk, task))
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    done = future.result()
                except BrokenProcessPool:
                    raise OfframpError(
                        "a worker process died (out of memory, or a script calling explore() "
                        "without an `if __name__ == '__main__':` guard); finished chunks are kept: "
                        "run again with --resume"
                    ) from None
                on_done(done)
                for task in _take(pending, 1):
                    running.add(pool.submit(run_chunk, task))
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _take(iterator: Iterator[_Item], count: int) -> list[_Item]:
    taken: list[_Item] = []
    for _ in range(count):
        item = next(iterator, None)
        if item is None:
            break
        taken.append(item)
    return taken


def _import_distributed() -> ModuleType:
    try:
        import distributed
    except ImportError:
        raise OptionError("executor", "dask needs the distributed package: pip install 'dask[distributed]'") from None
    return distributed


def malloc_trim_is_set(client: Client) -> bool:
    """Whether any worker of a cluster runs with ``MALLOC_TRIM_THRESHOLD_`` set (choice 5).

    Parameters
    ----------
    client : distributed.Client

    Returns
    -------
    bool
        False also when the workers cannot be asked (a check of speed never stops a run).
    """
    try:
        settings = client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
    except Exception:  # noqa: BLE001 - a check of speed never stops a run, whatever the cluster raises
        return False
    return any(value is not None for value in settings.values())


def warn_malloc_trim(stacklevel: int) -> None:
    """The :class:`PerformanceWarning` for workers with ``MALLOC_TRIM_THRESHOLD_`` set.

    Parameters
    ----------
    stacklevel : int
        As for :func:`warnings.warn`, counted from the caller.
    """
    warnings.warn(
        "Dask workers run with MALLOC_TRIM_THRESHOLD_ set, which slows NumPy-heavy chunks "
        "(about 1.7x measured); see docs/exploration.md, 'Dask clusters'",
        PerformanceWarning,
        stacklevel=stacklevel + 1,
    )


def _worker_machine(dask_worker: object) -> tuple[str, int, int]:
    """Run on a Dask worker: its machine's name, its threads and the cores it may use."""
    import platform

    from offramp.run.options import available_cores

    state = getattr(dask_worker, "state", None)
    return platform.node(), int(getattr(state, "nthreads", 1)), available_cores()


def oversubscribed_machines(client: Client, threads: int) -> dict[str, tuple[int, int]]:
    """The machines of a cluster whose worker threads x ``threads`` exceed their cores (choice 6).

    Parameters
    ----------
    client : distributed.Client
    threads : int
        Threads each chunk is stepped on.

    Returns
    -------
    dict of str to (int, int)
        Machine name to (threads the run may use at once there, its cores); empty when
        every machine fits, or when the workers cannot be asked (a check of speed never
        stops a run).
    """
    try:
        found = client.run(_worker_machine)
    except Exception:  # noqa: BLE001 - a check of speed never stops a run, whatever the cluster raises
        return {}
    machines: dict[str, tuple[int, int]] = {}
    for name, nthreads, cores in found.values():
        used, known = machines.get(name, (0, 0))
        machines[name] = (used + nthreads * threads, max(known, cores))
    return {name: (used, cores) for name, (used, cores) in machines.items() if used > cores}


def warn_oversubscribed(machines: dict[str, tuple[int, int]], threads: int, stacklevel: int) -> None:
    """The :class:`PerformanceWarning` for machines with more threads than cores.

    Parameters
    ----------
    machines : dict of str to (int, int)
        From :func:`oversubscribed_machines`; not empty.
    threads : int
        Threads per chunk.
    stacklevel : int
        As for :func:`warnings.warn`, counted from the caller.
    """
    shown = ", ".join(f"{name}: {used} threads on {cores} cores" for name, (used, cores) in sorted(machines.items()))
    warnings.warn(
        f"threads: the Dask workers' threads x {threads} exceed the cores ({shown}); they compete for them "
        "(results are unaffected). Lower threads, or start fewer worker threads per machine",
        PerformanceWarning,
        stacklevel=stacklevel + 1,
    )


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Client]:
    """A Dask client for the run: on ``scheduler``, or on a local cluster made for it.

    Parameters
    ----------
    scheduler : str or None
        The scheduler's address (``tcp://HOST:PORT``); None starts a local cluster of
        ``workers`` single-threaded processes, closed on exit.
    workers : int
        Worker processes of a local cluster.

    Yields
    ------
    distributed.Client
    """
    distributed = _import_distributed()
    import dask

    cluster = None
    if scheduler is None:
        # Choice 5: unset Dask's MALLOC_TRIM_THRESHOLD_ in the workers this cluster spawns.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
        client = distributed.Client(cluster)
    else:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise OptionError(
                "scheduler",
                f"cannot reach a Dask scheduler at {scheduler} "
                f"({str(error).splitlines()[0] if str(error) else type(error).__name__})",
            ) from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_dask(tasks: Iterable[ChunkTask], client: Client, on_done: Callable[[ChunkDone], None]) -> None:
    """Run chunks on a Dask cluster, calling ``on_done`` in the driver as each arrives.

    Parameters
    ----------
    tasks : iterable of ChunkTask
        Made lazily (choice 1), with ``directory`` None: workers return the bytes.
    client : distributed.Client
        From :func:`dask_client`.
    on_done : callable
        Called with each :class:`ChunkDone` (payload set), in completion order.
    """
    distributed = _import_distributed()
    futures = set()
    try:
        workers = len(client.scheduler_info().get("workers", {}))
        size = max(workers, 1) * _WINDOW_PER_WORKER
        pending = iter(tasks)
        queue = distributed.as_completed()

        def submit(task: ChunkTask) -> None:
            key = f"offramp-chunk-{task.run_key[:16]}-{task.chunk.id:05d}"
            future = client.submit(run_chunk, task, key=key, pure=False)
            futures.add(future)
            queue.add(future)

        for task in _take(pending, size):
            submit(task)
        for future in queue:
            done = future.result()
            futures.discard(future)
            future.release()
            on_done(done)
            for task in _take(pending, 1):
                submit(task)
    except BaseException:
        if futures:
            # Best effort while stopping: the error being raised is the one to report.
            with suppress(Exception):
                client.cancel(list(futures), force=True)  # type: ignore[no-untyped-call]  # unannotated in distributed
        raise
