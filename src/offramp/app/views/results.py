"""The Results view: brush an exploration's uncertainties and watch each strategy's
outcome shares, pick a box on PRIM's trade-off curve, read the claim audit.

The numbers come from :class:`offramp.app.results.ResultsSession`; this module only draws
them. Charts are updated by assigning their sources' data, never rebuilt. PRIM and the
claim audit take seconds, so each is computed when its tab is first opened (PRIM again
for each strategy chosen), under a loading indicator, never when the server starts.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd
import panel as pn
from bokeh.models import ColumnDataSource, FactorRange, LinearColorMapper, Range1d, TapTool
from bokeh.models.annotations import ColorBar, Legend, LegendItem
from bokeh.palettes import Viridis256
from bokeh.plotting import figure

from offramp.app.context import AppContext
from offramp.app.results import PrimBox, ResultsSession, Selection
from offramp.app.views.common import PALETTE, Messages, guarded

__all__ = ["results_view"]

#: The tabs of the view, in order; PRIM and the claim audit compute when opened.
_TABS = ("Brush", "PRIM", "Claim audit")
_PRIM_TAB, _CLAIMS_TAB = _TABS.index("PRIM"), _TABS.index("Claim audit")


def _interval(share: float, low: float, high: float) -> str:
    """A share with its interval, ``"0.42 [0.29, 0.56]"``; ``"-"`` when nothing was selected."""
    return "-" if np.isnan(share) else f"{share:.2f} [{low:.2f}, {high:.2f}]"


def _share_table(selection: Selection) -> pd.DataFrame:
    """The selection's numbers for the small table: worlds, and each end state's share with its interval."""
    shares = selection.shares
    table = shares[["strategy", "worlds"]].copy()
    for outcome in selection.outcomes:
        table[outcome] = [
            _interval(s, lo, hi)
            for s, lo, hi in zip(
                shares[f"{outcome}_share"], shares[f"{outcome}_low"], shares[f"{outcome}_high"], strict=True
            )
        ]
    return table


def _share_data(selection: Selection) -> dict[str, Any]:
    """The stacked bars' data: one row per strategy, one column per end state (0 where nothing is selected)."""
    shares = selection.shares
    data: dict[str, Any] = {"strategy": shares["strategy"].tolist(), "worlds": shares["worlds"].tolist()}
    for outcome in selection.outcomes:
        data[outcome] = shares[f"{outcome}_share"].fillna(0.0).tolist()
    return data


def _shares_chart(strategies: list[str], outcomes: tuple[str, ...], source: ColumnDataSource) -> Any:
    """The stacked horizontal bars, one per strategy, one colour per end state."""
    chart = figure(
        title="Outcome shares",
        y_range=FactorRange(factors=list(reversed(strategies))),  # the first strategy on top
        x_range=Range1d(start=0.0, end=1.0),
        height=60 + 32 * len(strategies),
        width=720,
        x_axis_label="share of the selected worlds",
        tools="save",
        toolbar_location="right",
    )
    renderers: list[Any] = chart.hbar_stack(  # GlyphRenderer[HBar], which Legend takes as GlyphRenderer[Glyph]
        list(outcomes),
        y="strategy",
        height=0.75,
        color=[PALETTE[i % len(PALETTE)] for i in range(len(outcomes))],
        source=source,
    )
    items = [
        LegendItem(label=outcome, renderers=[renderer]) for outcome, renderer in zip(outcomes, renderers, strict=True)
    ]
    chart.add_layout(Legend(items=items), "right")
    return chart


def _header(context: AppContext, session: ResultsSession) -> str:
    """The header line: directory (its name; the full path is in its tooltip), design,
    samples, replications, strategies."""
    study = session.study
    where = context.results
    name, full = (where.name, str(where)) if where is not None else (study.source, study.source)
    return (
        f'<b title="{html.escape(full)}">{html.escape(name)}</b> &middot; design {html.escape(study.design)} &middot; '
        f"{study.samples} samples &middot; {study.replications} replications &middot; "
        f"{len(session.strategies)} strategies: {html.escape(', '.join(session.strategies))}"
    )


def _no_results() -> pn.viewable.Viewable:
    """What the view says when the app was started without a results directory."""
    return pn.pane.Markdown(
        "No results directory was given. Start the app with `offramp app --results DIR`, where DIR is an "
        "`offramp explore --out` directory, to brush its uncertainties, see PRIM's boxes and the claim audit.",
        sizing_mode="stretch_width",
    )


def results_view(context: AppContext) -> pn.viewable.Viewable:
    """The Results view of one browser tab, with its own session and widgets.

    Parameters
    ----------
    context : AppContext
        The app's inputs; ``context.study`` is the exploration shown.

    Returns
    -------
    panel.viewable.Viewable
        A column: the header, the message line, and the tabs Brush, PRIM and Claim audit.
    """
    if context.study is None:
        return pn.Column(_no_results(), name="Results")
    session = ResultsSession(context.study, context.criteria)
    messages = Messages()
    header = pn.pane.HTML(_header(context, session), sizing_mode="stretch_width")
    tabs = pn.Tabs((_TABS[0], _brush_section(session, messages)), sizing_mode="stretch_width")
    # Bound to the tabs: computed when the tab is first opened, then kept.
    tabs.append((_TABS[_PRIM_TAB], _prim_section(session, messages, tabs)))
    tabs.append((_TABS[_CLAIMS_TAB], _claims_section(session, tabs)))
    return pn.Column(header, messages.panel, tabs, name="Results", sizing_mode="stretch_width")


