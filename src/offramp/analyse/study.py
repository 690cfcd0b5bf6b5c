"""A study: the experiments of one exploration and what they came from.

Every analysis takes a :class:`Study`: the experiment rows (one per world and strategy),
the design's parameters and ranges, the scenario's claims and the run's bookkeeping.
:meth:`Study.from_directory` reads an ``offramp explore`` directory; tests and other
tools build one directly from a DataFrame, so every analysis can be checked on
hand-made tables.

Choices
-------
1. The study is read once, at the edge: the manifest's scenario text is parsed again
   (the claims and ranges come from it, not from a second copy), missing chunks are
   counted, and a directory with no finished experiments is an error naming it.
2. Per-sample numbers (:func:`offramp.analyse.measures.sample_measures`) are computed
   from the experiment rows on demand; nothing derived is stored in the study.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from offramp.errors import InputError

__all__ = ["Claim", "Study"]


@dataclass(frozen=True, slots=True)
class Claim:
    """One of the essay's claims as two groups of parameter ranges.

    Attributes
    ----------
    id : str
        ``C1`` .. ``Cn``.
    text : str
        The claim in words.
    essay, sceptic : dict of str to (float, float)
        The ranges of its parameters if the essay is right, and if a sceptic is.
    """

    id: str
    text: str
    essay: Mapping[str, tuple[float, float]]
    sceptic: Mapping[str, tuple[float, float]]


@dataclass(frozen=True, eq=False)
class Study:
    """The experiments of one exploration and what they came from.

    Attributes
    ----------
    experiments : pandas.DataFrame
        One row per experiment: ``sample``, ``replication``, ``strategy``, one float
        column per parameter path, ``claims.Cn`` sides for a claims design, and the
        outcome columns of ``offramp run`` (``outcome``, ``end_week``, ``war_deaths``,
        ``periphery_casualties``, ``direct_conflict``, ...).
    parameters : tuple of str
        The varied parameter paths (columns of ``experiments``), in the design's order.
    bounds : dict of str to (float, float)
        The range each parameter was sampled over.
    strategies : tuple of str
        Strategy names in the run's order.
    design : str
        The design's name (``lhs``, ``sobol``, ``morris``, ``factorial``, ``claims``).
    design_settings : dict
        The design's settings (``samples``, ``second_order``, ``levels``).
    samples : int
        S, the design's rows (sample ids are 0 .. S-1).
    replications : int
        Worlds per sample.
    horizon : int
        Weeks a world runs at most.
    claims : tuple of Claim
        The scenario's claims, by number.
    scenario : dict
        ``name``, ``file``, ``hash`` and ``text`` of the scenario.
    seed : int or None
    offramp_version : str
        The version that ran the experiments.
    missing_chunks : int
        Chunks the manifest lists whose files are missing or invalid.
    source : str
        Where the study came from (a directory, or a description).
    """

    experiments: pd.DataFrame
    parameters: tuple[str, ...]
    bounds: Mapping[str, tuple[float, float]]
    strategies: tuple[str, ...]
    design: str = "lhs"
    design_settings: Mapping[str, object] = field(default_factory=dict)
    samples: int = 0
    replications: int = 1
    horizon: int = 104
    claims: tuple[Claim, ...] = ()
    scenario: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None
    offramp_version: str = ""
    missing_chunks: int = 0
    source: str = "a table"

    def __post_init__(self) -> None:
        frame = self.experiments
        for column in ("sample", "strategy", "outcome", "end_week", *self.parameters):
            if column not in frame.columns:
                raise InputError(self.source, f"the experiments have no {column!r} column")
        unknown = sorted(set(frame["strategy"].unique()) - set(self.strategies))
        if unknown:
            raise InputError(self.source, f"strategy {unknown[0]!r} is not among the study's strategies")
        if self.samples == 0 and len(frame):
            object.__setattr__(self, "samples", int(frame["sample"].max()) + 1)

    @property
    def is_complete(self) -> bool:
        """Whether every (sample, strategy) pair has all its replications."""
        expected = self.samples * self.replications * len(self.strategies)
        return self.missing_chunks == 0 and len(self.experiments) == expected

    def claim(self, claim_id: str) -> Claim:
        """The claim with this id.

        Parameters
        ----------
        claim_id : str

        Returns
        -------
        Claim
        """
        for claim in self.claims:
            if claim.id == claim_id:
                return claim
        raise InputError("claim", f"{claim_id!r} is not one of the scenario's claims")

    def design_values(self) -> pd.DataFrame:
        """The sampled parameter values, one row per sample present (index ``sample``).

        Returns
        -------
        pandas.DataFrame
        """
        values = self.experiments.groupby("sample", sort=True)[list(self.parameters)].first()
        return values

    @classmethod
    def from_directory(cls, directory: str | Path, option: str = "directory") -> Study:
        """Read an ``offramp explore`` directory (choice 1).

        Parameters
        ----------
        directory : str or Path
            The run's ``--out`` directory.
        option : str
            What to call the directory in messages.

        Returns
        -------
        Study

        Raises
        ------
        InputError
            Not an explore directory, an unreadable manifest, or no finished experiment.
        """
        from offramp.explore.dataset import load_counting, read_manifest
        from offramp.scenario.load import parse_scenario

        directory = Path(directory)
        if not directory.exists():
            raise InputError(str(directory), "no such directory")
        manifest = read_manifest(directory, option=option)
        data = manifest.data
        scenario_info = dict(data.get("scenario", {}))
        scenario = parse_scenario(str(scenario_info.get("text", "")), str(scenario_info.get("file", "scenario")))
        frame, missing_chunks, _ = load_counting(directory, option=option)
        if len(frame) == 0:
            raise InputError(str(directory), "holds no finished experiment (run or --resume offramp explore first)")
        design = dict(data.get("design", {}))
        parameters = tuple(design.get("parameters", ()))
        claims = tuple(
            Claim(
                claim_id,
                section.claim,
                {p: _float_pair(r) for p, r in section.essay.items()},
                {p: _float_pair(r) for p, r in section.sceptic.items()},
            )
            for claim_id, section in sorted(scenario.claims.items(), key=lambda item: int(item[0][1:]))
        )
        bounds = {
            path: _float_pair(scenario.uncertainties[path]) for path in parameters if path in scenario.uncertainties
        }
        for path in parameters:
            if path not in bounds:  # a claims design's parameter outside the uncertainties
                column = frame[path]
                bounds[path] = (float(column.min()), float(column.max()))
        return cls(
            experiments=frame,
            parameters=parameters,
            bounds=bounds,
            strategies=tuple(manifest.strategies),
            design=str(design.get("name", "lhs")),
            design_settings=dict(design.get("settings", {})),
            samples=int(data.get("samples", 0)),
            replications=int(data.get("replications", 1)),
            horizon=int(scenario.scenario.horizon_weeks),
            claims=claims,
            scenario=scenario_info,
            seed=data.get("seed"),
            offramp_version=str(data.get("offramp_version", "")),
            missing_chunks=missing_chunks,
            source=str(directory),
        )


def _float_pair(pair: Sequence[float]) -> tuple[float, float]:
    """A scenario's [low, high] range as a pair of floats."""
    low, high = pair
    return float(low), float(high)
