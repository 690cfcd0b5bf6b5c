"""The report's options: where a figure goes, checked before the job runs.

Kept apart from the figures themselves so that the command line's start-up (its help
texts and defaults come from these fields) loads neither NumPy nor matplotlib.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from offramp.scenario.options import JobOptions

__all__ = ["FIGURE_SUFFIXES", "FigureOptions"]

#: File formats a figure may be written in: those matplotlib's off-screen canvas writes
#: without anything more installed (pgf needs LaTeX; raw and rgba are not image files).
FIGURE_SUFFIXES = (".png", ".pdf", ".svg", ".svgz", ".eps", ".ps", ".jpg", ".jpeg", ".tif", ".tiff", ".webp")


class FigureOptions(JobOptions):
    """Where a command's figure goes: checked before the job runs, so that a name matplotlib
    cannot write is refused before the work, not after it."""

    plot: Path | None = Field(None, description="figure file, e.g. .png, .pdf or .svg")

    @field_validator("plot")
    @classmethod
    def _check_suffix(cls, path: Path | None) -> Path | None:
        if path is not None and path.suffix.lower() not in FIGURE_SUFFIXES:
            raise ValueError(f"use a figure file name ending in {', '.join(FIGURE_SUFFIXES)} (got {path.name!r})")
        return path
