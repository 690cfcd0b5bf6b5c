"""The claim audit: which of the essay's claims a strategy's success depends on.

Each claim C1..Cn is two groups of parameter ranges, one if the essay is right and one
if a sceptic is (:class:`~offramp.analyse.study.Claim`). Every sample of a study lies on
the essay's side of a claim, on the sceptic's, or on neither (:func:`claim_sides`). For
each strategy and claim, :func:`claim_audit` compares the samples on the two sides:

- **a fall**: the strategy satisfices in at least ``level`` of the essay-side samples,
  in fewer than ``level`` of the sceptic-side samples, and the drop is significant
  (Fisher's exact test, one-sided, Holm-corrected over the strategy's claims);
- **a flip**: on the essay side the strategy beats a rival, on the sceptic side the
  rival beats it, each direction significant (a one-sided Wilcoxon signed-rank test
  over the samples, which are paired across strategies; Holm over claims x rivals).

A strategy *depends* on a claim when the claim's failure makes it fail (a fall) or makes
another strategy the better choice (a flip). In a claims design every combination of
sides is sampled equally, so each comparison is the claim's main effect with the other
claims balanced; in a Latin hypercube the other parameters are independent of the claim's
by construction, so the comparison is unconfounded there too, only with fewer samples on
each side.

Choices
-------
1. Sides. A claims design records the side each sample took (``claims.Cn`` columns);
   those are taken as they are. Any other design is classified by its parameter values:
   a sample is on the essay's side of a claim when every parameter of the claim that the
   design varied (is in ``study.parameters``) lies within the essay's range, on the
   sceptic's side when each lies within the sceptic's range, and on neither otherwise.
   Parameters of the claim that the design did not vary are ignored (they were held at
   one value, which says nothing about the side); a claim none of whose parameters were
   varied is "neither" for every sample, so it gets no verdict. A sample within both
   ranges (the scenario's sides overlap) is "neither": it cannot tell the two apart, and
   counting it on both sides would make the groups of the test overlap. Ranges are
   closed, with a tolerance of 1e-9 of the range's width so a value written to text and
   read back still lies on its bound.
2. Only samples every compared strategy has (complete cases) count, as for regret
   (:func:`~offramp.analyse.robustness.regret_table`): the ranks and the paired tests
   compare strategies on the same samples.
3. A fall is tested with Fisher's exact test (``alternative="greater"``) on the 2 x 2
   table of satisficing / not satisficing by side. The test is exact at any sample size:
   the sides may hold as few as ``min_samples`` (default 10) samples, and the shares
   that matter are near 0 or 1, exactly where the normal approximation of the
   two-proportion z test is poor. It is conservative (it conditions on the margins), so
   a reported fall is never an artefact of the approximation.
4. A flip is tested with the one-sided Wilcoxon signed-rank test on the per-sample
   difference of the objective (strategy minus rival, signed so that positive is
   better), zero differences dropped (Wilcoxon's convention: a sample where both do
   equally says nothing about which is better). Samples are paired because every
   strategy runs every sample with common random numbers. The signed-rank test needs no
   normality: the objective is a probability from a few replications (with one
   replication the difference is -1, 0 or 1 and the test becomes the sign test, i.e.
   McNemar's test for paired binary outcomes), or the mean of a heavy-tailed column
   (``war_deaths``) where a paired t test would be driven by a few samples. The null
   distribution is exact where SciPy computes it directly (no tied magnitudes, at most
   50 differences), otherwise the normal approximation with tie correction: SciPy's
   fallback for ties is a permutation test of about 50 ms a call, and an audit makes
   hundreds of calls.
5. A flip needs both directions; its p-value is the larger of the two one-sided
   p-values (the intersection-union test, Berger 1982), which is a level-alpha test of
   "beats on one side *and* is beaten on the other" without further correction. Holm's
   correction is then applied over the strategy's claims x rivals. Falls are corrected
   over the strategy's claims only. Both families are per strategy: the audit is read
   one strategy at a time ("what does *this* strategy depend on").
6. A claim with fewer than ``min_samples`` samples on either side gets no verdict
   ("too few samples"); it is left out of the Holm families and its ``falls``,
   ``flips`` and ``depends`` are missing (NA), not False: it was not tested.
7. Ranks on a side order the strategies by satisficing share, then mean objective;
   tied strategies share the better rank (1 = best), so a tie broken by display order
   cannot look like a change of rank between the sides.

References
----------
Fisher, R. A. (1922). On the interpretation of chi-square from contingency tables, and
the calculation of P. JRSS 85(1), 87-94. https://doi.org/10.2307/2340521

Wilcoxon, F. (1945). Individual comparisons by ranking methods. Biometrics Bulletin
1(6), 80-83. https://doi.org/10.2307/3001968

Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
Journal of Statistics 6(2), 65-70. https://www.jstor.org/stable/4615733

Berger, R. L. (1982). Multiparameter hypothesis testing and acceptance sampling.
Technometrics 24(4), 295-300. https://doi.org/10.1080/00401706.1982.10487790
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from offramp.analyse.criteria import Criteria
from offramp.analyse.study import Claim, Study
from offramp.errors import InputError

__all__ = ["SIDES", "claim_sides", "claim_audit", "holm"]

#: The values of :func:`claim_sides`.
SIDES: tuple[str, ...] = ("essay", "sceptic", "neither")

_TOLERANCE = 1e-9  # of a range's width (choice 1)


def claim_sides(study: Study) -> pd.DataFrame:
    """Which side of each claim every sample lies on (choice 1).

    Parameters
    ----------
    study : Study

    Returns
    -------
    pandas.DataFrame
        Index ``sample`` (the samples present, ascending), one column per claim id in
        the study's claim order, values ``"essay"``, ``"sceptic"`` or ``"neither"``.

    Raises
    ------
    InputError
        A ``claims.Cn`` column holds something other than a side.
    """
    frame = study.experiments
    recorded = [f"claims.{claim.id}" for claim in study.claims if f"claims.{claim.id}" in frame.columns]
    per_sample = frame.groupby("sample", sort=True)[[*study.parameters, *recorded]].first()
    sides: dict[str, np.ndarray] = {}
    for claim in study.claims:
        column = f"claims.{claim.id}"
        if column in per_sample.columns:
            taken = per_sample[column].astype(object).where(per_sample[column].notna(), "neither").astype(str)
            unknown = sorted(set(taken) - set(SIDES))
            if unknown:
                raise InputError(
                    f"{study.source}: {column}", f"{unknown[0]!r} is not a side; one of {', '.join(SIDES)}"
                )
            sides[claim.id] = taken.to_numpy(object)
        else:
            sides[claim.id] = _classify(claim, per_sample, study.parameters)
    out = pd.DataFrame(sides, index=per_sample.index, columns=[claim.id for claim in study.claims])
    out.index.name = "sample"
    return out


def _classify(claim: Claim, values: pd.DataFrame, varied: Sequence[str]) -> np.ndarray:
    """Sides of one claim from the parameter values (choice 1)."""
    paths = [path for path in claim.essay if path in varied]
    paths += [path for path in claim.sceptic if path in varied and path not in paths]
    out = np.full(len(values), "neither", dtype=object)
    if not paths:
        return out
    is_side = {}
    for side in ("essay", "sceptic"):
        ranges = getattr(claim, side)
        inside = np.ones(len(values), bool)
        for path in paths:
            if path not in ranges:  # the scenario's schema forbids this; a hand-made Claim may not
                inside[:] = False
                break
            low, high = ranges[path]
            slack = _TOLERANCE * (high - low)
            column = values[path].to_numpy(np.float64)
            inside &= (column >= low - slack) & (column <= high + slack)  # NaN is inside no range
        is_side[side] = inside
    out[is_side["essay"] & ~is_side["sceptic"]] = "essay"
    out[is_side["sceptic"] & ~is_side["essay"]] = "sceptic"
    return out


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (Holm 1979); NaN stays NaN and is not counted.

    Parameters
    ----------
    pvalues : sequence of float
        m p-values of one family.

    Returns
    -------
    float64 array (m,)
        Adjusted p-values: reject hypothesis i at level alpha when its value is <= alpha.
        ``adjusted_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))`` over the sorted p-values.
    """
    p = np.asarray(pvalues, np.float64)
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    if m == 0:
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)  # step-down: never below an earlier adjusted value
    return out


