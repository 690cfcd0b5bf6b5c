"""Figures (matplotlib, drawn off-screen): what people would rather look at than read.

A job computes; the figure of its result is drawn here, by one public function per figure
(:func:`plot_campaign` for ``offramp run``, :func:`plot_epstein` for ``offramp epstein``),
and the command line composes the two. matplotlib is imported only when a figure is drawn;
the figure's options (:class:`FigureOptions`) live in ``report/options.py``, which the
command line's start-up reads without loading NumPy.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from offramp.analyse.outcomes import outcome_summary
from offramp.model.unrest import Citizen
from offramp.report.options import FIGURE_SUFFIXES, FigureOptions
from offramp.run.runner import OUTCOME_LABELS
from offramp.scenario.epstein import EpsteinConfig, LegitimacyChange

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from offramp.run.epstein import EpsteinRun
    from offramp.run.runner import CampaignRun

__all__ = [
    "CITIZEN_COLOURS",
    "OUTCOME_COLOURS",
    "FIGURE_SUFFIXES",
    "FigureOptions",
    "pyplot",
    "save_figure",
    "plot_campaign",
    "plot_epstein",
    "epstein_title",
    "plot_citizen_shares",
    "plot_outcome_shares",
]


def _figure_path(plot: str | Path | None, options: FigureOptions | None) -> Path:
    """The checked figure path of a plotting call: ``plot`` checked here, or ``options``."""
    figure = FigureOptions.resolve(options, {} if plot is None else {"plot": plot})
    if figure.plot is None:
        raise TypeError("give the figure's file name (plot) or FigureOptions with one")
    return figure.plot


def pyplot() -> ModuleType:
    """matplotlib's pyplot on the off-screen Agg backend: figures are files, never windows
    (the command line and the tests run without a display).

    Returns
    -------
    module
        ``matplotlib.pyplot``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write a figure (format from the suffix, at 120 dpi; the folder is made if missing)
    and free it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path

    Returns
    -------
    Path
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


#: One colour per citizen state, used by every figure that shows them.
CITIZEN_COLOURS = {Citizen.QUIET: "#4c72b0", Citizen.ACTIVE: "#dd4444", Citizen.JAILED: "#555555"}


def plot_citizen_shares(counts: np.ndarray, path: str | Path, title: str = "Civil violence") -> Path:
    """Shares of quiet, active and jailed citizens over time.

    Parameters
    ----------
    counts : int array (B, T + 1, 3)
        Citizen counts per world and step, columns in :class:`Citizen` order.
    path : str or Path
        Where to write the figure (format from the suffix, e.g. ``.png``).
    title : str
        Figure title.

    Returns
    -------
    Path
        The file written. One world is drawn as lines; several as the median with the
        10-90% band across worlds.
    """
    plt = pyplot()

    shares = counts / np.maximum(counts.sum(axis=2, keepdims=True), 1)
    steps = np.arange(counts.shape[1])
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    for state in Citizen:
        colour = CITIZEN_COLOURS[state]
        series = shares[:, :, state]
        if series.shape[0] == 1:
            ax.plot(steps, series[0], color=colour, label=state.name.lower(), lw=1.2)
        else:
            low, mid, high = np.percentile(series, [10, 50, 90], axis=0)
            ax.fill_between(steps, low, high, color=colour, alpha=0.2, lw=0)
            ax.plot(steps, mid, color=colour, label=f"{state.name.lower()} (median, 10-90% band)", lw=1.2)
    ax.set_xlabel("step")
    ax.set_ylabel("share of citizens")
    ax.set_ylim(0, 1)
    ax.set_xlim(0, steps[-1])
    worlds = counts.shape[0]
    ax.set_title(f"{title} ({worlds} world{'s' if worlds != 1 else ''})")
    ax.legend(loc="upper right", frameon=False)
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


#: One colour per end state of a world.
OUTCOME_COLOURS = {
    "settlement": "#2a9d8f",
    "insider_removal": "#8e6bbf",
    "uprising": "#e9c46a",
    "direct_conflict": "#d62828",
    "military_victory": "#264653",
    "military_defeat": "#f4a261",
    "ongoing": "#b0b0b0",
}


