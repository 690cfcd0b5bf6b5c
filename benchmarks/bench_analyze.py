"""Time ``offramp analyze`` on 100,000 experiment rows, on one core, part by part.

The issue's target: the analysis of 100,000 experiment rows (report included) in under
a minute on one core.

The rows are synthetic but shaped like a real run: the essay scenario's design (its 16
uncertainties, or its 10 claims), its 7 strategies, its outcome columns, and outcomes
drawn from a logistic rule on a few parameters with noise, so that PRIM, the trees and the
claim audit have structure to find. Running the model itself for 100,000 experiments
would take ten minutes and time the model, not the analysis. The directory is written
with offramp's own dataset functions (manifest, checksummed chunks), so reading it is
timed as a user meets it.

Prints one table: seconds per part (reading and checking the chunks, per-sample
measures, robustness, discovery, sensitivity, claim audit, report) and in all, for an
``lhs`` design (1,430 samples x 10 replications x 7 strategies), a ``claims`` design
(1,024 combinations x 2 samples x 7 replications x 7 strategies) and an ``lhs`` design
with one replication (14,286 samples: PRIM and the trees on the largest tables).

Run: ``python benchmarks/bench_analyze.py [--quick]`` (about two minutes; ``--quick`` uses
10,000 rows).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ESSAY = ROOT / "scenarios" / "essay.toml"
CHUNK_SIZE = 2_000


def _outcomes(values: pd.DataFrame, strategy_index: int, rng: np.random.Generator, horizon: int) -> dict:
    """Synthetic outcome columns: settlement likelier with high money weight and low
    adaptation weeks, conflict likelier with high desperation; strategies differ by a shift."""
    n = len(values)

    def column(name: str, default: float) -> np.ndarray:
        return values[name].to_numpy() if name in values else np.full(n, default)

    def scaled(x: np.ndarray) -> np.ndarray:
        low, high = np.min(x), np.max(x)
        return (x - low) / (high - low) if high > low else np.zeros_like(x)

    settle = (
        -1.5 + 3.0 * scaled(column("leader.money_weight", 0.3)) - 1.5 * scaled(column("leader.adaptation_weeks", 26))
    )
    settle += 0.25 * strategy_index - 0.75
    conflict = -4.0 + 2.5 * scaled(column("leader.desperation", 1.0)) + 0.1 * strategy_index
    p_settle = 1 / (1 + np.exp(-settle))
    p_conflict = 1 / (1 + np.exp(-conflict))
    draw = rng.random(n)
    outcome = np.where(
        draw < p_conflict,
        "direct_conflict",
        np.where(
            draw < p_conflict + (1 - p_conflict) * p_settle,
            "settlement",
            np.where(draw > 0.97, "uprising", np.where(draw > 0.95, "insider_removal", "ongoing")),
        ),
    )
    ended = outcome != "ongoing"
    end_week = np.where(ended, rng.integers(1, horizon, n), horizon)
    deaths = 150.0 * end_week * rng.lognormal(0, 0.3, n)
    regional = {f"casualties_{name}": rng.gamma(2.0, 1.0, n) for name in ("north", "south", "east", "west")}
    return {
        "outcome": outcome.astype(object),
        "end_week": end_week.astype(np.int64),
        "war_deaths": deaths,
        "periphery_casualties": sum(regional.values()),
        "direct_conflict": outcome == "direct_conflict",
        "peak_tension": rng.random(n),
        "escalations": rng.poisson(0.5, n).astype(np.int64),
        **regional,
    }


def write_synthetic(directory: Path, design_name: str, samples: int, replications: int, seed: int = 0) -> int:
    """An offramp explore directory with synthetic outcomes; returns its rows."""
    from offramp import __version__
    from offramp.explore.dataset import (
        FORMAT,
        ChunkSpec,
        chunk_table_bytes,
        run_key,
        write_bytes_atomic,
        write_manifest,
    )
    from offramp.explore.designs import make_design
    from offramp.scenario.load import load_scenario

    source = load_scenario(ESSAY)
    design = make_design(source.scenario, design_name, samples, seed)
    values = design.samples.reset_index(drop=True)
    strategies = list(source.scenario.strategies)
    rows_per_sample = replications
    worlds = len(values) * rows_per_sample
    identity = {"synthetic": True, "design": design_name, "samples": samples, "replications": replications}
    key = run_key(identity)
    chunks = []
    for strategy in strategies:
        for start in range(0, worlds, CHUNK_SIZE):
            chunks.append(ChunkSpec(len(chunks), strategy, start, min(start + CHUNK_SIZE, worlds)))
    write_manifest(
        directory,
        {
            "format": FORMAT,
            "run_key": key,
            "identity": identity,
            "offramp_version": __version__,
            "scenario": {
                "name": source.scenario.scenario.name,
                "file": source.name,
                "hash": source.hash,
                "text": source.text,
            },
            "design": {
                "name": design_name,
                "settings": design.settings,
                "fingerprint": design.fingerprint(),
                "samples_requested": samples,
                "rows": len(values),
                "parameters": list(values.columns),
                "claims": list(design.claims.columns) if design.claims is not None else [],
            },
            "seed": seed,
            "samples": len(values),
            "replications": replications,
            "strategies": strategies,
            "worlds": worlds,
            "experiments": worlds * len(strategies),
            "chunks": [{"id": c.id, "strategy": c.strategy, "start": c.start, "stop": c.stop} for c in chunks],
        },
    )
    rng = np.random.default_rng(seed)
    world = np.arange(worlds)
    sample = world // replications
    expanded = values.iloc[sample].reset_index(drop=True)
    horizon = source.scenario.scenario.horizon_weeks
    for index, strategy in enumerate(strategies):
        columns = _outcomes(expanded, index, rng, horizon)
        frame = pd.DataFrame(
            {"sample": sample, "replication": world % replications, "world": world, "strategy": strategy, "seed": seed}
        )
        frame = pd.concat([frame, expanded], axis=1)
        if design.claims is not None:
            for claim in design.claims.columns:
                frame[f"claims.{claim}"] = design.claims[claim].to_numpy(object)[sample]
        frame = pd.concat([frame, pd.DataFrame(columns)], axis=1)
        for chunk in (c for c in chunks if c.strategy == strategy):
            part = frame.iloc[chunk.start : chunk.stop].reset_index(drop=True)
            write_bytes_atomic(directory / chunk.file, chunk_table_bytes(part, key, chunk))
    return worlds * len(strategies)


def time_parts(directory: Path, report: Path) -> dict[str, float]:
    """Seconds per part of an analysis, then the whole ``analyze`` call."""
    from offramp.analyse import analysis as whole
    from offramp.analyse.claims import claim_audit
    from offramp.analyse.criteria import Criteria
    from offramp.analyse.discovery import discover_failures
    from offramp.analyse.robustness import robustness_summary, sample_measures, satisficing
    from offramp.analyse.sensitivity import sensitivity
    from offramp.analyse.study import Study
    from offramp.report.html import write_report

    criteria, seconds = Criteria(), {}
    start = time.perf_counter()
    study = Study.from_directory(directory)
    seconds["read"] = time.perf_counter() - start
    start = time.perf_counter()
    per_sample = sample_measures(study.experiments, criteria.measures)
    seconds["measures"] = time.perf_counter() - start
    start = time.perf_counter()
    satisfied = satisficing(per_sample, criteria)
    robust = robustness_summary(per_sample, criteria, study.strategies)
    seconds["robustness"] = time.perf_counter() - start
    start = time.perf_counter()
    best = robust.sort_values("rank")["strategy"].iloc[0]
    discover_failures(study, satisfied, best, criteria.discovery, failure="fails")
    seconds["discovery"] = time.perf_counter() - start
    start = time.perf_counter()
    sensitivity(study, per_sample, criteria.objective, study.strategies)
    seconds["sensitivity"] = time.perf_counter() - start
    start = time.perf_counter()
    claim_audit(study, per_sample, satisfied, criteria, study.strategies)
    seconds["claims"] = time.perf_counter() - start
    start = time.perf_counter()
    analysis = whole.analyze(study, criteria, progress=False)
    seconds["analyze (no report)"] = time.perf_counter() - start
    start = time.perf_counter()
    write_report(analysis, report)
    seconds["report"] = time.perf_counter() - start
    start = time.perf_counter()
    write_report(whole.analyze(directory, progress=False), report)
    seconds["offramp.analyze(DIR), then write_report"] = time.perf_counter() - start
    start = time.perf_counter()
    # As a user meets it: a fresh process (imports included), on the same one core.
    subprocess.run(
        [sys.executable, "-m", "offramp.cli", "analyze", str(directory), "--report", str(report), "--no-progress"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds["offramp analyze command, fresh process"] = time.perf_counter() - start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows instead of 100,000")
    options = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    scale = 10 if options.quick else 1
    cases = [("lhs", 1430 // scale, 10), ("claims", 2, 7 // (7 if options.quick else 1)), ("lhs", 14286 // scale, 1)]
    import warnings

    warnings.simplefilter("ignore")  # EMA Workbench's import-time notices
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for i, (design, samples, replications) in enumerate(cases):
            directory = Path(scratch) / f"run{i}"
            rows = write_synthetic(directory, design, samples, replications)
            seconds = time_parts(directory, Path(scratch) / f"report{i}.html")
            results.append((f"{design}, {samples} x {replications} reps", rows, seconds))
    parts = list(results[0][2])
    width = max(len(p) for p in parts)
    print("offramp analyze on one core (seconds; target: under 60 s for 100,000 rows, report included)\n")
    print(f"{'part':<{width}}" + "".join(f"{name:>28}" for name, _, _ in results))
    print(f"{'rows':<{width}}" + "".join(f"{rows:>28,}" for _, rows, _ in results))
    for part in parts:
        print(f"{part:<{width}}" + "".join(f"{seconds[part]:>28.2f}" for _, _, seconds in results))


if __name__ == "__main__":
    main()
