"""The HTML report of ``offramp analyze``: one self-contained file a person reads.

:func:`write_report` renders an :class:`~offramp.analyse.analysis.Analysis` into a single
HTML page: the summary's sentences and notes, outcomes per strategy, robustness, scenario
discovery, sensitivity, the claim audit, and where the study came from.
:func:`render_report` gives the same page as a string.

Choices
-------
1. One file, nothing fetched: figures are PNG data URIs, the style sheet is inline, fonts
   are the system's and there is no script (:mod:`offramp.report.html_template`). A
   report mailed or archived opens offline, and its figures cannot drift from its
   tables.
2. PNG rather than inline SVG: the heat map and the small multiples hold many marks,
   which as SVG make a file several times larger that browsers draw more slowly.
3. The page only lays out what the analysis computed. Figures come from the plotting
   functions of :mod:`offramp.report` on the analysis's tables; text is the analysis's
   summary and notes, the criteria in words and labels. No conclusion is written here.
4. A part the analysis could not compute (an empty table, no discovery) shows the
   analysis's note for it where its figure would be, never an empty figure.
5. Numbers are written for people: shares as percentages, other numbers to three
   significant digits with thousands separators, counts exactly, a missing value as a
   dash (:func:`format_percent`, :func:`format_number`).
6. The file is written atomically (a temporary file beside the target, renamed over
   it, as :func:`offramp.run.record.write_table` does), so a reader never opens half a
   report.
"""

from __future__ import annotations

import base64
import math
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from offramp.report.html_template import INSTRUMENT_NOTE, REPORT_CSS, REPORT_TEMPLATE

if TYPE_CHECKING:
    from offramp.analyse.analysis import Analysis

__all__ = ["SECTIONS", "format_number", "format_percent", "render_report", "write_report"]

#: The report's sections, in order: (anchor id, heading).
SECTIONS = (
    ("summary", "Summary"),
    ("outcomes", "Outcomes per strategy"),
    ("robustness", "Robustness"),
    ("discovery", "Scenario discovery"),
    ("sensitivity", "Sensitivity"),
    ("claims", "Claim audit"),
    ("provenance", "Where this came from"),
)

_DASH = "\u2013"

#: What the analysis's note keys are called in the report.
_NOTE_TITLES = {"study": "The run", "robustness": "Robustness", "discovery": "Scenario discovery",
                "sensitivity": "Sensitivity", "claims": "Claim audit"}


# -- numbers for people (choice 5) ---------------------------------------------------------


def _is_missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_number(value) -> str:
    """A number to three significant digits, with thousands separators (choice 5).

    Parameters
    ----------
    value : float, int or None
        NaN, None and ``pd.NA`` are missing.

    Returns
    -------
    str
        ``"0.0833"``, ``"20.8"``, ``"11,200"``; trailing zeros dropped (``"0.5"``); a
        dash for a missing value, ``"inf"`` for an infinite one.
    """
    if _is_missing(value):
        return _DASH
    value = float(value)
    if not math.isfinite(value):
        return "inf" if value > 0 else "-inf"
    if value == 0:
        return "0"
    exponent = math.floor(math.log10(abs(value)))
    if exponent < -4:
        return f"{value:.2e}"
    rounded = round(value, 2 - exponent)  # 3 significant digits, also above 1,000
    if rounded != 0 and math.floor(math.log10(abs(rounded))) > exponent:  # 9.996 rounds up to 10.0
        exponent += 1
    decimals = max(0, 2 - exponent)
    text = f"{rounded:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_percent(value) -> str:
    """A share in [0, 1] as a percentage to three significant digits (choice 5).

    Parameters
    ----------
    value : float or None
        NaN, None and ``pd.NA`` are missing.

    Returns
    -------
    str
        ``"20.8%"``, ``"4.17%"``, ``"0%"``, ``"100%"``; ``"<0.01%"`` for a share below
        one in ten thousand; a dash for a missing value.
    """
    if _is_missing(value):
        return _DASH
    percent = 100.0 * float(value)
    if abs(percent) < 1e-9:  # rounding noise: a Wilson bound of 0 successes comes out as 1e-17
        return "0%"
    if abs(percent) < 0.01:
        return "<0.01%"
    return f"{format_number(percent)}%"


