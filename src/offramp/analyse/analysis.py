"""``offramp analyze``: every analysis of a study, in one call, as DataFrames.

:func:`analyze` reads an exploration (a directory or a :class:`Study`), applies the
criteria, and returns an :class:`Analysis`: outcomes per strategy, robustness (per-sample
probabilities, regret, satisficing), scenario discovery, global sensitivity and the
claim audit. An :class:`Analysis` holds numbers and tables, and notes on what could not
be computed; the words and pictures made from it are the report's
(:func:`offramp.report.summary.summarise`, :func:`offramp.report.html.write_report`),
which the command line composes with it.

Choices
-------
1. A part that cannot be computed on this study (scenario discovery when a strategy
   never fails, Sobol indices when samples are missing, the claim audit without claims,
   the claim audit's uplift without the baseline strategy, EMA Workbench not installed)
   does not stop the others: its table is empty and a note
   in :attr:`Analysis.notes` says why. That dict is the one channel by which a note
   reaches the API, the terminal and the report.
2. Scenario discovery explains the failures of the strategies named in the criteria;
   by default of the best-ranked strategy that both fails and succeeds somewhere (the one
   a user is most tempted to choose, and so most needs to know where it breaks).
3. The analysis writes no prose beyond its notes: a summary is made from its tables by
   the report layer, so every number in it can be found in a table.
4. The analysis is deterministic: the bootstraps (Sobol intervals), the extra trees
   (feature scoring) and the tree (CART) take ``seed``.
5. With ``plausible=CALIB_DIR`` the analysis of all worlds is unchanged, and a
   :class:`~offramp.analyse.plausible.PlausibleView` beside it holds outcomes, robustness
   and the claim audit recomputed, by the same functions, on the study restricted to the
   samples that reproduce the calibration's patterns (:mod:`offramp.analyse.plausible`).
   Scenario discovery and sensitivity are not repeated: they explain all worlds. No
   plausible sample is a note (``"plausible"``), not an error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from offramp.analyse.criteria import Criteria, load_criteria
from offramp.analyse.options import AnalyzeOptions
from offramp.analyse.outcomes import distributions, outcome_spread, outcome_summary
from offramp.analyse.plausible import PlausibleView, restrict_study, select_plausible
from offramp.analyse.robustness import regret_table, robustness_summary, sample_measures, satisficing
from offramp.analyse.study import Study
from offramp.errors import OfframpError, OptionError
from offramp.run.progress import progress_bar
from offramp.run.record import write_table
from offramp.run.runner import OUTCOME_LABELS

__all__ = ["Analysis", "analyze", "claim_audit_notes", "write_tables"]


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything ``offramp analyze`` computes about one study: numbers and tables.

    Attributes
    ----------
    study : Study
    criteria : Criteria
    outcomes : pandas.DataFrame
        Per strategy, pooled over worlds: share of each end state with a 95% interval,
        median end week, mean costs, escalation risk
        (:func:`~offramp.analyse.outcomes.outcome_summary`).
    spread : pandas.DataFrame
        Per (strategy, end state): the per-sample probability across samples
        (:func:`~offramp.analyse.outcomes.outcome_spread`).
    distributions : pandas.DataFrame
        Per (strategy, quantity): end week and human costs over worlds
        (:func:`~offramp.analyse.outcomes.distributions`).
    per_sample : pandas.DataFrame
        Per (strategy, sample): probability of each end state and each measure
        (:func:`~offramp.analyse.robustness.sample_measures`).
    regret : pandas.DataFrame
        Per (strategy, sample): objective, best, regret.
    satisficing : pandas.DataFrame
        Per (strategy, sample): each criterion met, and all.
    robustness : pandas.DataFrame
        Per strategy: mean and 90% regret, share best, satisficing share with interval, rank.
    discoveries : tuple of Discovery
        Scenario discovery (PRIM and CART) for each strategy examined.
    sensitivity : pandas.DataFrame
        Per (strategy, parameter): Sobol indices or feature scores of the objective.
    claim_detail : pandas.DataFrame
        Per (strategy, claim): outcome under the essay's and the sceptic's range, the
        verdict on absolute success, and the uplift over the baseline strategy with its
        verdict (:func:`~offramp.analyse.claims.claim_audit`).
    claim_verdicts : pandas.DataFrame
        Per strategy: one verdict per claim, the claims its success depends on, and the
        claims its uplift over the baseline depends on.
    plausible : PlausibleView or None
        With ``plausible=CALIB_DIR``: the samples that reproduce the calibration's
        patterns, and outcomes, robustness and the claim audit recomputed on them
        (choice 5); None otherwise.
    notes : dict of str to str
        Why a part is empty or limited (choice 1), by part name: ``"study"``,
        ``"robustness"``, ``"discovery"``, ``"sensitivity"``, ``"claims"``,
        ``"plausible"``, or one of them
        followed by a space and a strategy (``"sensitivity conciliation"``) or a
        detail (``"claims uplift"``: the baseline strategy was not run).
    seconds : float
        Time the analysis took.
    """

    study: Study
    criteria: Criteria
    outcomes: pd.DataFrame
    spread: pd.DataFrame
    distributions: pd.DataFrame
    per_sample: pd.DataFrame
    regret: pd.DataFrame
    satisficing: pd.DataFrame
    robustness: pd.DataFrame
    discoveries: tuple = ()
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)
    claim_detail: pd.DataFrame = field(default_factory=pd.DataFrame)
    claim_verdicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    plausible: PlausibleView | None = None
    notes: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (what ``--tables`` writes), PRIM and CART included.

        Returns
        -------
        dict of str to pandas.DataFrame
        """
        tables = {
            "outcomes": self.outcomes,
            "spread": self.spread,
            "distributions": self.distributions,
            "per_sample": self.per_sample,
            "regret": self.regret,
            "satisficing": self.satisficing,
            "robustness": self.robustness,
            "sensitivity": self.sensitivity,
            "claim_audit": self.claim_detail,
            "claim_verdicts": self.claim_verdicts,
        }
        for found in self.discoveries:
            tables[f"prim_trajectory_{found.strategy}"] = found.trajectory
            tables[f"prim_box_{found.strategy}"] = found.box
            tables[f"cart_leaves_{found.strategy}"] = found.cart_leaves
        if self.plausible is not None:
            tables.update(self.plausible.tables())
        return tables


def _discovery_strategies(robustness: pd.DataFrame, satisfied: pd.DataFrame, criteria: Criteria) -> list[str]:
    """Choice 2: the named strategies, or the best-ranked one that both fails and succeeds."""
    if criteria.discovery.strategies:
        return list(criteria.discovery.strategies)
    shares = satisfied.groupby("strategy", sort=False)["satisfices"].mean()
    for strategy in robustness.sort_values("rank")["strategy"]:
        if 0.0 < shares.get(strategy, 0.0) < 1.0:
            return [strategy]
    return []


def analyze(
    source: str | Path | Study,
    criteria: str | Path | Criteria | None = None,
    *,
    tables: str | Path | None = None,
    discover: Sequence[str] | None = None,
    plausible: str | Path | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Analysis:
    """Analyse an exploration: outcomes, robustness, scenario discovery, sensitivity, claims.

    The options are checked once, by :class:`~offramp.analyse.options.AnalyzeOptions`,
    before anything is read. To write the HTML report, pass the result to
    :func:`offramp.report.html.write_report`.

    Parameters
    ----------
    source : str, Path or Study
        An ``offramp explore`` directory, or a study.
    criteria : str, Path, Criteria or None
        A criteria TOML file (see :mod:`offramp.analyse.criteria`), criteria, or None
        for the defaults.
    tables : str, Path or None
        Also write every table as Parquet into this directory (:func:`write_tables`).
    discover : sequence of str or None
        Strategies to explain the failures of (replaces the criteria's
        ``discovery.strategies``).
    plausible : str, Path or None
        An ``offramp calibrate`` directory: also analyse the samples of ``source`` that
        reproduce its patterns (choice 5, :mod:`offramp.analyse.plausible`).
    seed : int
        Seed of the bootstraps, the extra trees and CART (choice 4), in [0, 2**32).
    progress : bool
        Show a progress bar.

    Returns
    -------
    Analysis

    Raises
    ------
    OptionError
        A bad option, a strategy in ``discover`` that the study did not run, or a
        ``plausible`` directory without patterns, or whose patterns need a strategy the
        study did not run.
    InputError
        A missing or bad directory or criteria file, an unknown strategy or column in
        the criteria.
    """
    options = AnalyzeOptions.check(
        tables=tables,
        discover=None if discover is None else tuple(discover),
        plausible=plausible,
        seed=seed,
        progress=progress,
    )
    started = time.perf_counter()
    criteria = criteria if isinstance(criteria, Criteria) else load_criteria(criteria)
    study = source if isinstance(source, Study) else Study.from_directory(source)
    if options.discover:
        for name in options.discover:
            if name not in study.strategies:
                raise OptionError("discover", f"{name!r} was not run; one of {', '.join(study.strategies)}")
        criteria = criteria.model_copy(
            update={"discovery": criteria.discovery.model_copy(update={"strategies": list(options.discover)})}
        )
    criteria.check_against(study.experiments.columns, study.strategies)
    strategies = [s for s in study.strategies if (study.experiments["strategy"] == s).any()]
    notes: dict[str, str] = {}
    if study.missing_chunks:
        notes["study"] = (
            f"{study.missing_chunks} chunks of the run are missing or invalid; the analysis uses "
            "the experiments present (complete the run with offramp explore --resume)"
        )
    if study.replications == 1:
        notes["robustness"] = (
            "one replication per sample: per-sample probabilities are 0 or 1, so satisficing "
            "says whether the event happened in that world (run with --replications for "
            "per-sample probabilities)"
        )
    # One step each: outcomes, robustness, each strategy examined (or the one search that
    # found none), sensitivity, the claim audit, the plausible worlds and writing the
    # tables when asked.
    steps = (
        4
        + len(criteria.discovery.strategies or [None])
        + (1 if options.tables is not None else 0)
        + (1 if options.plausible is not None else 0)
    )
    with progress_bar("analysing: outcomes", total=steps, enabled=options.progress) as advance:
        outcomes = outcome_summary(study.experiments, OUTCOME_LABELS)
        per_sample = sample_measures(study.experiments, criteria.measures)
        spread_ = outcome_spread(per_sample, strategies, OUTCOME_LABELS)
        dists = distributions(study.experiments, strategies)
        advance(1, description="analysing: robustness")
        regrets, satisfied, robust = _robustness_tables(per_sample, criteria, strategies)
        advance(1, description="analysing: scenario discovery")
        discoveries = []
        chosen = _discovery_strategies(robust, satisfied, criteria)
        if not chosen:
            notes["discovery"] = "no strategy both fails and succeeds in some samples: there is no failure to explain"
            advance(1)  # the step the bar counted for the default strategy, so it ends full
        for strategy in chosen:
            try:
                from offramp.analyse.discovery import discover_failures

                discoveries.append(
                    discover_failures(
                        study, satisfied, strategy, criteria.discovery, failure=f"does not meet {criteria.text}"
                    )
                )
            except OfframpError as error:
                notes[f"discovery {strategy}"] = str(error)
            advance(1)
        advance(0, description="analysing: sensitivity")
        try:
            from offramp.analyse.sensitivity import sensitivity

            sensitive, why = sensitivity(study, per_sample, criteria.objective, strategies, seed=options.seed)
            notes.update({f"sensitivity {strategy}": note for strategy, note in why.items()})
        except OfframpError as error:
            sensitive = pd.DataFrame()
            notes["sensitivity"] = str(error)
        advance(1, description="analysing: claim audit")
        notes.update(claim_audit_notes(study, criteria, strategies))
        if study.claims:
            detail, verdicts = _claim_tables(study, per_sample, satisfied, criteria, strategies)
        else:
            detail, verdicts = pd.DataFrame(), pd.DataFrame()
        view = None
        if options.plausible is not None:
            advance(0, description="analysing: plausible worlds")
            view = _plausible_view(study, criteria, options.plausible)
            if view.note is not None:
                notes["plausible"] = view.note
            advance(1)
        advance(1, description="writing the tables" if options.tables is not None else "analysed")
        analysis = Analysis(
            study=study,
            criteria=criteria,
            outcomes=outcomes,
            spread=spread_,
            distributions=dists,
            per_sample=per_sample,
            regret=regrets,
            satisficing=satisfied,
            robustness=robust,
            discoveries=tuple(discoveries),
            sensitivity=sensitive,
            claim_detail=detail,
            claim_verdicts=verdicts,
            plausible=view,
            notes=notes,
            seconds=time.perf_counter() - started,
        )
        if options.tables is not None:
            write_tables(analysis, options.tables)
            advance(1, description="tables written")
    return analysis


def claim_audit_notes(study: Study, criteria: Criteria, strategies: Sequence[str]) -> dict[str, str]:
    """Why the claim audit of a study is missing or limited (choice 1), by note name.

    Parameters
    ----------
    study : Study
    criteria : Criteria
        Its ``claim_audit.baseline``.
    strategies : sequence of str
        The strategies audited.

    Returns
    -------
    dict of str to str
        ``"claims"`` when the scenario states no claims (there is no audit), ``"claims
        uplift"`` when the baseline was not run (only absolute success is audited);
        empty when the audit is complete.
    """
    if not study.claims:
        return {"claims": "the scenario states no claims ([claims.Cn]) to audit"}
    baseline = criteria.claim_audit.baseline
    if baseline not in strategies:  # the audit's uplift columns are NA then (claims.py, choice 8)
        return {
            "claims uplift": (
                f"no {baseline!r} strategy was run, so the uplift over it is not audited, only absolute "
                f"success; run a strategy named {baseline!r} (every lever off) or name another in the "
                "criteria's claim_audit.baseline"
            )
        }
    return {}


def _robustness_tables(
    per_sample: pd.DataFrame, criteria: Criteria, strategies: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Regret, satisficing and the robustness summary of per-sample measures."""
    regrets = regret_table(per_sample, criteria, strategies)
    satisfied = satisficing(per_sample, criteria)
    robust = robustness_summary(per_sample, criteria, strategies)
    return regrets, satisfied, robust


