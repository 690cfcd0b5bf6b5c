"""The claim audit: which of the essay's claims a strategy's success, and its uplift over
doing nothing, depend on.

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
another strategy the better choice (a flip). That is the **absolute** verdict. A claim
can also move every strategy's success alike, the baseline's included (C3, C4: unrest at
home and a ripe periphery end wars whatever the coercer does); the absolute verdict then
says "depends" for every strategy, though no strategy's own effect rests on the claim. So
the audit also gives the **uplift** verdict:

- **the uplift depends**: the strategy's uplift over the baseline strategy (``nothing``,
  every lever off: its objective minus the baseline's on the same sample) is larger on
  the essay's side than on the sceptic's (a one-sided Mann-Whitney U test between the
  sides, Holm over the strategy's claims), and there is an uplift to lose on the essay's
  side (its mean exceeds ``min_uplift``).

In a claims design every combination of
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
8. Uplift. A strategy's uplift in a sample is its objective minus the baseline's
   (``baseline``, by default ``nothing``) on the same sample, signed so that positive is
   better (baseline minus strategy for a minimized objective), in the objective's unit.
   Every strategy runs a sample with common random numbers, so the difference removes
   what the sample's world does to every strategy alike: a claim that moves the
   baseline as much as the strategy leaves the uplift where it was, and one that the
   strategy's own levers work through moves it. The uplift is measured per sample, not
   as a difference of the sides' means, because the test of choice 9 needs the
   spread of the uplifts on each side. The baseline gets no uplift (NA: over itself it
   is zero by construction), nor does any strategy when the study did not run the
   baseline (NA everywhere; :func:`~offramp.analyse.analysis.analyze` notes why).
9. The uplift's dependence on a claim is tested with the one-sided Mann-Whitney U
   (Wilcoxon rank-sum) test that the uplifts on the essay's side are stochastically
   larger than on the sceptic's. Rank-sum, not signed-rank: the two sides are different
   samples, so nothing pairs them; the pairing (common random numbers) is already inside
   each uplift. Ranks rather than a t test for the reasons of choice 4: an uplift of
   per-sample probabilities is discrete (-1, 0 or 1 with one replication), an uplift of
   ``war_deaths`` heavy-tailed. The null distribution is exact where a side has at most
   8 samples and there are no ties, otherwise normal with the tie correction (SciPy's
   ``method="auto"``); uplifts all equal give p = 1 (nothing tells the sides apart).
   Holm's correction is over the strategy's claims, a third family beside the falls and
   the flips, so the absolute verdicts are exactly what they are without the uplift.
10. The uplift depends on a claim when that test is significant after Holm, the mean
    uplift on the essay's side exceeds ``min_uplift`` (when the claim holds the strategy
    does better than the baseline: a strategy that only harms more when the claim fails
    has no effect that rests on it), and the mean is lower on the sceptic's side (a rank
    test can disagree with the means of a heavy-tailed objective, and a verdict must not
    contradict the numbers printed beside it). "Uplift success" is this side mean, not a
    share of samples whose uplift passes a threshold: with one replication a per-sample
    uplift is -1, 0 or 1, and a per-sample threshold would count the noise of single
    worlds. Unlike a fall, the uplift need not drop below ``min_uplift`` on the sceptic's
    side: a claim that halves a strategy's effect is one that the effect rests on in
    part, and the two means show how much is left.
11. The two verdicts are reported side by side and never combined: the absolute one
    answers "does this strategy still succeed if the claim is false?", the uplift one
    "is it the strategy that succeeds, or the world?". A claim the absolute success
    depends on but the uplift does not is one that shifts the baseline. With too few
    samples on a side the uplift gets no verdict either (choice 6).

References
----------
Fisher, R. A. (1922). On the interpretation of chi-square from contingency tables, and
the calculation of P. JRSS 85(1), 87-94. https://doi.org/10.2307/2340521

Wilcoxon, F. (1945). Individual comparisons by ranking methods. Biometrics Bulletin
1(6), 80-83. https://doi.org/10.2307/3001968

Mann, H. B., & Whitney, D. R. (1947). On a test of whether one of two random variables is
stochastically larger than the other. Annals of Mathematical Statistics 18(1), 50-60.
https://doi.org/10.1214/aoms/1177730491

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

from offramp.analyse.criteria import ClaimAuditSettings, Criteria
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


def _one_sided_rank_sum(essay: np.ndarray, sceptic: np.ndarray) -> float:
    """P-value that the uplifts on the essay's side are larger than on the sceptic's
    (choice 9); 1 when every uplift is equal."""
    if np.ptp(np.concatenate([essay, sceptic])) == 0:
        return 1.0  # every uplift tied: nothing tells the sides apart (choice 9)
    return float(stats.mannwhitneyu(essay, sceptic, alternative="greater", method="auto").pvalue)


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
    and whether the strategy's success, and its uplift over the baseline, depend on the claim.

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
        The objective, and ``claim_audit``'s ``level``, ``alpha``, ``min_samples``,
        ``baseline`` and ``min_uplift``.
    strategies : sequence of str
        The strategies compared, in display order. The uplift is audited only when the
        baseline is one of them (choice 8).

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
        choice 6) and ``verdict`` (in words); then the uplift over the baseline
        (choices 8-10): ``uplift_essay``, ``uplift_sceptic`` (mean per-sample uplift on
        each side, in the objective's unit, positive = better than the baseline),
        ``uplift_p`` (Mann-Whitney, one-sided), ``uplift_p_holm`` (Holm over the
        strategy's claims), ``uplift_depends`` (nullable boolean) and ``uplift_verdict``
        (in words). All uplift columns are NA (the verdict says why) for the baseline
        itself and for every strategy when the baseline was not run; ``uplift_p``,
        ``uplift_p_holm`` and ``uplift_depends`` also with too few samples.
    verdicts : pandas.DataFrame
        One row per strategy: ``strategy``, one column per claim id (``"depends"``,
        ``"-"`` or ``"n/a"`` for too few samples), ``depends_on`` (the claim ids,
        ``"C2, C5"``, or ``"none"``), and ``uplift_depends_on`` (the claim ids the uplift
        depends on, ``"none"``; ``"baseline"`` for the baseline, ``"n/a"`` when the
        baseline was not run).

    Raises
    ------
    InputError
        The study has no claims, a strategy has no per-sample rows, or the objective's
        column is missing.

    References
    ----------
    Fisher (1922), Wilcoxon (1945), Mann & Whitney (1947), Holm (1979), Berger (1982); see
    the module docstring.
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
    baseline = strategies.index(settings.baseline) if settings.baseline in strategies else None
    # Per (samples, strategies): the uplift over the baseline, paired within each sample (choice 8).
    uplift = better * (values - values[:, [baseline]]) if baseline is not None else None

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
            p_fall = p_uplift = np.nan
            mean_uplift = dict.fromkeys(on, np.nan)
            if uplift is not None and s != baseline:
                mean_uplift = {side: uplift[on[side], s].mean() if n[side] else np.nan for side in on}
                if enough:
                    p_uplift = _one_sided_rank_sum(uplift[on["essay"], s], uplift[on["sceptic"], s])
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
                "uplift_essay": mean_uplift["essay"],
                "uplift_sceptic": mean_uplift["sceptic"],
                "uplift_p": p_uplift,
                "enough": enough,
            }

    level, alpha = settings.level, settings.alpha
    for s in range(len(strategies)):
        falls_holm = holm([rows[s, c]["p_fall"] for c in range(len(study.claims))])
        flips_holm = holm(flip_p[s].ravel()).reshape(flip_p[s].shape)
        uplift_holm = holm([rows[s, c]["uplift_p"] for c in range(len(study.claims))])  # choice 9
        for c in range(len(study.claims)):
            row = rows[s, c]
            row["p_fall_holm"] = falls_holm[c]
            rivals = flips_holm[c]
            row["p_flip_holm"] = float(np.nanmin(rivals)) if np.isfinite(rivals).any() else np.nan
            row["uplift_p_holm"] = uplift_holm[c]
            row.update(_uplift_verdict(row, baseline is not None, settings))
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
        "uplift_essay",
        "uplift_sceptic",
        "uplift_p",
        "uplift_p_holm",
        "uplift_depends",
        "uplift_verdict",
    ]
    detail = pd.DataFrame(
        [rows[s, c] for s in range(len(strategies)) for c in range(len(study.claims))], columns=columns
    )
    for column in ("falls", "flips", "depends", "uplift_depends"):
        detail[column] = detail[column].astype("boolean")
    for column in ("uplift_essay", "uplift_sceptic", "uplift_p", "uplift_p_holm"):
        detail[column] = detail[column].astype(np.float64)  # all NA without a baseline: float, not object
    detail[["essay_samples", "sceptic_samples"]] = detail[["essay_samples", "sceptic_samples"]].astype(np.int64)
    for column in ("rank_essay", "rank_sceptic"):
        detail[column] = detail[column].astype("Int64")  # a rank is NA on a side with no samples
    audited = settings.baseline if baseline is not None else None
    return detail, _verdicts(detail, strategies, [claim.id for claim in study.claims], audited)


def _uplift_verdict(row: dict, audited: bool, settings: ClaimAuditSettings) -> dict:
    """The uplift's verdict on one (strategy, claim) row (choices 8-10); ``audited``: the
    baseline was run."""
    if not audited:
        return {"uplift_depends": pd.NA, "uplift_verdict": f"not audited: no {settings.baseline!r} strategy"}
    if row["strategy"] == settings.baseline:
        return {"uplift_depends": pd.NA, "uplift_verdict": "the baseline"}
    if not row["enough"]:
        return {"uplift_depends": pd.NA, "uplift_verdict": "too few samples"}
    essay, sceptic = row["uplift_essay"], row["uplift_sceptic"]
    depends = bool(row["uplift_p_holm"] <= settings.alpha and essay > settings.min_uplift and sceptic < essay)
    words = f"uplift depends: {essay:.3g} \u2192 {sceptic:.3g}" if depends else "uplift does not depend"
    return {"uplift_depends": depends, "uplift_verdict": words}


def _verdicts(detail: pd.DataFrame, strategies: list[str], claim_ids: list[str], baseline: str | None) -> pd.DataFrame:
    """The wide table: one short verdict per (strategy, claim), the claims depended on, and
    the claims the uplift over ``baseline`` depends on (None: the baseline was not run)."""
    rows = []
    for strategy in strategies:
        mine = detail[detail["strategy"] == strategy].set_index("claim")
        row = {"strategy": strategy}
        for claim_id in claim_ids:
            depends = mine.at[claim_id, "depends"]
            row[claim_id] = "n/a" if pd.isna(depends) else ("depends" if depends else "-")
        dependent = [claim_id for claim_id in claim_ids if row[claim_id] == "depends"]
        row["depends_on"] = _names(dependent) if dependent else "none"
        if baseline is None:
            row["uplift_depends_on"] = "n/a"
        elif strategy == baseline:
            row["uplift_depends_on"] = "baseline"
        else:
            flags = mine["uplift_depends"].fillna(False)  # NA (too few samples) is not a dependence
            uplifted = [claim_id for claim_id in claim_ids if flags[claim_id]]
            row["uplift_depends_on"] = _names(uplifted) if uplifted else "none"
        rows.append(row)
    return pd.DataFrame(rows, columns=["strategy", *claim_ids, "depends_on", "uplift_depends_on"])