def _one_sided_signed_rank(difference: np.ndarray) -> float:
    """P-value that the paired differences lie above zero (choice 4); 1 when all are zero."""
    nonzero = difference[difference != 0]
    if len(nonzero) == 0:
        return 1.0
    # Exact null distribution only where SciPy computes it directly (no ties, n <= 50);
    # with ties SciPy falls back to a permutation test, about 50 ms a call, and the audit
    # makes hundreds: there the normal approximation with tie correction is used.
    tied = len(np.unique(np.abs(nonzero))) < len(nonzero)
    method = "exact" if len(nonzero) <= 50 and not tied else "asymptotic"
    return float(stats.wilcoxon(nonzero, alternative="greater", method=method).pvalue)


def _ranks(share: np.ndarray, objective: np.ndarray, sense: str) -> np.ndarray:
    """Competition ranks (1 = best) by satisficing share, then mean objective (choice 7)."""
    better_objective = objective if sense == "maximize" else -objective
    keys = list(zip(-share, -better_objective, strict=True))
    return np.array([1 + sum(other < key for other in keys) for key in keys], dtype=np.int64)


def _names(values: Sequence[str]) -> str:
    return ", ".join(values)


def claim_audit(
    study: Study, per_sample: pd.DataFrame, satisfied: pd.DataFrame, criteria: Criteria, strategies: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each strategy and claim: the outcome on the essay's side and on the sceptic's,
    and whether the strategy's success depends on the claim.

    Parameters
    ----------
    study : Study
        Its claims and experiments (the sides, :func:`claim_sides`).
    per_sample : pandas.DataFrame
        :func:`~offramp.analyse.robustness.sample_measures`'s table, with the objective's
        column (``criteria.objective.key``).
    satisfied : pandas.DataFrame
        :func:`~offramp.analyse.robustness.satisficing`'s table (``strategy``, ``sample``,
        ``satisfices``).
    criteria : Criteria
        The objective, and ``claim_audit``'s ``level``, ``alpha`` and ``min_samples``.
    strategies : sequence of str
        The strategies compared, in display order.

    Returns
    -------
    detail : pandas.DataFrame
        One row per (strategy, claim), strategies in the given order, claims in the
        study's: ``strategy``, ``claim``, ``claim_text``, ``essay_samples``,
        ``sceptic_samples`` (int, complete cases on each side, choice 2),
        ``objective_essay``, ``objective_sceptic`` (mean objective), ``satisficing_essay``,
        ``satisficing_sceptic`` (share of samples satisficing), ``rank_essay``,
        ``rank_sceptic`` (among the strategies on that side's samples, choice 7; NA
        on a side with no samples),
        ``p_fall`` (Fisher, one-sided, choice 3), ``p_fall_holm`` (Holm over the
        strategy's claims), ``p_flip_holm`` (the smallest Holm-adjusted flip p-value over
        rivals, choice 5), ``falls``, ``overtaken_by`` (rival names, comma-separated,
        "" for none), ``flips``, ``depends`` (nullable boolean; NA with too few samples,
        choice 6) and ``verdict`` (in words).
    verdicts : pandas.DataFrame
        One row per strategy: ``strategy``, one column per claim id (``"depends"``,
        ``"-"`` or ``"n/a"`` for too few samples), and ``depends_on`` (the claim ids,
        ``"C2, C5"``, or ``"none"``).

    Raises
    ------
    InputError
        The study has no claims, a strategy has no per-sample rows, or the objective's
        column is missing.

    References
    ----------
    Fisher (1922), Wilcoxon (1945), Holm (1979), Berger (1982); see the module docstring.
    """
    if not study.claims:
        raise InputError(study.source, "the scenario states no claims ([claims.Cn]) to audit")
    strategies = list(strategies)
    settings = criteria.claim_audit
    objective = criteria.objective
    if objective.key not in per_sample.columns:
        raise InputError(
            "per_sample",
            f"no {objective.key!r} column (the objective); compute it with "
            "sample_measures(experiments, criteria.measures)",
        )
    for name in strategies:
        if not (per_sample["strategy"] == name).any():
            raise InputError("strategies", f"{name!r} has no per-sample rows")

    values = per_sample.pivot(index="sample", columns="strategy", values=objective.key).reindex(columns=strategies)
    met = satisfied.pivot(index="sample", columns="strategy", values="satisfices").reindex(columns=strategies)
    complete = values.index[values.notna().all(axis=1)].intersection(met.index[met.notna().all(axis=1)])
    values = values.loc[complete].to_numpy(np.float64)  # (S, strategies)
    met = met.loc[complete].to_numpy(bool)
    sides = claim_sides(study).reindex(complete).fillna("neither")
    better = 1.0 if objective.sense == "maximize" else -1.0  # so that a positive difference is better

    rows: dict[tuple[int, int], dict] = {}
    # Per (strategy, claim, rival): the intersection-union p-value of a flip (choice 5).
    flip_p = np.full((len(strategies), len(study.claims), len(strategies)), np.nan)
    for c, claim in enumerate(study.claims):
        on = {side: (sides[claim.id] == side).to_numpy() for side in ("essay", "sceptic")}
        n = {side: int(on[side].sum()) for side in on}
        enough = min(n.values()) >= settings.min_samples
        summary = {}
        for side in on:
            share = met[on[side]].mean(axis=0) if n[side] else np.full(len(strategies), np.nan)
            mean = values[on[side]].mean(axis=0) if n[side] else np.full(len(strategies), np.nan)
            rank = _ranks(share, mean, objective.sense) if n[side] else [pd.NA] * len(strategies)
            summary[side] = (share, mean, rank)
        for s, strategy in enumerate(strategies):
            p_fall = np.nan
            if enough:
                hits = {side: int(met[on[side], s].sum()) for side in on}
                table = [[hits["essay"], n["essay"] - hits["essay"]], [hits["sceptic"], n["sceptic"] - hits["sceptic"]]]
                p_fall = float(stats.fisher_exact(table, alternative="greater").pvalue)
                for t in range(len(strategies)):
                    if t == s:
                        continue
                    difference = better * (values[:, s] - values[:, t])
                    p_ahead = _one_sided_signed_rank(difference[on["essay"]])  # s beats t if the essay is right
                    p_behind = _one_sided_signed_rank(-difference[on["sceptic"]])  # t beats s if not
                    flip_p[s, c, t] = max(p_ahead, p_behind)
            rows[s, c] = {
                "strategy": strategy,
                "claim": claim.id,
                "claim_text": claim.text,
                "essay_samples": n["essay"],
                "sceptic_samples": n["sceptic"],
                "objective_essay": summary["essay"][1][s],
                "objective_sceptic": summary["sceptic"][1][s],
                "satisficing_essay": summary["essay"][0][s],
                "satisficing_sceptic": summary["sceptic"][0][s],
                "rank_essay": summary["essay"][2][s],
                "rank_sceptic": summary["sceptic"][2][s],
                "p_fall": p_fall,
                "enough": enough,
            }

    level, alpha = settings.level, settings.alpha
    for s in range(len(strategies)):
        falls_holm = holm([rows[s, c]["p_fall"] for c in range(len(study.claims))])
        flips_holm = holm(flip_p[s].ravel()).reshape(flip_p[s].shape)
        for c in range(len(study.claims)):
            row = rows[s, c]
            row["p_fall_holm"] = falls_holm[c]
            rivals = flips_holm[c]
            row["p_flip_holm"] = float(np.nanmin(rivals)) if np.isfinite(rivals).any() else np.nan
            if not row.pop("enough"):
                row.update(
                    falls=pd.NA,
                    overtaken_by="",
                    flips=pd.NA,
                    depends=pd.NA,
                    verdict=f"too few samples ({row['essay_samples']} essay, {row['sceptic_samples']} sceptic)",
                )
                continue
            falls = bool(
                row["satisficing_essay"] >= level and row["satisficing_sceptic"] < level and falls_holm[c] <= alpha
            )
            overtaken = [strategies[t] for t in range(len(strategies)) if rivals[t] <= alpha]
            reasons = []
            if falls:
                essay, sceptic = row["satisficing_essay"], row["satisficing_sceptic"]
                reasons.append(f"satisficing falls {essay:.2f} \u2192 {sceptic:.2f}")
            if overtaken:
                reasons.append(f"overtaken by {_names(overtaken)}")
            row.update(
                falls=falls,
                overtaken_by=_names(overtaken),
                flips=bool(overtaken),
                depends=falls or bool(overtaken),
                verdict=("depends: " + "; ".join(reasons)) if reasons else "does not depend",
            )

    columns = [
        "strategy",
        "claim",
        "claim_text",
        "essay_samples",
        "sceptic_samples",
        "objective_essay",
        "objective_sceptic",
        "satisficing_essay",
        "satisficing_sceptic",
        "rank_essay",
        "rank_sceptic",
        "p_fall",
        "p_fall_holm",
        "p_flip_holm",
        "falls",
        "overtaken_by",
        "flips",
        "depends",
        "verdict",
    ]
    detail = pd.DataFrame(
        [rows[s, c] for s in range(len(strategies)) for c in range(len(study.claims))], columns=columns
    )
    for column in ("falls", "flips", "depends"):
        detail[column] = detail[column].astype("boolean")
    detail[["essay_samples", "sceptic_samples"]] = detail[["essay_samples", "sceptic_samples"]].astype(np.int64)
    for column in ("rank_essay", "rank_sceptic"):
        detail[column] = detail[column].astype("Int64")  # a rank is NA on a side with no samples
    return detail, _verdicts(detail, strategies, [claim.id for claim in study.claims])


def _verdicts(detail: pd.DataFrame, strategies: list[str], claim_ids: list[str]) -> pd.DataFrame:
    """The wide table: one short verdict per (strategy, claim), and the claims depended on."""
    rows = []
    for strategy in strategies:
        mine = detail[detail["strategy"] == strategy].set_index("claim")
        row = {"strategy": strategy}
        for claim_id in claim_ids:
            depends = mine.at[claim_id, "depends"]
            row[claim_id] = "n/a" if pd.isna(depends) else ("depends" if depends else "-")
        dependent = [claim_id for claim_id in claim_ids if row[claim_id] == "depends"]
        row["depends_on"] = _names(dependent) if dependent else "none"
        rows.append(row)
    return pd.DataFrame(rows, columns=["strategy", *claim_ids, "depends_on"])
