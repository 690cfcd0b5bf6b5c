"""``offramp analyze``: every analysis of a study, in one call, as DataFrames.

:func:`analyze` reads an exploration (a directory or a :class:`Study`), applies the
criteria, and returns an :class:`Analysis`: outcomes per strategy, robustness (per-sample
probabilities, regret, satisficing), scenario discovery, global sensitivity and the
claim audit, plus a summary written from those numbers. :func:`offramp.report.html.write_report`
turns it into one HTML file.

Choices
-------
1. A part that cannot be computed on this study (scenario discovery when a strategy
   never fails, Sobol indices when samples are missing, the claim audit without claims,
   EMA Workbench not installed) does not stop the others: its table is empty and a note
   says why, in the API, the terminal and the report.
2. Scenario discovery explains the failures of the strategies named in the criteria;
   by default of the best-ranked strategy that both fails and succeeds somewhere (the one
   a user is most tempted to choose, and so most needs to know where it breaks).
3. The summary's sentences are made from the tables, never written by hand: every
   number in them can be found in a table.
4. The analysis is deterministic: the bootstraps (Sobol intervals), the extra trees
   (feature scoring) and the tree (CART) take ``seed``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from offramp.analyse.criteria import Criteria, load_criteria
from offramp.analyse.outcomes import distributions, outcome_spread, outcome_summary
from offramp.analyse.robustness import regret_table, robustness_summary, sample_measures, satisficing
from offramp.analyse.study import Study
from offramp.errors import OfframpError
from offramp.run.progress import progress_bar
from offramp.run.runner import OUTCOME_LABELS

__all__ = ["Analysis", "analyze"]


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything ``offramp analyze`` computes about one study.

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
        Per (strategy, claim): outcome under the essay's and the sceptic's range, and
        the verdict.
    claim_verdicts : pandas.DataFrame
        Per strategy: one verdict per claim, and the claims its success depends on.
    notes : dict of str to str
        Why a part is empty or limited (choice 1), by part name.
    summary : tuple of str
        Sentences made from the tables (choice 3).
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
    notes: dict = field(default_factory=dict)
    summary: tuple = ()
    seconds: float = 0.0

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name (what ``--tables`` writes), PRIM and CART included.

        Returns
        -------
        dict of str to pandas.DataFrame
        """
        tables = {
            "outcomes": self.outcomes, "spread": self.spread, "distributions": self.distributions,
            "per_sample": self.per_sample, "regret": self.regret, "satisficing": self.satisficing,
            "robustness": self.robustness, "sensitivity": self.sensitivity,
            "claim_audit": self.claim_detail, "claim_verdicts": self.claim_verdicts,
        }
        for found in self.discoveries:
            tables[f"prim_trajectory_{found.strategy}"] = found.trajectory
            tables[f"prim_box_{found.strategy}"] = found.box
            tables[f"cart_leaves_{found.strategy}"] = found.cart_leaves
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
    report: str | Path | None = None,
    tables: str | Path | None = None,
    discover: list[str] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> Analysis:
    """Analyse an exploration: outcomes, robustness, scenario discovery, sensitivity, claims.

    Parameters
    ----------
    source : str, Path or Study
        An ``offramp explore`` directory, or a study.
    criteria : str, Path, Criteria or None
        A criteria TOML file (see :mod:`offramp.analyse.criteria`), criteria, or None
        for the defaults.
    report : str, Path or None
        Also write the HTML report here.
    tables : str, Path or None
        Also write every table as Parquet into this directory.
    discover : list of str or None
        Strategies to explain the failures of (replaces the criteria's
        ``discovery.strategies``).
    seed : int
        Seed of the bootstraps, the extra trees and CART (choice 4).
    progress : bool
        Show a progress bar.

    Returns
    -------
    Analysis

    Raises
    ------
    InputError
        A missing or bad directory or criteria file, an unknown strategy or column.
    """
    started = time.perf_counter()
    criteria = criteria if isinstance(criteria, Criteria) else load_criteria(criteria)
    if discover:
        criteria = criteria.model_copy(update={"discovery": criteria.discovery.model_copy(
            update={"strategies": list(discover)})})
    study = source if isinstance(source, Study) else Study.from_directory(source)
    criteria.check_against(study.experiments.columns, study.strategies,
                           where="--discover" if discover else "criteria")
    strategies = [s for s in study.strategies if (study.experiments["strategy"] == s).any()]
    notes: dict[str, str] = {}
    if study.missing_chunks:
        notes["study"] = (f"{study.missing_chunks} chunks of the run are missing or invalid; the analysis uses "
                          "the experiments present (complete the run with offramp explore --resume)")
    if study.replications == 1:
        notes["robustness"] = ("one replication per sample: per-sample probabilities are 0 or 1, so satisficing "
                               "says whether the event happened in that world (run with --replications for "
                               "per-sample probabilities)")
    steps = 6 + len(criteria.discovery.strategies or [None]) + (1 if report else 0)
    with progress_bar("analysing: outcomes", total=steps, enabled=progress) as advance:
        outcomes = outcome_summary(study.experiments, OUTCOME_LABELS)
        per_sample = sample_measures(study.experiments, criteria.measures)
        spread_ = outcome_spread(per_sample, strategies, OUTCOME_LABELS)
        dists = distributions(study.experiments, strategies)
        advance(1, description="analysing: robustness")
        regrets = regret_table(per_sample, criteria, strategies)
        satisfied = satisficing(per_sample, criteria)
        robust = robustness_summary(per_sample, criteria, strategies)
        advance(1, description="analysing: scenario discovery")
        discoveries = []
        chosen = _discovery_strategies(robust, satisfied, criteria)
        if not chosen:
            notes["discovery"] = "no strategy both fails and succeeds in some samples: there is no failure to explain"
            advance(1)  # the step the bar counted for the default strategy, so it ends full
        for strategy in chosen:
            try:
                from offramp.analyse.discovery import discover_failures

                discoveries.append(discover_failures(study, satisfied, strategy, criteria.discovery,
                                                     failure=f"does not meet {criteria.text}"))
            except OfframpError as error:
                notes[f"discovery {strategy}"] = str(error)
            advance(1, description="analysing: scenario discovery")
        advance(1, description="analysing: sensitivity")
        try:
            from offramp.analyse.sensitivity import sensitivity

            sensitive = sensitivity(study, per_sample, criteria.objective, strategies, seed=seed)
            for strategy, note in sensitive.attrs.get("notes", {}).items():
                notes[f"sensitivity {strategy}"] = note
        except OfframpError as error:
            sensitive = pd.DataFrame()
            notes["sensitivity"] = str(error)
        advance(1, description="analysing: claim audit")
        if study.claims:
            from offramp.analyse.claims import claim_audit

            detail, verdicts = claim_audit(study, per_sample, satisfied, criteria, strategies)
        else:
            detail, verdicts = pd.DataFrame(), pd.DataFrame()
            notes["claims"] = "the scenario states no claims ([claims.Cn]) to audit"
        advance(1, description="analysing: summary")
        analysis = Analysis(
            study=study, criteria=criteria, outcomes=outcomes, spread=spread_, distributions=dists,
            per_sample=per_sample, regret=regrets, satisficing=satisfied, robustness=robust,
            discoveries=tuple(discoveries), sensitivity=sensitive, claim_detail=detail, claim_verdicts=verdicts,
            notes=notes,
        )
        analysis = _with_summary(analysis, time.perf_counter() - started)
        advance(1, description="writing the report" if report else "analysing: done")
        if tables is not None:
            write_tables(analysis, tables)
        if report is not None:
            from offramp.report.html import write_report

            write_report(analysis, report)
            advance(1, description="report written")
    return analysis


