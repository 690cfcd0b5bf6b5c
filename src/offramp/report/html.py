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
   functions of :mod:`offramp.report` on the analysis's tables; text is the summary
   made from those tables (:func:`offramp.report.summary.summarise`, the same sentences
   the terminal shows), the analysis's notes, the criteria in words and labels. No
   conclusion is written here.
4. A part the analysis could not compute (an empty table, no discovery) shows the
   analysis's note for it where its figure would be, never an empty figure. Each note
   of :attr:`~offramp.analyse.analysis.Analysis.notes` (the one channel notes come by)
   appears once: in its part's section, or in the summary when no section is its
   (``"study"``).
5. Numbers are written for people: shares as percentages, other numbers to three
   significant digits with thousands separators, counts exactly, a missing value as a
   dash (:func:`format_percent`, :func:`format_number`).
6. The file is written atomically (a temporary file beside the target, renamed over
   it, as :func:`offramp.run.record.write_table` does), so a reader never opens half a
   report.
7. Every section builder returns a :class:`_Section`: a heading and a sequence of
   blocks (paragraph, note, figure, table, collapsible part, ...), each a small
   dataclass whose ``kind`` the template dispatches on. The template has one way to
   draw each kind, and the builders decide what goes where.
8. With a plausible part (``offramp analyze --plausible``) a section after the summary
   sets all worlds and plausible worlds side by side: per strategy two adjacent rows,
   each labelled with its set and its number of samples, for outcome shares, robustness
   and the claim audit's verdicts; a verdict that differs between the two is
   highlighted. The patterns' pass rates on the study come first, as they say what
   "plausible" means here.
"""

from __future__ import annotations

import base64
import math
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsFloat, SupportsInt

import numpy as np
import pandas as pd

from offramp import __version__
from offramp.analyse.analysis import Analysis
from offramp.report.html_template import INSTRUMENT_NOTE, REPORT_CSS, REPORT_TEMPLATE
from offramp.report.summary import summarise
from offramp.run.record import atomic_target

if TYPE_CHECKING:
    from jinja2 import Template

__all__ = ["PLAUSIBLE_SECTION", "SECTIONS", "format_number", "format_percent", "render_report", "write_report"]

#: The section shown after the summary when the analysis has a plausible part
#: (``offramp analyze --plausible``): (anchor id, heading).
PLAUSIBLE_SECTION = ("plausible", "All worlds and plausible worlds")

#: The report's sections, in order: (anchor id, heading); :data:`PLAUSIBLE_SECTION`
#: follows the summary when the analysis has a plausible part.
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
_NOTE_TITLES = {
    "study": "The run",
    "robustness": "Robustness",
    "discovery": "Scenario discovery",
    "sensitivity": "Sensitivity",
    "claims": "Claim audit",
    "plausible": "Plausible worlds",
}


# -- numbers for people (choice 5) ---------------------------------------------------------


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_number(value: SupportsFloat | None) -> str:
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
    if value is None or _is_missing(value):
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


def format_percent(value: SupportsFloat | None) -> str:
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
    if value is None or _is_missing(value):
        return _DASH
    percent = 100.0 * float(value)
    if abs(percent) < 1e-9:  # rounding noise: a Wilson bound of 0 successes comes out as 1e-17
        return "0%"
    if abs(percent) < 0.01:
        return "<0.01%"
    return f"{format_number(percent)}%"


def _count(value: SupportsInt | None) -> str:
    return _DASH if value is None or _is_missing(value) else f"{int(value):,}"


def _flag(value: object) -> str:
    return _DASH if _is_missing(value) else ("yes" if bool(value) else "no")


def _text(value: object) -> str:
    return _DASH if _is_missing(value) or value == "" else str(value)


# -- what the template lays out (choice 7) --------------------------------------------------


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
    kind: str = "table"


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
    """A callout: a note of the analysis, or the reason a figure is missing (choice 4)."""

    title: str
    text: str
    kind: str = "note"


@dataclass(frozen=True)
class _Paragraph:
    text: str
    kind: str = "paragraph"


@dataclass(frozen=True)
class _Heading:
    """A sub-heading (``<h3>``) within a section."""

    text: str
    kind: str = "heading"


@dataclass(frozen=True)
class _Bullets:
    items: tuple[str, ...]
    kind: str = "bullets"


@dataclass(frozen=True)
class _Definitions:
    """Terms and what they mean (the claims: id and text)."""

    items: tuple[tuple[str, str], ...]
    kind: str = "definitions"


@dataclass(frozen=True)
class _Tree:
    """CART's tree as exported text, in a ``<pre>`` the template introduces."""

    text: str
    kind: str = "tree"


@dataclass(frozen=True)
class _Source:
    """A file's text, verbatim, in a ``<pre>``."""

    text: str
    kind: str = "source"