def _brush_section(session: ResultsSession, messages: Messages) -> pn.viewable.Viewable:
    """The uncertainties to brush, a range slider for each, the selection's size, the bars and the table."""
    parameters = list(session.parameters)
    chooser = pn.widgets.MultiChoice(label="Uncertainties to brush", options=parameters, value=parameters[:2])
    sliders: dict[str, pn.widgets.EditableRangeSlider] = {}
    slider_column = pn.Column()
    selection_text = pn.pane.Str(session.selection.text)
    source = ColumnDataSource(_share_data(session.selection))
    chart = _shares_chart(list(session.strategies), session.selection.outcomes, source)
    table = pn.widgets.Tabulator(
        _share_table(session.selection), disabled=True, show_index=False, sizing_mode="stretch_width", height=280
    )
    restoring = {"on": False}  # set while a refused range is put back, so the put-back is not re-checked

    def show(selection: Selection) -> None:
        selection_text.object = selection.text
        source.data = _share_data(selection)
        table.value = _share_table(selection)

    def brush() -> dict[str, tuple[float, float]]:
        return {parameter: tuple(sliders[parameter].value) for parameter in chooser.value}  # type: ignore[misc]

    def on_range(event: Any) -> None:
        if restoring["on"]:
            return
        try:
            show(session.shares(brush()))
        except ValueError:
            # Keep the old state (the session kept its selection): the slider shows it again.
            slider = event.obj
            low, high = session.bounds(slider.label)
            restoring["on"] = True
            try:
                slider.param.update(start=low, end=high, value=event.old)
            finally:
                restoring["on"] = False
            raise

    def slider_for(parameter: str) -> pn.widgets.EditableRangeSlider:
        if parameter not in sliders:
            low, high = session.bounds(parameter)
            slider = pn.widgets.EditableRangeSlider(
                label=parameter, start=low, end=high, value=(low, high), step=(high - low) / 200, width=420
            )
            slider.param.watch(guarded(messages, on_range), "value")
            sliders[parameter] = slider
        return sliders[parameter]

    def on_choose(*_event: Any) -> None:
        slider_column.objects = [slider_for(parameter) for parameter in chooser.value]
        show(session.shares(brush()))

    on_choose()
    chooser.param.watch(guarded(messages, on_choose), "value")
    return pn.Column(
        chooser,
        slider_column,
        selection_text,
        pn.pane.Bokeh(chart),
        table,
        sizing_mode="stretch_width",
    )


def _prim_chart(
    points: ColumnDataSource, chosen: ColumnDataSource, picked: ColumnDataSource
) -> tuple[Any, LinearColorMapper]:
    """PRIM's trade-off: coverage against density, coloured by the number of restricted
    parameters; the chosen box ringed in black, the box shown ringed in red."""
    chart = figure(
        title="PRIM trade-off",
        x_axis_label="coverage (share of the failures inside the box)",
        y_axis_label="density (share of the box that fails)",
        x_range=Range1d(start=0.0, end=1.05),  # coverage and density are shares
        y_range=Range1d(start=0.0, end=1.05),
        height=380,
        width=520,
        tools="reset,save",
        toolbar_location="right",
    )
    mapper = LinearColorMapper(palette=Viridis256, low=0, high=1)
    steps = chart.scatter(
        "coverage",
        "density",
        source=points,
        size=10,
        fill_color={"field": "restricted", "transform": mapper},
        nonselection_fill_alpha=1.0,  # the shown box is ringed; the other steps stay as visible
        nonselection_line_alpha=1.0,
    )
    chart.scatter("coverage", "density", source=chosen, size=18, fill_alpha=0.0, line_color="black", line_width=2)
    chart.scatter("coverage", "density", source=picked, size=24, fill_alpha=0.0, line_color="#d62728", line_width=2)
    chart.add_tools(TapTool(renderers=[steps]))  # a tap on a step selects its box
    chart.add_layout(ColorBar(color_mapper=mapper, title="restricted parameters"), "right")
    return chart, mapper


