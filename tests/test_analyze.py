"""``offramp analyze`` and ``offramp.analyze`` end to end on a small real exploration:
the tables, determinism, parts that cannot run, and one-line errors."""

from __future__ import annotations

import inspect
import shutil
import sys

import pandas as pd
import pytest

import offramp
from offramp.analyse.options import AnalyzeCommandOptions, AnalyzeOptions
from offramp.analyse.study import Study
from offramp.cli import app, main
from offramp.errors import InputError, OptionError
from offramp.report.html import write_report
from offramp.report.summary import summarise


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
    assert {
        "settlement_share",
        "settlement_low",
        "settlement_high",
        "direct_conflict_share",
        "any_escalation_share",
        "median_end_week",
    } <= set(analysis.outcomes.columns)
    assert len(analysis.per_sample) == 24 * len(strategies)
    assert (analysis.per_sample["replications"] == 2).all()
    assert set(analysis.spread["outcome"]) == set(offramp.run.runner.OUTCOME_LABELS)
    assert {"end_week", "war_deaths", "periphery_casualties"} <= set(analysis.distributions["quantity"])
    assert len(analysis.regret) == 24 * len(strategies) and (analysis.regret["regret"] >= 0).all()
    assert sorted(analysis.robustness["rank"]) == list(range(1, len(strategies) + 1))
    assert set(analysis.sensitivity["method"]) == {"feature_scoring"}  # an lhs design
    assert set(analysis.claim_detail["claim"]) == {c.id for c in study.claims}
    assert analysis.claim_verdicts["strategy"].tolist() == strategies
    # quick.toml runs "nothing", the default baseline: the uplift over it is audited, for
    # every other strategy, and no note says otherwise.
    assert "claims uplift" not in analysis.notes
    baseline = analysis.claim_detail["strategy"] == "nothing"
    assert (analysis.claim_detail.loc[baseline, "uplift_verdict"] == "the baseline").all()
    assert analysis.claim_detail.loc[baseline, "uplift_essay"].isna().all()
    assert analysis.claim_detail.loc[~baseline, "uplift_essay"].notna().all()
    uplift_on = analysis.claim_verdicts.set_index("strategy")["uplift_depends_on"]
    assert uplift_on["nothing"] == "baseline" and "n/a" not in set(uplift_on.drop("nothing"))
    sentences = summarise(analysis)
    assert sentences and all(isinstance(s, str) and s for s in sentences)
    # The summary's numbers come from the tables.
    top = analysis.robustness.sort_values("rank").iloc[0]
    assert any(
        f"{top['strategy']} satisfices most often: in {100 * top['satisficing_share']:.0f}%" in s for s in sentences
    )


def test_without_the_baseline_the_uplift_is_not_audited_and_a_note_says_why(quick_study_without_baseline):
    """A study that did not run ``nothing`` (quick's, with it dropped): every uplift column is
    NA, the verdicts say the uplift cannot be audited ("n/a"), and a note names the missing
    strategy and the way out; the absolute audit is made as before."""
    bare = offramp.analyze(quick_study_without_baseline, progress=False)
    assert "no 'nothing' strategy was run" in bare.notes["claims uplift"]
    assert "claim_audit.baseline" in bare.notes["claims uplift"]
    detail = bare.claim_detail
    assert detail["uplift_depends"].isna().all() and detail["uplift_essay"].isna().all()
    assert set(bare.claim_verdicts["uplift_depends_on"]) == {"n/a"}
    assert detail[["satisficing_essay", "satisficing_sceptic"]].notna().all().all()
    assert bare.claim_verdicts["strategy"].tolist() == list(quick_study_without_baseline.strategies)


def test_analysis_is_deterministic(run_dir, analysis):
    again = offramp.analyze(run_dir, progress=False)
    for name, table in analysis.tables().items():
        pd.testing.assert_frame_equal(table, again.tables()[name], obj=name)
    assert summarise(again) == summarise(analysis)


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
    first = min((copy / "chunks").glob("chunk-*.parquet"))
    first.write_bytes(first.read_bytes()[:100])  # truncated: invalid, so missing
    study = Study.from_directory(copy)
    assert study.missing_chunks == 1 and not study.is_complete
    partial = offramp.analyze(study, progress=False)
    assert "missing or invalid" in partial.notes["study"]