@dataclass(frozen=True)
class _Details:
    """A collapsible part (``<details>``): a line to open it by, and its blocks."""

    summary: str
    blocks: tuple[_Block, ...]
    kind: str = "details"


@dataclass(frozen=True)
class _Section:
    """What every section builder returns (choice 7): an anchor, a heading and blocks."""

    anchor: str
    heading: str
    blocks: tuple[_Block, ...] = ()


#: What a section holds, each kind drawn one way by the template's ``draw`` macro.
_Block = _Paragraph | _Heading | _Bullets | _Definitions | _Note | _Figure | _Table | _Tree | _Source | _Details

#: A function of a table row (a pandas Series) that gives a cell's value.
_RowValue = Callable[[Any], Any]
#: One column of :func:`_table`: (the frame's column, or a function of the row; the header;
#: the formatter, from the value to its text or to a whole cell; whether it is numeric).
_ColumnSpec = tuple[str | _RowValue, str, Callable[[Any], str | _Cell], bool]


def _section(anchor: str, *blocks: _Block | Sequence[_Block]) -> _Section:
    """A section of :data:`SECTIONS` by its anchor, with its blocks in order (lists flattened)."""
    flat: list[_Block] = []
    for block in blocks:
        if isinstance(block, Sequence):
            flat.extend(block)
        else:
            flat.append(block)
    return _Section(anchor, dict((*SECTIONS, PLAUSIBLE_SECTION))[anchor], tuple(flat))


def _table(
    frame: pd.DataFrame, spec: Sequence[_ColumnSpec], caption: str = "", css: str = "", empty: str = "no rows"
) -> _Table:
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


def _interval(share_column: str, low_column: str, high_column: str) -> _RowValue:
    def cell(row: pd.Series) -> _Cell:
        return _Cell(
            format_percent(row[share_column]),
            sub=f"{format_percent(row[low_column])}{_DASH}{format_percent(row[high_column])}",
            css="num",
        )

    return cell


def _identity(cell: _Cell) -> _Cell:
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


#: The note keys (their first word) that have a section of their own; any other note is
#: shown in the summary (choice 4).
_SECTION_PARTS = frozenset(anchor for anchor, _ in (*SECTIONS, PLAUSIBLE_SECTION)) - {"summary", "provenance"}


def _part(key: str) -> str:
    """The part a note key belongs to: ``"sensitivity conciliation"`` -> ``"sensitivity"``."""
    return key.partition(" ")[0]


def _note(key: str, text: str) -> _Note:
    """A note of the analysis titled by its key: ``"discovery conciliation"`` -> "Scenario discovery: conciliation"."""
    part, _, detail = key.partition(" ")
    title = _NOTE_TITLES.get(part, part.capitalize())
    return _Note(f"{title}: {detail}" if detail else title, str(text))


def _notes(analysis: Analysis, part: str) -> list[_Note]:
    """The analysis's notes for a part: key ``part`` or ``part <detail>``."""
    return [_note(key, text) for key, text in analysis.notes.items() if _part(key) == part]


def _empty(analysis: Analysis, part: str, fallback: str) -> list[_Note]:
    """Choice 4: the part's note, or a fallback when the analysis left none."""
    return _notes(analysis, part) or [_Note(_NOTE_TITLES.get(part, part.capitalize()), fallback)]


# -- sections ------------------------------------------------------------------------------


def _summary(analysis: Analysis) -> _Section:
    """The summary's sentences, then the notes no other section shows (choice 4)."""
    elsewhere = [_note(key, text) for key, text in analysis.notes.items() if _part(key) not in _SECTION_PARTS]
    return _section("summary", _Bullets(tuple(summarise(analysis))), elsewhere)


