"""Figures of scenario discovery (matplotlib, drawn off-screen): PRIM's trade-off and box.

Choices
-------
1. Both figures read only a :class:`offramp.analyse.discovery.Discovery`, so they draw
   what the report's tables say, never a second computation.
2. The box is drawn on each parameter's sampled range scaled to [0, 1], so parameters of
   different units share one axis; the actual limits are written at the bar's ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from offramp.report.figures import pyplot, save_figure

if TYPE_CHECKING:
    from offramp.analyse.discovery import Discovery

__all__ = ["plot_prim_tradeoff", "plot_prim_box"]

_BOX_COLOUR = "#d62828"  # failure: the colour of direct conflict in the outcome figures


def _title(discovery: Discovery) -> str:
    who = discovery.strategy or "the strategy"
    return f"Where {who} fails ({discovery.failures} of {discovery.samples} samples)"


def plot_prim_tradeoff(discovery: Discovery, path: str | Path) -> Path:
    """PRIM's peeling trajectory as coverage against density, the chosen box marked.

    Parameters
    ----------
    discovery : Discovery
        :func:`offramp.analyse.discovery.discover`'s result.
    path : str or Path
        Where to write the figure (format from the suffix: ``.png``, ``.svg``, ...).

    Returns
    -------
    Path
        The file written. Each point is a box of the trajectory, coloured by the number
        of parameters it restricts; the dotted line is the base rate (the density of the
        box that restricts nothing).
    """
    plt = pyplot()
    trajectory = discovery.trajectory
    restricted = trajectory["restricted"].to_numpy()
    levels = np.arange(restricted.min(), restricted.max() + 2) - 0.5  # one colour per whole count
    cmap = plt.get_cmap("viridis", len(levels) - 1)
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    points = ax.scatter(
        trajectory["coverage"],
        trajectory["density"],
        c=restricted,
        cmap=cmap,
        vmin=levels[0],
        vmax=levels[-1],
        s=22,
        edgecolors="none",
    )
    bar = fig.colorbar(points, ax=ax, ticks=np.arange(restricted.min(), restricted.max() + 1))
    bar.set_label("restricted parameters")
    ax.scatter(
        [discovery.coverage],
        [discovery.density],
        s=160,
        facecolors="none",
        edgecolors=_BOX_COLOUR,
        linewidths=1.8,
        label=f"chosen box (step {discovery.chosen})",
    )
    ax.axhline(discovery.base_rate, color="0.4", ls=":", lw=1, label=f"base rate ({discovery.base_rate:.2f})")
    ax.set_xlabel("coverage (share of failures inside the box)")
    ax.set_ylabel("density (share of the box that fails)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", frameon=False)
    ax.set_title(_title(discovery))
    return save_figure(fig, path)


def plot_prim_box(discovery: Discovery, path: str | Path) -> Path:
    """The chosen PRIM box: each restricted parameter's limits within its sampled range.

    Parameters
    ----------
    discovery : Discovery
        :func:`offramp.analyse.discovery.discover`'s result.
    path : str or Path
        Where to write the figure (format from the suffix).

    Returns
    -------
    Path
        The file written: one horizontal bar per restricted parameter, from its lower to
        its upper limit as a share of the range sampled (choice 2), the limits written at
        the ends; a box that restricts nothing is said so in words.
    """
    plt = pyplot()
    box = discovery.box
    fig, ax = plt.subplots(figsize=(8, 0.55 * max(len(box), 1) + 1.8), layout="constrained")
    y = np.arange(len(box))
    span = (box["range_high"] - box["range_low"]).to_numpy(np.float64)
    span = np.where(span > 0, span, 1.0)  # guard: a range of zero width cannot be scaled
    low = (box["low"].to_numpy(np.float64) - box["range_low"].to_numpy(np.float64)) / span
    high = (box["high"].to_numpy(np.float64) - box["range_low"].to_numpy(np.float64)) / span
    ax.barh(y, np.ones(len(box)), color="0.9", height=0.6)
    ax.barh(y, high - low, left=low, color=_BOX_COLOUR, alpha=0.75, height=0.6)
    for i, row in enumerate(box.itertuples(index=False)):
        ax.text(low[i] - 0.01, i, f"{row.low:.4g}", ha="right", va="center", fontsize="small")
        ax.text(high[i] + 0.01, i, f"{row.high:.4g}", ha="left", va="center", fontsize="small")
    if len(box) == 0:
        ax.text(0.5, 0, "the box restricts no parameter", ha="center", va="center")
    ax.set_yticks(y, list(box["parameter"]))
    ax.set_ylim(len(box) - 0.5 if len(box) else 0.5, -0.5)
    ax.set_xlim(-0.15, 1.15)
    ax.set_xticks(np.linspace(0, 1, 5))
    ax.set_xlabel("share of the sampled range")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        f"{_title(discovery)}\nchosen box: coverage {discovery.coverage:.2f}, "
        f"density {discovery.density:.2f}, mass {discovery.mass:.2f}",
        fontsize="medium",
    )
    return save_figure(fig, path)
