"""The options of ``offramp explore``, declared once and validated once, at the edge.

:class:`ExploreOptions` is what :func:`offramp.explore.experiments.explore` takes besides
the scenario. The function builds it from its keywords, once, and trusts it afterwards;
the command line takes its help texts and defaults from the fields. Rules that need the
scenario (which strategies it has, which designs it can sample) are checked by
``explore`` once the scenario is loaded.

Choices
-------
1. This module imports pydantic and offramp's options modules only (the option base,
   ``offramp.run.options`` for the cores), never NumPy, pandas, pyarrow or the
   exploration itself: ``offramp --help`` builds its help texts from it, and must
   start fast.
2. Counts and the seed are whole numbers: a float, a string or a bool is refused, not
   rounded (``samples=2.5`` is a mistake, not a request for 2); NumPy integers are taken.
3. ``workers`` and ``chunk_size`` have no number as default: all cores (divided by
   ``threads``), and 50 worlds (or, on ``resume``, the directory's chunk size, because a
   run keeps its chunk list).
4. ``threads`` (default 1) is per worker process: each steps its chunk's grids on that
   many threads. Processes on this machine (the local executor, or the local Dask
   cluster) times threads may not exceed the cores this process may use: a run asking
   for more is refused, naming ``threads``, before anything starts; without ``workers``,
   as many workers start as fit (cores // threads). ``workers`` alone may exceed the
   cores, as before (the processes share them). On a remote Dask cluster (``scheduler``)
   the cores are the cluster's: nothing is refused here, and ``explore`` warns if a
   machine's worker threads times ``threads`` exceed its cores.
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, Field, field_validator, model_validator

from offramp.run.options import available_cores, threads_fit
from offramp.scenario.options import JobOptions

__all__ = ["DEFAULT_CHUNK_SIZE", "DESIGN_NAMES", "EXECUTORS", "ExploreOptions"]

#: Worlds per chunk when none is given (choice 3): a chunk of the essay scenario takes a
#: few seconds, long enough to hide a task's overhead, short enough to lose little on Ctrl-C.
DEFAULT_CHUNK_SIZE = 50

Executor = Literal["local", "dask"]
#: Where chunks can run (``offramp.explore.executors``).
EXECUTORS: tuple[str, ...] = get_args(Executor)

DesignName = Literal["lhs", "sobol", "morris", "factorial", "claims", "fractional", "plausible"]
#: The designs explore can sample (``offramp.explore.designs.DESIGNS``; a test keeps the two equal).
DESIGN_NAMES: tuple[str, ...] = get_args(DesignName)


def _whole_number(value: Any) -> Any:
    """Choice 2: a whole number as an int; anything else is left for pydantic to refuse."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"must be a whole number, got {value!r}")  # not TypeError: pydantic reports only ValueError
    return int(value)


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


