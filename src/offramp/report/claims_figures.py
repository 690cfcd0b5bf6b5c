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
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from offramp.report.figures import pyplot, save_figure

__all__ = ["plot_claim_audit"]


def plot_claim_audit(detail: pd.DataFrame, path: str | Path, title: str = "What success depends on") -> Path:
    """Heat map of the claim audit: the fall in satisficing per claim and strategy.

    Parameters
    ----------
    detail : pandas.DataFrame
        :func:`offramp.analyse.claims.claim_audit`'s first table.
    path : str or Path
        Where to write the figure (format from the suffix, e.g. ``.png``).
    title : str
        Figure title.

    Returns
    -------
    Path
        The file written.
    """
    import matplotlib

    plt = pyplot()
    from matplotlib.patches import Rectangle

    strategies = list(pd.unique(detail["strategy"]))
    claims = list(pd.unique(detail["claim"]))
    texts = detail.drop_duplicates("claim").set_index("claim")["claim_text"]
    cells = detail.set_index(["claim", "strategy"])
    fall = np.full((len(claims), len(strategies)), np.nan)
    for i, claim in enumerate(claims):
        for j, strategy in enumerate(strategies):
            row = cells.loc[(claim, strategy)]
            if not pd.isna(row["depends"]):
                fall[i, j] = row["satisficing_essay"] - row["satisficing_sceptic"]

    size = (2.6 + 1.15 * max(len(strategies), 1), max(3.6, 1.4 + 0.55 * len(claims)))  # room for the colour bar's label
    fig, ax = plt.subplots(figsize=size, layout="constrained")
    colours = matplotlib.colormaps["RdBu_r"].with_extremes(bad="#dddddd")  # grey: no verdict
    image = ax.imshow(np.ma.masked_invalid(fall), cmap=colours, vmin=-1, vmax=1, aspect="auto")
    for i, claim in enumerate(claims):
        for j, strategy in enumerate(strategies):
            row = cells.loc[(claim, strategy)]
            if pd.isna(row["depends"]):
                ax.text(j, i, "n/a", ha="center", va="center", fontsize="small", color="#555555")
                continue
            marks = ("v" if row["falls"] else "") + ("x" if row["flips"] else "")
            label = f"{fall[i, j]:+.2f}" + (f" {marks}" if marks else "")
            strong = abs(fall[i, j]) > 0.6  # white text on the dark ends of the scale
            ax.text(
                j,
                i,
                label,
                ha="center",
                va="center",
                fontsize="small",
                color="white" if strong else "black",
                fontweight="bold" if row["depends"] else "normal",
            )
            if row["depends"]:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="black", lw=2.2))
    labels = [f"{claim}  " + textwrap.shorten(str(texts[claim]), width=48, placeholder="...") for claim in claims]
    ax.set_yticks(np.arange(len(claims)), labels)
    ax.set_xticks(np.arange(len(strategies)), strategies, rotation=30, ha="right")
    ax.tick_params(length=0)
    ax.set_title(
        f"{title}\noutlined: depends (v satisficing falls below the level, x overtaken by a rival)", fontsize="medium"
    )
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label("satisficing share: essay side \u2212 sceptic side")
    return save_figure(fig, path)
