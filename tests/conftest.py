"""Fixtures shared by several test files."""

from __future__ import annotations

from pathlib import Path

import pytest

QUICK = Path(__file__).resolve().parents[1] / "scenarios" / "quick.toml"


@pytest.fixture(scope="session")
def quick_exploration(tmp_path_factory) -> Path:
    """A small real exploration of quick.toml (lhs, 24 samples x 2 replications, every
    strategy), run once per session; tests read it and must not change it."""
    from offramp.explore.experiments import explore

    directory = tmp_path_factory.mktemp("quick-exploration") / "run"
    explore(QUICK, design="lhs", samples=24, replications=2, seed=0, out=directory, workers=2, progress=False)
    return directory


@pytest.fixture(scope="session")
def quick_study_without_baseline(quick_exploration):
    """The quick exploration as a study that never ran the claim audit's baseline: the
    ``nothing`` strategy's experiments and name are dropped, every other strategy's kept
    as run. It is how analyze sees a run of every strategy but ``nothing`` (the uplift
    over it cannot be audited), without running the exploration again."""
    import dataclasses

    from offramp.analyse.study import Study

    study = Study.from_directory(quick_exploration)
    assert "nothing" in study.strategies, "quick.toml runs the baseline: dropping it must change the study"
    kept = study.experiments[study.experiments["strategy"] != "nothing"].reset_index(drop=True)
    strategies = tuple(s for s in study.strategies if s != "nothing")
    return dataclasses.replace(study, experiments=kept, strategies=strategies)