def _outcomes(analysis: Analysis, figure: _Figures) -> _Section:
    from offramp.report.analysis_figures import plot_distributions, plot_outcome_spread, quantity_label
    from offramp.report.figures import OUTCOME_COLOURS, plot_outcome_shares

    outcomes, spread, dists = analysis.outcomes, analysis.spread, analysis.distributions
    if not len(outcomes):
        return _section("outcomes", _empty(analysis, "outcomes", "the study holds no experiment"))
    figures: list[_Block] = [
        figure(
            lambda path: plot_outcome_shares(outcomes, path),
            "Stacked bars: the share of worlds ending in each end state, per strategy, with 95% intervals.",
            "Pooled over every world of a strategy; bars at the end of each segment are 95% Wilson intervals.",
        )
    ]
    if len(spread):
        figures.append(
            figure(
                lambda path: plot_outcome_spread(spread, path),
                "Per end state and strategy: how the probability of that end state varies across samples.",
                "A sample is one point of the design; its probability is the share of its replications that ended "
                "so. A wide bar means the answer depends on the uncertain parameters.",
            )
        )
    if len(dists):
        figures.append(
            figure(
                lambda path: plot_distributions(dists, path),
                "Per quantity and strategy: the distribution over worlds of the end week and of each human cost.",
                "Each cost in its own unit, never summed. The end week counts worlds that ended before the horizon.",
            )
        )
    labels = [o for o in OUTCOME_COLOURS if f"{o}_share" in outcomes.columns]
    spec: list[_ColumnSpec] = [("strategy", "strategy", _text, False), ("worlds", "worlds", _count, True)]
    spec += [(_interval(f"{o}_share", f"{o}_low", f"{o}_high"), o.replace("_", " "), _identity, True) for o in labels]
    spec += [
        ("median_end_week", "median end week", format_number, True),
        ("mean_war_deaths", "mean war deaths", format_number, True),
        ("mean_periphery_casualties", "mean periphery casualties", format_number, True),
    ]
    if "any_escalation_share" in outcomes.columns:
        spec.append(
            (
                _interval("any_escalation_share", "any_escalation_low", "any_escalation_high"),
                "any escalation",
                _identity,
                True,
            )
        )
    table = _table(
        outcomes,
        spec,
        "Share of worlds per end state (95% interval below), the median week "
        "the war ended (worlds that ended), mean human costs per world.",
    )
    more: list[_Block] = []
    if len(dists):
        frame = dists.assign(label=[_quantity(q, quantity_label) for q in dists["quantity"]])
        more.append(
            _Details(
                "The end week and human costs over worlds (table)",
                (
                    _table(
                        frame,
                        [
                            ("strategy", "strategy", _text, False),
                            ("label", "quantity", _text, False),
                            ("worlds", "worlds", _count, True),
                            ("mean", "mean", format_number, True),
                            ("p10", "10th percentile", format_number, True),
                            ("p50", "median", format_number, True),
                            ("p90", "90th percentile", format_number, True),
                            ("max", "maximum", format_number, True),
                        ],
                    ),
                ),
            )
        )
    if len(spread):
        more.append(
            _Details(
                "The chance of each end state across samples (table)",
                (
                    _table(
                        spread,
                        [
                            ("strategy", "strategy", _text, False),
                            ("outcome", "end state", lambda v: _text(str(v).replace("_", " ")), False),
                            ("samples", "samples", _count, True),
                            ("mean", "mean", format_percent, True),
                            ("p10", "10th percentile", format_percent, True),
                            ("p50", "median", format_percent, True),
                            ("p90", "90th percentile", format_percent, True),
                        ],
                    ),
                ),
            )
        )
    return _section("outcomes", figures, _notes(analysis, "outcomes"), table, more)


def _quantity(quantity: str, label: Callable[[str], tuple[str, str]]) -> str:
    heading, unit = label(quantity)
    return f"{heading} ({unit})"


def _robustness(analysis: Analysis, figure: _Figures) -> _Section:
    from offramp.report.analysis_figures import plot_regret, plot_satisficing

    criteria, robust, regrets = analysis.criteria, analysis.robustness, analysis.regret
    objective = criteria.objective
    intro = _Paragraph(
        f"A strategy satisfices in a sample when it meets every criterion: {criteria.text}. Regret is how far a "
        f"strategy falls short of the best strategy of the same sample on the objective, {objective.sense} "
        f"{objective.label}; zero when it is the best there."
    )
    if not len(robust):
        return _section("robustness", intro, _empty(analysis, "robustness", "no strategy has a sample to compare"))
    ranked = robust.sort_values("rank", kind="stable")
    figures: list[_Block] = [
        figure(
            lambda path: plot_satisficing(robust, path, criteria.text),
            "Per strategy: the share of samples in which it meets every criterion, with a 95% interval.",
            "Best-ranked strategy on top (rank: highest satisficing share, then lowest mean regret).",
        )
    ]
    if len(regrets):
        figures.append(
            figure(
                lambda path: plot_regret(regrets, path, order=list(ranked["strategy"]), objective=objective.label),
                "Per strategy: the distribution of its regret over the samples.",
                "Only samples that every strategy has count (complete cases).",
            )
        )
    else:  # choice 4: the note where the figure would be
        figures.append(_Note("Regret", "no sample has a value for every strategy, so there is no regret to show"))
    value = format_percent if objective.is_probability else format_number
    unit = " (a difference of probabilities, from 0 to 1)" if objective.is_probability else ""
    table = _table(
        ranked,
        [
            ("rank", "rank", _count, True),
            ("strategy", "strategy", _text, False),
            (_interval("satisficing_share", "satisficing_low", "satisficing_high"), "satisfices in", _identity, True),
            ("mean_objective", f"mean {objective.label}", value, True),
            ("mean_regret", "mean regret", format_number, True),
            ("p90_regret", "90th percentile regret", format_number, True),
            ("max_regret", "maximum regret", format_number, True),
            ("share_best", "best in", format_percent, True),
            ("samples", "samples", _count, True),
        ],
        f"Satisficing share of samples (95% Wilson interval below) and regret on {objective.label}, "
        f"best-ranked first. Regret is in the objective's unit{unit}. \u201cBest in\u201d: share of samples where "
        "it attains the best value (ties count for each).",
    )
    return _section("robustness", intro, _notes(analysis, "robustness"), figures, table)


