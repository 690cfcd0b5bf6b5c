"""The options of ``offramp analyze``, validated once at the edge.

:class:`AnalyzeOptions` are the keyword options of :func:`offramp.analyse.analysis.analyze`;
:class:`AnalyzeCommandOptions` adds the HTML report's path, which the command line
composes with the analysis (``report`` renders what ``analyse`` computed). The command
line builds the model once, before anything is read, so a bad name fails at once; its
help texts and defaults come from these fields.

This module imports only pydantic and :mod:`offramp.scenario.options`: the command line
reads it for ``--help`` without loading pandas or the analysis.

Choices
-------
1. The study directory and the criteria file are inputs, not options: each is checked
   where it is read (:meth:`~offramp.analyse.study.Study.from_directory`,
   :func:`~offramp.analyse.criteria.load_criteria`), with the file and field named.
2. Strategy names given to ``discover`` can only be checked against the study, once it
   is read; :func:`~offramp.analyse.analysis.analyze` does it and raises
   :class:`~offramp.errors.OptionError` for ``discover``.
3. The report is HTML: a name ending in anything but ``.html`` or ``.htm`` is refused
   before the analysis runs, not after.
4. The ``plausible`` directory is an input read with the study
   (:func:`~offramp.analyse.plausible.select_plausible`): whether it holds patterns, and
   whether the study ran the strategies they need, is checked there and raised as
   :class:`~offramp.errors.OptionError` for ``plausible``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from offramp.scenario.options import JobOptions

__all__ = ["REPORT_SUFFIXES", "AnalyzeCommandOptions", "AnalyzeOptions"]

#: The file name endings a report may have (choice 3).
REPORT_SUFFIXES = (".html", ".htm")


class AnalyzeOptions(JobOptions):
    """The keyword options of :func:`~offramp.analyse.analysis.analyze`."""

    tables: Path | None = Field(None, description="write every table as Parquet into this directory")
    discover: tuple[str, ...] | None = Field(
        None, description="explain the failures of these strategies (replaces the criteria's discovery.strategies)"
    )
    plausible: Path | None = Field(
        None,
        description="also analyse only the samples that reproduce the patterns of this offramp calibrate "
        "directory (its calibration/patterns.toml), side by side with all worlds",
    )
    seed: int = Field(0, ge=0, lt=2**32, description="seed of the bootstraps, the extra trees and CART")
    progress: bool = Field(True, description="show a progress bar")

    @field_validator("discover")
    @classmethod
    def _named(cls, names: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """A strategy name is a non-empty string (whether it was run is checked later, choice 2)."""
        for name in names or ():
            if not name.strip():
                raise ValueError("a strategy name is empty")
        return names


class AnalyzeCommandOptions(AnalyzeOptions):
    """The options of the ``offramp analyze`` command: the analysis's, and where its report goes."""

    report: Path | None = Field(None, description="write the HTML report here, e.g. report.html")

    @field_validator("report")
    @classmethod
    def _is_html(cls, path: Path | None) -> Path | None:
        """Choice 3: the report's name ends in .html or .htm."""
        if path is not None and path.suffix.lower() not in REPORT_SUFFIXES:
            raise ValueError(f"{path.name!r} is not HTML; give a name ending in .html or .htm")
        return path
