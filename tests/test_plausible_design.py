"""The plausible design (``offramp explore --design plausible --from CALIB_DIR``).

The calibration directories here are written by hand in the CALIB_FORMAT contract
(``calibration/statistics.parquet``) for scenarios/quick.toml: the accepted rows lie in
a known box of two parameters, the rejected ones outside it, so where the design's new
worlds fall can be checked against the box.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import offramp
from offramp.cli import main
from offramp.errors import InputError, OptionError
from offramp.explore.designs import PLAUSIBLE_FALLBACK_BANDWIDTH, make_design, read_plausible
from offramp.explore.experiments import explore
from offramp.run.record import write_table
from offramp.scenario.load import load_scenario

QUICK_PATH = Path(__file__).resolve().parents[1] / "scenarios" / "quick.toml"
QUICK = load_scenario(QUICK_PATH)
PATHS = list(QUICK.scenario.uncertainties)
#: The planted box: only these two parameters are constrained by the accepted rows.
BOX = {"leader.emboldening": (0.10, 0.15), "war.opponent_capacity": (0.80, 0.90)}
PATTERNS = ["coups_succeed", "sanctions_rarely_work"]


def _statistics(accepted: int, rejected: int, seed: int = 3) -> pd.DataFrame:
    """accepted rows inside BOX (the other parameters anywhere in their ranges), then
    rejected rows with emboldening above the box."""
    rng = np.random.default_rng(seed)
    rows = accepted + rejected
    frame = pd.DataFrame({"sample": np.arange(rows, dtype=np.int64)})
    for path, (low, high) in QUICK.scenario.uncertainties.items():
        frame[path] = rng.uniform(low, high, rows)
    for path, (low, high) in BOX.items():
        frame.loc[: accepted - 1, path] = rng.uniform(low, high, accepted)
    frame.loc[accepted:, "leader.emboldening"] = rng.uniform(0.2, 0.4, rejected)
    is_accepted = np.arange(rows) < accepted
    for name in PATTERNS:
        frame[name] = rng.uniform(0.0, 1.0, rows)
    for name in PATTERNS:
        frame[f"pass.{name}"] = is_accepted
    frame["accepted"] = is_accepted
    return frame


def _calibration(directory: Path, accepted: int = 40, rejected: int = 60, scenario_hash: str | None = None) -> Path:
    metadata = {
        "scenario_hash": QUICK.hash if scenario_hash is None else scenario_hash,
        "design": "lhs",
        "seed": 0,
        "samples": accepted + rejected,
        "replications": 2,
        "patterns": PATTERNS,
    }
    write_table(_statistics(accepted, rejected), directory / "calibration" / "statistics.parquet", metadata)
    return directory


def _scaled_bandwidth(directory: Path) -> dict[str, float]:
    """Scott's rule on the accepted rows, in each parameter's units (what the docs say)."""
    frame = pd.read_parquet(directory / "calibration" / "statistics.parquet")
    accepted = frame[frame["accepted"]]
    n, d = len(accepted), len(PATHS)
    return {path: accepted[path].std(ddof=1) * n ** (-1 / (d + 4)) for path in BOX}


def test_plausible_samples_concentrate_in_the_box_and_stay_in_range(tmp_path):
    directory = _calibration(tmp_path / "calib")
    design = make_design(QUICK.scenario, "plausible", 400, 5, calibration=read_plausible(directory, QUICK))
    samples = design.samples
    assert list(samples.columns) == PATHS and len(samples) == 400
    for path, (low, high) in QUICK.scenario.uncertainties.items():
        assert samples[path].min() >= low and samples[path].max() <= high, path
    bandwidth = _scaled_bandwidth(directory)
    inside = np.ones(len(samples), bool)
    for path, (low, high) in BOX.items():
        inside &= samples[path].between(low - 2 * bandwidth[path], high + 2 * bandwidth[path]).to_numpy()
    assert inside.mean() >= 0.9
    # The unconstrained parameters keep their spread: not squeezed into a box of their own.
    low, high = QUICK.scenario.uncertainties["leader.money_weight"]
    assert samples["leader.money_weight"].std() > 0.15 * (high - low)
    assert design.settings["accepted"] == 40 and len(design.settings["calibration"]) == 64


def test_plausible_design_is_deterministic_and_tracks_the_calibration(tmp_path):
    directory = _calibration(tmp_path / "calib")
    first = make_design(QUICK.scenario, "plausible", 50, 9, calibration=read_plausible(directory, QUICK))
    second = make_design(QUICK.scenario, "plausible", 50, 9, calibration=read_plausible(directory, QUICK))
    assert first.samples.to_numpy().tobytes() == second.samples.to_numpy().tobytes()
    assert first.fingerprint() == second.fingerprint()
    other_seed = make_design(QUICK.scenario, "plausible", 50, 10, calibration=read_plausible(directory, QUICK))
    assert not np.array_equal(first.samples.to_numpy(), other_seed.samples.to_numpy())
    changed = _calibration(tmp_path / "changed", accepted=41, rejected=59)
    third = make_design(QUICK.scenario, "plausible", 50, 9, calibration=read_plausible(changed, QUICK))
    assert third.fingerprint() != first.fingerprint()


def test_one_accepted_sample_falls_back_to_a_fixed_bandwidth_with_a_warning(tmp_path):
    directory = _calibration(tmp_path / "calib", accepted=1, rejected=5)
    plausible = read_plausible(directory, QUICK)
    with pytest.warns(UserWarning, match="only one sample was accepted"):
        design = make_design(QUICK.scenario, "plausible", 200, 1, calibration=plausible)
    for j, path in enumerate(PATHS):
        low, high = QUICK.scenario.uncertainties[path]
        deviation = (design.samples[path] - plausible.accepted[0, j]).abs() / (high - low)
        # Reflection can only bring points closer; |z| > 5 has probability 6e-7, so among
        # these 1,200 steps one beyond 5 bandwidths has a chance below 1e-3.
        assert deviation.max() <= 5 * PLAUSIBLE_FALLBACK_BANDWIDTH, path
        assert deviation.std() > 0.3 * PLAUSIBLE_FALLBACK_BANDWIDTH, path


def test_integer_parameters_are_rounded_in_range(tmp_path):
    text = QUICK_PATH.read_text().replace("[uncertainties]\n", '[uncertainties]\n"periphery.uprising_weeks" = [2, 7]\n')
    scenario_file = tmp_path / "integers.toml"
    scenario_file.write_text(text)
    source = load_scenario(scenario_file)
    frame = _statistics(20, 10)
    frame.insert(1, "periphery.uprising_weeks", np.where(frame["accepted"], 3.0, 6.0))
    metadata = {"scenario_hash": source.hash, "patterns": PATTERNS}
    write_table(frame, tmp_path / "calib" / "calibration" / "statistics.parquet", metadata)
    design = make_design(source.scenario, "plausible", 300, 2, calibration=read_plausible(tmp_path / "calib", source))
    weeks = design.samples["periphery.uprising_weeks"].to_numpy()
    assert np.array_equal(weeks, np.rint(weeks)) and weeks.min() >= 2 and weeks.max() <= 7
    # Every accepted row says 3: zero spread falls back to 5% of the widened range (0.3 weeks).
    assert (weeks == 3).mean() >= 0.9


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda tmp: tmp / "nowhere", "no such calibration directory"),
        (lambda tmp: tmp, "holds no calibration/statistics.parquet"),
        (lambda tmp: _calibration(tmp / "c", scenario_hash="0" * 64), "calibrates another scenario"),
        (lambda tmp: _calibration(tmp / "c", accepted=0, rejected=10), "no sample of 10 was accepted"),
    ],
)
def test_bad_calibrations_are_one_line_naming_from(tmp_path, make, problem):
    directory = make(tmp_path)
    with pytest.raises(InputError) as caught:
        read_plausible(directory, QUICK)
    assert caught.value.where == "--from" and problem in str(caught.value) and "\n" not in str(caught.value)


def test_other_parameter_columns_are_refused(tmp_path):
    frame = _statistics(5, 5).drop(columns=["leader.money_weight"])
    write_table(
        frame, tmp_path / "calibration" / "statistics.parquet", {"scenario_hash": QUICK.hash, "patterns": PATTERNS}
    )
    with pytest.raises(InputError, match=r"are not quick\.toml's uncertainties"):
        read_plausible(tmp_path, QUICK)


def test_explore_options_cross_check_from_and_plausible(tmp_path):
    with pytest.raises(OptionError) as caught:
        explore(QUICK_PATH, out=tmp_path / "run", design="plausible", samples=2)
    assert caught.value.option == "calibration"
    with pytest.raises(OptionError) as caught:
        explore(QUICK_PATH, out=tmp_path / "run", design="lhs", calibration=tmp_path, samples=2)
    assert caught.value.option == "calibration" and "only with design plausible" in caught.value.problem
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (["--design", "plausible"], "--from: the plausible design samples a calibration"),
        (["--design", "lhs", "--from", "{calib}"], "--from: only with design plausible"),
        (["--design", "plausible", "--from", "{missing}"], "--from: {missing}: no such calibration directory"),
        (["--design", "plausible", "--from", "{empty}"], "--from: {empty}: no sample of 4 was accepted"),
        (["--design", "plausible", "--from", "{other}"], "--from: {other}: calibrates another scenario"),
    ],
)
def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, arguments, problem):
    names = {
        "calib": _calibration(tmp_path / "calib"),
        "missing": tmp_path / "missing",
        "empty": _calibration(tmp_path / "empty", accepted=0, rejected=4),
        "other": _calibration(tmp_path / "other", scenario_hash="f" * 64),
    }
    arguments = [a.format(**names) for a in arguments]
    code = main(
        ["explore", str(QUICK_PATH), *arguments, "--samples", "2", "--out", str(tmp_path / "run"), "--no-progress"]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == f"offramp: error: {problem.format(**names)}" or (
        err.startswith(f"offramp: error: {problem.format(**names)}") and "\n" not in err
    )
    assert not (tmp_path / "run").exists()


def test_explore_plausible_end_to_end_and_resume_against_a_changed_calibration(tmp_path, capsys):
    calib = _calibration(tmp_path / "calib")
    out = tmp_path / "run"
    run = ["explore", str(QUICK_PATH), "--design", "plausible", "--from", str(calib), "--samples", "3"]
    run += ["--replications", "1", "--strategy", "full_pressure", "--seed", "4", "--workers", "1"]
    run += ["--out", str(out), "--no-progress"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 40 accepted vectors: no fallback warning
        assert main(run) == 0
    assert "3 experiments" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["design"]["name"] == "plausible"
    assert manifest["design"]["settings"]["calibration"] == read_plausible(calib, QUICK).identity
    frame = offramp.load(out)
    assert len(frame) == 3
    expected = make_design(QUICK.scenario, "plausible", 3, 4, calibration=read_plausible(calib, QUICK)).samples
    for path in BOX:
        np.testing.assert_array_equal(frame.sort_values("sample")[path].to_numpy(), expected[path].to_numpy())
    assert main([*run, "--resume"]) == 0 and "already complete" in capsys.readouterr().out
    _calibration(calib, accepted=39, rejected=61)  # the calibration changed under the run
    assert main([*run, "--resume"]) == 2
    assert "another design" in capsys.readouterr().err
