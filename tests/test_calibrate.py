"""``offramp calibrate``: a planted case, determinism, resume and bad patterns files.

The planted case: a toy version of scenarios/quick.toml with three uncertainties. Under
``nothing`` a world ends in direct conflict at the baseline hazard h per week, so by the
26-week horizon about 1 - exp(-26 h) of a sample's worlds have (measured: within a few
points while the opponent is no stronger than the leader); an opponent stronger than the
leader (capacity above 1) makes the war end in a settlement first. Patterns "direct
conflict in at least half the worlds" and "settlement in at most 10%" can then only be
met in the box h >= ln 2 / 26, capacity <= 1; the leader's emboldening plays no part
under ``nothing`` and must stay unconstrained. Thresholds: precision and recall >= 0.9
(the issue's), and a KS statistic for emboldening below 0.3, where the box's two
parameters reach 0.45 or more at this size.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from offramp.analyse.calibration import calibrate
from offramp.cli import main
from offramp.errors import InputError
from offramp.report.calibration_tables import FEW_ACCEPTED, calibration_tables

ROOT = Path(__file__).resolve().parents[1]
H, CAP, EMB = "escalation.baseline_hazard", "war.opponent_capacity", "leader.emboldening"

PATTERNS = """
[[patterns]]
name = "conflict_likely"
statistic = { kind = "share", strategy = "nothing", outcomes = ["direct_conflict"] }
accepted = [0.5, 1.0]
source = "planted"
confidence = 1.0
mapping = "planted: 1 - exp(-26 h) >= 0.5"

