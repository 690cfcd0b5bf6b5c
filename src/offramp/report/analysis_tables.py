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
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from offramp.analyse.analysis import Analysis
from offramp.report.summary import summarise

__all__ = ["print_analysis", "robustness_table"]


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
    for sentence in summarise(analysis):
        console.print(f"- {sentence}", markup=False)
    for part, note in analysis.notes.items():
        console.print(f"note ({part}): {note}", markup=False)
    console.print(f"analysed {len(analysis.study.experiments):,} experiments in {analysis.seconds:.1f} s")
