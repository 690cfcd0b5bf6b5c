"""Exploration at scale: every strategy on every sampled world, streamed to disk in chunks.

An *experiment* is (sample, replication, strategy): the scenario with one sampled vector
of its uncertain parameters, one replication of the world's randomness, one strategy.
:func:`explore` runs a design's experiments in chunks on local processes or a Dask
cluster and streams them to a directory of Parquet files (``offramp.explore.dataset``);
``offramp.load`` reads them back.

Choices
-------
1. World index ``w = sample * R + replication``; every strategy runs world ``w`` with the
   same random streams (common random numbers: ``offramp.model.streams`` keys them on the
   seed and ``w`` only, never the strategy).
2. A chunk is one strategy on a contiguous range of ``chunk_size`` world indices. Chunks
   are numbered world range first, then strategy in the run's order, so the first chunks
   to finish cover every strategy on the first worlds. Chunk ids depend on the design,
   replications, strategies and chunk size, never on workers or executor; the rows do
   not depend on the chunk size either (the dataset's canonical sort).
3. The manifest is written before any chunk, and fixes the chunk list. ``resume`` runs the
   chunks whose files are missing or invalid, and refuses a directory made from another
   scenario, design (its fingerprint), seed, replications, strategies, chunk size or
   offramp version: mixing those would make a dataset no single run could produce.
4. Without ``resume`` a non-empty directory is refused, except the same run already
   complete, which is reported and not run again.
5. The design's samples are drawn with the run's seed: one seed fixes the whole dataset.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from offramp import __version__
from offramp.errors import InputError
from offramp.explore.dataset import (
    CHUNKS,
    FORMAT,
    MANIFEST,
    ChunkSpec,
    Manifest,
    chunk_path,
    read_chunk,
    read_manifest,
    run_key,
    write_bytes_atomic,
    write_manifest,
)
from offramp.explore.executors import (
    EXECUTORS,
    ChunkDone,
    ChunkTask,
    dask_client,
    malloc_trim_is_set,
    run_dask,
    run_local,
    warn_malloc_trim,
)
from offramp.scenario.load import ScenarioSource, load_scenario

__all__ = ["explore", "ExploreResult", "ExploreInterrupted", "plan_chunks", "DEFAULT_CHUNK_SIZE"]

#: Worlds per chunk when none is given (choice 2): a chunk of the essay scenario takes a
#: few seconds, long enough to hide a task's overhead, short enough to lose little on Ctrl-C.
DEFAULT_CHUNK_SIZE = 50


class ExploreInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`explore`: finished chunks are kept; the message says how many.

    Parameters
    ----------
    message : str
    directory : Path
    """

    def __init__(self, message: str, directory: Path) -> None:
        super().__init__(message)
        self.message, self.directory = message, directory


@dataclass(frozen=True, slots=True)
class ExploreResult:
    """What :func:`explore` did.

    Attributes
    ----------
    directory : Path
        The run's directory (``offramp.load(directory)`` reads it).
    scenario_name : str
    design : str
    samples : int
        Rows of the design (S); a Saltelli or Morris design has more rows than requested.
    replications : int
    strategies : tuple of str
    experiments : int
        S x replications x strategies.
    chunks : int
        Chunks in the run.
    chunks_run : int
        Chunks run by this call.
    chunks_kept : int
        Valid chunks found already written (``resume``, or a complete run).
    seconds : float
        Wall time of the chunks run by this call.
    already_complete : bool
        The directory held this run, complete: nothing was run.
    """

    directory: Path
    scenario_name: str
    design: str
    samples: int
    replications: int
    strategies: tuple[str, ...]
    experiments: int
    chunks: int
    chunks_run: int
    chunks_kept: int
    seconds: float
    already_complete: bool

    @property
    def experiments_per_second(self) -> float:
        """Experiments run by this call per second of wall time (0 when none ran)."""
        ran = self.experiments_run
        return ran / self.seconds if ran and self.seconds > 0 else 0.0

    @property
    def experiments_run(self) -> int:
        """Experiments run by this call."""
        return round(self.experiments * self.chunks_run / self.chunks) if self.chunks else 0


def plan_chunks(worlds: int, strategies: Sequence[str], chunk_size: int) -> list[ChunkSpec]:
    """The run's chunk list (choice 2).

    Parameters
    ----------
    worlds : int
        S x R world indices.
    strategies : sequence of str
    chunk_size : int
        World indices per chunk.

    Returns
    -------
    list of ChunkSpec
    """
    chunks = []
    for start in range(0, worlds, chunk_size):
        for strategy in strategies:
            chunks.append(ChunkSpec(len(chunks), strategy, start, min(start + chunk_size, worlds)))
    return chunks