def write_tables(analysis: Analysis, directory: str | Path) -> Path:
    """Write every table of an analysis as ``NAME.parquet`` into a directory.

    Parameters
    ----------
    analysis : Analysis
    directory : str or Path

    Returns
    -------
    Path
        The directory.
    """
    from offramp.run.record import write_table

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in analysis.tables().items():
        if len(table.columns):
            write_table(table, directory / f"{name}.parquet", {"offramp.table": name})
    return directory


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%" if np.isfinite(value) else "n/a"


def _with_summary(analysis: Analysis, seconds: float) -> Analysis:
    """The summary's sentences (choice 3), from the tables only."""
    study, robust, outcomes = analysis.study, analysis.robustness, analysis.outcomes
    sentences = []
    experiments = len(study.experiments)
    sentences.append(
        f"{experiments:,} experiments: {study.samples:,} samples of the {study.design} design over "
        f"{len(study.parameters)} uncertain parameters, {study.replications} replication"
        f"{'s' if study.replications != 1 else ''} each, {len(robust)} strategies.")
    if len(robust):
        top = robust.sort_values("rank").iloc[0]
        sentences.append(
            f"{top['strategy']} satisfices most often: in {_percent(top['satisficing_share'])} of samples "
            f"(95% interval {_percent(top['satisficing_low'])}–{_percent(top['satisficing_high'])}) it meets "
            f"{analysis.criteria.text}.")
        calm = robust.sort_values("mean_regret", kind="stable").iloc[0]
        sentences.append(
            f"On {analysis.criteria.objective.label}, {calm['strategy']} has the least mean regret "
            f"({calm['mean_regret']:.3g}; 90th percentile {calm['p90_regret']:.3g}) and does best in "
            f"{_percent(calm['share_best'])} of samples.")
    if len(outcomes):
        risky = outcomes.sort_values("direct_conflict_share", kind="stable")
        low, high = risky.iloc[0], risky.iloc[-1]
        sentences.append(
            f"Direct conflict is likeliest under {high['strategy']} ({_percent(high['direct_conflict_share'])} of "
            f"worlds, 95% interval {_percent(high['direct_conflict_low'])}–{_percent(high['direct_conflict_high'])}) "
            f"and least likely under {low['strategy']} ({_percent(low['direct_conflict_share'])}).")
    for found in analysis.discoveries:
        limits = "; ".join(f"{row.parameter} in [{row.low:.3g}, {row.high:.3g}]" for row in found.box.itertuples())
        sentences.append(
            f"{found.strategy} fails in {_percent(found.base_rate)} of samples; PRIM's box ({limits or 'no limit'}) "
            f"holds {_percent(found.coverage)} of those failures, and {_percent(found.density)} of the samples in "
            f"it fail.")
    table = analysis.sensitivity
    if len(table):
        column = "ST" if table["method"].iloc[0] == "sobol" else "score"
        leading = table.dropna(subset=[column]).sort_values(column, ascending=False, kind="stable")
        if len(leading):
            first = leading.iloc[0]
            method = "total Sobol index" if column == "ST" else "feature score"
            sentences.append(
                f"{analysis.criteria.objective.label} is most sensitive to {first['parameter']} "
                f"(under {first['strategy']}: {method} {first[column]:.2f}).")
    verdicts = analysis.claim_verdicts
    if len(verdicts) and "depends_on" in verdicts.columns:
        dependent = verdicts[verdicts["depends_on"] != "none"]
        if len(dependent):
            parts = [f"{row.strategy} on {row.depends_on}" for row in dependent.itertuples()]
            sentences.append("Success depends on the essay's claims for " + "; ".join(parts) + ".")
        else:
            sentences.append("No strategy's success depends on any single claim being right.")
    return Analysis(**{**{f: getattr(analysis, f) for f in analysis.__dataclass_fields__},
                       "summary": tuple(sentences), "seconds": seconds})
