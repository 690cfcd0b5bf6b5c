"""Progress bars for long work (rich), off when not wanted or not on a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(label: str, total: int, enabled: bool = True, unit: str = "steps") -> Iterator[Callable[[int], None]]:
    """A context giving ``advance(n, description=None)``; draws a rich progress bar with
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
        Name of the unit, for the rate column.
    """
    if not enabled:
        yield lambda n=1, description=None: None
        return
    from rich.progress import (
        BarColumn,
        ProgressColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class _RateColumn(ProgressColumn):
        """Units per second; blank until rich has measured a rate."""

        def __init__(self, unit_name: str) -> None:
            super().__init__()
            self.unit_name = unit_name

        def render(self, task):
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.0f} {self.unit_name}/s")

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        _RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1, description=None: bar.update(task, advance=n, description=description)