def test_cli_writes_the_report_and_tables(run_dir, tmp_path, capsys):
    criteria = tmp_path / "criteria.toml"
    criteria.write_text(
        '[objective]\ncolumn = "war_deaths"\nsense = "minimize"\n\n'
        '[[satisficing]]\noutcome = "direct_conflict"\nat_most = 0.5\n\n'
        '[claim_audit]\nbaseline = "sanctions_only"\n'
    )
    report, tables = tmp_path / "out" / "report.html", tmp_path / "tables"
    code = main(
        [
            "analyze",
            str(run_dir),
            "--criteria",
            str(criteria),
            "--report",
            str(report),
            "--tables",
            str(tables),
            "--no-progress",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "mean war deaths" in out and "P(direct conflict) ≤ 0.5" in out
    assert report.is_file() and report.read_text().lstrip().lower().startswith("<!doctype html")
    robustness = pd.read_parquet(tables / "robustness.parquet")
    assert len(robustness) == 8
    regret = pd.read_parquet(tables / "regret.parquet")
    assert (regret["regret"] >= 0).all()
    # The criteria name sanctions_only as the claim audit's baseline: its uplift is audited.
    audit = pd.read_parquet(tables / "claim_audit.parquet")
    baseline = audit["strategy"] == "sanctions_only"
    assert (audit.loc[baseline, "uplift_verdict"] == "the baseline").all()
    assert audit.loc[~baseline, "uplift_essay"].notna().any()
    assert "claims uplift" not in out and "Claim audit: uplift" not in report.read_text()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["analyze", "no/such/dir"], "no/such/dir: no such directory"),
        (["analyze", "scenarios"], "no manifest.json"),
        (["analyze", "{run}", "--criteria", "{tmp}/absent.toml"], "absent.toml: no such file"),
        (["analyze", "{run}", "--criteria", "{tmp}/typo.toml"], "typo.toml: objective.outcom: Extra inputs"),
        (["analyze", "{run}", "--report", "{tmp}/report.txt"], "--report: 'report.txt' is not HTML"),
        (
            ["analyze", "{run}", "--discover", "nosuch"],
            "--discover: 'nosuch' was not run; one of nothing, sanctions_only, conciliation",
        ),
        (["analyze", "{run}", "--seed", "-1"], "--seed: must be at least 0, got -1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_dir, tmp_path, capsys, argv, expected):
    (tmp_path / "typo.toml").write_text('[objective]\noutcom = "settlement"\n')
    argv = [a.replace("{run}", str(run_dir)).replace("{tmp}", str(tmp_path)) for a in argv]
    assert main([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "report.txt").exists()


def test_bad_options_name_the_option_before_anything_is_read(tmp_path):
    """Options are checked first, by the options model, and errors carry the option's name."""
    with pytest.raises(OptionError) as caught:
        offramp.analyze(tmp_path / "absent", seed=2**32)
    assert caught.value.option == "seed" and caught.value.flag == "--seed"
    with pytest.raises(OptionError) as caught:
        offramp.analyze(tmp_path / "absent", discover=[""])
    assert caught.value.option == "discover"


def test_a_strategy_to_discover_must_have_been_run(run_dir):
    with pytest.raises(OptionError, match="discover: 'nosuch' was not run") as caught:
        offramp.analyze(run_dir, discover=["nosuch"], progress=False)
    assert caught.value.option == "discover"


def test_options_mirror_the_function_and_the_command():
    """analyze's keyword options are AnalyzeOptions's fields; the command's options are the
    command model's fields plus its two inputs (the directory and the criteria file)."""
    keywords = [p.name for p in inspect.signature(offramp.analyze).parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert keywords == list(AnalyzeOptions.model_fields)
    assert set(AnalyzeCommandOptions.model_fields) == set(AnalyzeOptions.model_fields) | {"report"}
    command = next(c for c in app.registered_commands if c.name == "analyze")
    assert set(inspect.signature(command.callback).parameters) == set(AnalyzeCommandOptions.model_fields) | {
        "directory",
        "criteria",
    }
    seed = inspect.signature(offramp.analyze).parameters["seed"].default
    assert seed == AnalyzeOptions.model_fields["seed"].default


@pytest.mark.parametrize("discover", [None, ["conciliation", "full_pressure"]])
def test_the_progress_bar_ends_full(run_dir, tmp_path, monkeypatch, discover):
    """Every step the bar counts is advanced once: with the default or named strategies to
    discover, and with the tables to write."""
    import contextlib

    import offramp.analyse.analysis as module

    seen = {}

    @contextlib.contextmanager
    def bar(label, total, enabled=True, unit="steps"):
        seen["total"], seen["done"] = total, 0

        def advance(n=1, description=None):
            seen["done"] += n

        yield advance

    monkeypatch.setattr(module, "progress_bar", bar)
    offramp.analyze(run_dir, tables=tmp_path / "tables", discover=discover, progress=True)
    assert seen["done"] == seen["total"] == 5 + len(discover or [None])


def test_the_analysis_holds_no_prose_but_its_notes():
    """Presentation apart: the summary is the report's (offramp.report.summary), not a field."""
    assert "summary" not in offramp.Analysis.__dataclass_fields__


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
    explore(
        quick,
        design="sobol",
        samples=8,
        seed=1,
        out=tmp_path / "run",
        strategy=["sanctions_only", "conciliation"],
        workers=1,
        progress=False,
    )
    criteria = Criteria(objective=Objective(column="war_deaths", sense="minimize"))
    analysis = offramp.analyze(tmp_path / "run", criteria, progress=False)
    write_report(analysis, tmp_path / "report.html")
    table = analysis.sensitivity
    assert set(table["method"]) == {"sobol"}
    assert len(table) == 2 * len(analysis.study.parameters)
    assert table[["S1", "S1_conf", "ST", "ST_conf"]].notna().all().all()
    assert "total Sobol index" in " ".join(summarise(analysis))
    assert "Sobol" in (tmp_path / "report.html").read_text(encoding="utf-8")