def _count(value) -> str:
    return _DASH if _is_missing(value) else f"{int(value):,}"


def _flag(value) -> str:
    return _DASH if _is_missing(value) else ("yes" if bool(value) else "no")


def _text(value) -> str:
    return _DASH if _is_missing(value) or value == "" else str(value)


# -- what the template lays out ------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class _Cell:
    text: str
    sub: str = ""
    css: str = ""


@dataclass(frozen=True)
class _Table:
    columns: tuple[_Column, ...]
    rows: tuple[tuple[_Cell, ...], ...]
    caption: str = ""
    css: str = ""
    empty: str = "no rows"


@dataclass(frozen=True)
class _Figure:
    src: str
    alt: str
    caption: str
    width: int
    height: int
    kind: str = "figure"


@dataclass(frozen=True)
class _Note:
    title: str
    text: str
    kind: str = "note"


@dataclass
class _Part:
    """One section's content; fields the template does not use stay empty."""

    intro: str = ""
    figures: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    table: _Table | None = None
    more: list = field(default_factory=list)


def _table(frame: pd.DataFrame, spec: Sequence[tuple], caption: str = "", css: str = "",
           empty: str = "no rows") -> _Table:
    """A table from ``(column or callable, header, formatter, numeric)`` rows of ``spec``.

    A column the frame lacks is left out, so a table built on another module's schema
    degrades instead of failing when that schema grows or shrinks.
    """
    kept = [item for item in spec if callable(item[0]) or item[0] in frame.columns]
    columns = tuple(_Column(header, numeric) for _, header, _, numeric in kept)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for source, _, formatter, numeric in kept:
            value = source(row) if callable(source) else row[source]
            cell = formatter(value)
            cell = cell if isinstance(cell, _Cell) else _Cell(cell, css="num" if numeric else "")
            cells.append(cell)
        rows.append(tuple(cells))
    return _Table(columns, tuple(rows), caption, css, empty)


def _interval(share_column: str, low_column: str, high_column: str) -> Callable:
    def cell(row) -> _Cell:
        return _Cell(format_percent(row[share_column]),
                     sub=f"{format_percent(row[low_column])}{_DASH}{format_percent(row[high_column])}", css="num")

    return cell


def _identity(cell):
    return cell


class _Figures:
    """Draws figures into a temporary folder and returns them as data URIs (choices 1, 2)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.drawn = 0

    def __call__(self, draw: Callable[[Path], Path], alt: str, caption: str = "") -> _Figure:
        self.drawn += 1
        path = Path(draw(self.folder / f"figure-{self.drawn}.png"))
        data = path.read_bytes()
        width, height = struct.unpack(">II", data[16:24])  # the PNG header's IHDR chunk
        source = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        return _Figure(source, alt, caption, width, height)


def _note(key: str, text: str) -> _Note:
    """A note of the analysis titled by its key: ``"discovery conciliation"`` -> "Scenario discovery: conciliation"."""
    part, _, detail = key.partition(" ")
    title = _NOTE_TITLES.get(part, part.capitalize())
    return _Note(f"{title}: {detail}" if detail else title, str(text))


def _notes(analysis: Analysis, part: str) -> list[_Note]:
    """The analysis's notes for a part: key ``part`` or ``part <detail>``."""
    return [_note(key, text) for key, text in analysis.notes.items() if key == part or key.startswith(part + " ")]


def _empty(analysis: Analysis, part: str, fallback: str) -> list[_Note]:
    """Choice 4: the part's note, or a fallback when the analysis left none."""
    return _notes(analysis, part) or [_Note(_NOTE_TITLES.get(part, part.capitalize()), fallback)]


# -- sections ------------------------------------------------------------------------------