class ExploreOptions(JobOptions):
    """The options of :func:`offramp.explore.experiments.explore` (``offramp explore``).

    Attributes
    ----------
    design : str
        The design's name.
    calibration : Path or None
        The calibration directory the plausible design samples from (``--from``).
    samples : int
        Samples requested (the design may make more rows).
    replications : int
        Worlds per sample.
    seed : int
        The run's seed.
    out : Path
        The run's directory.
    strategy : tuple of str or None
        Strategies to run; None: all of the scenario's.
    workers : int or None
        Worker processes; None: all cores, divided by ``threads`` (:attr:`processes`).
    threads : int
        Threads per worker process that step its grids.
    chunk_size : int or None
        World indices per chunk; None: the default, or the directory's on resume.
    executor : str
        ``local`` or ``dask``.
    scheduler : str or None
        A Dask scheduler's address.
    resume : bool
        Continue the run in ``out``.
    progress : bool
        Show a progress bar.
    """

    design: DesignName = Field("lhs", description=f"the design: {', '.join(DESIGN_NAMES)}")
    calibration: Path | None = Field(
        None,
        description="a calibration directory (offramp calibrate's --out) whose accepted samples the "
        "plausible design resamples (required with design plausible, refused with the others)",
    )
    samples: WholeNumber = Field(
        100, ge=1, description="samples requested from the design (a Saltelli or Morris design makes more rows)"
    )
    replications: WholeNumber = Field(1, ge=1, description="worlds per sample, each with its own random streams")
    seed: WholeNumber = Field(0, ge=0, description="the run's seed: it draws the design and keys every world's streams")
    out: Path = Field(description="the run's directory: manifest.json, design.parquet, chunks/ (required)")
    strategy: tuple[str, ...] | None = Field(
        None, description="run only this strategy (repeat for several; default: all of the scenario's)"
    )
    workers: WholeNumber | None = Field(
        None, ge=1, description="worker processes (default: all cores, divided by threads); results do not depend on it"
    )
    threads: WholeNumber = Field(
        1,
        ge=1,
        description="threads per worker process that step its worlds' grids (the compiled unrest kernel); "
        "workers x threads may not exceed the cores; results do not depend on it",
    )
    chunk_size: WholeNumber | None = Field(
        None,
        ge=1,
        description=f"world indices per chunk (default: {DEFAULT_CHUNK_SIZE}, or the directory's on "
        "resume); memory per worker and the unit of resume; results do not depend on it",
    )
    executor: Executor = Field("local", description=f"where chunks run: {' or '.join(EXECUTORS)}")
    scheduler: str | None = Field(
        None,
        description="a Dask scheduler's address, tcp://HOST:PORT, with executor dask "
        "(default: a local Dask cluster of the workers)",
    )
    resume: bool = Field(False, description="continue the run in out: run only the chunks missing or damaged")
    progress: bool = Field(True, description="show a progress bar (experiments, experiments/s, time left)")

    @model_validator(mode="before")
    @classmethod
    def _out_is_given(cls, values: Any) -> Any:
        if isinstance(values, dict) and values.get("out") is None:
            raise ValueError("out: a directory for the results is required")
        return values

    @field_validator("out")
    @classmethod
    def _out_is_not_a_file(cls, out: Path) -> Path:
        if out.exists() and not out.is_dir():
            raise ValueError(f"{out}: exists and is not a directory")
        return out

    @field_validator("strategy")
    @classmethod
    def _strategies_are_named(cls, strategy: tuple[str, ...] | None) -> tuple[str, ...] | None:
        # An empty selection means all of them, as leaving the option out does.
        return strategy or None

    @model_validator(mode="after")
    def _calibration_goes_with_plausible(self) -> ExploreOptions:
        if self.design == "plausible" and self.calibration is None:
            raise ValueError("calibration: the plausible design samples a calibration: give its directory")
        if self.design != "plausible" and self.calibration is not None:
            raise ValueError(f"calibration: only with design plausible (the {self.design} design samples the ranges)")
        return self

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> ExploreOptions:
        if self.scheduler is not None and self.executor != "dask":
            raise ValueError("scheduler: only with executor dask")
        if self.scheduler is not None and "://" not in self.scheduler:
            raise ValueError(f"scheduler: {self.scheduler}: give an address like tcp://HOST:PORT")
        return self

    @model_validator(mode="after")
    def _threads_fit_the_cores(self) -> ExploreOptions:
        # Choice 4: processes started on this machine; a remote cluster's cores are its own.
        if self.scheduler is None:
            try:
                threads_fit(self.threads, self.workers or 1)
            except ValueError as error:
                raise ValueError(f"threads: {error}") from None
        return self

    @property
    def processes(self) -> int:
        """Worker processes to start: ``workers``, or as many as fit (choice 4).

        Returns
        -------
        int
            ``workers`` if given, else the cores this process may use // ``threads``
            (at least 1).
        """
        return self.workers if self.workers is not None else max(available_cores() // self.threads, 1)
