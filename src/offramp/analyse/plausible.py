"""Plausible worlds: the samples of an exploration that reproduce a calibration's patterns
(pattern-oriented modelling; Grimm et al. 2005, *Science* 310(5750): 987–991,
doi:10.1126/science.1116681).

``offramp analyze DIR --plausible CALIB_DIR`` reads the patterns an ``offramp calibrate``
directory was made with (``CALIB_DIR/calibration/patterns.toml``), computes every
pattern's statistic on DIR's own experiments and keeps the samples that pass them all.
:func:`select_plausible` does the selecting, :func:`restrict_study` gives the study of
those samples; :func:`offramp.analyse.analysis.analyze` recomputes outcomes, robustness and
the claim audit on it and holds them in a :class:`PlausibleView` beside the analysis of
all worlds.

Choices
-------
1. The patterns are judged on DIR's rows, not read from the calibration's
   ``statistics.parquet``: DIR's samples are not the calibration's, and a sample is
   plausible by what its own worlds did. So DIR must have run every strategy the
   patterns need; if not, that is one :class:`~offramp.errors.OptionError` for
   ``plausible`` naming the strategies missing.
2. The patterns are checked against DIR's scenario (the text its manifest holds), with
   :func:`offramp.scenario.patterns.load_patterns`; a calibration made on another
   scenario is usable as long as its patterns make sense there.
3. Restricting keeps the sample ids and the study's design size: a plausible sample is
   the same sample, and per-sample tables can be joined with those of all worlds.
4. No sample passing is a finding, not an error: the view holds no tables and a note
   says so (:attr:`PlausibleView.note`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from offramp.analyse.patterns import pattern_acceptance, pattern_statistics
from offramp.analyse.study import Study
from offramp.errors import OptionError
from offramp.scenario.patterns import Patterns, load_patterns

__all__ = ["PATTERNS_FILE", "PlausibleSelection", "PlausibleView", "restrict_study", "select_plausible"]

#: Where an ``offramp calibrate`` directory keeps the patterns it was made with.
PATTERNS_FILE = Path("calibration") / "patterns.toml"


@dataclass(frozen=True, eq=False)
class PlausibleSelection:
    """Which samples of a study reproduce a calibration's patterns.

    Attributes
    ----------
    source : str
        The calibration directory.
    patterns : Patterns
    statistics : pandas.DataFrame
        float64, one row per sample of the study (index ``sample``), one column per
        pattern (:func:`~offramp.analyse.patterns.pattern_statistics`).
    acceptance : pandas.DataFrame
        bool, the same rows: one column per pattern, then ``accepted``
        (:func:`~offramp.analyse.patterns.pattern_acceptance`).
    pass_rates : pandas.DataFrame
        One row per pattern (in the file's order), then a last row ``all patterns``:
        ``pattern``, ``low``, ``high`` (the accepted range; NaN on the last row),
        ``passed`` (samples that pass), ``samples`` (samples judged) and ``pass_rate``.
    """

    source: str
    patterns: Patterns
    statistics: pd.DataFrame
    acceptance: pd.DataFrame
    pass_rates: pd.DataFrame

    @property
    def samples(self) -> tuple[int, ...]:
        """The accepted sample ids, ascending."""
        accepted = self.acceptance["accepted"]
        return tuple(int(sample) for sample in accepted.index[accepted.to_numpy()])


@dataclass(frozen=True, eq=False)
class PlausibleView:
    """The analysis restricted to the plausible samples, beside the one of all worlds.

    Attributes
    ----------
    selection : PlausibleSelection
        The patterns, their statistics and pass rates on the study, and the accepted samples.
    study : Study
        The study of the accepted samples (:func:`restrict_study`).
    outcomes, per_sample, regret, satisficing, robustness, claim_detail, claim_verdicts : pandas.DataFrame
        The tables of :class:`~offramp.analyse.analysis.Analysis` of the same names,
        computed by the same functions on :attr:`study`; empty when no sample is accepted
        or the part is empty on all worlds too.
    note : str or None
        Why the tables are empty (no sample accepted), else None (choice 4).
    """

    selection: PlausibleSelection
    study: Study
    outcomes: pd.DataFrame = field(default_factory=pd.DataFrame)
    per_sample: pd.DataFrame = field(default_factory=pd.DataFrame)
    regret: pd.DataFrame = field(default_factory=pd.DataFrame)
    satisficing: pd.DataFrame = field(default_factory=pd.DataFrame)
    robustness: pd.DataFrame = field(default_factory=pd.DataFrame)
    claim_detail: pd.DataFrame = field(default_factory=pd.DataFrame)
    claim_verdicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    note: str | None = None

    @property
    def samples(self) -> tuple[int, ...]:
        """The accepted sample ids, ascending."""
        return self.selection.samples

    @property
    def count(self) -> int:
        """How many samples are plausible."""
        return len(self.selection.samples)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the view by name, each prefixed ``plausible_`` (what ``--tables`` writes).

        Returns
        -------
        dict of str to pandas.DataFrame
        """
        acceptance = self.selection.acceptance.add_prefix("pass.").rename(columns={"pass.accepted": "accepted"})
        per_sample = self.selection.statistics.join(acceptance).reset_index()
        return {
            "plausible_patterns": per_sample,
            "plausible_pass_rates": self.selection.pass_rates,
            "plausible_outcomes": self.outcomes,
            "plausible_per_sample": self.per_sample,
            "plausible_regret": self.regret,
            "plausible_satisficing": self.satisficing,
            "plausible_robustness": self.robustness,
            "plausible_claim_audit": self.claim_detail,
            "plausible_claim_verdicts": self.claim_verdicts,
        }


def select_plausible(study: Study, calibration: str | Path) -> PlausibleSelection:
    """The samples of a study that reproduce every pattern of a calibration directory.

    Parameters
    ----------
    study : Study
        The exploration to restrict; its scenario text (``study.scenario["text"]``) is
        what the patterns are checked against (choice 2).
    calibration : str or Path
        An ``offramp calibrate`` directory (its ``--out``), holding ``calibration/patterns.toml``.

    Returns
    -------
    PlausibleSelection

    Raises
    ------
    OptionError
        For ``plausible``: the directory holds no patterns file, the study holds no
        scenario text, or the study did not run a strategy the patterns need (choice 1).
    InputError
        The patterns file is unreadable or names what DIR's scenario lacks.
    """
    from offramp.scenario.load import parse_scenario

    calibration = Path(calibration)
    path = calibration / PATTERNS_FILE
    if not path.is_file():
        raise OptionError(
            "plausible", f"{calibration}: no {PATTERNS_FILE.as_posix()} (not an offramp calibrate directory)"
        )
    text = str(study.scenario.get("text", ""))
    if not text:
        raise OptionError("plausible", f"{study.source} holds no scenario text to check the patterns against")
    scenario = parse_scenario(text, str(study.scenario.get("file", "scenario")))
    patterns = load_patterns(path, scenario)
    ran = set(study.experiments["strategy"].unique())
    missing = [name for name in patterns.strategies if name not in ran]
    if missing:
        raise OptionError(
            "plausible",
            f"{study.source} did not run {', '.join(repr(name) for name in missing)}, which the patterns of "
            f"{path} need; explore them too",
        )
    statistics = pattern_statistics(study.experiments, patterns)
    acceptance = pattern_acceptance(statistics, patterns)
    judged = len(acceptance)
    rows = [
        {
            "pattern": pattern.name,
            "low": float(pattern.accepted[0]),
            "high": float(pattern.accepted[1]),
            "passed": int(acceptance[pattern.name].sum()),
        }
        for pattern in patterns.patterns
    ]
    rows.append(
        {
            "pattern": "all patterns",
            "low": float("nan"),
            "high": float("nan"),
            "passed": int(acceptance["accepted"].sum()),
        }
    )
    rates = pd.DataFrame(rows, columns=["pattern", "low", "high", "passed"])
    rates["samples"] = judged
    rates["pass_rate"] = rates["passed"] / judged if judged else float("nan")
    return PlausibleSelection(str(calibration), patterns, statistics, acceptance, rates)


def restrict_study(study: Study, samples: tuple[int, ...] | list[int]) -> Study:
    """The study of some of its samples (choice 3).

    Parameters
    ----------
    study : Study
    samples : sequence of int
        The sample ids to keep.

    Returns
    -------
    Study
        The same study with only those samples' experiments; ids, design size and
        everything else unchanged.
    """
    kept = study.experiments[study.experiments["sample"].isin(list(samples))].reset_index(drop=True)
    return dataclasses.replace(study, experiments=kept)
