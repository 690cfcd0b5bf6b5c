"""What counts as success: the objective, the satisficing criteria, and the settings of
scenario discovery and the claim audit, read from a small TOML file.

A criteria file (every section optional; missing ones take the defaults below)::

    # the objective regret is measured on: a per-sample probability or mean
    [objective]
    outcome = "settlement"        # P(the world ends in this state ...)
    within_weeks = 52             # ... by this week (optional)
    sense = "maximize"            # or "minimize"

    # a strategy satisfices in a sample when it meets every criterion
    [[satisficing]]
    outcome = "settlement"
    within_weeks = 52
    at_least = 0.25

    [[satisficing]]
    outcome = "direct_conflict"
    at_most = 0.05

    [discovery]
    strategies = []               # default: the strategy that satisfices most often
    threshold = 0.8               # PRIM: the least density of failure a box may have
    peel_alpha = 0.05             # PRIM: share of the box peeled per step
    mass_min = 0.05               # PRIM and CART: the least share of samples in a box

    [claim_audit]
    level = 0.5                   # a satisficing share below this is failure
    alpha = 0.05                  # significance of a fall, a flip or an uplift (Holm over claims)
    min_samples = 10              # fewer samples on a side: no verdict
    baseline = "nothing"          # the uplift is measured over this strategy
    min_uplift = 0.0              # least mean uplift on the essay's side [objective's unit]

A measure is either ``outcome`` (with optional ``within_weeks``): the share of a
sample's replications that ended in that state (by that week), or ``column``: the mean
over the replications of a numeric outcome column (``war_deaths``,
``periphery_casualties``, ``peak_tension``, ...).

Choices
-------
1. Files are data: parsed with ``tomllib`` and validated by pydantic, never evaluated.
   A typo, an unknown key, a NaN or an out-of-range value is one line naming the field.
2. Column names depend on the scenario (``casualties_<region>``), so a ``column`` is
   checked against the study when the analysis starts (:meth:`Criteria.check_against`).
3. The claim audit's ``baseline`` is not checked against the study: a study that did not
   run it gets the absolute audit and a note instead of the uplift (a scenario without a
   ``nothing`` strategy is still worth auditing). ``min_uplift`` is in the objective's
   unit; for a probability objective it must lie below 1, the largest possible uplift.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from offramp.errors import InputError
from offramp.run.runner import OUTCOME_LABELS
from offramp.scenario.load import read_data_file, validate_toml

__all__ = [
    "Measure",
    "Objective",
    "Criterion",
    "DiscoverySettings",
    "ClaimAuditSettings",
    "Criteria",
    "load_criteria",
    "parse_criteria",
]

_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
_Outcome = Literal[OUTCOME_LABELS]  # type: ignore[valid-type]  # built from a tuple: pydantic reads it, mypy cannot

#: Per-world columns that are not measures (keys, sampled values, labels).
_NOT_MEASURES = {"sample", "replication", "world", "seed", "strategy", "outcome"}


class Measure(BaseModel):
    """A per-sample number: the probability of an end state (by a week), or a column's mean."""

    model_config = _STRICT
    outcome: _Outcome | None = Field(None, description="end state whose probability is measured")
    within_weeks: int | None = Field(None, ge=1, le=5200, description="count the end state only by this week")
    column: str | None = Field(None, min_length=1, max_length=100, description="numeric outcome column to average")

    @model_validator(mode="after")
    def _one_kind(self) -> Measure:
        if (self.outcome is None) == (self.column is None):
            raise ValueError("outcome: give either outcome (a probability) or column (a mean), not both or neither")
        if self.column is not None and self.within_weeks is not None:
            raise ValueError("within_weeks: only an outcome can be counted by a week")
        return self

    @property
    def key(self) -> str:
        """Column name of the measure in per-sample tables (``p_settlement_by_52``, ``mean_war_deaths``)."""
        if self.outcome is not None:
            return f"p_{self.outcome}" + (f"_by_{self.within_weeks}" if self.within_weeks else "")
        return f"mean_{self.column}"

    @property
    def label(self) -> str:
        """The measure in words, for tables and axes."""
        if self.outcome is not None:
            by = f" within {self.within_weeks} weeks" if self.within_weeks else ""
            return f"P({self.outcome.replace('_', ' ')}{by})"
        return f"mean {self.column}".replace("_", " ")

    @property
    def is_probability(self) -> bool:
        """Whether the measure is a probability (in [0, 1])."""
        return self.outcome is not None


class Objective(Measure):
    """``[objective]``: the measure regret is computed on, and which way is better."""

    sense: Literal["maximize", "minimize"] = Field("maximize", description="whether more is better")


class Criterion(Measure):
    """One ``[[satisficing]]`` criterion: a measure and a bound it must meet."""

    at_least: float | None = Field(None, description="the measure must be at least this")
    at_most: float | None = Field(None, description="the measure must be at most this")

    @model_validator(mode="after")
    def _one_bound(self) -> Criterion:
        name, bound = _bound(self)
        if self.is_probability and not 0.0 <= bound <= 1.0:
            raise ValueError(f"{name}: a probability bound must be within [0, 1], got {bound}")
        return self

    @property
    def text(self) -> str:
        """The criterion in words (``P(settlement within 52 weeks) >= 0.25``)."""
        name, bound = _bound(self)
        sign = "\u2265" if name == "at_least" else "\u2264"
        return f"{self.label} {sign} {_number(bound)}"

    def met(self, values: np.ndarray) -> np.ndarray:
        """Whether per-sample values meet the criterion (NaN never does).

        Parameters
        ----------
        values : float64 ndarray
            The measure per sample.

        Returns
        -------
        bool ndarray, the same shape
        """
        name, bound = _bound(self)
        return values >= bound if name == "at_least" else values <= bound


