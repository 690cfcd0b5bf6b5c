"""Sensitivity figures (matplotlib, drawn off-screen): which parameters drive a measure.

Choices
-------
1. One panel per strategy, all with the same parameter order (most influential first,
   by the mean over strategies of ST, or of the feature score where there is no ST), so
   the eye can compare a parameter's bar across panels. At most eight panels, two to a
   row; the title says when strategies were left out.
2. Sobol' panels draw S1 and ST side by side with their bootstrap intervals (ST - S1 is
   the share explained through interactions); feature-scoring panels draw the score
   alone, on an axis labelled so it is not read as a share of variance.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from offramp.report.figures import pyplot, save_figure

__all__ = ["SENSITIVITY_COLOURS", "plot_sensitivity"]

#: Bar colours: first-order and total Sobol' indices, and feature scores.
SENSITIVITY_COLOURS = {"S1": "#4c72b0", "ST": "#dd8452", "score": "#55a868"}

_MAX_PANELS = 8
_AXIS_LABELS = {"sobol": "Sobol index (share of output variance)", "feature_scoring": "feature score (extra trees)"}


def _parameter_order(table: pd.DataFrame) -> list[str]:
    """Parameters, most influential first (choice 1); never-estimated ones last, in table order."""
    strength = table["ST"].where(table["method"] == "sobol", table["score"])
    mean = strength.groupby(table["parameter"], sort=False).mean()
    first_seen = {p: i for i, p in enumerate(pd.unique(table["parameter"]))}
    ranked = sorted(first_seen, key=lambda p: (np.isnan(mean[p]), -np.nan_to_num(mean[p]), first_seen[p]))
    return ranked


def plot_sensitivity(table: pd.DataFrame, path: str | Path, measure_label: str) -> Path:
    """Horizontal bars of each parameter's Sobol' indices or feature score, per strategy.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`offramp.analyse.sensitivity.sensitivity`'s table.
    path : str or Path
        Where to write the figure (format from the suffix, e.g. ``.png``).
    measure_label : str
        The measure in words, for the title (``Measure.label``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        The table has no rows.
    """
    plt = pyplot()

    if len(table) == 0:
        raise ValueError("table: no sensitivity rows to draw")
    strategies = list(pd.unique(table["strategy"]))
    shown = strategies[:_MAX_PANELS]
    order = _parameter_order(table)
    ncols = 1 if len(shown) == 1 else 2
    nrows = math.ceil(len(shown) / ncols)
    panel_height = 0.42 * len(order) + 1.3
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(6.2 * ncols + 1.5, panel_height * nrows),
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    y = np.arange(len(order))
    legend_drawn = False
    for ax, strategy in zip(axes.flat, shown, strict=False):  # an odd count leaves the last cell empty
        rows = table[table["strategy"] == strategy].set_index("parameter").reindex(order)
        method = str(rows["method"].dropna().iloc[0]) if rows["method"].notna().any() else "feature_scoring"
        ax.set_title(strategy, fontsize="medium")
        ax.set_xlabel(_AXIS_LABELS.get(method, method))
        ax.axvline(0.0, color="#555555", lw=0.8)
        ax.grid(axis="x", alpha=0.3)
        columns = ("S1", "ST") if method == "sobol" else ("score",)
        if rows[list(columns)].isna().all().all():
            ax.text(
                0.5,
                0.5,
                "the measure does not vary:\nnothing to attribute",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="#555555",
            )
            continue
        if method == "sobol":
            height = 0.38
            for offset, column, name in ((-height / 2, "S1", "first order (S1)"), (height / 2, "ST", "total (ST)")):
                # NaN widths would draw nothing and NaN error bars warn: draw them as 0.
                ax.barh(
                    y + offset,
                    np.nan_to_num(rows[column].to_numpy()),
                    height=height,
                    xerr=np.nan_to_num(rows[f"{column}_conf"].to_numpy()),
                    color=SENSITIVITY_COLOURS[column],
                    label=name,
                    error_kw={"lw": 0.8, "capsize": 2, "ecolor": "black"},
                )
            ax.set_xlim(min(0.0, ax.get_xlim()[0]), max(1.0, ax.get_xlim()[1]))
            if not legend_drawn:
                ax.legend(
                    loc="lower right",
                    frameon=False,
                    fontsize="small",
                    title="lines: 95% bootstrap interval",
                    title_fontsize="x-small",
                )
                legend_drawn = True
        else:
            ax.barh(y, np.nan_to_num(rows["score"].to_numpy()), height=0.6, color=SENSITIVITY_COLOURS["score"])
            ax.set_xlim(left=0.0)
    for ax in axes.flat[len(shown) :]:
        ax.set_visible(False)
    axes[0, 0].set_yticks(y, order)
    axes[0, 0].invert_yaxis()  # shared: the most influential parameter on top in every panel
    more = f" (first {len(shown)} of {len(strategies)} strategies)" if len(shown) < len(strategies) else ""
    fig.suptitle(f"What drives {measure_label}{more}")
    return save_figure(fig, path)
