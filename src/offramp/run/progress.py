"""Progress bars for long work (rich), off when not wanted or not on a terminal.

The one progress bar of offramp: ``offramp run``, ``epstein``, ``explore`` and
``analyze`` all draw it, so they look alike (label, bar, done of total, percentage, rate,
time elapsed, time left).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(
    label: str,
    total: int,
    enabled: bool = True,
    unit: str = "steps",
    completed: int = 0,
    rate_format: str = ",.0f",
) -> Iterator[Callable[..., None]]:
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
        yield lambda n=1, description=None: None
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

        def render(self, task):
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
        yield lambda n=1, description=None: bar.update(task, advance=n, description=description)
