"""The golden cases: small runs of every command whose numbers must not change unnoticed.

Each case runs one command line through ``offramp.cli.main`` and gives back the tables it
wrote, as DataFrames. ``tests/test_golden.py`` compares them with the files in
``tests/golden/``; ``python tests/make_golden.py`` (and only it) rewrites those files, so
that a change of results is always a visible diff to review.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from offramp.cli import main

ROOT = Path(__file__).resolve().parents[1]
QUICK = ROOT / "scenarios" / "quick.toml"
GOLDEN = Path(__file__).resolve().parent / "golden"


def _command(argv: list[str]) -> None:
    code = main(argv)
    if code != 0:
        raise RuntimeError(f"offramp {' '.join(argv)} exited {code}")


def run_case(tmp: Path) -> dict[str, pd.DataFrame]:
    """``offramp run`` on quick.toml: 4 worlds of every strategy, and world 2's trace."""
    out, trace = tmp / "run.parquet", tmp / "trace.csv"
    _command(
        [
            "run",
            str(QUICK),
            "--worlds",
            "4",
            "--seed",
            "11",
            "--out",
            str(out),
            "--trace",
            "2",
            "--trace-out",
            str(trace),
            "--no-progress",
        ]
    )
    return {"run_outcomes": pd.read_parquet(out), "run_trace": pd.read_csv(trace)}


def epstein_case(tmp: Path) -> dict[str, pd.DataFrame]:
    """``offramp epstein``: 3 worlds of 10 steps on a 20x20 grid, in both variants."""
    tables = {}
    for variant in ("paper", "mesa"):
        out = tmp / f"epstein-{variant}.csv"
        _command(
            [
                "epstein",
                "--width",
                "20",
                "--height",
                "20",
                "--worlds",
                "3",
                "--steps",
                "10",
                "--seed",
                "5",
                "--variant",
                variant,
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        tables[f"epstein_{variant}"] = pd.read_csv(out)
    return tables


def explore_case(tmp: Path) -> dict[str, pd.DataFrame]:
    """``offramp explore`` on quick.toml: an LHS design of 3 samples x 2 replications."""
    from offramp.explore.dataset import load

    out = tmp / "explore"
    _command(
        [
            "explore",
            str(QUICK),
            "--design",
            "lhs",
            "--samples",
            "3",
            "--replications",
            "2",
            "--seed",
            "4",
            "--out",
            str(out),
            "--workers",
            "1",
            "--chunk-size",
            "4",
            "--no-progress",
        ]
    )
    return {"explore_rows": load(out)}


def analyze_case(tmp: Path) -> dict[str, pd.DataFrame]:
    """``offramp analyze --tables`` on an LHS exploration of quick.toml (8 samples x 2)."""
    out, tables = tmp / "explore", tmp / "tables"
    _command(
        [
            "explore",
            str(QUICK),
            "--design",
            "lhs",
            "--samples",
            "8",
            "--replications",
            "2",
            "--seed",
            "4",
            "--out",
            str(out),
            "--workers",
            "1",
            "--no-progress",
        ]
    )
    _command(["analyze", str(out), "--tables", str(tables), "--seed", "2", "--no-progress"])
    return {f"analyze_{path.stem}": pd.read_parquet(path) for path in sorted(tables.glob("*.parquet"))}


CASES: dict[str, Callable[[Path], dict[str, pd.DataFrame]]] = {
    "run": run_case,
    "epstein": epstein_case,
    "explore": explore_case,
    "analyze": analyze_case,
}


def golden_path(table: str) -> Path:
    """Where a golden table is stored (CSV: diffs are readable; floats round-trip exactly)."""
    return GOLDEN / f"{table}.csv"


def to_golden_text(frame: pd.DataFrame) -> str:
    """A table as the CSV text stored in ``tests/golden/`` (17 significant digits: floats round-trip exactly)."""
    return frame.to_csv(index=False, float_format="%.17g", lineterminator="\n")
