"""Figures (matplotlib, drawn off-screen): what people would rather look at than read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from offramp.model.unrest import Citizen

__all__ = ["CITIZEN_COLOURS", "plot_citizen_shares"]

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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