def _outcomes(analysis: Analysis, figure: _Figures) -> _Part:
    from offramp.report.analysis_figures import plot_distributions, plot_outcome_spread, quantity_label
    from offramp.report.figures import OUTCOME_COLOURS, plot_outcome_shares

    part = _Part()
    outcomes, spread, dists = analysis.outcomes, analysis.spread, analysis.distributions
    if not len(outcomes):
        part.notes = _empty(analysis, "outcomes", "the study holds no experiment")
        return part
    part.figures.append(figure(
        lambda path: plot_outcome_shares(outcomes, path),
        "Stacked bars: the share of worlds ending in each end state, per strategy, with 95% intervals.",
        "Pooled over every world of a strategy; bars at the end of each segment are 95% Wilson intervals."))
    if len(spread):
        part.figures.append(figure(
            lambda path: plot_outcome_spread(spread, path),
            "Per end state and strategy: how the probability of that end state varies across samples.",
            "A sample is one point of the design; its probability is the share of its replications that ended "
            "so. A wide bar means the answer depends on the uncertain parameters."))
    if len(dists):
        part.figures.append(figure(
            lambda path: plot_distributions(dists, path),
            "Per quantity and strategy: the distribution over worlds of the end week and of each human cost.",
            "Each cost in its own unit, never summed. The end week counts worlds that ended before the horizon."))
    labels = [o for o in OUTCOME_COLOURS if f"{o}_share" in outcomes.columns]
    spec = [("strategy", "strategy", _text, False), ("worlds", "worlds", _count, True)]
    spec += [(_interval(f"{o}_share", f"{o}_low", f"{o}_high"), o.replace("_", " "), _identity, True)
             for o in labels]
    spec += [("median_end_week", "median end week", format_number, True),
             ("mean_war_deaths", "mean war deaths", format_number, True),
             ("mean_periphery_casualties", "mean periphery casualties", format_number, True)]
    if "any_escalation_share" in outcomes.columns:
        spec.append((_interval("any_escalation_share", "any_escalation_low", "any_escalation_high"),
                     "any escalation", _identity, True))
    part.table = _table(outcomes, spec, "Share of worlds per end state (95% interval below), the median week "
                                        "the war ended (worlds that ended), mean human costs per world.")
    if len(dists):
        frame = dists.assign(label=[_quantity(q, quantity_label) for q in dists["quantity"]])
        part.more.append(("The end week and human costs over worlds (table)", _table(frame, [
            ("strategy", "strategy", _text, False), ("label", "quantity", _text, False),
            ("worlds", "worlds", _count, True), ("mean", "mean", format_number, True),
            ("p10", "10th percentile", format_number, True), ("p50", "median", format_number, True),
            ("p90", "90th percentile", format_number, True), ("max", "maximum", format_number, True)])))
    if len(spread):
        part.more.append(("The chance of each end state across samples (table)", _table(spread, [
            ("strategy", "strategy", _text, False),
            ("outcome", "end state", lambda v: _text(str(v).replace("_", " ")), False),
            ("samples", "samples", _count, True), ("mean", "mean", format_percent, True),
            ("p10", "10th percentile", format_percent, True), ("p50", "median", format_percent, True),
            ("p90", "90th percentile", format_percent, True)])))
    return part


def _quantity(quantity: str, label: Callable[[str], tuple[str, str]]) -> str:
    heading, unit = label(quantity)
    return f"{heading} ({unit})"


