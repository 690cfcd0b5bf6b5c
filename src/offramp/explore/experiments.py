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
   chunks whose files are missing or damaged, and refuses a directory made from another
   scenario, design (its fingerprint), seed, replications, strategies, chunk size or
   offramp version: mixing those would make a dataset no single run could produce.
   ``resume`` deletes no data: a damaged chunk file is moved to ``quarantine/`` with a
   reason file before its chunk is run again (``offramp.explore.dataset``, choice 5).
4. Without ``resume`` a non-empty directory is refused, except the same run already
   complete, which is reported and not run again.
5. The design's samples are drawn with the run's seed: one seed fixes the whole dataset.
6. The options are checked once, by :class:`~offramp.explore.options.ExploreOptions`,
   before anything is loaded or written; the code below trusts them. Among them, workers
   x threads must fit the cores (``ExploreOptions``, choice 4).
7. Before any worker starts, the driver loads the compiled unrest kernel
   (``executors.load_kernel``): on a fresh install it compiles once, here, and the
   workers load it from Numba's on-disk cache rather than each compiling it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from offramp import __version__
from offramp.errors import InputError, OptionError
from offramp.explore.dataset import (
    CHUNKS,
    FORMAT,
    MANIFEST,
    ChunkSpec,
    Manifest,
    chunk_path,
    quarantine_chunk,
    read_chunk,
    read_manifest,
    run_key,
    write_bytes_atomic,
    write_manifest,
)
from offramp.explore.executors import (
    ChunkDone,
    ChunkTask,
    dask_client,
    load_kernel,
    malloc_trim_is_set,
    oversubscribed_machines,
    run_dask,
    run_local,
    warn_malloc_trim,
    warn_oversubscribed,
)
from offramp.explore.options import DEFAULT_CHUNK_SIZE, ExploreOptions
from offramp.run.chunks import world_chunks
from offramp.run.progress import progress_bar
from offramp.scenario.load import ScenarioSource, load_scenario

if TYPE_CHECKING:
    import pandas as pd
    from distributed import Client

    from offramp.explore.designs import Design

__all__ = ["DEFAULT_CHUNK_SIZE", "ExploreInterrupted", "ExploreResult", "explore", "plan_chunks"]


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
    chunks_quarantined : int
        Damaged chunk files this call moved to ``quarantine/`` (``resume``) and ran again.
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
    chunks_quarantined: int = 0

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
    pairs = [(worlds_range, strategy) for worlds_range in world_chunks(worlds, chunk_size) for strategy in strategies]
    return [
        ChunkSpec(number, strategy, worlds_range.start, worlds_range.stop)
        for number, (worlds_range, strategy) in enumerate(pairs)
    ]


def _make_design(source: ScenarioSource, name: str, samples: int, seed: int, calibration: Path | None) -> Design:
    """The design, its errors blamed on the option at fault: the sample count, the
    calibration (``--from``), or the design."""
    from offramp.explore.designs import make_design, read_plausible

    try:
        settings = {"calibration": read_plausible(calibration, source)} if calibration is not None else {}
        return make_design(source.scenario, name, samples, seed, **settings)
    except InputError as error:
        # make_design names what it refuses in ``where`` (data, not the message): the
        # sample count (sobol's power of two), the calibration, or the design and the
        # scenario together.
        named = getattr(error, "option", None) or error.where.removeprefix("--")
        option = {"samples": "samples", "from": "calibration"}.get(named, "design")
        raise OptionError(option, error.problem) from None
    except ValueError as error:  # SALib refusing the design's problem
        raise OptionError("design", str(error)) from None


#: What the manifest's JSON holds.
_Json = None | str | int | float | bool | list["_Json"] | dict[str, "_Json"]


def _jsonable(value: object) -> _Json:
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


def _set_aside(directory: Path, damaged: dict[ChunkSpec, str]) -> None:
    """Before a resume: quarantine damaged chunk files (their bytes kept, never deleted),
    and remove the temporaries of interrupted writes (hidden ``.chunk-*.part`` files of
    an atomic write that never finished: never data, since a chunk file only exists once
    it is whole)."""
    for stray in (directory / CHUNKS).glob(".chunk-*.part"):
        stray.unlink(missing_ok=True)
    for chunk, problem in damaged.items():
        quarantine_chunk(directory, chunk, problem)


def _design_bytes(samples_frame: pd.DataFrame, claims_frame: pd.DataFrame | None) -> bytes:
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