def _discovery(analysis: Analysis, figure: _Figures) -> _Section:
    from offramp.report.discovery_figures import plot_prim_box, plot_prim_tradeoff

    settings = analysis.criteria.discovery
    intro = _Paragraph(
        f"Scenario discovery explains where a strategy fails, in the uncertain parameters. PRIM peels a box "
        f"around the failing samples; the box chosen is the one with the most coverage (share of the failures "
        f"inside it) among those whose density (share of the box that fails) is at least "
        f"{format_percent(settings.threshold)}. CART's leaves describe the same samples a second, "
        f"independent way."
    )
    notes = _notes(analysis, "discovery")
    if not analysis.discoveries and not notes:
        notes = _empty(analysis, "discovery", "no strategy was examined")
    found: list[_Block] = []
    for result in analysis.discoveries:
        found.append(_Heading(f"Where {result.strategy} fails"))
        found.append(
            _Paragraph(
                f"Failure: {result.strategy} {result.failure}. {_count(result.failures)} of {_count(result.samples)} "
                f"samples fail (base rate {format_percent(result.base_rate)})."
            )
        )
        found.append(
            _Paragraph(
                f"Chosen box (step {result.chosen} of the trajectory): {result.rule}. It holds "
                f"{format_percent(result.coverage)} of the failures (coverage), {format_percent(result.density)} of "
                f"the samples in it fail (density), and it holds {format_percent(result.mass)} of all samples (mass)."
            )
        )
        found.append(
            figure(
                partial(plot_prim_tradeoff, result),
                f"PRIM's trade-off for {result.strategy}: coverage against density of each box of the trajectory.",
                "Each point is a box of the peeling trajectory; the circled one is chosen.",
            )
        )
        found.append(
            figure(
                partial(plot_prim_box, result),
                f"The chosen PRIM box for {result.strategy}: each restricted parameter's limits in its range.",
                "Bars span the box's limits as a share of the range sampled.",
            )
        )
        found.append(
            _table(
                result.box,
                [
                    ("parameter", "parameter", lambda v: _Cell(_text(v), css="mono"), False),
                    ("low", "box from", format_number, True),
                    ("high", "box to", format_number, True),
                    ("range_low", "range sampled from", format_number, True),
                    ("range_high", "range sampled to", format_number, True),
                    ("qp", "quasi-p", format_number, True),
                ],
                "The chosen box: one row per restricted parameter (quasi-p: the weaker restriction's one-sided "
                "binomial p-value). An unrestricted side is the end of the range sampled.",
                empty="The chosen box restricts no parameter: it is the whole space sampled.",
            )
        )
        found.append(
            _table(
                result.cart_leaves,
                [
                    ("leaf", "leaf", _count, True),
                    ("rule", "rule", lambda v: _Cell(_text(v), css="rule"), False),
                    ("coverage", "coverage", format_percent, True),
                    ("density", "density", format_percent, True),
                    ("mass", "mass", format_percent, True),
                ],
                "CART's leaves, densest first: coverage and density of failure, and the share of samples in the leaf.",
                empty="CART found no leaf.",
            )
        )
        found.append(_Tree(result.cart_text))
    return _section("discovery", intro, notes, found)


#: Rows of the sensitivity table per strategy.
_TOP_PARAMETERS = 3