def _claim_tables(
    study: Study, per_sample: pd.DataFrame, satisfied: pd.DataFrame, criteria: Criteria, strategies: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The claim audit's detail and verdicts (loaded lazily: it pulls in SciPy)."""
    from offramp.analyse.claims import claim_audit

    return claim_audit(study, per_sample, satisfied, criteria, strategies)


def _plausible_view(study: Study, criteria: Criteria, calibration: Path) -> PlausibleView:
    """Choice 5: outcomes, robustness and the claim audit on the plausible samples only."""
    selection = select_plausible(study, calibration)
    restricted = restrict_study(study, selection.samples)
    if not selection.samples:
        return PlausibleView(
            selection,
            restricted,
            note=(
                f"no sample of {study.source} reproduces every pattern of {selection.source} "
                f"({selection.statistics.shape[0]} samples judged), so there is no plausible world to analyse; "
                "the pass rates show which patterns block them"
            ),
        )
    strategies = [s for s in restricted.strategies if (restricted.experiments["strategy"] == s).any()]
    per_sample = sample_measures(restricted.experiments, criteria.measures)
    regrets, satisfied, robust = _robustness_tables(per_sample, criteria, strategies)
    detail, verdicts = pd.DataFrame(), pd.DataFrame()
    if restricted.claims:
        detail, verdicts = _claim_tables(restricted, per_sample, satisfied, criteria, strategies)
    return PlausibleView(
        selection,
        restricted,
        outcomes=outcome_summary(restricted.experiments, OUTCOME_LABELS),
        per_sample=per_sample,
        regret=regrets,
        satisficing=satisfied,
        robustness=robust,
        claim_detail=detail,
        claim_verdicts=verdicts,
    )


def write_tables(analysis: Analysis, directory: str | Path) -> Path:
    """Write every table of an analysis as ``NAME.parquet`` into a directory.

    Each file is written atomically (:func:`offramp.run.record.write_table`); an empty
    table (a part that could not be computed) is not written.

    Parameters
    ----------
    analysis : Analysis
    directory : str or Path

    Returns
    -------
    Path
        The directory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in analysis.tables().items():
        if len(table.columns):
            write_table(table, directory / f"{name}.parquet", {"offramp.table": name})
    return directory
