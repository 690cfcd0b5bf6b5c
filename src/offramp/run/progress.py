"""Progress bars for long work (rich), off when not wanted or not on a terminal.

The one progress bar of offramp: ``offramp run``, ``epstein``, ``explore`` and
``analyze`` all draw it, so they look alike (label, bar, done of total, percentage, rate,
time elapsed, time left).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.progress import Task
    from rich.text import Text

__all__ = ["Advance", "progress_bar"]


class Advance(Protocol):
    """What :func:`progress_bar` yields: ``advance(n=1, description=None)``."""

    def __call__(self, n: int = 1, description: str | None = None) -> None:
        """Count ``n`` more units done; a description replaces the bar's label.

        Parameters
        ----------
        n : int
            Units done since the last call (0 only renames the bar).
        description : str or None
            The bar's new label, naming the current step; None keeps the label.
        """


def _advance_nothing(n: int = 1, description: str | None = None) -> None:
    """The :class:`Advance` of a bar that is off: it has nothing to draw."""


@contextmanager
def progress_bar(
    label: str,
    total: int,
    enabled: bool = True,
    unit: str = "steps",
    completed: int = 0,
    rate_format: str = ",.0f",
) -> Iterator[Advance]:
    """A context giving ``advance(n=1, description=None)``; draws a rich progress bar with
    rate and time left (a description replaces the label, to name the current step).

    Parameters
    ----------
    label : str
        What is being done.
    total : int
        Units of work in all.
    enabled : bool
        False gives a no-op ``advance``.
    unit : str
        Name of the unit, for the rate column (``"experiments"`` shows ``experiments/s``).
    completed : int
        Units already done before this bar starts (a resumed run): the bar starts there,
        and the rate counts only the units advanced while it is shown.
    rate_format : str
        Format spec of the rate, e.g. ``",.0f"`` or ``".1f"`` for a few units per second.

    Yields
    ------
    callable
        ``advance(n=1, description=None)``: ``n`` more units done.
    """
    if not enabled:
        yield _advance_nothing
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class _RateColumn(ProgressColumn):
        """Units per second; blank until rich has measured a rate."""

        def __init__(self, unit_name: str, spec: str) -> None:
            super().__init__()
            self.unit_name, self.spec = unit_name, spec

        def render(self, task: Task) -> Text:
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:{self.spec}} {self.unit_name}/s")

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RateColumn(unit, rate_format),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        # rich measures speed from the advances only, so a starting count adds no rate.
        task = bar.add_task(label, total=total, completed=completed)

        def advance(n: int = 1, description: str | None = None) -> None:
            bar.update(task, advance=n, description=description)

        yield advance
