"""The Results view's state: brushing an exploration's uncertainties, PRIM's trade-off
curve with any box selectable, and the claim audit. Plain Python and pandas; no web
framework is imported here.

A :class:`ResultsSession` holds one ``offramp explore`` study (already read) and the
criteria of success. It computes nothing of its own that ``offramp analyze`` computes:
the shares and their Wilson intervals are
:func:`~offramp.analyse.outcomes.outcome_summary`'s, the failures PRIM explains are
:func:`~offramp.analyse.robustness.satisficing`'s, PRIM is
:func:`~offramp.analyse.discovery.discover_failures` and the claim audit is
:func:`~offramp.analyse.claims.claim_audit`, with the notes of
:func:`~offramp.analyse.analysis.claim_audit_notes`.

Choices
-------
1. A brush selects experiments, not worlds of one strategy: an experiment is in the
   selection when its sampled value of every brushed parameter lies within the brushed
   range (closed at both ends). Every strategy runs the same samples, so the shares of the
   strategies are compared on the same worlds.
2. A brush must lie within the range each parameter was sampled over (``study.bounds``),
   with a tolerance of 1e-9 of the range's width (a value shown with a few digits and
   typed back still lies on its bound); outside it, or with its low end above its high
   end, it is refused with a ``ValueError`` naming the parameter, and the session keeps
   the last selection.
3. An empty selection is a result, not an error: every strategy has 0 worlds and its
   shares are NaN (a share of nothing is undefined, not 0).
4. PRIM and the claim audit take seconds, so they are computed when first asked for and
   kept. PRIM explains, for one strategy, the samples where it does not satisfice the
   criteria, exactly as ``offramp analyze`` does; a strategy PRIM cannot explain (it
   never fails, or always does; EMA Workbench is missing) gets the reason instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from offramp.analyse.analysis import claim_audit_notes
from offramp.analyse.criteria import Criteria
from offramp.analyse.discovery import Discovery, discover_failures
from offramp.analyse.outcomes import outcome_summary
from offramp.analyse.robustness import sample_measures, satisficing
from offramp.analyse.study import Study
from offramp.errors import InputError, OfframpError
from offramp.run.runner import OUTCOME_LABELS

__all__ = ["Brush", "Selection", "PrimView", "PrimBox", "ClaimAuditView", "ResultsSession"]

Brush = Mapping[str, tuple[float, float]]
"""Brushed ranges: parameter path -> (low, high), closed."""

_TOLERANCE = 1e-9  # of a range's width (choice 2)


@dataclass(frozen=True, eq=False)
class Selection:
    """The outcome shares of each strategy over the brushed experiments.

    Attributes
    ----------
    brush : dict of str to (float, float)
        The ranges brushed (parameters not in it are not restricted).
    samples : int
        Distinct samples in the selection.
    worlds : int
        Distinct worlds (sample and replication) in the selection; each strategy ran them.
    shares : pandas.DataFrame
        One row per strategy, in the study's order: ``strategy``, ``worlds`` (its
        experiments selected), then per end state of ``outcomes`` ``<state>_share``,
        ``<state>_low`` and ``<state>_high`` (the share of its worlds that ended so, with
        the 95% Wilson interval); NaN for a strategy with no world (choice 3).
    outcomes : tuple of str
        The end states, in display order.
    """

    brush: Mapping[str, tuple[float, float]]
    samples: int
    worlds: int
    shares: pd.DataFrame
    outcomes: tuple[str, ...]

    @property
    def text(self) -> str:
        """The selection in words, ``"Selection: 12 samples, 24 worlds"``."""
        return f"Selection: {self.samples} samples, {self.worlds} worlds"


@dataclass(frozen=True, eq=False)
class PrimView:
    """PRIM for one strategy, or why there is none.

    Attributes
    ----------
    strategy : str
    discovery : Discovery or None
        The trajectory, the chosen step and every step's box.
    note : str or None
        Why PRIM could not explain this strategy's failures (None when it did).
    """

    strategy: str
    discovery: Discovery | None
    note: str | None


@dataclass(frozen=True, eq=False)
class PrimBox:
    """One step of a PRIM trajectory: its limits and its trade-off.

    Attributes
    ----------
    strategy : str
    step : int
        The step (``trajectory["box"]``).
    is_chosen : bool
        Whether it is the step ``offramp analyze`` chooses.
    coverage, density, mass : float
        Share of the failures inside, share of the box that fails, share of the samples inside.
    limits : pandas.DataFrame
        One row per restricted parameter (:attr:`Discovery.box`'s columns).
    """

    strategy: str
    step: int
    is_chosen: bool
    coverage: float
    density: float
    mass: float
    limits: pd.DataFrame


@dataclass(frozen=True, eq=False)
class ClaimAuditView:
    """The claim audit of the study, or why it is missing or limited.

    Attributes
    ----------
    detail, verdicts : pandas.DataFrame
        :func:`~offramp.analyse.claims.claim_audit`'s tables; empty without claims.
    notes : dict of str to str
        ``offramp analyze``'s notes on the audit (``"claims"``, ``"claims uplift"``).
    """

    detail: pd.DataFrame
    verdicts: pd.DataFrame
    notes: Mapping[str, str]


class ResultsSession:
    """One exploration's results, brushed and explained (module choices 1-4).

    Parameters
    ----------
    study : Study
        An ``offramp explore`` directory, read.
    criteria : Criteria, optional
        What counts as success (default: ``offramp analyze``'s defaults).

    Attributes
    ----------
    study : Study
    criteria : Criteria
    selection : Selection
        The last brush's result (at first, every experiment).
    """

    def __init__(self, study: Study, criteria: Criteria | None = None) -> None:
        self.study = study
        self.criteria = Criteria() if criteria is None else criteria
        self.criteria.check_against(study.experiments.columns, study.strategies)
        self._experiments = study.experiments
        # The strategies with experiments, as analyze compares them.
        self._strategies = [s for s in study.strategies if (self._experiments["strategy"] == s).any()]
        self._prim: dict[str, PrimView] = {}
        self._measured: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._claims: ClaimAuditView | None = None
        self.selection = self.shares({})

    @property
    def parameters(self) -> tuple[str, ...]:
        """The uncertainties, in the design's order."""
        return self.study.parameters

    @property
    def strategies(self) -> tuple[str, ...]:
        """The strategies run, in the study's order."""
        return tuple(self._strategies)

    def bounds(self, parameter: str) -> tuple[float, float]:
        """The range a parameter was sampled over.

        Parameters
        ----------
        parameter : str

        Returns
        -------
        (float, float)

        Raises
        ------
        InputError
            Not one of the study's parameters.
        """
        if parameter not in self.study.bounds:
            raise InputError(parameter, f"not an uncertainty of this study; one of {', '.join(self.parameters)}")
        low, high = self.study.bounds[parameter]
        return float(low), float(high)

    def check_brush(self, brush: Brush) -> dict[str, tuple[float, float]]:
        """A brush as floats, checked against the sampled ranges (choice 2).

        Parameters
        ----------
        brush : dict of str to (float, float)

        Returns
        -------
        dict of str to (float, float)

        Raises
        ------
        InputError
            An unknown parameter, a bound that is not a finite number, a low end above the
            high end, or a range outside the sampled one; the message names the parameter.
        """
        checked = {}
        for parameter, pair in brush.items():
            range_low, range_high = self.bounds(parameter)
            try:
                low, high = (float(value) for value in pair)
            except (TypeError, ValueError):
                raise InputError(parameter, f"a range is two numbers (low, high), got {pair!r}") from None
            if not (np.isfinite(low) and np.isfinite(high)):
                raise InputError(parameter, f"a range's ends must be finite numbers, got ({low:g}, {high:g})")
            if low > high:
                raise InputError(parameter, f"the low end {low:g} is above the high end {high:g}")
            slack = _TOLERANCE * (range_high - range_low)
            if low < range_low - slack or high > range_high + slack:
                raise InputError(
                    parameter,
                    f"({low:g}, {high:g}) is outside the range sampled, [{range_low:g}, {range_high:g}]",
                )
            checked[parameter] = (low, high)
        return checked

    def shares(self, brush: Brush) -> Selection:
        """Brush ranges of the uncertainties: each strategy's outcome shares over the
        experiments inside every range (choices 1-3). It becomes :attr:`selection`.

        Parameters
        ----------
        brush : dict of str to (float, float)
            Parameter path -> (low, high), closed; parameters not named are not restricted.

        Returns
        -------
        Selection

        Raises
        ------
        InputError
            A bad brush (:meth:`check_brush`); :attr:`selection` is left as it was.
        """
        checked = self.check_brush(brush)
        frame = self._experiments
        inside = np.ones(len(frame), bool)
        for parameter, (low, high) in checked.items():
            values = frame[parameter].to_numpy(np.float64)
            inside &= (values >= low) & (values <= high)
        selected = frame.loc[inside]
        columns = ["strategy", "worlds"] + [
            f"{outcome}_{part}" for outcome in OUTCOME_LABELS for part in ("share", "low", "high")
        ]
        summary = outcome_summary(selected, OUTCOME_LABELS) if len(selected) else pd.DataFrame(columns=columns)
        # Strategies with nothing selected keep their row: 0 worlds, NaN shares (choice 3).
        shares = summary.set_index("strategy").reindex(self._strategies).rename_axis("strategy").reset_index()
        shares = shares.reindex(columns=columns)
        shares["worlds"] = shares["worlds"].fillna(0).astype(np.int64)
        for column in columns[2:]:
            shares[column] = shares[column].astype(np.float64)
        selection = Selection(
            brush=checked,
            samples=int(selected["sample"].nunique()),
            worlds=int(selected["world"].nunique()) if "world" in selected.columns else len(selected),
            shares=shares,
            outcomes=OUTCOME_LABELS,
        )
        self.selection = selection
        return selection

    def _measures(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Per-sample measures, and whether each strategy satisfices in each sample, as
        ``offramp analyze`` judges it; computed once."""
        if self._measured is None:
            per_sample = sample_measures(self._experiments, self.criteria.measures)
            self._measured = per_sample, satisficing(per_sample, self.criteria)
        return self._measured

    def _strategy(self, strategy: str) -> str:
        if strategy not in self._strategies:
            raise InputError("strategy", f"{strategy!r} was not run; one of {', '.join(self._strategies)}")
        return strategy

    def prim(self, strategy: str) -> PrimView:
        """PRIM on the samples where ``strategy`` does not satisfice, computed once (choice 4).

        Parameters
        ----------
        strategy : str

        Returns
        -------
        PrimView
            With the discovery, or the reason there is none.

        Raises
        ------
        InputError
            A strategy the study did not run.
        """
        strategy = self._strategy(strategy)
        if strategy not in self._prim:
            try:
                found = discover_failures(
                    self.study,
                    self._measures()[1],
                    strategy,
                    self.criteria.discovery,
                    failure=f"does not meet {self.criteria.text}",
                )
                view = PrimView(strategy, found, None)
            except OfframpError as error:
                view = PrimView(strategy, None, str(error))
            self._prim[strategy] = view
        return self._prim[strategy]

    def is_prim_ready(self, strategy: str) -> bool:
        """Whether :meth:`prim` of ``strategy`` is computed already (a view shows a loading
        indicator otherwise).

        Parameters
        ----------
        strategy : str

        Returns
        -------
        bool
        """
        return strategy in self._prim

    def prim_box(self, strategy: str, step: int | None = None) -> PrimBox:
        """One step of ``strategy``'s PRIM trajectory: its limits, coverage, density and mass.

        Parameters
        ----------
        strategy : str
        step : int or None
            A step of the trajectory; None for the chosen one.

        Returns
        -------
        PrimBox

        Raises
        ------
        InputError
            A strategy not run, one PRIM could not explain (the reason), or no such step.
        """
        view = self.prim(strategy)
        if view.discovery is None:
            raise InputError(f"PRIM box of {strategy}", str(view.note))
        found = view.discovery
        step = found.chosen if step is None else int(step)
        limits = found.step_box(step)
        row = found.trajectory.loc[found.trajectory["box"] == step].iloc[0]
        return PrimBox(
            strategy=strategy,
            step=step,
            is_chosen=step == found.chosen,
            coverage=float(row["coverage"]),
            density=float(row["density"]),
            mass=float(row["mass"]),
            limits=limits,
        )

    def is_claim_audit_ready(self) -> bool:
        """Whether :meth:`claim_audit` is computed already.

        Returns
        -------
        bool
        """
        return self._claims is not None

    def claim_audit(self) -> ClaimAuditView:
        """The claim audit, as ``offramp analyze`` computes it, once (choice 4).

        Returns
        -------
        ClaimAuditView
            Empty tables and the note why when the scenario states no claims.
        """
        if self._claims is None:
            notes = claim_audit_notes(self.study, self.criteria, self._strategies)
            detail, verdicts = pd.DataFrame(), pd.DataFrame()
            if self.study.claims:
                from offramp.analyse.claims import claim_audit  # SciPy, loaded when first needed

                per_sample, satisfied = self._measures()
                detail, verdicts = claim_audit(self.study, per_sample, satisfied, self.criteria, self._strategies)
            self._claims = ClaimAuditView(detail, verdicts, notes)
        return self._claims