def _sensitivity(analysis: Analysis, figure: _Figures) -> _Section:
    from offramp.report.sensitivity_figures import plot_sensitivity

    table = analysis.sensitivity
    label = analysis.criteria.objective.label
    intro = _Paragraph(
        f"How much of the variation of {label} across samples each uncertain parameter explains, per strategy: "
        "Sobol' indices for a Sobol' design (S1 alone, ST with its interactions), extra-trees feature scores "
        "otherwise (they rank parameters and sum to one; they are not shares of variance)."
    )
    notes = _notes(analysis, "sensitivity")
    if not len(table):
        return _section("sensitivity", intro, notes or _empty(analysis, "sensitivity", "no sensitivity was computed"))
    drawn = figure(
        lambda path: plot_sensitivity(table, path, label),
        f"Per strategy: how much each parameter explains of {label}.",
        "Parameters in the same order in every panel, the most influential on top.",
    )
    strength = table["ST"].where(table["method"] == "sobol", table["score"])
    ranked = (
        table.assign(_strength=strength)
        .dropna(subset=["_strength"])
        .sort_values("_strength", ascending=False, kind="stable")
        .groupby("strategy", sort=False)
        .head(_TOP_PARAMETERS)
    )
    order = {name: i for i, name in enumerate(pd.unique(table["strategy"]))}
    ranked = ranked.sort_values("strategy", key=lambda c: c.map(order), kind="stable")
    ranked["shown"] = ranked["strategy"].where(~ranked["strategy"].duplicated(), "")  # a strategy named once

    def with_conf(column: str) -> _RowValue:
        def cell(row: pd.Series) -> _Cell:
            conf = row.get(f"{column}_conf", np.nan)
            sub = f"\u00b1 {format_number(conf)}" if not _is_missing(conf) and not _is_missing(row[column]) else ""
            return _Cell(format_number(row[column]), sub=sub, css="num")

        return cell

    spec: list[_ColumnSpec] = [
        ("shown", "strategy", str, False),
        ("parameter", "parameter", lambda v: _Cell(_text(v), css="mono"), False),
        ("method", "method", lambda v: _text({"sobol": "Sobol'", "feature_scoring": "feature score"}.get(v, v)), False),
    ]
    if (table["method"] == "sobol").any():
        spec += [(with_conf("S1"), "S1", _identity, True), (with_conf("ST"), "ST", _identity, True)]
    if (table["method"] != "sobol").any():
        spec.append(("score", "score", format_number, True))
    intervals = " (\u00b1 half the 95% bootstrap interval)" if (table["method"] == "sobol").any() else ""
    shown = _table(
        ranked, spec, f"The {_TOP_PARAMETERS} parameters that explain most of {label}, per strategy{intervals}."
    )
    # A strategy without indices has its reason among the analysis's notes; this fallback
    # only speaks for one the analysis left without a note (choice 4), so nothing is said twice.
    noted = {key.partition(" ")[2] for key in analysis.notes if _part(key) == "sensitivity"}
    silent = [s for s in order if s not in set(ranked["strategy"]) and s not in noted]
    if silent:
        notes.append(
            _Note("Sensitivity", f"{', '.join(silent)}: {label} does not vary, so there is nothing to attribute")
        )
    return _section("sensitivity", intro, notes, drawn, shown)


