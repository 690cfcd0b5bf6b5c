"""The claim audit as a figure (matplotlib, drawn off-screen).

Choices
-------
1. A heat map, claims as rows and strategies as columns, coloured by the fall in the
   satisficing share from the essay's side to the sceptic's (``satisficing_essay -
   satisficing_sceptic``, a diverging scale centred on zero). Seven strategies x ten
   claims is 70 comparisons: a grid reads at a glance where a dumbbell panel per
   strategy would need seven small charts.
2. A cell the strategy depends on is outlined in black and marked: the number is the
   fall, "v" a significant fall below the level, "x" a flip (overtaken by a rival).
   A claim without a verdict (too few samples) is grey and says "n/a".
3. When the audit measured the uplift over a baseline strategy, a second panel below
   the first, on the same rows and columns, shows how much of the uplift is lost from
   the essay's side to the sceptic's (``uplift_essay - uplift_sceptic``, in the
   objective's unit), outlined where the uplift depends on the claim. A claim that
   shifts every strategy's baseline reads as a row outlined in the upper panel and pale
   in the lower. Below rather than beside: side by side, seven strategies make a figure
   some 20 inches wide, which a report page shrinks until its numbers cannot be read.
   The uplift's scale is symmetric around zero, to ``uplift_limit``: the caller knows
   the objective's unit (1 for a probability, so that, as in the upper panel, only a
   large loss is dark); without it, to the largest loss or gain drawn. Values beyond
   the limit take the end colour. The baseline's own column is grey ("baseline").
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from offramp.report.figures import pyplot, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.image import AxesImage

__all__ = ["plot_claim_audit"]


def _grid(cells: pd.DataFrame, claims: list, strategies: list, value: str, verdict: str) -> np.ndarray:
    """A (claims, strategies) array of ``value``'s column; NaN where ``verdict`` is NA."""
    out = np.full((len(claims), len(strategies)), np.nan)
    for i, claim in enumerate(claims):
        for j, strategy in enumerate(strategies):
            row = cells.loc[(claim, strategy)]
            if not pd.isna(row[verdict]):
                out[i, j] = float(row[value])
    return out


def _short(value: float) -> str:
    """A cell's number: two decimals, or a whole number for a large objective (war deaths)."""
    return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+.2f}"


def _panel(ax: Axes, grid: np.ndarray, limit: float, labels: np.ndarray, outlined: np.ndarray) -> AxesImage:
    """One heat map: the grid on a diverging scale, each cell's label, outlines (choices 1-3)."""
    import matplotlib
    from matplotlib.patches import Rectangle

    colours = matplotlib.colormaps["RdBu_r"].with_extremes(bad="#dddddd")  # grey: no verdict
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=colours, vmin=-limit, vmax=limit, aspect="auto")
    for (i, j), label in np.ndenumerate(labels):
        missing = not np.isfinite(grid[i, j])
        strong = not missing and abs(grid[i, j]) > 0.6 * limit  # white text on the dark ends of the scale
        ax.text(
            j,
            i,
            label,
            ha="center",
            va="center",
            fontsize="small",
            color="#555555" if missing else ("white" if strong else "black"),
            fontweight="bold" if outlined[i, j] else "normal",
        )
        if outlined[i, j]:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", lw=2.2))
    ax.tick_params(length=0)
    return image


def plot_claim_audit(
    detail: pd.DataFrame,
    path: str | Path,
    title: str = "What success depends on",
    baseline: str | None = None,
    uplift_limit: float | None = None,
) -> Path:
    """Heat map of the claim audit: the fall in satisficing per claim and strategy, and
    below it the loss of uplift over the baseline (choice 3).

    Parameters
    ----------
    detail : pandas.DataFrame
        :func:`offramp.analyse.claims.claim_audit`'s first table.
    path : str or Path
        Where to write the figure (format from the suffix, e.g. ``.png``).
    title : str
        Figure title.
    baseline : str or None
        The strategy the uplift was measured over; None, or one that ``detail`` does
        not hold (the uplift was not audited), draws the first panel only.
    uplift_limit : float or None
        Half-width of the uplift panel's colour scale, in the objective's unit (1 for a
        probability); None: the largest absolute value drawn (choice 3).

    Returns
    -------
    Path
        The file written.
    """
    plt = pyplot()
    strategies = list(pd.unique(detail["strategy"]))
    claims = list(pd.unique(detail["claim"]))
    texts = detail.drop_duplicates("claim").set_index("claim")["claim_text"]
    cells = detail.set_index(["claim", "strategy"])
    uplifted = baseline is not None and baseline in strategies and "uplift_depends" in detail.columns

    fall = _grid(cells, claims, strategies, "satisficing_essay", "depends")
    fall -= _grid(cells, claims, strategies, "satisficing_sceptic", "depends")
    labels = np.full(fall.shape, "n/a", dtype=object)
    depends = np.zeros(fall.shape, bool)
    for (i, j), value in np.ndenumerate(fall):
        if np.isfinite(value):
            row = cells.loc[(claims[i], strategies[j])]
            marks = ("v" if row["falls"] else "") + ("x" if row["flips"] else "")
            labels[i, j] = f"{value:+.2f}" + (f" {marks}" if marks else "")
            depends[i, j] = bool(row["depends"])

    panels = 2 if uplifted else 1
    size = (2.6 + 1.15 * max(len(strategies), 1), panels * max(3.6, 1.4 + 0.55 * len(claims)))  # room for the bar
    fig, axes = plt.subplots(panels, 1, figsize=size, layout="constrained", squeeze=False)
    names = [f"{claim}  " + textwrap.shorten(str(texts[claim]), width=48, placeholder="...") for claim in claims]
    ax = axes[0, 0]
    image = _panel(ax, fall, 1.0, labels, depends)
    ax.set_yticks(np.arange(len(claims)), names)
    ax.set_xticks(np.arange(len(strategies)), strategies, rotation=30, ha="right")
    ax.set_title("absolute success\noutlined: depends (v falls below the level, x overtaken)", fontsize="medium")
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("satisficing share: essay side \u2212 sceptic side")
    if uplifted:
        ax = axes[1, 0]
        loss = _grid(cells, claims, strategies, "uplift_essay", "uplift_depends")
        loss -= _grid(cells, claims, strategies, "uplift_sceptic", "uplift_depends")
        finite = np.abs(loss[np.isfinite(loss)])
        limit = float(finite.max()) if len(finite) and finite.max() > 0 else 1.0
        limit = limit if uplift_limit is None else uplift_limit
        labels = np.array([[_short(v) if np.isfinite(v) else "n/a" for v in row] for row in loss], dtype=object)
        labels[:, strategies.index(str(baseline))] = "baseline"
        flags = cells["uplift_depends"].fillna(False)
        outlined = np.array([[bool(flags.loc[(claim, strategy)]) for strategy in strategies] for claim in claims])
        image = _panel(ax, loss, limit, labels, outlined)
        ax.set_yticks(np.arange(len(claims)), names)
        ax.set_xticks(np.arange(len(strategies)), strategies, rotation=30, ha="right")
        ax.set_title(f"uplift over {baseline}\noutlined: the uplift depends on the claim", fontsize="medium")
        bar = fig.colorbar(image, ax=ax, shrink=0.8)
        bar.set_label("mean uplift: essay side \u2212 sceptic side")
    fig.suptitle(title, fontsize="large")
    return save_figure(fig, path)