class _PrimSection:
    """The PRIM tab's widgets and chart, refilled for each strategy."""

    def __init__(self, session: ResultsSession, messages: Messages) -> None:
        self.session = session
        self.messages = messages
        self.strategy = pn.widgets.Select(label="Strategy", options=list(session.strategies))
        self.box = pn.widgets.IntSlider(label="PRIM box", start=0, end=1, value=0, disabled=True)
        self.points = ColumnDataSource({"box": [], "coverage": [], "density": [], "mass": [], "restricted": []})
        self.chosen = ColumnDataSource({"coverage": [], "density": []})
        self.picked = ColumnDataSource({"coverage": [], "density": []})
        self.chart, self.mapper = _prim_chart(self.points, self.chosen, self.picked)
        self.note = pn.pane.Alert("", alert_type="info", visible=False, sizing_mode="stretch_width")
        self.summary = pn.pane.Str("")
        self.limits = pn.widgets.Tabulator(
            pd.DataFrame(columns=["parameter", "low", "high", "range_low", "range_high", "qp"]),
            disabled=True,
            show_index=False,
            sizing_mode="stretch_width",
        )
        self.box.param.watch(guarded(messages, self._on_box), "value")
        self.points.selected.on_change("indices", self._on_tap)
        self.panel = pn.Column(
            self.note,
            pn.Row(pn.pane.Bokeh(self.chart), pn.Column(self.box, self.summary, self.limits)),
            sizing_mode="stretch_width",
        )

    def fill(self, strategy: str) -> pn.viewable.Viewable:
        """Compute (once) and show PRIM for ``strategy``."""
        view = self.session.prim(strategy)
        found = view.discovery
        if found is None:
            self.note.object = f"No PRIM box for {strategy}: {view.note}"
            self.note.visible = True
            self.points.data = {"box": [], "coverage": [], "density": [], "mass": [], "restricted": []}
            self.chosen.data = self.picked.data = {"coverage": [], "density": []}
            self.summary.object = ""
            self.limits.value = self.limits.value.iloc[0:0]
            self.box.disabled = True
            return self.panel
        self.note.visible = False
        trajectory = found.trajectory
        self.points.data = {column: trajectory[column].tolist() for column in self.points.data}
        self.mapper.high = max(1, int(trajectory["restricted"].max()))
        row = trajectory.loc[trajectory["box"] == found.chosen]
        self.chosen.data = {"coverage": row["coverage"].tolist(), "density": row["density"].tolist()}
        last = int(trajectory["box"].max())
        # A trajectory of one step still gets a slider with two ends (Bokeh refuses start == end).
        self.box.param.update(start=0, end=max(last, 1), disabled=last == 0)
        if self.box.value == found.chosen:
            self._show(self.session.prim_box(strategy, found.chosen))
        else:
            self.box.value = found.chosen  # _on_box shows it
        return self.panel

    def _show(self, box: PrimBox) -> None:
        chosen = " (chosen)" if box.is_chosen else ""
        restricted = f"{len(box.limits)} restricted" if len(box.limits) else "restricts nothing"
        self.summary.object = (
            f"Box {box.step}{chosen} of {box.strategy}: coverage {box.coverage:.3f}, density {box.density:.3f}, "
            f"mass {box.mass:.3f}, {restricted}"
        )
        self.limits.value = box.limits[["parameter", "low", "high", "range_low", "range_high", "qp"]]
        self.picked.data = {"coverage": [box.coverage], "density": [box.density]}
        if self.points.selected.indices != [box.step]:
            self.points.selected.indices = [box.step]

    def _on_box(self, event: Any) -> None:
        self._show(self.session.prim_box(self.strategy.value, event.new))

    def _on_tap(self, _attr: str, _old: list[int], new: list[int]) -> None:
        if new and new[0] != self.box.value:
            self.box.value = int(new[0])


def _prim_section(session: ResultsSession, messages: Messages, tabs: pn.Tabs) -> pn.viewable.Viewable:
    """The PRIM tab: the strategy, and PRIM's curve and box, computed when first needed."""
    section = _PrimSection(session, messages)
    opened = {"yes": False}

    def content(active: int, strategy: str) -> pn.viewable.Viewable:
        opened["yes"] |= active == _PRIM_TAB
        if not opened["yes"]:
            return pn.pane.Markdown("PRIM is computed when this tab is opened.")
        return section.fill(strategy)

    lazy = pn.param.ParamFunction(
        pn.bind(content, tabs.param.active, section.strategy.param.value), loading_indicator=True
    )
    return pn.Column(section.strategy, lazy, sizing_mode="stretch_width")


def _claims_section(session: ResultsSession, tabs: pn.Tabs) -> pn.viewable.Viewable:
    """The claim audit's verdicts, or the note why there are none, computed when first opened."""

    def content(active: int) -> pn.viewable.Viewable:
        if active != _CLAIMS_TAB and not session.is_claim_audit_ready():
            return pn.pane.Markdown("The claim audit is computed when this tab is opened.")
        audit = session.claim_audit()
        notes = [pn.pane.Alert(note, alert_type="info", sizing_mode="stretch_width") for note in audit.notes.values()]
        if audit.verdicts.empty:
            return pn.Column(*notes, sizing_mode="stretch_width")
        verdicts = pn.widgets.Tabulator(audit.verdicts, disabled=True, show_index=False, sizing_mode="stretch_width")
        claims = pn.pane.Markdown(
            "\n".join(f"- **{claim.id}**: {html.escape(claim.text)}" for claim in session.study.claims),
            sizing_mode="stretch_width",
        )
        return pn.Column(*notes, verdicts, claims, sizing_mode="stretch_width")

    return pn.param.ParamFunction(pn.bind(content, tabs.param.active), loading_indicator=True)
