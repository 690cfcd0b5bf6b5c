"""The patterns file: what a plausible world must reproduce, as data (pattern-oriented
modelling; Grimm et al. 2005, *Science* 310(5750): 987–991, doi:10.1126/science.1116681).

A patterns file is TOML with one ``[[patterns]]`` table per pattern::

    [[patterns]]
    name = "sanctions_minority"
    statistic = { kind = "share", strategy = "sanctions_only", outcomes = ["settlement"] }
    accepted = [0.02, 0.5]
    source = "Hufbauer, Schott, Elliott & Oegg 2007; Pape 1997"
    confidence = 0.6
    mapping = "How the published figure maps onto the model, and why the range is this wide."

A statistic is computed per sample from the sample's replications
(:func:`offramp.analyse.patterns.pattern_statistics`); a sample passes a pattern when
the statistic lies in ``accepted`` (bounds included).

The statistics' vocabulary (``kind``):

- ``share``: the share of the sample's worlds under ``strategy`` whose outcome is one of
  ``outcomes`` (and, with ``within_weeks``, that ended by that week);
- ``mean``: the mean of an outcome ``column`` over the sample's worlds under ``strategy``
  (only those whose outcome is one of ``outcomes``, when given);
- ``quantile``: the ``q`` quantile of such a column over such worlds;
- ``ratio``: a ``numerator`` over a ``denominator``, each a ``share`` or a ``mean``.

Choices
-------
1. Statistics are declarative tables from a closed vocabulary, never code: a patterns
   file is data, like a scenario file.
2. A statistic that cannot be computed is NaN, and a NaN statistic never passes: a ratio
   whose denominator is 0, a mean or quantile over no worlds (or only censored, NaN,
   values). A sample that cannot show a pattern has not reproduced it.
3. Every model forbids unknown keys, rejects NaN and infinities, and is frozen; numbers
   are strict (a TOML ``true`` is not 1).
4. Outcomes are the end-state labels of :class:`offramp.model.outcomes.Outcome` (``ongoing``
   included: a share of worlds still going at the horizon is a statistic too). Columns
   are the numeric outcome columns the runner writes (:data:`COLUMNS`, and the per-region
   columns :data:`REGION_COLUMNS`); a test keeps these in step with
   :func:`offramp.run.runner.outcome_rows`, which this layer may not import.
5. What depends on the scenario (the strategies, the regions of per-region columns,
   ``within_weeks`` inside the horizon) is checked by :func:`load_patterns` against the
   scenario, after the file's own schema. Every problem is one
   :class:`~offramp.errors.InputError` naming the file and the field, with patterns
   counted from 0: ``patterns.toml: patterns[2].statistic.strategy: no strategy named 'x'; ...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from offramp.errors import InputError
from offramp.model.outcomes import Outcome
from offramp.scenario.load import read_data_file, validate_toml

if TYPE_CHECKING:
    from offramp.scenario.schema import Scenario

__all__ = [
    "COLUMNS",
    "REGION_COLUMNS",
    "OUTCOME_NAMES",
    "STATISTIC_KINDS",
    "ShareStatistic",
    "MeanStatistic",
    "QuantileStatistic",
    "RatioStatistic",
    "Statistic",
    "Pattern",
    "Patterns",
    "parse_patterns",
    "check_patterns",
    "load_patterns",
]

_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

#: The numeric outcome columns of every experiment row, as the runner writes them
#: (identifiers such as world and seed, and the outcome label, are not statistics).
COLUMNS = (
    "end_week",
    "settled_as_best",
    "war_deaths",
    "periphery_casualties",
    "direct_conflict",
    "peak_tension",
    "purges",
    "defections",
    "attributions",
    "contacts",
    "exposures",
    "escalations",
    "coup_attempts",
    "final_war_score",
    "final_war_capacity",
    "final_belief",
)
#: Per-region outcome columns: ``<prefix><region name>``, one per region of the scenario.
REGION_COLUMNS = ("peak_unrest_", "mean_unrest_", "casualties_", "residual_armed_")
#: The outcome labels a statistic may name (choice 4).
OUTCOME_NAMES = tuple(outcome.label for outcome in Outcome)
# Names a pattern may not take: the acceptance table's own columns.
_RESERVED = ("sample", "accepted")

_Number = Annotated[float, Field(strict=True)]
_Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


def _known_outcome(label: str) -> str:
    if label not in OUTCOME_NAMES:
        raise ValueError(f"unknown outcome {label!r}; the outcomes are {', '.join(OUTCOME_NAMES)}")
    return label


def _known_column(column: str) -> str:
    if column in COLUMNS or any(column.startswith(prefix) and column != prefix for prefix in REGION_COLUMNS):
        return column
    known = ", ".join((*COLUMNS, *(f"{prefix}<region>" for prefix in REGION_COLUMNS)))
    raise ValueError(f"unknown column {column!r}; the columns are {known}")


_OutcomeName = Annotated[str, AfterValidator(_known_outcome), Field(json_schema_extra={"enum": list(OUTCOME_NAMES)})]
_Outcomes = Annotated[list[_OutcomeName], Field(min_length=1, description="end states (outcome labels)")]
_Column = Annotated[
    str,
    AfterValidator(_known_column),
    Field(description=f"an outcome column: one of {', '.join(COLUMNS)}, or {', '.join(REGION_COLUMNS)} + a region"),
]
_Strategy = Annotated[_Identifier, Field(description="a strategy of the scenario")]


class ShareStatistic(BaseModel):
    """The share of a sample's worlds under a strategy that ended in one of some outcomes."""

    model_config = _STRICT
    kind: Literal["share"]
    strategy: _Strategy
    outcomes: _Outcomes
    within_weeks: int | None = Field(
        None, ge=1, strict=True, description="count only worlds that ended by this week [weeks]"
    )


