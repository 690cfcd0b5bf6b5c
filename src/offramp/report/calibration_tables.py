"""Terminal tables of a calibration (``offramp calibrate``): pass rates, conflicts,
plausible ranges, and the closest samples when none passes."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from offramp.analyse.calibration import Calibration

__all__ = ["calibration_tables"]


#: Below this many accepted samples the ranges come with a warning.
FEW_ACCEPTED = 20


def _share(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1%}"


def _number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4g}"


def calibration_tables(found: Calibration) -> Group:
    """The calibration's findings as rich tables.

    Parameters
    ----------
    found : Calibration

    Returns
    -------
    rich.console.Group
        A headline, the patterns' pass rates (alone, and the acceptance rate without each),
        the conflicting pairs, the plausible ranges (most constrained first) and, when no
        sample passes, the closest samples and what blocks them.
    """
    parts: list[Table | Text] = []
    headline = (
        f"{found.accepted} of {found.samples} samples ({_share(found.acceptance_rate)}) reproduce every pattern "
        f"({found.exploration.replications} replications each)"
    )
    if found.accepted == 0:
        headline = (
            f"No sample reproduces every pattern (0 of {found.samples}): a finding about the model and the "
            "patterns; the closest samples and what blocks them are below"
        )
    parts.append(Text(headline, style="bold"))
    rates = Table(title="Patterns: pass rates")
    for column in ("pattern", "passes alone", "acceptance without it"):
        rates.add_column(column, justify="left" if column == "pattern" else "right")
    for name in found.patterns:
        rates.add_row(name, _share(found.pass_rates[name]), _share(found.leave_one_out[name]))
    rates.add_row("all (jointly)", _share(found.acceptance_rate), "", style="bold")
    parts.append(rates)
    conflicts = found.conflicts
    if len(conflicts):
        table = Table(title="Conflicting patterns (pass alone, rarely together)")
        for column in ("first", "second", "alone", "alone ", "both", "if independent", "lift"):
            table.add_column(column, justify="left" if column in ("first", "second") else "right")
        for row in conflicts.itertuples():
            table.add_row(
                row.first,
                row.second,
                _share(row.rate_first),
                _share(row.rate_second),
                _share(row.joint),
                _share(row.independent),
                _number(row.lift),
            )
        parts.append(table)
    else:
        parts.append(Text("No conflicting pair of patterns."))
    ranges = Table(title="Plausible ranges (most constrained first)")
    for column in ("uncertainty", "prior", "accepted 5%-95%", "accepted min-max", "width kept", "KS"):
        ranges.add_column(column, justify="left" if column == "uncertainty" else "right")
    for path, row in found.ranges.iterrows():
        ranges.add_row(
            str(path),
            f"{_number(row.prior_low)} - {_number(row.prior_high)}",
            f"{_number(row.q05)} - {_number(row.q95)}",
            f"{_number(row.accepted_min)} - {_number(row.accepted_max)}",
            _share(row.width_share),
            _number(row.ks),
        )
    # With nothing accepted every range is n/a: one line says so instead of a table of them.
    parts.append(ranges if found.accepted else Text("No plausible ranges: no sample was accepted."))
    if 0 < found.accepted < FEW_ACCEPTED:
        # The KS statistic of a handful of points is large by chance: the ranking says
        # where those few samples sit, not yet what the patterns demand.
        parts.append(
            Text(
                f"Only {found.accepted} accepted samples: the ranges and the KS ranking are rough; "
                "calibrate with more samples before reading them as constraints."
            )
        )
    if len(found.closest):
        closest = Table(title="Closest samples (fewest patterns failed, then nearest)")
        for column in ("sample", "failed", "distance", "blocked by"):
            closest.add_column(column, justify="left" if column == "blocked by" else "right")
        for row in found.closest.itertuples():
            closest.add_row(str(row.sample), str(row.failed), _number(row.distance), row.blocking)
        parts.append(closest)
    return Group(*parts)
