"""The calibration's pairs figure: the most constrained uncertainties, accepted samples
against rejected ones, with each uncertainty's histogram on the diagonal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from offramp.report.figures import _figure_path, pyplot, save_figure
from offramp.report.options import FigureOptions

if TYPE_CHECKING:
    from offramp.analyse.calibration import Calibration

__all__ = ["PAIRS", "plot_calibration_pairs"]

#: How many of the most constrained uncertainties the figure shows.
PAIRS = 4


def plot_calibration_pairs(
    found: Calibration, plot: str | Path | None = None, *, options: FigureOptions | None = None
) -> Path:
    """A pairs figure of the :data:`PAIRS` most constrained uncertainties.

    Parameters
    ----------
    found : Calibration
    plot : str or Path, optional
        The figure's file (its suffix chooses the format); or give ``options``.
    options : FigureOptions, optional
        Checked options holding the file name.

    Returns
    -------
    Path
        The file written.
    """
    path = _figure_path(plot, options)
    plt = pyplot()
    shown = list(found.constrained[:PAIRS])
    table = found.table
    accepted = table["accepted"].to_numpy(bool)
    size = max(len(shown), 1)
    fig, axes = plt.subplots(size, size, figsize=(2.6 * size + 1, 2.6 * size + 0.5), squeeze=False)
    for i, row_path in enumerate(shown):
        for j, column_path in enumerate(shown):
            axis = axes[i][j]
            x = table[column_path].to_numpy(float)
            if i == j:
                bins = 12
                axis.hist(x, bins=bins, color="0.8", label="all samples")
                if accepted.any():
                    axis.hist(x[accepted], bins=bins, range=(x.min(), x.max()), color="tab:blue", label="accepted")
            else:
                y = table[row_path].to_numpy(float)
                axis.scatter(x[~accepted], y[~accepted], s=6, color="0.75", label="rejected")
                axis.scatter(x[accepted], y[accepted], s=8, color="tab:blue", label="accepted")
            if i == size - 1:
                axis.set_xlabel(column_path, fontsize=8)
            if j == 0:
                axis.set_ylabel(row_path, fontsize=8)
            axis.tick_params(labelsize=7)
    if shown:
        handles, labels = (
            axes[0][-1].get_legend_handles_labels() if size > 1 else axes[0][0].get_legend_handles_labels()
        )
        fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle(
        f"Calibration: {found.accepted} of {found.samples} samples accepted; "
        f"the {len(shown)} most constrained uncertainties"
    )
    return save_figure(fig, path)
