"""The options of ``offramp calibrate``, checked once before anything is read or written.

Kept apart from the calibration itself so that the command line's start-up (its help
texts and defaults come from these fields) loads neither pandas nor the model.

Choices
-------
1. The exploration's options are :class:`~offramp.explore.options.ExploreOptions`'s
   fields, with their ranges and descriptions taken from there (defaults in one place);
   the design is restricted to the two space-filling designs a rejection sampler needs
   (LHS and Sobol: a sample is a draw from the prior box).
2. The cross-field rules of an exploration (``out`` required, workers x threads fit the
   cores, a scheduler only with Dask) are ExploreOptions' own: they are checked by
   building one, and its complaint is reported under the same option.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, model_validator

from offramp.errors import OptionError
from offramp.explore.options import EXECUTORS, ExploreOptions, WholeNumber
from offramp.scenario.options import JobOptions

__all__ = ["CALIBRATION_DESIGNS", "CalibrateOptions"]

CalibrationDesign = Literal["lhs", "sobol"]
#: The designs a calibration samples its prior box with (choice 1).
CALIBRATION_DESIGNS: tuple[str, ...] = get_args(CalibrationDesign)

_EXPLORE = ExploreOptions.model_fields


def _described(name: str) -> str:
    return str(_EXPLORE[name].description)


class CalibrateOptions(JobOptions):
    """The options of :func:`offramp.analyse.calibration.calibrate` (``offramp calibrate``).

    Attributes
    ----------
    patterns : Path
        The patterns file (TOML).
    design, samples, replications, seed, out, workers, threads, chunk_size, executor, scheduler, resume, progress
        As :class:`~offramp.explore.options.ExploreOptions` (choice 1).
    """

    patterns: Path = Field(description="the patterns file (TOML) the sampled worlds must reproduce")
    design: CalibrationDesign = Field("lhs", description=f"the design: {' or '.join(CALIBRATION_DESIGNS)}")
    samples: WholeNumber = Field(_EXPLORE["samples"].default, ge=1, description="samples drawn from the prior box")
    replications: WholeNumber = Field(_EXPLORE["replications"].default, ge=1, description=_described("replications"))
    seed: WholeNumber = Field(_EXPLORE["seed"].default, ge=0, description=_described("seed"))
    out: Path | None = Field(
        None,
        description="the calibration's directory: an explore directory plus calibration/ (required)",
    )
    workers: WholeNumber | None = Field(None, ge=1, description=_described("workers"))
    threads: WholeNumber = Field(_EXPLORE["threads"].default, ge=1, description=_described("threads"))
    chunk_size: WholeNumber | None = Field(None, ge=1, description=_described("chunk_size"))
    executor: Literal["local", "dask"] = Field("local", description=f"where chunks run: {' or '.join(EXECUTORS)}")
    scheduler: str | None = Field(None, description=_described("scheduler"))
    resume: bool = Field(False, description=_described("resume"))
    progress: bool = Field(True, description=_described("progress"))

    @model_validator(mode="after")
    def _an_exploration_accepts_them(self) -> CalibrateOptions:
        # Choice 2: explore's cross-field rules, reported under the option they blame.
        try:
            ExploreOptions.check(**self.explore_values())
        except OptionError as error:
            raise ValueError(f"{error.option}: {error.problem}") from None
        return self

    def explore_values(self) -> dict[str, Any]:
        """The keyword arguments of :func:`offramp.explore.experiments.explore` (without
        the strategies, which come from the patterns).

        Returns
        -------
        dict
        """
        return self.model_dump(exclude={"patterns"})