def _default(name: str) -> Any:  # Any: each option has its own type (int, str, ...)
    """An option's default, from :class:`ExploreOptions` (defaults live in one place)."""
    return ExploreOptions.model_fields[name].default


def explore(
    scenario: str | Path | ScenarioSource,
    *,
    out: str | Path | None,
    design: str = _default("design"),
    calibration: str | Path | None = None,  # ExploreOptions' default; a literal, as ruff B008 asks for a Path
    samples: int = _default("samples"),
    replications: int = _default("replications"),
    seed: int = _default("seed"),
    strategy: Sequence[str] | None = _default("strategy"),
    workers: int | None = _default("workers"),
    threads: int = _default("threads"),
    chunk_size: int | None = _default("chunk_size"),
    executor: str = _default("executor"),
    scheduler: str | None = _default("scheduler"),
    resume: bool = _default("resume"),
    progress: bool = _default("progress"),
) -> ExploreResult:
    """Run every strategy on every sampled world of a design, streaming rows to ``out``.

    The options are those of :class:`~offramp.explore.options.ExploreOptions`, checked
    once here (choice 6).

    Parameters
    ----------
    scenario : path or ScenarioSource
        The scenario file (TOML); its ``[uncertainties]`` and ``[claims]`` define the design.
    out : str or Path
        The run's directory: ``manifest.json``, ``design.parquet`` and ``chunks/`` (and
        ``quarantine/`` once a resume has set damaged chunk files aside). Required: None
        (the command line without ``--out``) is refused with :class:`~offramp.errors.OptionError`, as
        ExploreOptions says.
    design : str
        The design's name (``offramp.explore.designs.DESIGNS``: lhs, sobol, morris,
        factorial, claims, fractional, plausible).
    calibration : str or Path, optional
        A calibration directory (``offramp calibrate``'s ``out``): the plausible design
        resamples its accepted samples (``offramp.explore.designs``, choice 7). Required
        with ``design="plausible"``, refused with the others; the calibration must be of
        this scenario's text and have accepted a sample.
    samples : int
        Samples requested (>= 1); the design may make more rows (Saltelli: N (2D + 2)).
    replications : int
        Worlds per sample, each with its own random streams (>= 1).
    seed : int
        The run's seed (>= 0): it draws the design and keys every world's streams.
    strategy : sequence of str, optional
        Strategies to run; all of the scenario's when None or empty.
    workers : int, optional
        Worker processes (local executor, or a local Dask cluster); default: all cores
        divided by ``threads``. Results do not depend on it.
    threads : int
        Threads per worker process that step its chunk's grids (>= 1). Workers x threads
        may not exceed the cores this process may use (local executor, local Dask
        cluster; with ``scheduler``, a warning says where a machine's worker threads x
        ``threads`` exceed its cores). Results do not depend on it.
    chunk_size : int, optional
        World indices per chunk (default ``DEFAULT_CHUNK_SIZE``; on ``resume``, the
        directory's). Memory per worker and the granularity of resume; results do not
        depend on it.
    executor : str
        ``"local"`` (processes on this machine) or ``"dask"``.
    scheduler : str, optional
        A Dask scheduler's address, ``tcp://HOST:PORT`` (with ``executor="dask"``);
        without it a local Dask cluster of ``workers`` processes is started for the run.
    resume : bool
        Continue the run in ``out``: run only chunks that are missing or damaged; a
        damaged chunk file is moved to ``out/quarantine/`` first, never deleted.
    progress : bool
        Show a progress bar (experiments, experiments/s, time left).

    Returns
    -------
    ExploreResult

    Raises
    ------
    OptionError
        A bad option, or ``out`` holding something this run cannot write into; the
        option's keyword name is in ``option``.
    InputError
        A scenario file that cannot be read or whose strategies cannot be built.
    ExploreInterrupted
        Ctrl-C: pending chunks were cancelled and finished ones kept.
    """
    options = ExploreOptions.check(
        design=design,
        calibration=calibration,
        samples=samples,
        replications=replications,
        seed=seed,
        out=out,
        strategy=strategy,
        workers=workers,
        threads=threads,
        chunk_size=chunk_size,
        executor=executor,
        scheduler=scheduler,
        resume=resume,
        progress=progress,
    )
    directory = options.out
    source = scenario if isinstance(scenario, ScenarioSource) else load_scenario(scenario)
    strategies = _strategies(source, options.strategy)
    made = _make_design(source, options.design, options.samples, options.seed, options.calibration)
    plan = _plan(source, made, options, strategies, directory)
    kept, damaged = _check_directory(directory, plan, options.resume)
    if len(kept) == len(plan.chunks):  # choice 4: the same run, complete
        return _with_directory(plan.result(0, len(kept), 0.0, already_complete=True), directory)
    n_workers = options.processes
    load_kernel()  # choice 7: compiled (or loaded) once, here, before any worker starts
    with contextlib.ExitStack() as stack:
        # The Dask client before any file: an unreachable scheduler leaves nothing behind.
        client = None
        if options.executor == "dask":
            client = stack.enter_context(dask_client(options.scheduler, n_workers))
            if options.scheduler is not None:
                if malloc_trim_is_set(client):
                    warn_malloc_trim(stacklevel=2)
                # Only threads are checked: worker processes alone may share cores (options, choice 4).
                crowded = oversubscribed_machines(client, options.threads) if options.threads > 1 else {}
                if crowded:
                    warn_oversubscribed(crowded, options.threads, stacklevel=2)
        if plan.existing is None:
            _start_directory(directory, plan)
        else:
            _set_aside(directory, damaged)
        result = _run(directory, plan, kept, n_workers, options.threads, client, options.progress)
    return replace(result, chunks_quarantined=len(damaged))


