"""The summary of an analysis in words: a few sentences made from its tables.

:func:`summarise` turns an :class:`~offramp.analyse.analysis.Analysis` into the sentences
that open the HTML report (:mod:`offramp.report.html`) and that ``offramp analyze``
prints (:mod:`offramp.report.analysis_tables`); both call it, so the two never disagree.

Choices
-------
1. Sentences are made from the tables, never written by hand: every number in them can
   be found in a table of the analysis.
2. A sentence about a part is left out when its table is empty; the analysis's note for
   that part says why, in the report's section and on the terminal, not here.
3. Shares are whole percentages (``21%``): a sentence gives the order of magnitude, the
   tables give the digits.
"""

from __future__ import annotations

import numpy as np

from offramp.analyse.analysis import Analysis

__all__ = ["summarise"]


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%" if np.isfinite(value) else "n/a"


def summarise(analysis: Analysis) -> list[str]:
    """The summary's sentences, from the analysis's tables only (choice 1).

    Parameters
    ----------
    analysis : Analysis
        :func:`offramp.analyse.analysis.analyze`'s result.

    Returns
    -------
    list of str
        One sentence each: the study; the strategy that satisfices most often; the least
        regret; the likeliest and least likely direct conflict; each failure explained by
        scenario discovery; the parameter the objective is most sensitive to; which
        strategies depend on which claims; which claims each strategy's uplift over the
        baseline depends on, and which claims its absolute success depends on but not
        its uplift. Parts with empty tables give no sentence (choice 2), and neither does the
        uplift when the baseline was not run.
    """
    study, robust, outcomes = analysis.study, analysis.robustness, analysis.outcomes
    sentences = []
    experiments = len(study.experiments)
    sentences.append(
        f"{experiments:,} experiments: {study.samples:,} samples of the {study.design} design over "
        f"{len(study.parameters)} uncertain parameters, {study.replications} replication"
        f"{'s' if study.replications != 1 else ''} each, {len(robust)} strategies."
    )
    if len(robust):
        top = robust.sort_values("rank").iloc[0]
        sentences.append(
            f"{top['strategy']} satisfices most often: in {_percent(top['satisficing_share'])} of samples "
            f"(95% interval {_percent(top['satisficing_low'])}–{_percent(top['satisficing_high'])}) it meets "
            f"{analysis.criteria.text}."
        )
        calm = robust.sort_values("mean_regret", kind="stable").iloc[0]
        sentences.append(
            f"On {analysis.criteria.objective.label}, {calm['strategy']} has the least mean regret "
            f"({calm['mean_regret']:.3g}; 90th percentile {calm['p90_regret']:.3g}) and does best in "
            f"{_percent(calm['share_best'])} of samples."
        )
    if len(outcomes):
        risky = outcomes.sort_values("direct_conflict_share", kind="stable")
        low, high = risky.iloc[0], risky.iloc[-1]
        sentences.append(
            f"Direct conflict is likeliest under {high['strategy']} ({_percent(high['direct_conflict_share'])} of "
            f"worlds, 95% interval {_percent(high['direct_conflict_low'])}–{_percent(high['direct_conflict_high'])}) "
            f"and least likely under {low['strategy']} ({_percent(low['direct_conflict_share'])})."
        )
    for found in analysis.discoveries:
        limits = "; ".join(f"{row.parameter} in [{row.low:.3g}, {row.high:.3g}]" for row in found.box.itertuples())
        sentences.append(
            f"{found.strategy} fails in {_percent(found.base_rate)} of samples; PRIM's box ({limits or 'no limit'}) "
            f"holds {_percent(found.coverage)} of those failures, and {_percent(found.density)} of the samples in "
            f"it fail."
        )
    table = analysis.sensitivity
    if len(table):
        column = "ST" if table["method"].iloc[0] == "sobol" else "score"
        leading = table.dropna(subset=[column]).sort_values(column, ascending=False, kind="stable")
        if len(leading):
            first = leading.iloc[0]
            method = "total Sobol index" if column == "ST" else "feature score"
            sentences.append(
                f"{analysis.criteria.objective.label} is most sensitive to {first['parameter']} "
                f"(under {first['strategy']}: {method} {first[column]:.2f})."
            )
    verdicts = analysis.claim_verdicts
    if len(verdicts) and "depends_on" in verdicts.columns:
        dependent = verdicts[verdicts["depends_on"] != "none"]
        if len(dependent):
            parts = [f"{row.strategy} on {row.depends_on}" for row in dependent.itertuples()]
            sentences.append("Success depends on the essay's claims for " + "; ".join(parts) + ".")
        else:
            sentences.append("No strategy's success depends on any single claim being right.")
    sentences.extend(_uplift_sentences(analysis))
    return sentences


def _uplift_sentences(analysis: Analysis) -> list[str]:
    """Which claims each strategy's uplift over the baseline depends on, and which claims
    its absolute success depends on but not its uplift; nothing when the uplift was not
    audited (choice 2: the analysis's note says why)."""
    verdicts, detail = analysis.claim_verdicts, analysis.claim_detail
    if not len(verdicts) or "uplift_depends_on" not in verdicts.columns:
        return []
    audited = verdicts[~verdicts["uplift_depends_on"].isin(["n/a", "baseline"])]
    if not len(audited):
        return []
    baseline = f"the baseline strategy ({analysis.criteria.claim_audit.baseline})"
    dependent = audited[audited["uplift_depends_on"] != "none"]
    if len(dependent):
        parts = [f"{row.strategy} on {row.uplift_depends_on}" for row in dependent.itertuples()]
        sentences = [f"The uplift over {baseline} depends on the essay's claims for " + "; ".join(parts) + "."]
    else:
        sentences = [f"No strategy's uplift over {baseline} depends on any single claim being right."]
    # Absolute success depends, the uplift does not: typically a claim that moves the
    # baseline as much as the strategy. The sentence states the two verdicts, not that reading.
    shifted = detail[detail["depends"].fillna(False) & ~detail["uplift_depends"].fillna(True)]
    if len(shifted):
        by_claim = shifted.groupby("claim", sort=False)["strategy"].agg(", ".join)
        parts = [f"{claim} for {strategies}" for claim, strategies in by_claim.items()]
        sentences.append(
            f"Absolute success depends on these claims but the uplift over {baseline} does not: "
            + "; ".join(parts)
            + "."
        )
    return sentences
