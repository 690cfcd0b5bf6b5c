"""Pieces every view shares: the message line and the chart conventions.

Bad input in the page (a value out of range, a file that does not load) is reported in
the view's message line and the app keeps running; nothing a user types reaches a
traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import panel as pn
from bokeh.plotting import figure

__all__ = ["Messages", "line_chart", "legend_beside", "guarded", "needs_scenario", "PALETTE", "NEEDS_SCENARIO"]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
"""Line colours, in the order series are added (matplotlib's tab10, colour-blind tested)."""


class Messages:
    """A view's message line: an alert shown when something the user did went wrong.

    Attributes
    ----------
    panel : panel.pane.Alert
        Put it at the top of the view; it is hidden while there is nothing to say.
    """

    def __init__(self) -> None:
        self.panel = pn.pane.Alert("", alert_type="danger", visible=False, sizing_mode="stretch_width")

    def error(self, text: str) -> None:
        """Show ``text`` (one line) as an error.

        Parameters
        ----------
        text : str
        """
        self._show("danger", text)

    def info(self, text: str) -> None:
        """Show ``text`` as a note.

        Parameters
        ----------
        text : str
        """
        self._show("info", text)

    def _show(self, kind: Literal["danger", "info"], text: str) -> None:
        self.panel.alert_type = kind
        self.panel.object = text
        self.panel.visible = True

    def clear(self) -> None:
        """Hide the line."""
        self.panel.visible = False
        self.panel.object = ""


def guarded(messages: Messages, action: Callable[..., Any]) -> Callable[..., None]:
    """Wrap a widget callback so that a user's bad input becomes a message, not a crash.

    ``ValueError`` (offramp's ``InputError`` and ``OptionError`` among them) and
    ``OSError`` are what a user's input can cause; they are shown in ``messages`` and the
    view stays as it was. Anything else is a bug and propagates. The callback runs under
    ``pn.io.hold()`` (see the comment inside).

    Parameters
    ----------
    messages : Messages
        The view's message line.
    action : callable
        The callback.

    Returns
    -------
    callable
        The callback, guarded; a success clears the message line.
    """

    def run(*args: Any, **kwargs: Any) -> None:
        try:
            # Under hold, the callback's changes to Bokeh models (a chart's data) reach the
            # browser as one message, and are written by Panel's unlocked dispatch: a widget
            # event runs without Bokeh's document lock, and changing a model there directly
            # fails (at random, in Bokeh 3.9) with "_pending_writes should be non-None".
            with pn.io.hold():
                action(*args, **kwargs)
        except (ValueError, OSError) as error:
            messages.error(str(error).splitlines()[0] if str(error) else type(error).__name__)
        else:
            messages.clear()

    return run


def line_chart(title: str, y_label: str, height: int = 220, width: int = 420, **options: Any) -> Any:
    """A Bokeh figure for weekly series: week on x, a small toolbar.

    Parameters
    ----------
    title, y_label : str
    height, width : int
        Pixels.
    **options : object
        More of ``bokeh.plotting.figure``'s keywords.

    Returns
    -------
    bokeh.plotting.figure
    """
    chart = figure(
        title=title,
        height=height,
        width=width,
        x_axis_label="week",
        y_axis_label=y_label,
        tools="pan,box_zoom,reset,save",
        toolbar_location="right",
        **options,
    )
    return chart


NEEDS_SCENARIO = (
    "This view needs a scenario: start the app with one, `offramp app scenarios/essay.toml`, "
    "or with an exploration whose scenario it reads, `offramp app --results DIR`."
)


def needs_scenario(title: str) -> pn.viewable.Viewable:
    """What a view that simulates shows when the app has no scenario (it is built from a
    context made in Python without one: the command line always has one).

    Parameters
    ----------
    title : str
        The view's tab title.

    Returns
    -------
    panel.viewable.Viewable
    """
    return pn.Column(pn.pane.Markdown(NEEDS_SCENARIO), name=title)


def legend_beside(chart: Any) -> None:
    """Move a chart's legend to its right, widening the chart to make room, so that the
    legend never hides a line; a click on an entry hides its line.

    Parameters
    ----------
    chart : bokeh.plotting.figure
        A chart with a legend.
    """
    legend = chart.legend[0]
    legend.label_text_font_size = "8pt"
    legend.click_policy = "hide"
    chart.width += 120
    chart.add_layout(legend, "right")