def _strategies(source: ScenarioSource, chosen: tuple[str, ...] | None) -> tuple[str, ...]:
    """The strategies to run, in the run's order (``build_strategies`` names the option
    for an unknown name and the file for any other problem)."""
    from offramp.scenario.translate import build_strategies

    return tuple(build_strategies(source, list(chosen) if chosen else None))


@dataclass(frozen=True, slots=True)
class _Plan:
    """A run's identity, design arrays and chunk list, before anything is written."""

    source: ScenarioSource
    design: Design
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
        return ExploreResult(
            Path(),
            self.source.scenario.scenario.name,
            self.design_name,
            self.values.shape[0],
            self.replications,
            self.strategies,
            self.worlds * len(self.strategies),
            len(self.chunks),
            chunks_run,
            chunks_kept,
            seconds,
            already_complete,
        )


def _plan(
    source: ScenarioSource, made: Design, options: ExploreOptions, strategies: tuple[str, ...], directory: Path
) -> _Plan:
    frame = made.samples
    if len(frame) < 1:
        raise OptionError("design", f"{options.design} made no samples")
    claims_frame = getattr(made, "claims", None)
    values = frame.to_numpy(np.float64)
    sides = (
        claims_frame.astype(str).to_numpy(object) if claims_frame is not None else np.empty((len(values), 0), object)
    )
    existing = _existing_manifest(directory)
    chunk_size = options.chunk_size
    if chunk_size is None:  # the directory's, if it has one: a run keeps its chunk list
        chunk_size = (
            int(existing.data["identity"].get("chunk_size", DEFAULT_CHUNK_SIZE)) if existing else DEFAULT_CHUNK_SIZE
        )
    identity = {
        "scenario_hash": source.hash,
        "design": options.design,
        "design_fingerprint": made.fingerprint(),
        "samples": options.samples,
        "seed": options.seed,
        "replications": options.replications,
        "strategies": list(strategies),
        "chunk_size": int(chunk_size),
        "version": __version__,
    }
    return _Plan(
        source=source,
        design=made,
        design_name=options.design,
        samples_requested=options.samples,
        replications=options.replications,
        seed=options.seed,
        strategies=strategies,
        parameters=tuple(str(c) for c in frame.columns),
        values=values,
        claims=tuple(str(c) for c in claims_frame.columns) if claims_frame is not None else (),
        sides=sides,
        identity=identity,
        key=run_key({"format": FORMAT, **identity}),
        chunks=plan_chunks(len(values) * options.replications, strategies, int(chunk_size)),
        existing=existing,
    )


def _existing_manifest(directory: Path) -> Manifest | None:
    """The manifest of the run already in ``directory``, or None; an unreadable one is the
    fault of ``out``."""
    if not (directory / MANIFEST).is_file():
        return None
    try:
        return read_manifest(directory)
    except InputError as error:
        raise OptionError("out", error.problem) from None


