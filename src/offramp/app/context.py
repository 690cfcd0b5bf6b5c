"""What ``offramp app`` was started with, checked once before the server starts.

The app reads files only under the directories its command line names: the scenario's
folder (its ``.toml`` files are the scenarios the World, Compare and Play views offer) and
the results directory. Everything is checked here, at the edge, so that a bad scenario or
results directory stops the command with one line before any server exists; inside the
page, the views trust a context and report only what the user does there.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from offramp.analyse.criteria import Criteria, load_criteria
from offramp.analyse.study import Study
from offramp.errors import InputError
from offramp.scenario.load import ScenarioSource, load_scenario, parse_scenario

__all__ = ["AppContext", "app_context"]


@dataclass(frozen=True)
class AppContext:
    """The app's inputs, checked.

    Attributes
    ----------
    scenario : ScenarioSource or None
        The scenario named on the command line (the views' first choice), or the one an
        exploration was run on when only ``--results`` was given; None when neither.
    scenario_dir : Path or None
        The folder whose ``.toml`` files the views offer (the scenario's folder).
    results : Path or None
        The ``offramp explore`` directory given with ``--results``.
    study : Study or None
        Its experiments, read once.
    criteria : Criteria
        What success is, for the Results view (checked against the study's columns and
        strategies).
    """

    scenario: ScenarioSource | None
    scenario_dir: Path | None
    results: Path | None
    study: Study | None
    criteria: Criteria = field(default_factory=Criteria)

    def scenario_files(self) -> list[Path]:
        """The scenario files the views offer: the ``.toml`` files of the scenario's folder
        that have a ``[scenario]`` table (criteria and pattern files beside them do not).

        A file with a ``[scenario]`` table that does not validate is offered all the
        same: choosing it says what is wrong with it, in the page.

        Returns
        -------
        list of Path
            Sorted by name; the command line's scenario first.
        """
        if self.scenario_dir is None:
            return []
        found = sorted(path for path in self.scenario_dir.glob("*.toml") if _has_scenario_table(path))
        first = [path for path in found if self.scenario is not None and path.name == self.scenario.name]
        return first + [path for path in found if path not in first]

    def load(self, name: str) -> ScenarioSource:
        """Load one of :meth:`scenario_files` by file name; nothing outside them.

        Parameters
        ----------
        name : str
            The file's name (no folder).

        Returns
        -------
        ScenarioSource

        Raises
        ------
        InputError
            A name not offered, or a file that does not load (one line, naming the field).
        """
        if self.scenario is not None and name == self.scenario.name and self.scenario_dir is None:
            return self.scenario
        offered = {path.name: path for path in self.scenario_files()}
        if name not in offered:
            raise InputError(name, "not a scenario file of this app's scenario folder")
        return load_scenario(offered[name])


def _has_scenario_table(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return isinstance(tomllib.load(handle).get("scenario"), dict)
    except (OSError, tomllib.TOMLDecodeError):
        return path.is_file()  # unreadable TOML: offer it, and say why when it is chosen


def app_context(
    scenario: str | Path | None = None, results: str | Path | None = None, criteria: str | Path | None = None
) -> AppContext:
    """Check the app's command line: the scenario file and the results directory.

    Parameters
    ----------
    scenario : str, Path or None
        A scenario file (TOML).
    results : str, Path or None
        An ``offramp explore`` directory.
    criteria : str, Path or None
        A criteria file for the Results view; None: the defaults.

    Returns
    -------
    AppContext

    Raises
    ------
    InputError
        A scenario file that is missing or does not validate, a results directory that is
        not a finished exploration, neither given, or a criteria file that does not load
        or names columns or strategies the exploration lacks.
    """
    if scenario is None and results is None:
        raise InputError("scenario", "give a scenario file, --results DIR, or both")
    source = load_scenario(scenario) if scenario is not None else None
    study = Study.from_directory(results, option="--results") if results is not None else None
    if criteria is not None and study is None:
        raise InputError("--criteria", "applies to --results: give the exploration to judge")
    judged = load_criteria(criteria)
    if study is not None:
        judged.check_against(study.experiments.columns, study.strategies, where=Path(criteria or "criteria").name)
    if source is None and study is not None:
        text, name = str(study.scenario.get("text", "")), str(study.scenario.get("file", "scenario"))
        source = ScenarioSource(parse_scenario(text, name), text, name)
    return AppContext(
        scenario=source,
        scenario_dir=Path(scenario).resolve().parent if scenario is not None else None,
        results=Path(results).resolve() if results is not None else None,
        study=study,
        criteria=judged,
    )