def _robustness(analysis: Analysis, figure: _Figures) -> _Part:
    from offramp.report.analysis_figures import plot_regret, plot_satisficing

    criteria, robust, regrets = analysis.criteria, analysis.robustness, analysis.regret
    objective = criteria.objective
    part = _Part(intro=(
        f"A strategy satisfices in a sample when it meets every criterion: {criteria.text}. Regret is how far a "
        f"strategy falls short of the best strategy of the same sample on the objective, {objective.sense} "
        f"{objective.label}; zero when it is the best there."))
    part.notes = _notes(analysis, "robustness")
    if not len(robust):
        part.notes = _empty(analysis, "robustness", "no strategy has a sample to compare")
        return part
    ranked = robust.sort_values("rank", kind="stable")
    part.figures.append(figure(
        lambda path: plot_satisficing(robust, path, criteria.text),
        "Per strategy: the share of samples in which it meets every criterion, with a 95% interval.",
        "Best-ranked strategy on top (rank: highest satisficing share, then lowest mean regret)."))
    if len(regrets):
        part.figures.append(figure(
            lambda path: plot_regret(regrets, path, order=list(ranked["strategy"]), objective=objective.label),
            "Per strategy: the distribution of its regret over the samples.",
            "Only samples that every strategy has count (complete cases)."))
    else:  # choice 4: the note where the figure would be
        part.figures.append(_Note("Regret", "no sample has a value for every strategy, so there is no regret "
                                            "to show"))
    value = format_percent if objective.is_probability else format_number
    unit = " (a difference of probabilities, from 0 to 1)" if objective.is_probability else ""
    part.table = _table(ranked, [
        ("rank", "rank", _count, True), ("strategy", "strategy", _text, False),
        (_interval("satisficing_share", "satisficing_low", "satisficing_high"), "satisfices in", _identity, True),
        ("mean_objective", f"mean {objective.label}", value, True),
        ("mean_regret", "mean regret", format_number, True),
        ("p90_regret", "90th percentile regret", format_number, True),
        ("max_regret", "maximum regret", format_number, True),
        ("share_best", "best in", format_percent, True),
        ("samples", "samples", _count, True),
    ], f"Satisficing share of samples (95% Wilson interval below) and regret on {objective.label}, "
       f"best-ranked first. Regret is in the objective's unit{unit}. \u201cBest in\u201d: share of samples where "
       "it attains the best value (ties count for each).")
    return part


def _discovery(analysis: Analysis, figure: _Figures) -> dict:
    from offramp.report.discovery_figures import plot_prim_box, plot_prim_tradeoff

    settings = analysis.criteria.discovery
    intro = (f"Scenario discovery explains where a strategy fails, in the uncertain parameters. PRIM peels a box "
             f"around the failing samples; the box chosen is the one with the most coverage (share of the failures "
             f"inside it) among those whose density (share of the box that fails) is at least "
             f"{format_percent(settings.threshold)}. CART's leaves describe the same samples a second, "
             f"independent way.")
    notes = [n for n in _notes(analysis, "discovery")]
    if not analysis.discoveries and not notes:
        notes = _empty(analysis, "discovery", "no strategy was examined")
    found = []
    for result in analysis.discoveries:
        lines = [
            (f"Failure: {result.strategy} {result.failure}. {_count(result.failures)} of {_count(result.samples)} "
             f"samples fail (base rate {format_percent(result.base_rate)})."),
            (f"Chosen box (step {result.chosen} of the trajectory): {result.rule}. It holds "
             f"{format_percent(result.coverage)} of the failures (coverage), {format_percent(result.density)} of "
             f"the samples in it fail (density), and it holds {format_percent(result.mass)} of all samples (mass)."),
        ]
        figures = [
            figure(lambda path, r=result: plot_prim_tradeoff(r, path),
                   f"PRIM's trade-off for {result.strategy}: coverage against density of each box of the trajectory.",
                   "Each point is a box of the peeling trajectory; the circled one is chosen."),
            figure(lambda path, r=result: plot_prim_box(r, path),
                   f"The chosen PRIM box for {result.strategy}: each restricted parameter's limits in its range.",
                   "Bars span the box's limits as a share of the range sampled."),
        ]
        box = _table(result.box, [
            ("parameter", "parameter", lambda v: _Cell(_text(v), css="mono"), False),
            ("low", "box from", format_number, True), ("high", "box to", format_number, True),
            ("range_low", "range sampled from", format_number, True),
            ("range_high", "range sampled to", format_number, True),
            ("qp", "quasi-p", format_number, True),
        ], "The chosen box: one row per restricted parameter (quasi-p: the weaker restriction's one-sided "
           "binomial p-value). An unrestricted side is the end of the range sampled.",
            empty="The chosen box restricts no parameter: it is the whole space sampled.")
        leaves = _table(result.cart_leaves, [
            ("leaf", "leaf", _count, True), ("rule", "rule", lambda v: _Cell(_text(v), css="rule"), False),
            ("coverage", "coverage", format_percent, True), ("density", "density", format_percent, True),
            ("mass", "mass", format_percent, True),
        ], "CART's leaves, densest first: coverage and density of failure, and the share of samples in the leaf.",
            empty="CART found no leaf.")
        found.append({"strategy": result.strategy, "lines": lines, "figures": figures, "box": box,
                      "leaves": leaves, "tree": result.cart_text})
    return {"intro": intro, "notes": notes, "found": found}