def _claims(analysis: Analysis, figure: _Figures) -> _Section:
    from offramp.report.claims_figures import plot_claim_audit

    settings = analysis.criteria.claim_audit
    detail, verdicts = analysis.claim_detail, analysis.claim_verdicts
    baseline = settings.baseline
    # The uplift was audited when the baseline is among the audited strategies (claims.py, choice 8).
    uplifted = bool(len(detail)) and "uplift_depends" in detail.columns and baseline in set(detail["strategy"])
    intro = _Paragraph(
        f"Each claim of the essay is a range of parameters if the essay is right and another if a sceptic is. "
        f"A strategy depends on a claim when, on the sceptic's side, it satisfices in fewer than "
        f"{format_percent(settings.level)} of samples where it did on the essay's (a fall), or a rival becomes "
        f"better (a flip); each significant at {format_number(settings.alpha)} after Holm's correction, with "
        f"at least {settings.min_samples} samples on each side."
    )
    uplift: list[_Block] = []
    if uplifted:
        uplift.append(
            _Paragraph(
                f"A claim can move every strategy's success alike, {baseline}'s included, and then the verdict "
                "above can say that every strategy depends on it. The uplift tells that apart from a claim a "
                f"strategy's own effect rests on. It is the strategy's objective minus {baseline}'s on the same "
                "sample (the same random numbers), positive when the strategy does better. The uplift depends on "
                "a claim when it is larger on the essay's side than on the sceptic's (one-sided Mann\u2013Whitney "
                f"test, significant at {format_number(settings.alpha)} after Holm's correction over the strategy's "
                f"claims) and its mean on the essay's side exceeds {format_number(settings.min_uplift)}. A claim "
                "that absolute success depends on but the uplift does not typically moves "
                f"{baseline}'s results as much as the strategy's."
            )
        )
    claims = tuple((claim.id, claim.text) for claim in analysis.study.claims)
    stated: list[_Block] = [_Definitions(claims)] if claims else []
    if not len(detail):
        notes = _notes(analysis, "claims") or _empty(analysis, "claims", "no claim was audited")
        return _section("claims", intro, notes, stated)
    heat = figure(
        lambda path: plot_claim_audit(
            detail,
            path,
            baseline=baseline if uplifted else None,
            uplift_limit=1.0 if analysis.criteria.objective.is_probability else None,
        ),
        "Heat map: per claim and strategy, how much the satisficing share falls from the essay's side to the "
        "sceptic's" + (f"; beside it, how much of the uplift over {baseline} is lost." if uplifted else "."),
        "Outlined cells are claims the strategy "
        + (f"(upper panel) or its uplift over {baseline} (lower panel) " if uplifted else "")
        + "depends on; grey cells have too few samples.",
    )
    verdict_table: list[_Block] = []
    if len(verdicts):
        claim_ids = [c for c in verdicts.columns if c not in ("strategy", "depends_on", "uplift_depends_on")]
        said = detail.set_index(["strategy", "claim"])["uplift_depends"] if uplifted else None

        def verdict(claim_id: str) -> _RowValue:
            """The absolute verdict, and below it the uplift's: side by side, never combined."""

            def cell(row: pd.Series) -> _Cell:
                text = _text(row[claim_id])
                if said is None:
                    return _Cell(
                        text, css="depends" if text == "depends" else ("muted" if text in ("-", "n/a") else "")
                    )
                flag = said.loc[(row["strategy"], claim_id)]
                if row["strategy"] == baseline:
                    sub = "baseline"
                else:
                    sub = "uplift: " + ("n/a" if _is_missing(flag) else ("depends" if flag else "-"))
                depends = text == "depends" or sub == "uplift: depends"
                return _Cell(text, sub=sub, css="depends" if depends else ("muted" if text in ("-", "n/a") else ""))

            return cell

        shown = verdicts if uplifted else verdicts.drop(columns=["uplift_depends_on"], errors="ignore")
        verdict_table.append(
            _table(
                shown,
                [("strategy", "strategy", _text, False)]
                + [(verdict(c), c, _identity, False) for c in claim_ids]
                + [
                    ("depends_on", "depends on", _text, False),
                    ("uplift_depends_on", f"uplift over {baseline} depends on", _text, False),
                ],
                "Per strategy and claim: \u201cdepends\u201d (highlighted), \u201c-\u201d "
                "(does not depend) or \u201cn/a\u201d (too few samples on a side)"
                + (
                    f"; below it, the same for the strategy's uplift over {baseline} (highlighted too when it depends)."
                    if uplifted
                    else "."
                ),
            )
        )
    value = format_percent if analysis.criteria.objective.is_probability else format_number

    def sides(name: str, formatter: Callable[[Any], str]) -> _RowValue:
        """Both sides of a comparison in one cell: essay / sceptic."""

        def cell(row: pd.Series) -> _Cell:
            return _Cell(f"{formatter(row[f'{name}_essay'])} / {formatter(row[f'{name}_sceptic'])}", css="num")

        return cell

    detail = detail.rename(columns={"essay_samples": "samples_essay", "sceptic_samples": "samples_sceptic"})
    if not uplifted:  # every uplift column is NA: the note says why, a column of dashes would not
        detail = detail.drop(columns=[c for c in detail.columns if c.startswith("uplift_")])
    compared = (
        ("samples", "samples", _count),
        ("satisficing", "satisfices", format_percent),
        ("objective", "objective", value),
        ("rank", "rank", _count),
        ("uplift", f"uplift over {baseline}", format_number),  # a difference, in the objective's unit
    )
    paired = [
        (sides(name, formatter), f"{header} (essay / sceptic)", _identity, True)
        for name, header, formatter in compared
        if {f"{name}_essay", f"{name}_sceptic"} <= set(detail.columns)
    ]

    def highlighted(value: object) -> _Cell:
        return _Cell(_flag(value), css="depends" if _flag(value) == "yes" else "")

    every = _Details(
        "Every comparison (strategy \u00d7 claim)",
        (
            _table(
                detail,
                [
                    ("strategy", "strategy", _text, False),
                    ("claim", "claim", _text, False),
                    *paired,
                    ("p_fall", "p, fall", format_number, True),
                    ("p_fall_holm", "p, fall (Holm)", format_number, True),
                    ("p_flip_holm", "p, flip (Holm)", format_number, True),
                    ("falls", "falls", _flag, False),
                    ("flips", "flips", _flag, False),
                    ("overtaken_by", "overtaken by", _text, False),
                    ("depends", "depends", highlighted, False),
                    ("verdict", "verdict", lambda v: _Cell(_text(v), css="wrap"), False),
                    ("uplift_p_holm", "p, uplift (Holm)", format_number, True),
                    ("uplift_depends", "uplift depends", highlighted, False),
                    ("uplift_verdict", "uplift verdict", lambda v: _Cell(_text(v), css="wrap"), False),
                ],
                f"Objective: {analysis.criteria.objective.label}; ranks: 1 is best."
                + (
                    f" Uplift: the objective minus {baseline}'s on the same sample, positive when better, in the "
                    "objective's unit."
                    if uplifted
                    else ""
                ),
            ),
        ),
    )
    return _section("claims", intro, uplift, _notes(analysis, "claims"), stated, heat, verdict_table, every)