def _check_options(samples, replications, seed, chunk_size, workers, executor, scheduler, out) -> None:
    for name, value, low in (("samples", samples, 1), ("replications", replications, 1), ("seed", seed, 0),
                             ("chunk_size", chunk_size, 1), ("workers", workers, 1)):
        if value is None and name in ("chunk_size", "workers"):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise InputError(f"--{name.replace('_', '-')}", f"must be an integer, got {value!r}")
        if value < low:
            raise InputError(f"--{name.replace('_', '-')}", f"must be at least {low}")
    if executor not in EXECUTORS:
        raise InputError("--executor", f"must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler is not None and executor != "dask":
        raise InputError("--scheduler", "only with --executor dask")
    if scheduler is not None and "://" not in str(scheduler):
        raise InputError("--scheduler", f"{scheduler}: give an address like tcp://HOST:PORT")
    if out is None:
        raise InputError("--out", "a directory for the results is required")
    if Path(out).exists() and not Path(out).is_dir():
        raise InputError("--out", f"{out}: exists and is not a directory")


def _make_design(source: ScenarioSource, name: str, samples: int, seed: int):
    from offramp.explore.designs import make_design

    try:
        return make_design(source.scenario, name, samples, seed)
    except InputError as error:
        raise InputError(error.where if error.where.startswith("--") else "--design", error.problem) from None
    except (ValueError, KeyError) as error:
        raise InputError("--design", str(error).strip("'\"")) from None


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _mismatch(manifest: Manifest, identity: dict) -> str | None:
    """The first difference between a directory's run and the one asked for, or None."""
    old = manifest.data["identity"]
    checks = (
        ("scenario", "scenario_hash", lambda v: f"sha256 {str(v)[:12]}"),
        ("design", "design", str),
        ("number of samples", "samples", str),
        ("seed", "seed", str),
        ("replications", "replications", str),
        ("strategies", "strategies", lambda v: ", ".join(v) if isinstance(v, list) else str(v)),
        ("chunk size", "chunk_size", str),
        ("offramp version", "version", str),
        ("design", "design_fingerprint", lambda v: f"fingerprint {str(v)[:12]}"),
    )
    for what, key, show in checks:
        if old.get(key) != identity[key]:
            return f"holds a run with another {what} ({show(old.get(key))}; asked for {show(identity[key])})"
    return None


def _remove_leftovers(directory: Path, invalid: Sequence[ChunkSpec]) -> None:
    """Remove temporary files of interrupted writes and invalid chunk files (never data)."""
    for stray in (directory / CHUNKS).glob(".chunk-*.part"):
        stray.unlink(missing_ok=True)
    for chunk in invalid:
        chunk_path(directory, chunk).unlink(missing_ok=True)


def _default_workers() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


def _design_bytes(samples_frame, claims_frame) -> bytes:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame({"sample": np.arange(len(samples_frame), dtype=np.int64)})
    for column in samples_frame.columns:
        frame[column] = samples_frame[column].to_numpy(np.float64)
    if claims_frame is not None:
        for column in claims_frame.columns:
            frame[f"claims.{column}"] = claims_frame[column].astype(str).to_numpy(object)
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue().to_pybytes()


def _progress(total: int, done: int, enabled: bool):
    """A rich progress bar counting experiments, with experiments/s and time left."""
    from contextlib import nullcontext

    if not enabled:
        return nullcontext(lambda n: None)
    from contextlib import contextmanager

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class _Rate(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text("... experiments/s" if speed is None else f"{speed:.1f} experiments/s")

    @contextmanager
    def bar():
        with Progress(TextColumn("[bold]experiments"), BarColumn(), MofNCompleteColumn(), _Rate(),
                      TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), transient=False) as progress:
            task = progress.add_task("experiments", total=total, completed=done)
            yield lambda n: progress.advance(task, n)

    return bar()


def explore(
    scenario: str | Path | ScenarioSource,
    *,
    design: str = "lhs",
    samples: int = 100,
    replications: int = 1,
    seed: int = 0,
    out: str | Path | None = None,
    strategy: Sequence[str] | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    progress: bool = True,
) -> ExploreResult:
    """Run every strategy on every sampled world of a design, streaming rows to ``out``.

    Parameters
    ----------
    scenario : path or ScenarioSource
        The scenario file (TOML); its ``[uncertainties]`` and ``[claims]`` define the design.
    design : str
        The design's name (``offramp.explore.designs.DESIGNS``: lhs, sobol, morris,
        factorial, claims).
    samples : int
        Samples requested (>= 1); the design may make more rows (Saltelli: N (2D + 2)).
    replications : int
        Worlds per sample, each with its own random streams (>= 1).
    seed : int
        The run's seed (>= 0): it draws the design and keys every world's streams.
    out : str or Path
        The run's directory: ``manifest.json``, ``design.parquet`` and ``chunks/``.
    strategy : sequence of str, optional
        Strategies to run; all of the scenario's when empty.
    workers : int, optional
        Worker processes (local executor, or a local Dask cluster); default: all cores.
        Results do not depend on it.
    chunk_size : int, optional
        World indices per chunk (default 50; on ``resume``, the directory's). Memory per
        worker and the granularity of resume; results do not depend on it.
    executor : str
        ``"local"`` (processes on this machine) or ``"dask"``.
    scheduler : str, optional
        A Dask scheduler's address, ``tcp://HOST:PORT`` (with ``executor="dask"``);
        without it a local Dask cluster of ``workers`` processes is started for the run.
    resume : bool
        Continue the run in ``out``: run only chunks that are missing or invalid.
    progress : bool
        Show a progress bar (experiments, experiments/s, time left).

    Returns
    -------
    ExploreResult

    Raises
    ------
    InputError
        Bad options, or ``out`` holding something this run cannot write into.
    ExploreInterrupted
        Ctrl-C: pending chunks were cancelled and finished ones kept.
    """
    _check_options(samples, replications, seed, chunk_size, workers, executor, scheduler, out)
    directory = Path(out)
    source = scenario if isinstance(scenario, ScenarioSource) else load_scenario(scenario)
    from offramp.scenario.translate import build_strategies

    try:
        strategies = tuple(build_strategies(source.scenario, list(strategy) if strategy else None))
    except InputError as error:
        if error.where == "--strategy":
            raise
        raise InputError(source.name, str(error)) from None
    plan = _plan(source, _make_design(source, design, samples, seed), design, samples, replications, seed,
                 strategies, chunk_size, directory)
    kept = _check_directory(directory, plan, resume)
    if len(kept) == len(plan.chunks):  # choice 4: the same run, complete
        return _with_directory(plan.result(0, len(kept), 0.0, already_complete=True), directory)
    n_workers = workers if workers is not None else _default_workers()
    with contextlib.ExitStack() as stack:
        # The Dask client before any file: an unreachable scheduler leaves nothing behind.
        client = stack.enter_context(dask_client(scheduler, n_workers)) if executor == "dask" else None
        if client is not None and scheduler is not None and malloc_trim_is_set(client):
            warn_malloc_trim(stacklevel=2)
        if plan.existing is None:
            _start_directory(directory, plan)
        else:
            _remove_leftovers(directory, [c for c in plan.chunks if c.id not in kept])
        return _run(directory, plan, kept, n_workers, client, progress)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A run's identity, design arrays and chunk list, before anything is written."""

    source: ScenarioSource
    design: object
    design_name: str
    samples_requested: int
    replications: int
    seed: int
    strategies: tuple[str, ...]
    parameters: tuple[str, ...]
    values: np.ndarray
    claims: tuple[str, ...]
    sides: np.ndarray
    identity: dict
    key: str
    chunks: list[ChunkSpec]
    existing: Manifest | None

    @property
    def worlds(self) -> int:
        return self.values.shape[0] * self.replications

    def result(self, chunks_run: int, chunks_kept: int, seconds: float, already_complete: bool) -> ExploreResult:
        return ExploreResult(Path(), self.source.scenario.scenario.name, self.design_name, self.values.shape[0],
                             self.replications, self.strategies, self.worlds * len(self.strategies), len(self.chunks),
                             chunks_run, chunks_kept, seconds, already_complete)


def _plan(source, made, design, samples, replications, seed, strategies, chunk_size, directory) -> _Plan:
    frame = made.samples
    if len(frame) < 1:
        raise InputError("--design", f"{design} made no samples")
    claims_frame = getattr(made, "claims", None)
    values = frame.to_numpy(np.float64)
    sides = claims_frame.astype(str).to_numpy(object) if claims_frame is not None else np.empty((len(values), 0), object)
    existing = read_manifest(directory) if (directory / MANIFEST).is_file() else None
    if chunk_size is None:  # the directory's, if it has one: a run keeps its chunk list
        chunk_size = int(existing.data["identity"].get("chunk_size", DEFAULT_CHUNK_SIZE)) if existing else DEFAULT_CHUNK_SIZE
    identity = {
        "scenario_hash": source.hash,
        "design": design,
        "design_fingerprint": made.fingerprint(),
        "samples": int(samples),
        "seed": int(seed),
        "replications": int(replications),
        "strategies": list(strategies),
        "chunk_size": int(chunk_size),
        "version": __version__,
    }
    return _Plan(
        source=source, design=made, design_name=design, samples_requested=int(samples),
        replications=int(replications), seed=int(seed), strategies=strategies,
        parameters=tuple(str(c) for c in frame.columns), values=values,
        claims=tuple(str(c) for c in claims_frame.columns) if claims_frame is not None else (), sides=sides,
        identity=identity, key=run_key({"format": FORMAT, **identity}),
        chunks=plan_chunks(len(values) * int(replications), strategies, int(chunk_size)), existing=existing,
    )


def _check_directory(directory: Path, plan: _Plan, resume: bool) -> set[int]:
    """Refuse what this run cannot write into (choices 3, 4); the ids of valid chunks."""
    existing = plan.existing
    if existing is None:
        if directory.is_dir() and any(directory.iterdir()):
            if resume:
                raise InputError("--resume", f"{directory}: no {MANIFEST} (not an offramp explore directory)")
            raise InputError("--out", f"{directory} is not empty; choose another --out")
        return set()
    problem = _mismatch(existing, plan.identity)
    if problem is not None:
        raise InputError("--resume" if resume else "--out", f"{directory} {problem}; choose another --out")
    kept = {chunk.id for chunk in existing.chunks if read_chunk(directory, existing, chunk) is not None}
    if not resume and len(kept) < len(plan.chunks):
        raise InputError("--out", f"{directory} holds this run unfinished ({len(kept)} of {len(plan.chunks)} chunks); "
                                  "continue it with --resume")
    return kept


def _start_directory(directory: Path, plan: _Plan) -> None:
    """Write the manifest (first, choice 3) and the design of a new run."""
    made, n_samples = plan.design, plan.values.shape[0]
    manifest = {
        "format": FORMAT,
        "run_key": plan.key,
        "identity": plan.identity,
        "offramp_version": __version__,
        "scenario": {"name": plan.source.scenario.scenario.name, "file": plan.source.name, "hash": plan.source.hash,
                     "text": plan.source.text},
        "design": {"name": plan.design_name, "settings": _jsonable(getattr(made, "settings", {}) or {}),
                   "fingerprint": plan.identity["design_fingerprint"], "samples_requested": plan.samples_requested,
                   "rows": n_samples, "parameters": list(plan.parameters), "claims": list(plan.claims)},
        "seed": plan.seed,
        "samples": n_samples,
        "replications": plan.replications,
        "strategies": list(plan.strategies),
        "worlds": plan.worlds,
        "experiments": plan.worlds * len(plan.strategies),
        "world_index": "sample * replications + replication",
        "columns": ["sample", "replication", "world", "strategy", "seed", *plan.parameters,
                    *(f"claims.{c}" for c in plan.claims), "...the outcome columns of offramp run"],
        "chunk_size": plan.identity["chunk_size"],
        "chunks": [{"id": c.id, "strategy": c.strategy, "start": c.start, "stop": c.stop, "rows": c.rows,
                    "file": c.file} for c in plan.chunks],
    }
    (directory / CHUNKS).mkdir(parents=True, exist_ok=True)
    write_manifest(directory, manifest)
    write_bytes_atomic(directory / "design.parquet", _design_bytes(made.samples, getattr(made, "claims", None)))


def _run(directory: Path, plan: _Plan, kept: set[int], n_workers: int, client, progress: bool) -> ExploreResult:
    """Run the chunks not in ``kept``, on local processes or (``client``) Dask."""
    (directory / CHUNKS).mkdir(parents=True, exist_ok=True)
    todo = [chunk for chunk in plan.chunks if chunk.id not in kept]
    target = None if client is not None else str(directory)  # Dask workers send bytes back

    def tasks() -> Iterator[ChunkTask]:
        for chunk in todo:
            first, last = chunk.start // plan.replications, (chunk.stop - 1) // plan.replications
            yield ChunkTask(
                chunk=chunk, run_key=plan.key, scenario_text=plan.source.text, scenario_name=plan.source.name,
                seed=plan.seed, replications=plan.replications, first_sample=first, parameters=plan.parameters,
                values=plan.values[first : last + 1].copy(), claims=plan.claims,
                sides=plan.sides[first : last + 1].copy(), directory=target,
            )

    run_count = 0
    total = plan.worlds * len(plan.strategies)
    began = time.perf_counter()
    try:
        with _progress(total, sum(c.rows for c in plan.chunks if c.id in kept), progress) as advance:

            def on_done(done: ChunkDone) -> None:
                nonlocal run_count
                if done.payload is not None:
                    write_bytes_atomic(chunk_path(directory, plan.chunks[done.id]), done.payload)
                run_count += 1
                advance(done.rows)

            if client is None:
                run_local(tasks(), max(1, min(n_workers, len(todo))), on_done)
            else:
                run_dask(tasks(), client, on_done)
    except KeyboardInterrupt:
        raise ExploreInterrupted(f"{directory}: {len(kept) + run_count} of {len(plan.chunks)} chunks kept; "
                                 "continue with --resume", directory) from None
    result = plan.result(run_count, len(kept), time.perf_counter() - began, already_complete=False)
    return _with_directory(result, directory)


def _with_directory(result: ExploreResult, directory: Path) -> ExploreResult:
    from dataclasses import replace

    return replace(result, directory=directory)
