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