class MeanStatistic(BaseModel):
    """The mean of an outcome column over a sample's worlds under a strategy."""

    model_config = _STRICT
    kind: Literal["mean"]
    strategy: _Strategy
    column: _Column
    outcomes: _Outcomes | None = Field(None, description="only worlds that ended in one of these")


class QuantileStatistic(BaseModel):
    """A quantile (linear interpolation) of an outcome column over a sample's worlds."""

    model_config = _STRICT
    kind: Literal["quantile"]
    strategy: _Strategy
    column: _Column
    q: _Number = Field(..., ge=0.0, le=1.0, description="the quantile, in [0, 1]")
    outcomes: _Outcomes | None = Field(None, description="only worlds that ended in one of these")


_Term = Annotated[ShareStatistic | MeanStatistic, Field(discriminator="kind")]


class RatioStatistic(BaseModel):
    """A share or mean over another (NaN where the denominator is 0; choice 2)."""

    model_config = _STRICT
    kind: Literal["ratio"]
    numerator: _Term
    denominator: _Term


Statistic = Annotated[ShareStatistic | MeanStatistic | QuantileStatistic | RatioStatistic, Field(discriminator="kind")]
#: The statistics' kinds, by their ``kind`` tag.
STATISTIC_KINDS = {
    "share": ShareStatistic,
    "mean": MeanStatistic,
    "quantile": QuantileStatistic,
    "ratio": RatioStatistic,
}


def _terms(
    statistic: ShareStatistic | MeanStatistic | QuantileStatistic | RatioStatistic,
) -> Iterator[tuple[str, object]]:
    """(field path inside the statistic, term) of every term that names a strategy."""
    if isinstance(statistic, RatioStatistic):
        yield "numerator.", statistic.numerator
        yield "denominator.", statistic.denominator
    else:
        yield "", statistic


class Pattern(BaseModel):
    """``[[patterns]]``: one pattern a plausible world reproduces, with its evidence."""

    model_config = _STRICT
    name: _Identifier = Field(..., description="identifier (lower case, digits, _)")
    statistic: Statistic = Field(..., description="what to compute per sample (a table, never code)")
    accepted: Annotated[list[_Number], Field(min_length=2, max_length=2)] = Field(
        ..., description="[lo, hi]: the statistic's accepted range, bounds included"
    )
    source: str = Field(..., min_length=1, max_length=2000, pattern=r"\S", description="the publication(s)")
    confidence: _Number = Field(..., gt=0.0, le=1.0, description="how far the figure is trusted to map, in (0, 1]")
    mapping: str = Field(
        ...,
        min_length=1,
        max_length=2000,
        pattern=r"\S",
        description="how the published figure maps onto the model's horizon and strategies; why the range is this wide",
    )

    @model_validator(mode="after")
    def _check(self) -> Pattern:
        low, high = self.accepted
        if low > high:
            raise ValueError(f"accepted: lo must not exceed hi, got [{low}, {high}]")
        if self.name in _RESERVED:
            raise ValueError(f"name: {self.name!r} is reserved ({', '.join(_RESERVED)})")
        return self