# -- all worlds and plausible worlds (choice 8) ---------------------------------------------


def _paired(everything: pd.DataFrame, plausible: pd.DataFrame, all_label: str, plausible_label: str) -> pd.DataFrame:
    """Two tables with a ``strategy`` column, as one with per strategy its row on all worlds
    then its row on plausible worlds (column ``world_set``); strategies in ``everything``'s order."""
    parts = [everything.assign(world_set=all_label, _set=0)]
    if len(plausible):
        parts.append(plausible.assign(world_set=plausible_label, _set=1))
    frame = pd.concat(parts, ignore_index=True)
    order = {name: index for index, name in enumerate(dict.fromkeys(everything["strategy"]))}
    frame["_order"] = frame["strategy"].map(order).fillna(len(order))
    return frame.sort_values(["_order", "_set"], kind="stable").drop(columns=["_order", "_set"])


def _plausible(analysis: Analysis) -> _Section:
    from offramp.report.figures import OUTCOME_COLOURS

    view = analysis.plausible
    assert view is not None  # render_report builds this section only for a plausible part
    anchor = PLAUSIBLE_SECTION[0]
    selection = view.selection
    total = int(analysis.study.experiments["sample"].nunique())
    everything, plausible = f"all worlds ({total:,} samples)", f"plausible worlds ({view.count:,} samples)"
    intro = _Paragraph(
        f"A sample is plausible when its worlds reproduce every pattern of {selection.source} "
        f"({', '.join(selection.patterns.names)}), judged on this study's own runs. All worlds: {total:,} samples; "
        f"plausible worlds: {view.count:,} samples ({format_percent(view.count / total if total else None)}). "
        "Each table below gives, per strategy, its row on all worlds and then its row on plausible worlds."
    )
    rates = _table(
        selection.pass_rates,
        [
            ("pattern", "pattern", _text, False),
            (
                lambda row: (
                    _DASH if _is_missing(row["low"]) else f"{format_number(row['low'])} to {format_number(row['high'])}"
                ),
                "accepted range",
                _text,
                False,
            ),
            ("passed", "samples passing", _count, True),
            ("samples", "samples judged", _count, True),
            ("pass_rate", "pass rate", format_percent, True),
        ],
        "Each pattern's pass rate on this study's samples alone, and all patterns jointly (the plausible samples).",
    )
    blocks: list[_Block] = [intro, _Heading("Patterns on this study"), rates, *_notes(analysis, anchor)]
    if not view.count:
        return _section(anchor, blocks)
    labels = [o for o in OUTCOME_COLOURS if f"{o}_share" in analysis.outcomes.columns]
    blocks += [
        _Heading(f"Outcome shares: {everything}, {plausible}"),
        _table(
            _paired(analysis.outcomes, view.outcomes, everything, plausible),
            [("strategy", "strategy", _text, False), ("world_set", "set of worlds", _text, False)]
            + [("worlds", "worlds", _count, True)]
            + [
                (_interval(f"{o}_share", f"{o}_low", f"{o}_high"), o.replace("_", " "), _identity, True) for o in labels
            ],
            "Share of worlds per end state (95% interval below), on all worlds and on plausible worlds.",
        ),
    ]
    objective = analysis.criteria.objective
    value = format_percent if objective.is_probability else format_number
    if len(analysis.robustness):
        blocks += [
            _Heading(f"Robustness: {everything}, {plausible}"),
            _table(
                _paired(analysis.robustness, view.robustness, everything, plausible),
                [
                    ("strategy", "strategy", _text, False),
                    ("world_set", "set of worlds", _text, False),
                    ("rank", "rank", _count, True),
                    (
                        _interval("satisficing_share", "satisficing_low", "satisficing_high"),
                        "satisfices in",
                        _identity,
                        True,
                    ),
                    ("mean_objective", f"mean {objective.label}", value, True),
                    ("mean_regret", "mean regret", format_number, True),
                    ("samples", "samples", _count, True),
                ],
                f"Satisficing ({analysis.criteria.text}) and regret; ranks within each set of worlds, 1 is best.",
            ),
        ]
    verdicts = analysis.claim_verdicts
    if len(verdicts):
        claim_ids = [c for c in verdicts.columns if c not in ("strategy", "depends_on", "uplift_depends_on")]
        other = view.claim_verdicts.set_index("strategy") if len(view.claim_verdicts) else None
        reference = verdicts.set_index("strategy")

        def verdict(claim_id: str) -> _RowValue:
            """The verdict, highlighted when it differs between all and plausible worlds."""

            def cell(row: pd.Series) -> _Cell:
                text = _text(row[claim_id])
                changed = (
                    other is not None
                    and row["strategy"] in other.index
                    and str(other.loc[row["strategy"], claim_id]) != str(reference.loc[row["strategy"], claim_id])
                )
                return _Cell(text, css="depends" if changed else ("muted" if text in ("-", "n/a") else ""))

            return cell

        blocks += [
            _Heading(f"Claim audit: {everything}, {plausible}"),
            _table(
                _paired(verdicts, view.claim_verdicts, everything, plausible),
                [("strategy", "strategy", _text, False), ("world_set", "set of worlds", _text, False)]
                + [(verdict(c), c, _identity, False) for c in claim_ids]
                + [("depends_on", "depends on", _text, False)],
                "Per strategy and claim: \u201cdepends\u201d, \u201c-\u201d (does not depend) or \u201cn/a\u201d "
                "(too few samples on a side); highlighted where the verdict on plausible worlds differs from the "
                "one on all worlds. Fewer samples make \u201cn/a\u201d likelier on plausible worlds.",
            ),
        ]
    return _section(anchor, blocks)


