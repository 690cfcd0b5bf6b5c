"""``offramp analyze`` and ``offramp.analyze`` end to end on a small real exploration:
the tables, determinism, parts that cannot run, and one-line errors."""

from __future__ import annotations

import shutil
import sys

import pandas as pd
import pytest

import offramp
from offramp.analyse.study import Study
from offramp.cli import main
from offramp.errors import InputError


@pytest.fixture(scope="module")
def run_dir(quick_exploration):
    return quick_exploration


@pytest.fixture(scope="module")
def analysis(run_dir):
    return offramp.analyze(run_dir, progress=False)


def test_every_part_is_a_dataframe_with_its_columns(analysis):
    study = analysis.study
    strategies = list(study.strategies)
    assert analysis.outcomes["strategy"].tolist() == strategies
    assert {"settlement_share", "settlement_low", "settlement_high", "direct_conflict_share",
            "any_escalation_share", "median_end_week"} <= set(analysis.outcomes.columns)
    assert len(analysis.per_sample) == 24 * len(strategies)
    assert (analysis.per_sample["replications"] == 2).all()
    assert set(analysis.spread["outcome"]) == set(offramp.run.runner.OUTCOME_LABELS)
    assert {"end_week", "war_deaths", "periphery_casualties"} <= set(analysis.distributions["quantity"])
    assert len(analysis.regret) == 24 * len(strategies) and (analysis.regret["regret"] >= 0).all()
    assert sorted(analysis.robustness["rank"]) == list(range(1, len(strategies) + 1))
    assert set(analysis.sensitivity["method"]) == {"feature_scoring"}  # an lhs design
    assert set(analysis.claim_detail["claim"]) == {c.id for c in study.claims}
    assert analysis.claim_verdicts["strategy"].tolist() == strategies
    assert analysis.summary and all(isinstance(s, str) and s for s in analysis.summary)
    # The summary's numbers come from the tables.
    top = analysis.robustness.sort_values("rank").iloc[0]
    assert any(f"{top['strategy']} satisfices most often: in {100 * top['satisficing_share']:.0f}%" in s
               for s in analysis.summary)


def test_analysis_is_deterministic(run_dir, analysis):
    again = offramp.analyze(run_dir, progress=False)
    for name, table in analysis.tables().items():
        pd.testing.assert_frame_equal(table, again.tables()[name], obj=name)
    assert again.summary == analysis.summary


def test_discovery_explains_a_named_strategy(run_dir, analysis):
    named = offramp.analyze(run_dir, discover=["full_pressure"], progress=False)
    found = [d.strategy for d in named.discoveries]
    notes = [k for k in named.notes if k.startswith("discovery")]
    assert found == ["full_pressure"] or notes == ["discovery full_pressure"]


def test_without_ema_workbench_the_other_parts_still_run(run_dir, monkeypatch):
    for name in [m for m in sys.modules if m == "ema_workbench" or m.startswith("ema_workbench.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # the import fails
    partial = offramp.analyze(run_dir, progress=False)
    assert partial.discoveries == ()
    assert any("pip install 'offramp[analysis]'" in note for note in partial.notes.values())
    assert len(partial.robustness) and len(partial.claim_detail)


def test_missing_chunks_are_noted_not_fatal(run_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    first = sorted((copy / "chunks").glob("chunk-*.parquet"))[0]
    first.write_bytes(first.read_bytes()[:100])  # truncated: invalid, so missing
    study = Study.from_directory(copy)
    assert study.missing_chunks == 1 and not study.is_complete
    partial = offramp.analyze(study, progress=False)
    assert "missing or invalid" in partial.notes["study"]


def test_cli_writes_the_report_and_tables(run_dir, tmp_path, capsys):
    criteria = tmp_path / "criteria.toml"
    criteria.write_text('[objective]\ncolumn = "war_deaths"\nsense = "minimize"\n\n'
                        '[[satisficing]]\noutcome = "direct_conflict"\nat_most = 0.5\n')
    report, tables = tmp_path / "out" / "report.html", tmp_path / "tables"
    code = main(["analyze", str(run_dir), "--criteria", str(criteria), "--report", str(report),
                 "--tables", str(tables), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "mean war deaths" in out and "P(direct conflict) ≤ 0.5" in out
    assert report.is_file() and report.read_text().lstrip().lower().startswith("<!doctype html")
    robustness = pd.read_parquet(tables / "robustness.parquet")
    assert len(robustness) == 7
    regret = pd.read_parquet(tables / "regret.parquet")
    assert (regret["regret"] >= 0).all()


@pytest.mark.parametrize(("argv", "expected"), [
    (["analyze", "no/such/dir"], "no/such/dir: no such directory"),
    (["analyze", "scenarios"], "no manifest.json"),
    (["analyze", "{run}", "--criteria", "{tmp}/absent.toml"], "absent.toml: no such file"),
    (["analyze", "{run}", "--criteria", "{tmp}/typo.toml"], "typo.toml: objective.outcom: Extra inputs"),
    (["analyze", "{run}", "--report", "{tmp}/report.txt"], "--report"),
    (["analyze", "{run}", "--discover", "nosuch"], "--discover: discovery.strategies: 'nosuch' was not run"),
])
def test_bad_input_is_one_line_and_exit_2(run_dir, tmp_path, capsys, argv, expected):
    (tmp_path / "typo.toml").write_text('[objective]\noutcom = "settlement"\n')
    argv = [a.replace("{run}", str(run_dir)).replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv + ["--no-progress"]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "report.txt").exists()


def test_a_bad_study_is_refused():
    frame = pd.DataFrame({"sample": [0], "strategy": ["A"], "outcome": ["settlement"], "end_week": [3]})
    with pytest.raises(InputError, match="no 'x' column"):
        Study(experiments=frame, parameters=("x",), bounds={"x": (0, 1)}, strategies=("A",))
    with pytest.raises(InputError, match="'A' is not among"):
        Study(experiments=frame, parameters=(), bounds={}, strategies=("B",))


def test_a_sobol_design_gets_sobol_indices_end_to_end(tmp_path):
    from pathlib import Path

    from offramp.analyse.criteria import Criteria, Objective
    from offramp.explore.experiments import explore

    quick = Path(__file__).resolve().parents[1] / "scenarios" / "quick.toml"
    explore(quick, design="sobol", samples=8, seed=1, out=tmp_path / "run", strategy=["sanctions_only", "conciliation"],
            workers=1, progress=False)
    criteria = Criteria(objective=Objective(column="war_deaths", sense="minimize"))
    analysis = offramp.analyze(tmp_path / "run", criteria, report=tmp_path / "report.html", progress=False)
    table = analysis.sensitivity
    assert set(table["method"]) == {"sobol"}
    assert len(table) == 2 * len(analysis.study.parameters)
    assert table[["S1", "S1_conf", "ST", "ST_conf"]].notna().all().all()
    assert "total Sobol index" in " ".join(analysis.summary)
    assert "Sobol" in (tmp_path / "report.html").read_text(encoding="utf-8")