def plot_outcome_shares(summary: pd.DataFrame, path: str | Path, title: str = "How the worlds ended") -> Path:
    """Stacked bars: share of each end state per strategy, with 95% intervals.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`offramp.analyse.outcomes.outcome_summary`'s table.
    path : str or Path
        Where to write the figure.
    title : str

    Returns
    -------
    Path
    """
    plt = pyplot()

    strategies = list(summary["strategy"])
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(strategies) + 1.6), layout="constrained")
    left = np.zeros(len(strategies))
    y = np.arange(len(strategies))
    for outcome, colour in OUTCOME_COLOURS.items():
        share = summary[f"{outcome}_share"].to_numpy()
        ax.barh(y, share, left=left, color=colour, label=outcome.replace("_", " "), height=0.6)
        if outcome != "ongoing":
            low, high = summary[f"{outcome}_low"].to_numpy(), summary[f"{outcome}_high"].to_numpy()
            ax.errorbar(
                left + share,
                y,
                xerr=[np.maximum(share - low, 0), np.maximum(high - share, 0)],
                fmt="none",
                ecolor="black",
                lw=0.7,
                capsize=2,
                alpha=0.6,
            )
        left = left + share
    ax.set_yticks(y, strategies)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of worlds (bars at the end of each segment: 95% interval of that share)")
    worlds = int(summary["worlds"].iloc[0]) if len(summary) else 0
    ax.set_title(f"{title} ({worlds} worlds per strategy)")
    ax.legend(
        ncols=5,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.04 + 0.3 / max(len(strategies), 1)),
        frameon=False,
        fontsize="small",
    )
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path)


def plot_campaign(run: CampaignRun, plot: str | Path | None = None, *, options: FigureOptions | None = None) -> Path:
    """The figure of an ``offramp run``: outcome shares per strategy, with 95% intervals.

    ``offramp run --plot shares.png`` draws it; from Python,
    ``plot_campaign(run_campaign("quick.toml", worlds=100), "shares.png")``.

    Parameters
    ----------
    run : CampaignRun
        What :func:`offramp.run.campaign.run_campaign` returned.
    plot : str or Path, optional
        Where to write the figure (format from the suffix, :data:`FIGURE_SUFFIXES`).
    options : FigureOptions, optional
        The figure path already checked, instead of ``plot``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OptionError
        A file name whose suffix is not a figure format.
    """
    path = _figure_path(plot, options)
    summary = outcome_summary(run.outcomes, OUTCOME_LABELS)
    return plot_outcome_shares(summary, path, title=f"How the worlds ended: {run.scenario_name}")


def epstein_title(config: EpsteinConfig) -> str:
    """A figure title naming the rules and the legitimacy schedule of a standalone run.

    Parameters
    ----------
    config : EpsteinConfig

    Returns
    -------
    str
    """
    schedule = f"L = {config.legitimacy}"
    if config.legitimacy_change is LegitimacyChange.SUDDEN:
        schedule = f"L {config.legitimacy} -> {config.legitimacy_to} at step {config.change_start}"
    elif config.legitimacy_change is LegitimacyChange.GRADUAL:
        schedule = f"L {config.legitimacy} -> {config.legitimacy_to}, steps {config.change_start}-{config.change_end}"
    return f"Civil violence, {config.variant} rules, {schedule}"


def plot_epstein(run: EpsteinRun, plot: str | Path | None = None, *, options: FigureOptions | None = None) -> Path:
    """The figure of an ``offramp epstein`` run: quiet, active and jailed shares over time.

    ``offramp epstein --plot shares.png`` draws it; from Python,
    ``plot_epstein(epstein_job(EpsteinConfig(), worlds=10), "shares.png")``.

    Parameters
    ----------
    run : EpsteinRun
        What :func:`offramp.run.epstein.epstein_job` (or ``run_epstein``) returned.
    plot : str or Path, optional
        Where to write the figure (format from the suffix, :data:`FIGURE_SUFFIXES`).
    options : FigureOptions, optional
        The figure path already checked, instead of ``plot``.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OptionError
        A file name whose suffix is not a figure format.
    """
    return plot_citizen_shares(run.counts, _figure_path(plot, options), title=epstein_title(run.config))