def _provenance(analysis: Analysis, generated: datetime) -> _Section:
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
        (
            "Experiments",
            f"{len(study.experiments):,} (one per world and strategy)"
            + (f"; {study.missing_chunks} chunks missing" if study.missing_chunks else ""),
        ),
        ("Horizon", f"{study.horizon} weeks"),
        ("Seed", "none" if study.seed is None else str(study.seed)),
        ("Strategies", ", ".join(study.strategies)),
        (
            "Uncertain parameters",
            ", ".join(
                f"{p} in [{format_number(study.bounds[p][0])}, {format_number(study.bounds[p][1])}]"
                if p in study.bounds
                else p
                for p in study.parameters
            )
            or "none",
        ),
        ("Objective", f"{criteria.objective.sense} {criteria.objective.label}"),
        ("Satisficing criteria", criteria.text),
        (
            "Scenario discovery",
            (
                f"strategies: {examined}; PRIM density threshold "
                f"{format_number(discovery.threshold)}, peel alpha "
                f"{format_number(discovery.peel_alpha)}, least mass "
                f"{format_number(discovery.mass_min)}"
            ),
        ),
        (
            "Claim audit",
            (
                f"failure below {format_percent(audit.level)} satisficing; alpha "
                f"{format_number(audit.alpha)} (Holm); at least {audit.min_samples} samples per side; "
                f"uplift over {audit.baseline}, at least {format_number(audit.min_uplift)} on the essay's side"
            ),
        ),
        ("Read from", _text(study.source)),
        ("offramp that ran the experiments", _text(study.offramp_version)),
        ("offramp that wrote this report", __version__),
        ("Analysis took", f"{format_number(analysis.seconds)} s"),
        ("Generated", generated.strftime("%Y-%m-%d %H:%M:%S %Z")),
    ]
    table = _Table((), tuple((_Cell(k, css="key"), _Cell(v)) for k, v in facts), css="facts")
    text = str(scenario.get("text", ""))
    source: list[_Block] = (
        [_Details(f"The scenario file ({_text(scenario.get('file'))})", (_Source(text),))] if text else []
    )
    return _section("provenance", table, source)


@cache
def _template() -> Template:
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
    generated = generated or datetime.now(UTC)
    study = analysis.study
    name = study.scenario.get("name") or "study"
    with tempfile.TemporaryDirectory(prefix="offramp-report-") as folder:
        figure = _Figures(Path(folder))
        sections = (
            _summary(analysis),
            *([_plausible(analysis)] if analysis.plausible is not None else []),
            _outcomes(analysis, figure),
            _robustness(analysis, figure),
            _discovery(analysis, figure),
            _sensitivity(analysis, figure),
            _claims(analysis, figure),
            _provenance(analysis, generated),
        )
        context = {
            "title": f"offramp report: {name}",
            "lede": (
                f"{len(study.experiments):,} experiments of the {name} scenario, design {study.design}: "
                f"{study.samples:,} samples \u00d7 {study.replications} replications \u00d7 "
                f"{len(study.strategies)} strategies. Generated {generated.strftime('%Y-%m-%d %H:%M %Z')}."
            ),
            "version": __version__,
            "instrument": INSTRUMENT_NOTE,
            "css": REPORT_CSS,
            "sections": sections,
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
        The HTML file to write; its folder is created if missing. The name is not
        checked here (the command line refuses one not ending in ``.html`` or ``.htm``:
        :class:`offramp.analyse.options.AnalyzeCommandOptions`).

    Returns
    -------
    Path
        The file written.
    """
    page = render_report(analysis)
    with atomic_target(path) as temporary:
        temporary.write_text(page, encoding="utf-8", newline="\n")
    return Path(path)