[[patterns]]
name = "no_settlement"
statistic = { kind = "share", strategy = "nothing", outcomes = ["settlement"] }
accepted = [0.0, 0.1]
source = "planted"
confidence = 1.0
mapping = "planted: an opponent no stronger than the leader"
"""


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("toy")
    text = re.sub(r"\[uncertainties\].*", "", (ROOT / "scenarios/quick.toml").read_text(), flags=re.DOTALL)
    text += f'[uncertainties]\n"{H}" = [0.0, 0.1]\n"{CAP}" = [0.4, 1.6]\n"{EMB}" = [0.0, 0.4]\n'
    (folder / "toy.toml").write_text(text)
    (folder / "patterns.toml").write_text(PATTERNS)
    return folder / "toy.toml", folder / "patterns.toml"


def test_planted_box_is_recovered(toy, tmp_path):
    scenario, patterns = toy
    found = calibrate(scenario, patterns, out=tmp_path / "c", samples=64, replications=32, workers=2, progress=False)
    table = found.table
    in_box = (table[H] >= math.log(2) / 26) & (table[CAP] <= 1.0)
    hits = (in_box & table["accepted"]).sum()
    assert hits / table["accepted"].sum() >= 0.9  # precision
    assert hits / in_box.sum() >= 0.9  # recall
    assert found.ranges.loc[EMB, "ks"] < 0.3
    assert set(found.constrained[:2]) == {H, CAP}
    assert found.acceptance_rate == pytest.approx(table["accepted"].mean())
    # Leave-one-out: dropping a pattern leaves the other's pass rate.
    assert found.leave_one_out["conflict_likely"] == pytest.approx(found.pass_rates["no_settlement"])
    assert found.closest.empty
    written = pq.read_table(tmp_path / "c/calibration/statistics.parquet")
    assert written.column_names == [
        "sample", H, CAP, EMB, "conflict_likely", "no_settlement",
        "pass.conflict_likely", "pass.no_settlement", "accepted",
    ]  # fmt: skip
    meta = {k.decode(): v.decode() for k, v in written.schema.metadata.items() if k.startswith(b"offramp.")}
    assert meta["offramp.patterns"] == '["conflict_likely", "no_settlement"]'
    assert (tmp_path / "c/calibration/patterns.toml").read_bytes() == patterns.read_bytes()
    # A handful of accepted samples: the tables warn that ranges and ranking are rough.
    few, many = (
        _printed(dataclasses.replace(found, table=table.assign(accepted=np.arange(len(table)) < n)))
        for n in (3, FEW_ACCEPTED)
    )
    assert "Only 3 accepted samples" in few and "accepted samples:" not in many


def _printed(found) -> str:
    console = Console(record=True, width=200)
    console.print(calibration_tables(found))
    return console.export_text()


def test_no_sample_passes_is_a_finding(toy, tmp_path):
    scenario, _ = toy
    impossible = tmp_path / "impossible.toml"
    impossible.write_text(PATTERNS.replace("accepted = [0.0, 0.1]", "accepted = [0.9, 1.0]"))
    found = calibrate(scenario, impossible, out=tmp_path / "c", samples=8, replications=2, workers=1, progress=False)
    assert found.accepted == 0 and found.acceptance_rate == 0.0
    assert len(found.closest) == 5 and (found.closest["failed"] >= 1).all()
    assert found.closest["blocking"].str.len().gt(0).all()
    assert list(found.closest["failed"]) == sorted(found.closest["failed"])


@pytest.mark.slow
def test_same_seed_same_statistics_whatever_workers_and_chunks(toy, tmp_path):
    scenario, patterns = toy
    runs = [(1, 8), (2, 3)]
    files = []
    for workers, chunk_size in runs:
        out = tmp_path / f"w{workers}c{chunk_size}"
        calibrate(
            scenario, patterns, out=out, samples=8, replications=4, workers=workers, chunk_size=chunk_size,
            seed=7, progress=False,
        )  # fmt: skip
        files.append(pd.read_parquet(out / "calibration/statistics.parquet"))
    pd.testing.assert_frame_equal(files[0], files[1])


def test_resume_after_lost_chunks_gives_the_same_statistics(toy, tmp_path):
    scenario, patterns = toy
    out = tmp_path / "c"
    kwargs = dict(out=out, samples=8, replications=4, workers=1, chunk_size=8, seed=3, progress=False)
    calibrate(scenario, patterns, **kwargs)
    before = (out / "calibration/statistics.parquet").read_bytes()
    chunks = sorted((out / "chunks").glob("chunk-*.parquet"))
    for chunk in chunks[::2]:  # as a kill would leave it: some chunks never written
        chunk.unlink()
    calibrate(scenario, patterns, resume=True, **kwargs)
    after = pd.read_parquet(out / "calibration/statistics.parquet")
    pd.testing.assert_frame_equal(after, pd.read_parquet(pd.io.common.BytesIO(before)))


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (('kind = "share"', 'kind = "median"', 1), "patterns[0].statistic"),
        (('strategy = "nothing"', 'strategy = "bogus"', 1), "patterns[0].statistic.strategy"),
        (('"direct_conflict"]', '"war_won"]', 1), "patterns[0].statistic.outcomes[0]"),
        (("accepted = [0.5, 1.0]", "accepted = [0.9, 0.1]", 1), "patterns[0]"),
        (("accepted = [0.5, 1.0]", "accepted = [nan, 1.0]", 1), "patterns[0].accepted[0]"),
        (('source = "planted"\n', "", 1), "patterns[0].source"),
    ],
)
def test_bad_patterns_file_one_line_exit_2_nothing_written(toy, tmp_path, capsys, edit, field):
    scenario, _ = toy
    old, new, count = edit
    bad = tmp_path / "bad.toml"
    bad.write_text(PATTERNS.replace(old, new, count))
    out = tmp_path / "out"
    code = main(["calibrate", str(scenario), "--patterns", str(bad), "--samples", "4", "--out", str(out)])
    error = capsys.readouterr().err.strip()
    assert code == 2
    assert "\n" not in error and error.startswith(f"offramp: error: bad.toml: {field}")
    assert not out.exists()
    with pytest.raises(InputError):
        calibrate(scenario, bad, out=out, samples=4, progress=False)
    assert not out.exists()


def test_cli_prints_rates_and_writes_the_figure(toy, tmp_path, capsys):
    scenario, patterns = toy
    figure = tmp_path / "pairs.png"
    argv = ["calibrate", str(scenario), "--patterns", str(patterns), "--samples", "8", "--replications", "2"]
    code = main([*argv, "--out", str(tmp_path / "c"), "--workers", "1", "--no-progress", "--plot", str(figure)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "reproduce every pattern" in printed and "conflict_likely" in printed
    assert figure.stat().st_size > 0
    code = main([*argv, "--out", str(tmp_path / "d"), "--design", "morris"])
    assert code == 2 and "--design" in capsys.readouterr().err
