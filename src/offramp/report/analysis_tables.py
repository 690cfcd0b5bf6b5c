"""An analysis on the terminal: what ``offramp analyze`` prints (rich).

:func:`robustness_table` is the ranking of strategies as a rich table;
:func:`print_analysis` prints it, the summary's sentences
(:func:`offramp.report.summary.summarise`, the same as the HTML report's), every note of
the analysis and the time it took. The command line only composes: analyse, then render.

Choices
-------
1. Sentences and notes are printed without rich markup: they quote strategy names,
   criteria and error messages, whose brackets must not be read as styles.
2. Shares are whole percentages with the 95% interval in brackets, as in
   ``offramp run``'s tables; the HTML report and the Parquet tables have the digits.
3. With a plausible part (``--plausible``), :func:`plausible_table` sets all worlds and
   plausible worlds side by side, one row per strategy: the settlement share, the
   satisficing share and the rank, each as "all | plausible", under a title giving the
   number of samples behind each.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from offramp.analyse.analysis import Analysis
from offramp.report.summary import summarise

__all__ = ["plausible_table", "print_analysis", "robustness_table"]


def robustness_table(analysis: Analysis) -> Table:
    """The strategies ranked by robustness, as a rich table (choice 2).

    Parameters
    ----------
    analysis : Analysis
        :func:`offramp.analyse.analysis.analyze`'s result.

    Returns
    -------
    rich.table.Table
        One row per strategy, best-ranked first: rank, strategy, satisficing share (%, 95%
        interval in brackets), mean objective, mean and 90th-percentile regret.
    """
    criteria = analysis.criteria
    table = Table(
        title=f"Robustness: {analysis.study.scenario.get('name', '')}; satisfices: {criteria.text}; "
        f"objective: {criteria.objective.label}"
    )
    table.add_column("rank", justify="right")
    table.add_column("strategy", no_wrap=True)
    table.add_column("satisfices %", justify="right")
    table.add_column("mean objective", justify="right")
    table.add_column("mean regret", justify="right")
    table.add_column("90% regret", justify="right")
    for row in analysis.robustness.sort_values("rank").itertuples():
        table.add_row(
            str(row.rank),
            row.strategy,
            f"{100 * row.satisficing_share:.0f} [{100 * row.satisficing_low:.0f}-{100 * row.satisficing_high:.0f}]",
            f"{row.mean_objective:.3g}",
            f"{row.mean_regret:.3g}",
            f"{row.p90_regret:.3g}",
        )
    return table


def plausible_table(analysis: Analysis) -> Table | None:
    """All worlds and plausible worlds side by side, as a rich table (choice 3).

    Parameters
    ----------
    analysis : Analysis
        :func:`offramp.analyse.analysis.analyze`'s result.

    Returns
    -------
    rich.table.Table or None
        One row per strategy, in the robustness ranking on all worlds: settlement share,
        satisficing share and rank, each on all worlds and on plausible worlds; None
        without a plausible part, or when no sample is plausible (its note says so).
    """
    view = analysis.plausible
    if view is None or not view.count:
        return None
    total = int(analysis.study.experiments["sample"].nunique())
    table = Table(title=f"All worlds ({total:,} samples) | plausible worlds ({view.count:,} samples)")
    table.add_column("strategy", no_wrap=True)
    for heading in ("settlement %", "satisfices %", "rank"):
        table.add_column(f"{heading} all | plausible", justify="right")
    settled = {
        frame_name: dict(
            zip(frame["strategy"], frame.get("settlement_share", [float("nan")] * len(frame)), strict=True)
        )
        for frame_name, frame in (("all", analysis.outcomes), ("plausible", view.outcomes))
    }
    robust = {
        name: frame.set_index("strategy")[["satisficing_share", "rank"]] if len(frame) else None
        for name, frame in (("all", analysis.robustness), ("plausible", view.robustness))
    }

    def share(value: object) -> str:
        if not isinstance(value, int | float) or value != value:  # None, or NaN (NaN != NaN)
            return "-"
        return f"{100 * float(value):.0f}"

    def looked_up(name: str, strategy: str, column: str) -> object:
        frame = robust[name]
        return None if frame is None or strategy not in frame.index else frame.loc[strategy, column]

    for strategy in analysis.robustness.sort_values("rank")["strategy"]:
        ranks = [looked_up(name, strategy, "rank") for name in ("all", "plausible")]
        table.add_row(
            strategy,
            " | ".join(share(settled[name].get(strategy)) for name in ("all", "plausible")),
            " | ".join(share(looked_up(name, strategy, "satisficing_share")) for name in ("all", "plausible")),
            " | ".join("-" if rank is None else str(rank) for rank in ranks),
        )
    return table


def print_analysis(analysis: Analysis, console: Console) -> None:
    """Print an analysis: the robustness table, the summary, the notes and the time taken.

    Parameters
    ----------
    analysis : Analysis
        :func:`offramp.analyse.analysis.analyze`'s result.
    console : rich.console.Console
        Where to print.
    """
    console.print(robustness_table(analysis))
    side_by_side = plausible_table(analysis)
    if side_by_side is not None:
        console.print(side_by_side)
    for sentence in summarise(analysis):
        console.print(f"- {sentence}", markup=False)
    for part, note in analysis.notes.items():
        console.print(f"note ({part}): {note}", markup=False)
    console.print(f"analysed {len(analysis.study.experiments):,} experiments in {analysis.seconds:.1f} s")