#: Rows of the sensitivity table per strategy.
_TOP_PARAMETERS = 3


def _sensitivity(analysis: Analysis, figure: _Figures) -> _Part:
    from offramp.report.sensitivity_figures import plot_sensitivity

    table = analysis.sensitivity
    label = analysis.criteria.objective.label
    part = _Part(intro=(
        f"How much of the variation of {label} across samples each uncertain parameter explains, per strategy: "
        "Sobol' indices for a Sobol' design (S1 alone, ST with its interactions), extra-trees feature scores "
        "otherwise (they rank parameters and sum to one; they are not shares of variance)."))
    part.notes = _notes(analysis, "sensitivity")
    for strategy, text in dict(getattr(table, "attrs", {}).get("notes", {}) or {}).items():
        part.notes.append(_Note(f"Sensitivity: {strategy}", str(text)))
    if not len(table):
        part.notes = part.notes or _empty(analysis, "sensitivity", "no sensitivity was computed")
        return part
    part.figures.append(figure(
        lambda path: plot_sensitivity(table, path, label),
        f"Per strategy: how much each parameter explains of {label}.",
        "Parameters in the same order in every panel, the most influential on top."))
    strength = table["ST"].where(table["method"] == "sobol", table["score"])
    ranked = (table.assign(_strength=strength).dropna(subset=["_strength"])
              .sort_values("_strength", ascending=False, kind="stable")
              .groupby("strategy", sort=False).head(_TOP_PARAMETERS))
    order = {name: i for i, name in enumerate(pd.unique(table["strategy"]))}
    ranked = ranked.sort_values("strategy", key=lambda c: c.map(order), kind="stable")
    ranked["shown"] = ranked["strategy"].where(~ranked["strategy"].duplicated(), "")  # a strategy named once

    def with_conf(column: str) -> Callable:
        def cell(row) -> _Cell:
            conf = row.get(f"{column}_conf", np.nan)
            sub = f"\u00b1 {format_number(conf)}" if not _is_missing(conf) and not _is_missing(row[column]) else ""
            return _Cell(format_number(row[column]), sub=sub, css="num")
        return cell

    spec = [("shown", "strategy", str, False),
            ("parameter", "parameter", lambda v: _Cell(_text(v), css="mono"), False),
            ("method", "method", lambda v: _text({"sobol": "Sobol'", "feature_scoring": "feature score"}.get(v, v)),
             False)]
    if (table["method"] == "sobol").any():
        spec += [(with_conf("S1"), "S1", _identity, True), (with_conf("ST"), "ST", _identity, True)]
    if (table["method"] != "sobol").any():
        spec.append(("score", "score", format_number, True))
    intervals = " (\u00b1 half the 95% bootstrap interval)" if (table["method"] == "sobol").any() else ""
    part.table = _table(ranked, spec, f"The {_TOP_PARAMETERS} parameters that explain most of {label}, per "
                                      f"strategy{intervals}.")
    missing = [s for s in order if s not in set(ranked["strategy"])]
    if missing:
        part.notes.append(_Note("Sensitivity", f"{', '.join(missing)}: {label} does not vary, so there is "
                                               "nothing to attribute"))
    return part