def _check_directory(directory: Path, plan: _Plan, resume: bool) -> tuple[set[int], dict[ChunkSpec, str]]:
    """Refuse what this run cannot write into (choices 3, 4); the ids of valid chunks, and
    the damaged chunk files with why each was rejected (nothing is moved here)."""
    existing = plan.existing
    if existing is None:
        if directory.is_dir() and any(directory.iterdir()):
            if resume:
                raise OptionError("resume", f"{directory}: no {MANIFEST} (not an offramp explore directory)")
            raise OptionError("out", f"{directory} is not empty; choose another directory")
        return set(), {}
    problem = _mismatch(existing, plan.identity)
    if problem is not None:
        raise OptionError("resume" if resume else "out", f"{directory} {problem}; choose another directory")
    kept: set[int] = set()
    damaged: dict[ChunkSpec, str] = {}
    for chunk in existing.chunks:
        found = read_chunk(directory, existing, chunk)
        if found.is_valid:
            kept.add(chunk.id)
        elif found.problem is not None:
            damaged[chunk] = found.problem
    if not resume and len(kept) < len(plan.chunks):
        raise OptionError(
            "out",
            f"{directory} holds this run unfinished ({len(kept)} of {len(plan.chunks)} chunks); "
            "continue it with --resume",
        )
    return kept, damaged


def _start_directory(directory: Path, plan: _Plan) -> None:
    """Write the manifest (first, choice 3) and the design of a new run."""
    made, n_samples = plan.design, plan.values.shape[0]
    manifest = {
        "format": FORMAT,
        "run_key": plan.key,
        "identity": plan.identity,
        "offramp_version": __version__,
        "scenario": {
            "name": plan.source.scenario.scenario.name,
            "file": plan.source.name,
            "hash": plan.source.hash,
            "text": plan.source.text,
        },
        "design": {
            "name": plan.design_name,
            "settings": _jsonable(getattr(made, "settings", {}) or {}),
            "fingerprint": plan.identity["design_fingerprint"],
            "samples_requested": plan.samples_requested,
            "rows": n_samples,
            "parameters": list(plan.parameters),
            "claims": list(plan.claims),
        },
        "seed": plan.seed,
        "samples": n_samples,
        "replications": plan.replications,
        "strategies": list(plan.strategies),
        "worlds": plan.worlds,
        "experiments": plan.worlds * len(plan.strategies),
        "world_index": "sample * replications + replication",
        "columns": [
            "sample",
            "replication",
            "world",
            "strategy",
            "seed",
            *plan.parameters,
            *(f"claims.{c}" for c in plan.claims),
            "...the outcome columns of offramp run",
        ],
        "chunk_size": plan.identity["chunk_size"],
        "chunks": [
            {"id": c.id, "strategy": c.strategy, "start": c.start, "stop": c.stop, "rows": c.rows, "file": c.file}
            for c in plan.chunks
        ],
    }
    (directory / CHUNKS).mkdir(parents=True, exist_ok=True)
    write_manifest(directory, manifest)
    write_bytes_atomic(directory / "design.parquet", _design_bytes(made.samples, getattr(made, "claims", None)))


def _run(
    directory: Path, plan: _Plan, kept: set[int], n_workers: int, threads: int, client: Client | None, progress: bool
) -> ExploreResult:
    """Run the chunks not in ``kept``, on local processes or (``client``) Dask, each
    stepped on ``threads`` threads."""
    (directory / CHUNKS).mkdir(parents=True, exist_ok=True)
    todo = [chunk for chunk in plan.chunks if chunk.id not in kept]
    target = None if client is not None else str(directory)  # Dask workers send bytes back

    def tasks() -> Iterator[ChunkTask]:
        for chunk in todo:
            first, last = chunk.start // plan.replications, (chunk.stop - 1) // plan.replications
            yield ChunkTask(
                chunk=chunk,
                run_key=plan.key,
                scenario_text=plan.source.text,
                scenario_name=plan.source.name,
                seed=plan.seed,
                replications=plan.replications,
                first_sample=first,
                parameters=plan.parameters,
                values=plan.values[first : last + 1].copy(),
                claims=plan.claims,
                sides=plan.sides[first : last + 1].copy(),
                directory=target,
                threads=threads,
            )

    run_count = 0
    total = plan.worlds * len(plan.strategies)
    began = time.perf_counter()
    try:
        with progress_bar(
            "experiments",
            total,
            enabled=progress,
            unit="experiments",
            completed=sum(c.rows for c in plan.chunks if c.id in kept),
            rate_format=",.1f",
        ) as advance:

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
        raise ExploreInterrupted(
            f"{directory}: {len(kept) + run_count} of {len(plan.chunks)} chunks kept; continue with --resume", directory
        ) from None
    result = plan.result(run_count, len(kept), time.perf_counter() - began, already_complete=False)
    return _with_directory(result, directory)


def _with_directory(result: ExploreResult, directory: Path) -> ExploreResult:
    return replace(result, directory=directory)