def _bound(criterion: Criterion) -> tuple[Literal["at_least", "at_most"], float]:
    """The one bound a criterion gives, with its field name."""
    if criterion.at_least is not None and criterion.at_most is None:
        return "at_least", criterion.at_least
    if criterion.at_most is not None and criterion.at_least is None:
        return "at_most", criterion.at_most
    raise ValueError("at_least: give exactly one of at_least and at_most")


class DiscoverySettings(BaseModel):
    """``[discovery]``: which strategies scenario discovery looks at, and PRIM's settings."""

    model_config = _STRICT
    strategies: list[str] = Field(
        default_factory=list,
        description="strategies to explain failure for (default: the one that satisfices most often)",
    )
    threshold: float = Field(0.8, gt=0.0, le=1.0, description="PRIM: least density of failure in a box")
    peel_alpha: float = Field(0.05, gt=0.0, lt=0.5, description="PRIM: share of the box peeled per step")
    mass_min: float = Field(0.05, gt=0.0, lt=1.0, description="PRIM and CART: least share of samples in a box")


class ClaimAuditSettings(BaseModel):
    """``[claim_audit]``: when a strategy's success is said to depend on a claim."""

    model_config = _STRICT
    level: float = Field(0.5, ge=0.0, le=1.0, description="a satisficing share below this is failure")
    alpha: float = Field(
        0.05, gt=0.0, lt=0.5, description="significance of a fall, a flip or an uplift's dependence (Holm over claims)"
    )
    min_samples: int = Field(10, ge=2, description="fewer samples on a claim's side: no verdict")
    baseline: str = Field(
        "nothing",
        min_length=1,
        max_length=100,
        description="the strategy the uplift is measured over (not run: the uplift is not audited)",
    )
    min_uplift: float = Field(
        0.0,
        ge=0.0,
        description="an uplift depends on a claim only if its mean on the essay's side exceeds this [objective's unit]",
    )


def _default_satisficing() -> list[Criterion]:
    return [
        Criterion(outcome="settlement", within_weeks=52, at_least=0.25),
        Criterion(outcome="direct_conflict", at_most=0.05),
    ]


class Criteria(BaseModel):
    """Everything the analysis needs to know about what counts as success."""

    model_config = _STRICT
    objective: Objective = Field(default_factory=lambda: Objective(outcome="settlement", within_weeks=52))
    satisficing: list[Criterion] = Field(default_factory=_default_satisficing, min_length=1)
    discovery: DiscoverySettings = Field(default_factory=DiscoverySettings)
    claim_audit: ClaimAuditSettings = Field(default_factory=ClaimAuditSettings)

    @property
    def measures(self) -> list[Measure]:
        """The distinct measures the criteria use (objective first)."""
        seen: dict[str, Measure] = {}
        for measure in (self.objective, *self.satisficing):
            seen.setdefault(measure.key, measure)
        return list(seen.values())

    @model_validator(mode="after")
    def _uplift_in_the_objective_unit(self) -> Criteria:
        # An uplift of probabilities lies in [-1, 1]; a least mean of 1 or more can never be met.
        if self.objective.is_probability and self.claim_audit.min_uplift >= 1.0:
            raise ValueError(
                "claim_audit.min_uplift: the objective is a probability, so an uplift over the baseline "
                f"is below 1, got {self.claim_audit.min_uplift:g}"
            )
        return self

    @property
    def text(self) -> str:
        """The satisficing criteria in words, joined by "and"."""
        return " and ".join(criterion.text for criterion in self.satisficing)

    def check_against(self, columns: Iterable[str], strategies: Iterable[str], where: str = "criteria") -> None:
        """Refuse columns the experiments lack and strategies the study did not run (choice 2).

        Parameters
        ----------
        columns : iterable of str
            The experiment table's columns.
        strategies : iterable of str
        where : str
            What to call the criteria in messages (the file name).

        Raises
        ------
        InputError
        """
        columns, strategies = set(columns), list(strategies)
        named = [("objective", self.objective)] + [(f"satisficing[{i}]", c) for i, c in enumerate(self.satisficing)]
        usable = sorted(c for c in columns if c not in _NOT_MEASURES and "." not in c)
        for name, measure in named:
            if measure.column is not None and (
                measure.column not in columns or measure.column in _NOT_MEASURES or "." in measure.column
            ):
                raise InputError(
                    f"{where}: {name}.column", f"no outcome column {measure.column!r}; one of {', '.join(usable)}"
                )
        for name in self.discovery.strategies:
            if name not in strategies:
                raise InputError(
                    f"{where}: discovery.strategies", f"{name!r} was not run; one of {', '.join(strategies)}"
                )


def _number(value: float) -> str:
    return f"{value:g}" if math.isfinite(value) else str(value)


def _where(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) if not isinstance(part, int) else f"[{part}]" for part in location).replace(".[", "[")


def parse_criteria(text: str, name: str = "criteria") -> Criteria:
    """Validate criteria given as TOML text (choice 1).

    Parameters
    ----------
    text : str
    name : str
        What to call the file in messages.

    Returns
    -------
    Criteria

    Raises
    ------
    InputError
        ``name: field: problem`` for the first problem.
    """
    return validate_toml(text, name, Criteria, _where)


def load_criteria(path: str | Path | None) -> Criteria:
    """Read a criteria file; None gives the defaults.

    Parameters
    ----------
    path : str, Path or None

    Returns
    -------
    Criteria

    Raises
    ------
    InputError
        A missing or unreadable file, bad TOML, or a field that fails validation.
    """
    if path is None:
        return Criteria()
    return parse_criteria(*read_data_file(path, "criteria file"))