def _claims(analysis: Analysis, figure: _Figures) -> dict:
    from offramp.report.claims_figures import plot_claim_audit

    settings = analysis.criteria.claim_audit
    detail, verdicts = analysis.claim_detail, analysis.claim_verdicts
    intro = (f"Each claim of the essay is a range of parameters if the essay is right and another if a sceptic is. "
             f"A strategy depends on a claim when, on the sceptic's side, it satisfices in fewer than "
             f"{format_percent(settings.level)} of samples where it did on the essay's (a fall), or a rival becomes "
             f"better (a flip); each significant at {format_number(settings.alpha)} after Holm's correction, with "
             f"at least {settings.min_samples} samples on each side.")
    out = {"intro": intro, "notes": _notes(analysis, "claims"),
           "claims": [(claim.id, claim.text) for claim in analysis.study.claims],
           "figures": [], "verdicts": None, "detail": None}
    if not len(detail):
        out["notes"] = out["notes"] or _empty(analysis, "claims", "no claim was audited")
        return out
    out["figures"].append(figure(
        lambda path: plot_claim_audit(detail, path),
        "Heat map: per claim and strategy, how much the satisficing share falls from the essay's side to the "
        "sceptic's.", "Outlined cells are claims the strategy depends on; grey cells have too few samples."))
    if len(verdicts):
        claim_ids = [c for c in verdicts.columns if c not in ("strategy", "depends_on")]

        def verdict(value) -> _Cell:
            text = _text(value)
            return _Cell(text, css="depends" if text == "depends" else ("muted" if text in ("-", "n/a") else ""))

        out["verdicts"] = _table(verdicts, [("strategy", "strategy", _text, False)]
                                 + [(c, c, verdict, False) for c in claim_ids]
                                 + [("depends_on", "depends on", _text, False)],
                                 "Per strategy and claim: \u201cdepends\u201d (highlighted), \u201c-\u201d "
                                 "(does not depend) or \u201cn/a\u201d (too few samples on a side).")
    value = format_percent if analysis.criteria.objective.is_probability else format_number

    def sides(name: str, formatter: Callable) -> Callable:
        """Both sides of a comparison in one cell: essay / sceptic."""
        def cell(row) -> _Cell:
            return _Cell(f"{formatter(row[f'{name}_essay'])} / {formatter(row[f'{name}_sceptic'])}", css="num")
        return cell

    detail = detail.rename(columns={"essay_samples": "samples_essay", "sceptic_samples": "samples_sceptic"})
    compared = (("samples", "samples", _count), ("satisficing", "satisfices", format_percent),
                ("objective", "objective", value), ("rank", "rank", _count))
    paired = [(sides(name, formatter), f"{header} (essay / sceptic)", _identity, True)
              for name, header, formatter in compared if {f"{name}_essay", f"{name}_sceptic"} <= set(detail.columns)]
    out["detail"] = _table(detail, [
        ("strategy", "strategy", _text, False), ("claim", "claim", _text, False), *paired,
        ("p_fall", "p, fall", format_number, True), ("p_fall_holm", "p, fall (Holm)", format_number, True),
        ("p_flip_holm", "p, flip (Holm)", format_number, True),
        ("falls", "falls", _flag, False), ("flips", "flips", _flag, False),
        ("overtaken_by", "overtaken by", _text, False),
        ("depends", "depends", lambda v: _Cell(_flag(v), css="depends" if _flag(v) == "yes" else ""), False),
        ("verdict", "verdict", lambda v: _Cell(_text(v), css="wrap"), False),
    ], f"Objective: {analysis.criteria.objective.label}; ranks: 1 is best.")
    return out