class Patterns(BaseModel):
    """A whole patterns file."""

    model_config = _STRICT
    patterns: list[Pattern] = Field(..., min_length=1, description="the patterns, at least one")

    @model_validator(mode="after")
    def _unique_names(self) -> Patterns:
        seen: set[str] = set()
        for index, pattern in enumerate(self.patterns):
            if pattern.name in seen:
                raise ValueError(f"patterns.{index}.name: pattern name {pattern.name!r} is used twice")
            seen.add(pattern.name)
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """The patterns' names, in the file's order."""
        return tuple(pattern.name for pattern in self.patterns)

    @property
    def strategies(self) -> tuple[str, ...]:
        """The strategies the patterns need, in the order they first appear."""
        found = [
            term.strategy  # type: ignore[attr-defined]  # every term has a strategy
            for pattern in self.patterns
            for _, term in _terms(pattern.statistic)
        ]
        return tuple(dict.fromkeys(found))


def _field_name(location: tuple[str | int, ...]) -> str:
    """``patterns[2].statistic.strategy`` for a pydantic location; the union's tags
    (``statistic.share.strategy``) are left out, they repeat the ``kind``."""
    parts: list[str] = []
    after_union = False
    for part in location:
        if after_union and part in STATISTIC_KINDS:
            after_union = False
            continue
        after_union = part in ("statistic", "numerator", "denominator")
        # An index belongs to the list before it (patterns[2], outcomes[0]); a rule of
        # the whole file names it as a digit in a dotted path ("patterns.2.name").
        if isinstance(part, int) or part.isdigit():
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
        else:
            parts.append(str(part))
    return ".".join(parts)


def parse_patterns(text: str, name: str = "patterns") -> Patterns:
    """Validate a patterns file given as TOML text (its own schema, no scenario).

    Parameters
    ----------
    text : str
        TOML.
    name : str
        What to call it in messages (the file name).

    Returns
    -------
    Patterns

    Raises
    ------
    InputError
        ``name: patterns[i].field: problem`` for the first problem found.
    """
    if not text.strip():
        raise InputError(name, "the file is empty")
    return validate_toml(text, name, Patterns, _field_name)


def check_patterns(patterns: Patterns, scenario: Scenario, name: str = "patterns") -> None:
    """Check patterns against a scenario: strategies, regions, horizon (choice 5).

    Parameters
    ----------
    patterns : Patterns
    scenario : Scenario
    name : str
        What to call the patterns file in messages.

    Raises
    ------
    InputError
        ``name: patterns[i].statistic.field: problem`` for the first problem found.
    """
    strategies = sorted(scenario.strategies)
    regions = [region.name for region in scenario.regions]
    horizon = scenario.scenario.horizon_weeks
    for index, pattern in enumerate(patterns.patterns):
        for path, term in _terms(pattern.statistic):
            where = f"patterns[{index}].statistic.{path}"
            strategy = term.strategy  # type: ignore[attr-defined]  # every term has a strategy
            if strategy not in scenario.strategies:
                raise InputError(
                    name, f"{where}strategy: no strategy named {strategy!r}; the scenario has {', '.join(strategies)}"
                )
            column = getattr(term, "column", None)
            if column is not None and column not in COLUMNS:
                prefix = next(p for p in REGION_COLUMNS if column.startswith(p))
                if column.removeprefix(prefix) not in regions:
                    raise InputError(
                        name,
                        f"{where}column: no region named {column.removeprefix(prefix)!r} "
                        f"(column {column!r}); the scenario has {', '.join(regions)}",
                    )
            within = getattr(term, "within_weeks", None)
            if within is not None and within > horizon:
                raise InputError(
                    name, f"{where}within_weeks: {within} is beyond the scenario's horizon of {horizon} weeks"
                )


def load_patterns(path: str | Path, scenario: Scenario) -> Patterns:
    """Read a patterns file and check it against the scenario it is for.

    Parameters
    ----------
    path : str or Path
    scenario : Scenario
        The scenario whose strategies and regions the patterns name.

    Returns
    -------
    Patterns

    Raises
    ------
    InputError
        Missing or unreadable file, bad TOML, a field that fails validation, or a name
        the scenario does not have; one line naming the file and the field.
    """
    text, name = read_data_file(path, "patterns file")
    patterns = parse_patterns(text, name)
    check_patterns(patterns, scenario, name)
    return patterns
