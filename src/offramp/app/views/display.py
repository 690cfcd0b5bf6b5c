"""One world drawn week by week: the regions' grids, the inner circle and the charts that
say why the world went as it did. The World and Compare views hold one or two of these.

Choices
-------
1. Every weekly series lives in one ColumnDataSource; a week appends one row
   (``stream``), so a step sends a few numbers and the pictures, never whole figures.
2. The pictures are RGBA images in Bokeh figures (``image_rgba``), updated through their
   sources like the charts: a week repaints their canvases and lays out nothing (an HTML
   pane of ``<img>`` tags cost the browser about 40 ms a week, measured with
   benchmarks/bench_app.py).
3. A compact display (Compare) keeps the pictures and the four charts that tell the story
   (the leader's values, the war, tension and legitimacy); the full one adds the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np
import panel as pn
from bokeh.models import ColumnDataSource, Range1d
from bokeh.plotting import figure

from offramp.app.pictures import CELL_COLOURS, ELITE_COLOURS, ELITES_PER_ROW, elites_rgba, grid_rgba
from offramp.app.session import LEVERS, WeekView
from offramp.app.views.common import PALETTE, legend_beside, line_chart
from offramp.model.cascade import Elite
from offramp.model.leader import Action

__all__ = ["WorldDisplay"]

_ACTIONS = tuple(action.name.lower() for action in Action)
_ACTION_WORDS = {"continue": "continue", "escalate": "escalate", "offramp": "settle (off-ramp)"}
_STATUSES = tuple(status.name.lower() for status in Elite)


_GAP = 2  # cells between two regions' grids
_GRID_PIXELS = 150  # a grid's width on the page
_CAPTION_PIXELS = 34
_ELITE_PIXELS = 16


def _picture(width: float, height: float, x: tuple[float, float], y: tuple[float, float], css: str) -> Any:
    """A figure for a picture, not a plot: ``width`` x ``height`` pixels showing data
    coordinates ``x`` by ``y``, with no tools, axes, grid lines or outline; ``css`` names it
    for the browser tests."""
    chart = figure(
        width=int(width) + 10,
        height=int(height) + 10,
        x_range=Range1d(start=x[0], end=x[1]),
        y_range=Range1d(start=y[0], end=y[1]),
        tools="",
        toolbar_location=None,
        css_classes=[css],
    )
    chart.axis.visible = False
    chart.grid.visible = False
    chart.outline_line_color = None
    chart.min_border = 0
    return chart


def _legend(colours: dict[Any, tuple[int, int, int]]) -> str:
    return " ".join(
        f'<span style="display:inline-block;width:10px;height:10px;background:rgb{rgb};'
        f'border:1px solid #999"></span>&nbsp;{escape(key.name.lower())}'
        for key, rgb in colours.items()
    )


class WorldDisplay:
    """Draws the weeks of one world (module choices 1-3).

    Parameters
    ----------
    regions : sequence of str
        The periphery's regions, in the model's order.
    horizon : int
        The world's last week.
    grid_shape : (int, int)
        The grids' height and width [cells].
    circle_size : int
        Elites in the inner circle.
    title : str
        What the display shows (a strategy's name in Compare).
    compact : bool
        Only the pictures and the four main charts (choice 3).

    Attributes
    ----------
    layout : panel.Column
        The display, to place in a view.
    headline : panel.pane.Markdown
        ``Week N of H · outcome · the leader's choice``.
    """

    def __init__(
        self,
        regions: Sequence[str],
        horizon: int,
        grid_shape: tuple[int, int],
        circle_size: int,
        title: str = "",
        compact: bool = False,
    ) -> None:
        self.regions = tuple(regions)
        self.horizon = int(horizon)
        self.grid_shape = grid_shape
        self.circle_size = int(circle_size)
        self.source = ColumnDataSource(self._empty())
        self.headline = pn.pane.Markdown(self._headline(None), margin=(0, 10))
        self.grids = ColumnDataSource(self._blank_grids())
        self.captions = ColumnDataSource(self._captions(None))
        self.elites = ColumnDataSource(self._blank_elites())
        legend = f"{_legend(CELL_COLOURS)} &nbsp;·&nbsp; elites: {_legend(ELITE_COLOURS)}"
        charts = self._charts(compact)
        title_pane = [pn.pane.Markdown(f"### {escape(title)}", margin=(0, 10))] if title else []
        self.layout = pn.Column(
            *title_pane,
            self.headline,
            pn.Row(pn.pane.Bokeh(self._grid_figure()), pn.pane.Bokeh(self._elites_figure())),
            pn.pane.HTML(legend, margin=(0, 10)),
            pn.GridBox(*charts, ncols=2),
        )

    def _columns(self) -> list[str]:
        per_region = [
            f"{name}_{k}" for name in ("legitimacy", "opposition", "unrest") for k in range(len(self.regions))
        ]
        return [
            "week",
            *(f"value_{a}" for a in _ACTIONS),
            *(f"probability_{a}" for a in _ACTIONS),
            "belief",
            "war_score",
            "war_deaths",
            "tension",
            "hazard",
            *LEVERS[:4],
            "covert_support",
            *(f"elites_{s}" for s in _STATUSES),
            *per_region,
        ]

    def _empty(self) -> dict[str, Any]:
        return {column: [] for column in self._columns()}

    def _row(self, view: WeekView) -> dict[str, Any]:
        row: dict[str, float] = {"week": view.week}
        for index, action in enumerate(_ACTIONS):
            row[f"value_{action}"] = float(view.values[index])
            row[f"probability_{action}"] = float(view.probabilities[index])
        row.update(
            belief=view.belief,
            war_score=view.war_score,
            war_deaths=view.war_deaths,
            tension=view.tension,
            hazard=view.hazard,
            sanctions=view.levers.sanctions,
            concessions=view.levers.concessions,
            information=view.levers.information,
            outreach=view.levers.outreach,
            covert_support=sum(view.levers.covert_support) / max(1, len(view.levers.covert_support)),
        )
        counts = [int((view.elites == status).sum()) for status in Elite]
        for status, count in zip(_STATUSES, counts, strict=True):
            row[f"elites_{status}"] = count
        for k in range(len(self.regions)):
            row[f"legitimacy_{k}"] = float(view.legitimacy[k])
            row[f"opposition_{k}"] = float(view.opposition[k])
            row[f"unrest_{k}"] = float(view.unrest[k])
        return {column: [value] for column, value in row.items()}

    def _headline(self, view: WeekView | None) -> str:
        if view is None:
            return f"**Week 0 of {self.horizon}** · the world before its first week"
        ending = "" if view.outcome == "ongoing" else f" · **ended: {view.outcome}**"
        return (
            f"**Week {view.week} of {self.horizon}**{ending} · the leader chose "
            f"**{_ACTION_WORDS[view.action]}** · war score {view.war_score:+.2f} · "
            f"war deaths so far {view.war_deaths_total:,.0f}"
        )

    def _blank_grids(self) -> dict[str, list[Any]]:
        height, width = self.grid_shape
        blank = grid_rgba(np.zeros(self.grid_shape, np.int8))  # all empty: before the first week
        return {
            "image": [blank] * len(self.regions),
            "x": [k * (width + _GAP) for k in range(len(self.regions))],
            "y": [0] * len(self.regions),
            "dw": [width] * len(self.regions),
            "dh": [height] * len(self.regions),
        }

    def _blank_elites(self) -> dict[str, list[Any]]:
        return {"image": [elites_rgba(np.zeros(self.circle_size, np.int8))]}  # all loyal: before the first week

    def _captions(self, view: WeekView | None) -> dict[str, list[Any]]:
        width = self.grid_shape[1]
        centres = [k * (width + _GAP) + width / 2 for k in range(len(self.regions))]
        numbers = (
            ["" for _ in self.regions]
            if view is None
            else [f"legitimacy {view.legitimacy[k]:.2f}, active {view.unrest[k]:.0%}" for k in range(len(self.regions))]
        )
        return {"x": centres, "name": list(self.regions), "numbers": numbers}

    def _grid_figure(self) -> Any:
        """Every region's grid side by side, its name and numbers below (choice 2)."""
        height, width = self.grid_shape
        scale = _GRID_PIXELS / width  # pixels per cell
        span = len(self.regions) * (width + _GAP) - _GAP
        below = _CAPTION_PIXELS / scale  # the captions' room, in cells
        chart = _picture(
            span * scale, (height + below) * scale, (-0.5, span + 0.5), (-below, height + 0.5), "offramp-grids"
        )
        chart.image_rgba(image="image", x="x", y="y", dw="dw", dh="dh", source=self.grids)
        common: dict[str, Any] = {"x": "x", "source": self.captions, "text_align": "center", "text_baseline": "top"}
        chart.text(y=-0.2, text="name", text_font_size="9pt", text_font_style="bold", **common)
        chart.text(y=-0.2 - below / 2, text="numbers", text_font_size="8pt", **common)
        return chart

    def _elites_figure(self) -> Any:
        """The inner circle, one square per elite (choice 2)."""
        rows = max(1, -(-self.circle_size // ELITES_PER_ROW))
        below = 1.5
        chart = _picture(
            ELITES_PER_ROW * _ELITE_PIXELS,
            (rows + below) * _ELITE_PIXELS,
            (-0.2, ELITES_PER_ROW + 0.2),
            (-below, rows + 0.2),
            "offramp-elites",
        )
        chart.image_rgba(image="image", x=0, y=0, dw=ELITES_PER_ROW, dh=rows, source=self.elites)
        chart.text(
            x=[ELITES_PER_ROW / 2],
            y=[-0.2],
            text=["inner circle"],
            text_align="center",
            text_baseline="top",
            text_font_size="9pt",
            text_font_style="bold",
        )
        return chart

    def _lines(self, chart: Any, columns: Sequence[str], labels: Sequence[str]) -> Any:
        for index, (column, label) in enumerate(zip(columns, labels, strict=True)):
            # A single series needs no legend: the chart's title names it.
            legend = {"legend_label": label} if len(columns) > 1 else {}
            chart.line("week", column, source=self.source, color=PALETTE[index % len(PALETTE)], line_width=2, **legend)
        if len(columns) > 1:
            legend_beside(chart)
        chart.x_range = Range1d(start=0, end=self.horizon)
        return pn.pane.Bokeh(chart)

    def _charts(self, compact: bool) -> list[Any]:
        regions = self.regions
        per_region = range(len(regions))
        charts = [
            self._lines(
                line_chart("Leader: value of each action", "value"),
                [f"value_{a}" for a in _ACTIONS],
                [_ACTION_WORDS[a] for a in _ACTIONS],
            ),
            self._lines(line_chart("War score (> 0: his side gains)", "war score"), ["war_score"], ["war score"]),
            self._lines(line_chart("Tension", "tension"), ["tension"], ["tension"]),
            self._lines(
                line_chart("Legitimacy per region", "legitimacy"), [f"legitimacy_{k}" for k in per_region], regions
            ),
        ]
        if compact:
            return charts
        elites = line_chart("Inner circle by status", "elites")
        elites.varea_stack(
            [f"elites_{s}" for s in _STATUSES],
            x="week",
            source=self.source,
            color=[f"rgb{ELITE_COLOURS[s]}" for s in Elite],
            legend_label=list(_STATUSES),
        )
        legend_beside(elites)
        elites.x_range = Range1d(start=0, end=self.horizon)
        charts += [
            self._lines(line_chart("Leader: belief about the front's weekly drift", "drift"), ["belief"], ["belief"]),
            self._lines(line_chart("War deaths per week", "deaths"), ["war_deaths"], ["deaths"]),
            self._lines(line_chart("Weekly hazard of direct conflict", "hazard"), ["hazard"], ["hazard"]),
            self._lines(
                line_chart("Organised capacity per region", "capacity"),
                [f"opposition_{k}" for k in per_region],
                regions,
            ),
            self._lines(line_chart("Active share per region", "active"), [f"unrest_{k}" for k in per_region], regions),
            pn.pane.Bokeh(elites),
            self._lines(
                line_chart("Levers as applied", "level", y_range=(0, 1.02)),
                [*LEVERS[:4], "covert_support"],
                [*LEVERS[:4], "covert support (mean)"],
            ),
        ]
        return charts

    def clear(self) -> None:
        """Forget every week (a new world, or a restart before a jump back)."""
        self.source.data = self._empty()
        self.headline.object = self._headline(None)
        self.grids.data = self._blank_grids()
        self.captions.data = self._captions(None)
        self.elites.data = self._blank_elites()

    def show(self, views: Sequence[WeekView]) -> None:
        """Append weeks, then draw the last one's pictures and headline.

        Parameters
        ----------
        views : sequence of WeekView
            The weeks just simulated, in order (none: nothing changes).
        """
        if not views:
            return
        if len(views) == 1:
            self.source.stream(self._row(views[0]))
        else:
            rows = [self._row(view) for view in views]
            self.source.stream({column: [row[column][0] for row in rows] for column in rows[0]})
        last = views[-1]
        self.headline.object = self._headline(last)
        self.grids.patch({"image": [(k, grid_rgba(last.grids[k])) for k in range(len(self.regions))]})
        self.captions.data = self._captions(last)
        self.elites.data = {"image": [elites_rgba(last.elites)]}

    def catch_up(self, history: Sequence[WeekView]) -> None:
        """Draw a world's history after a jump: the weeks not drawn yet, or, after a jump
        back (the world started again, its history is shorter than what is drawn), all of it.

        Parameters
        ----------
        history : sequence of WeekView
            The session's weeks so far.
        """
        drawn = len(self.source.data["week"])
        if len(history) < drawn:
            self.redraw(history)
        else:
            self.show(history[drawn:])

    def redraw(self, history: Sequence[WeekView]) -> None:
        """Draw a world's whole history afresh (after a jump back or a new world).

        Parameters
        ----------
        history : sequence of WeekView
        """
        self.clear()
        self.show(history)
