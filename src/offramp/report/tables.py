"""Terminal tables (rich): what ``offramp run`` and ``offramp epstein`` print.

Each function takes a job's result and returns a rich renderable; the command line only
prints it. Summaries of the results are computed here from the analysis layer
(:func:`offramp.analyse.outcomes.outcome_summary`), never in the command line.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from offramp.analyse.outcomes import outcome_summary
from offramp.model.unrest import Citizen
from offramp.run.epstein import EpsteinRun, outbursts
from offramp.run.runner import OUTCOME_LABELS, CampaignRun

__all__ = ["campaign_tables", "epstein_table", "OUTBURST_LEVEL"]

#: Share of citizens active above which an upward crossing counts as an outburst.
OUTBURST_LEVEL = 0.05

# Column headings of the end states, short enough for a terminal.
_SHORT = {
    "settlement": "settled",
    "insider_removal": "insiders",
    "direct_conflict": "conflict",
    "military_victory": "won",
    "military_defeat": "lost",
    "ongoing": "going",
}


def campaign_tables(run: CampaignRun) -> Group:
    """How the worlds of an ``offramp run`` ended, and at what cost, per strategy.

    Parameters
    ----------
    run : CampaignRun
        What :func:`offramp.run.campaign.run_campaign` returned.

    Returns
    -------
    rich.console.Group
        Two tables (end states with 95% Wilson intervals and the median end week; mean
        human costs, never summed together) and a line explaining the columns.
    """
    summary = outcome_summary(run.outcomes, OUTCOME_LABELS)
    worlds_each = summary["worlds"].iloc[0]
    ends = Table(title=f"How the worlds ended: {run.scenario_name}, {worlds_each} worlds per strategy, seed {run.seed}")
    ends.add_column("strategy", no_wrap=True)
    for label in OUTCOME_LABELS:
        ends.add_column(_SHORT.get(label, label), justify="right")
    ends.add_column("median end wk", justify="right")
    costs = Table(title="At what cost (means per world; never summed together)")
    costs.add_column("strategy", no_wrap=True)
    for column in ("war deaths", "periphery casualties", "direct conflict %", "peak tension"):
        costs.add_column(column, justify="right")
    # Seven end states do not fit a terminal with their intervals in every cell: the cells
    # give the shares, the note the widest 95% interval of the table.
    widest = max(
        max(row[f"{label}_share"] - row[f"{label}_low"], row[f"{label}_high"] - row[f"{label}_share"])
        for _, row in summary.iterrows()
        for label in OUTCOME_LABELS
    )
    for _, row in summary.iterrows():
        shares = [f"{100 * row[f'{label}_share']:.0f}" for label in OUTCOME_LABELS]
        median = row["median_end_week"]
        ends.add_row(row["strategy"], *shares, "-" if median != median else f"{median:.0f}")  # NaN: none ended
        costs.add_row(
            row["strategy"],
            f"{row['mean_war_deaths']:,.0f}",
            f"{row['mean_periphery_casualties']:,.1f}",
            f"{100 * row['direct_conflict_share']:.1f}",
            f"{row['mean_peak_tension']:.2f}",
        )
    note = Text(
        f"Shares in %; every 95% Wilson interval lies within ±{100 * widest:.0f} points of its share. "
        "going = still at war at the horizon, settled = off-ramp, insiders = removal by insiders, "
        "won / lost = the war decided on the battlefield for / against the leader, "
        "conflict = direct conflict with the coercer. Worlds that end in direct "
        "conflict are charged war deaths at full intensity to the horizon; their periphery casualties are "
        "censored (left out of the mean)."
    )
    return Group(ends, costs, note)


def epstein_table(run: EpsteinRun) -> Table:
    """Shares of quiet, active and jailed citizens of an ``offramp epstein`` run, and its
    outbursts.

    Parameters
    ----------
    run : EpsteinRun
        What :func:`offramp.run.epstein.epstein_job` (or ``run_epstein``) returned.

    Returns
    -------
    rich.table.Table
        Per state: the mean share over the run, at the end and at its peak (means over
        worlds); and the mean number of outbursts (upward crossings of
        :data:`OUTBURST_LEVEL` by the active share) per world.
    """
    counts = run.counts
    shares = counts / counts.sum(axis=2, keepdims=True)
    table = Table(title=f"Epstein civil violence: {counts.shape[0]} world(s), {counts.shape[1] - 1} steps")
    for column in ("", "mean over run", "at the end", "peak"):
        table.add_column(column, justify="right")
    for state in Citizen:
        series = shares[:, :, state]
        table.add_row(
            f"{state.name.lower()} share",
            f"{series.mean():.3f}",
            f"{series[:, -1].mean():.3f}",
            f"{series.max(axis=1).mean():.3f}",
        )
    bursts = outbursts(shares[:, :, Citizen.ACTIVE], OUTBURST_LEVEL)
    table.add_row(f"outbursts (>{100 * OUTBURST_LEVEL:.0f}% active)", f"{bursts.mean():.2f}", "", "")
    return table