def _provenance(analysis: Analysis, generated: datetime) -> dict:
    import offramp

    study, criteria = analysis.study, analysis.criteria
    scenario = dict(study.scenario)
    settings = ", ".join(f"{k} = {v}" for k, v in sorted(study.design_settings.items())) or "none"
    discovery = criteria.discovery
    audit = criteria.claim_audit
    examined = ", ".join(discovery.strategies) or "the best-ranked strategy that both fails and succeeds (default)"
    facts = [
        ("Scenario", _text(scenario.get("name"))),
        ("Scenario file", _text(scenario.get("file"))),
        ("Scenario SHA-256", _text(scenario.get("hash"))),
        ("Design", f"{study.design} ({settings})"),
        ("Samples", _count(study.samples)),
        ("Replications per sample", _count(study.replications)),
        ("Experiments", f"{len(study.experiments):,} (one per world and strategy)"
                        + (f"; {study.missing_chunks} chunks missing" if study.missing_chunks else "")),
        ("Horizon", f"{study.horizon} weeks"),
        ("Seed", "none" if study.seed is None else str(study.seed)),
        ("Strategies", ", ".join(study.strategies)),
        ("Uncertain parameters", ", ".join(f"{p} in [{format_number(study.bounds[p][0])}, "
                                           f"{format_number(study.bounds[p][1])}]" if p in study.bounds else p
                                           for p in study.parameters) or "none"),
        ("Objective", f"{criteria.objective.sense} {criteria.objective.label}"),
        ("Satisficing criteria", criteria.text),
        ("Scenario discovery", (f"strategies: {examined}; PRIM density threshold "
                                f"{format_number(discovery.threshold)}, peel alpha "
                                f"{format_number(discovery.peel_alpha)}, least mass "
                                f"{format_number(discovery.mass_min)}")),
        ("Claim audit", (f"failure below {format_percent(audit.level)} satisficing; alpha "
                         f"{format_number(audit.alpha)} (Holm); at least {audit.min_samples} samples per side")),
        ("Read from", _text(study.source)),
        ("offramp that ran the experiments", _text(study.offramp_version)),
        ("offramp that wrote this report", offramp.__version__),
        ("Analysis took", f"{format_number(analysis.seconds)} s"),
        ("Generated", generated.strftime("%Y-%m-%d %H:%M:%S %Z")),
    ]
    table = _Table((), tuple((_Cell(k, css="key"), _Cell(v)) for k, v in facts), css="facts")
    return {"facts": table, "scenario_text": str(scenario.get("text", "")),
            "scenario_file": _text(scenario.get("file"))}


@cache
def _template():
    from jinja2 import Environment, StrictUndefined

    environment = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    return environment.from_string(REPORT_TEMPLATE)


def render_report(analysis: Analysis, generated: datetime | None = None) -> str:
    """The report of an analysis as one self-contained HTML page (choices 1-5).

    Parameters
    ----------
    analysis : Analysis
        :func:`offramp.analyse.analysis.analyze`'s result.
    generated : datetime or None
        The time written in the report (default: now, in UTC).

    Returns
    -------
    str
        The HTML page, figures embedded as PNG data URIs.
    """
    import offramp

    generated = generated or datetime.now(UTC)
    study = analysis.study
    name = study.scenario.get("name") or "study"
    with tempfile.TemporaryDirectory(prefix="offramp-report-") as folder:
        figure = _Figures(Path(folder))
        context = {
            "title": f"offramp report: {name}",
            "lede": (f"{len(study.experiments):,} experiments of the {name} scenario, design {study.design}: "
                     f"{study.samples:,} samples \u00d7 {study.replications} replications \u00d7 "
                     f"{len(study.strategies)} strategies. Generated {generated.strftime('%Y-%m-%d %H:%M %Z')}."),
            "version": offramp.__version__,
            "instrument": INSTRUMENT_NOTE,
            "css": REPORT_CSS,
            "contents": SECTIONS,
            "summary": list(analysis.summary),
            "notes": [_note(key, text) for key, text in analysis.notes.items()],
            "outcomes": _outcomes(analysis, figure),
            "robustness": _robustness(analysis, figure),
            "discovery": _discovery(analysis, figure),
            "sensitivity": _sensitivity(analysis, figure),
            "claims": _claims(analysis, figure),
            "provenance": _provenance(analysis, generated),
            "generated": generated.strftime("%Y-%m-%d %H:%M:%S %Z"),
        }
        return _template().render(context)


def write_report(analysis: Analysis, path: str | Path) -> Path:
    """Write the report of an analysis as one self-contained HTML file, atomically (choice 6).

    Parameters
    ----------
    analysis : Analysis
        :func:`offramp.analyse.analysis.analyze`'s result.
    path : str or Path
        The HTML file to write; its folder is created if missing.

    Returns
    -------
    Path
        The file written.
    """
    from offramp.run.record import atomic_target

    page = render_report(analysis)
    with atomic_target(path) as temporary:
        temporary.write_text(page, encoding="utf-8", newline="\n")
    return Path(path)
