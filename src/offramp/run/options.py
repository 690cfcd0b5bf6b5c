"""The options of ``offramp run`` and ``offramp epstein``, validated once, at the edge.

Each job's options are a :class:`~offramp.scenario.options.JobOptions` model: the ranges,
the defaults and the help texts are declared here, once. The command line builds the model
from its flags (its help texts and defaults are these fields'), a Python caller's keywords
build it inside the job function, and the job trusts it from then on. A bad value raises
:class:`~offramp.errors.OptionError` naming the option.

This module imports pydantic and nothing heavy, so the command line's start-up (``offramp
--help``) can read it without loading the simulation or pandas.

Choices
-------
1. An output table's format comes from its suffix, ``.parquet`` or ``.csv``; any other
   suffix is refused here, before a run spends its time, not when the table is written.
2. ``trace`` must name one of the run's worlds (``0 .. worlds - 1``), and ``trace_out``
   only makes sense with ``trace``: both are cross-field rules of the model.
3. An empty ``strategy`` list means every strategy of the scenario, as leaving it out does.
4. ``threads`` splits each engine step's grids between threads of this one process (the
   compiled unrest kernel releases the GIL); it changes no result, only the time. It may
   not exceed the cores this process may use (:func:`available_cores`): more threads than
   cores only compete for them.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from offramp.run.record import TABLE_SUFFIXES
from offramp.scenario.options import JobOptions

__all__ = ["RunOptions", "EpsteinOptions", "available_cores", "threads_fit"]


_THREADS_HELP = (
    "threads that step the grids at once (the compiled unrest kernel), at most the cores this process "
    "may use; results do not depend on it"
)


def available_cores() -> int:
    """The CPU cores this process may use (its affinity mask where the OS has one).

    Returns
    -------
    int
        At least 1.
    """
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux: no affinity mask
        return max(os.cpu_count() or 1, 1)


def threads_fit(threads: int, processes: int = 1) -> int:
    """``threads``, if ``processes`` x ``threads`` fit in the cores (choice 4).

    Parameters
    ----------
    threads : int
        Threads per process (>= 1).
    processes : int
        Processes that each run ``threads`` threads at once.

    Returns
    -------
    int
        ``threads``.

    Raises
    ------
    ValueError
        More threads than cores, worded for the ``threads`` option.
    """
    cores = available_cores()
    if threads > 1 and processes * threads > cores:
        if processes == 1:
            raise ValueError(f"must be at most {cores}, the cores this process may use, got {threads}")
        raise ValueError(
            f"{processes} workers x {threads} threads need {processes * threads} cores, but this process "
            f"may use {cores}; lower threads or workers"
        )
    return threads


def _table_path(path: Path | None) -> Path | None:
    """An output table's path, if its suffix is one the writer knows (choice 1)."""
    if path is not None and path.suffix.lower() not in TABLE_SUFFIXES:
        raise ValueError(f"use a .parquet or .csv file name (got {path.name!r})")
    return path


class RunOptions(JobOptions):
    """Options of ``offramp run`` (:func:`offramp.run.campaign.run_campaign`)."""

    worlds: int = Field(1000, ge=1, description="worlds per strategy")
    seed: int = Field(0, ge=0, description="the run's seed; world i's numbers depend only on (seed, i)")
    strategy: tuple[str, ...] | None = Field(
        None, description="run only this strategy (repeat for several); every strategy of the scenario when not given"
    )
    chunk_size: int = Field(
        250, ge=1, description="worlds simulated at once (memory only; results do not depend on it)"
    )
    out: Path | None = Field(None, description="outcome table, .parquet or .csv: one row per (strategy, world)")
    trace: int | None = Field(None, ge=0, description="write the weekly trajectory of this world (an index)")
    trace_out: Path | None = Field(
        None, description="where the trace goes, .csv or .parquet; trace-world-N.csv beside --out when not given"
    )
    threads: int = Field(1, ge=1, description=_THREADS_HELP)
    progress: bool = Field(True, description="show a progress bar")

    @field_validator("out", "trace_out")
    @classmethod
    def _check_tables(cls, path: Path | None) -> Path | None:
        return _table_path(path)

    @field_validator("threads")
    @classmethod
    def _check_threads(cls, threads: int) -> int:
        return threads_fit(threads)

    @model_validator(mode="after")
    def _check_trace(self) -> RunOptions:
        # Choice 2. The message names its field first: JobOptions.check blames that option.
        if self.trace is not None and self.trace >= self.worlds:
            raise ValueError(f"trace: world index must be in 0 .. {self.worlds - 1}")
        if self.trace_out is not None and self.trace is None:
            raise ValueError("trace_out: a trace file needs a world to trace (trace)")
        return self

    @property
    def strategies(self) -> list[str] | None:
        """The strategies asked for, or None for every one (choice 3)."""
        return list(self.strategy) if self.strategy else None

    @property
    def trace_path(self) -> Path | None:
        """Where the trace goes: ``trace_out``, or ``trace-world-N.csv`` beside ``out``
        (or in the current folder); None without a trace."""
        if self.trace is None:
            return None
        if self.trace_out is not None:
            return self.trace_out
        return (self.out.parent if self.out is not None else Path()) / f"trace-world-{self.trace}.csv"


class EpsteinOptions(JobOptions):
    """Options of ``offramp epstein`` (:func:`offramp.run.epstein.epstein_job`); the model's
    settings are :class:`~offramp.scenario.epstein.EpsteinConfig`."""

    worlds: int = Field(1, ge=1, description="number of worlds run at once")
    steps: int = Field(200, ge=1, description="engine steps")
    seed: int = Field(0, ge=0, description="the run's seed; world i's numbers depend only on (seed, i)")
    out: Path | None = Field(None, description="counts per world and step, .csv or .parquet")
    threads: int = Field(1, ge=1, description=_THREADS_HELP)
    progress: bool = Field(True, description="show a progress bar")

    @field_validator("out")
    @classmethod
    def _check_table(cls, path: Path | None) -> Path | None:
        return _table_path(path)

    @field_validator("threads")
    @classmethod
    def _check_threads(cls, threads: int) -> int:
        return threads_fit(threads)
