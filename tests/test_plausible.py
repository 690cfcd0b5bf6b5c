"""``offramp analyze DIR --plausible CALIB_DIR``: an exploration restricted to the samples
that reproduce a calibration's patterns, beside all worlds, in the analysis, the tables,
the terminal and the report (drawn by headless Chromium).

The calibration directory is made here: a folder with ``calibration/patterns.toml`` whose
patterns use quick.toml's ``nothing`` strategy (a direct war as rare as the record says, and
a settlement in at least half the worlds), judged on the session's quick exploration.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import offramp
from offramp.analyse.analysis import analyze
from offramp.analyse.plausible import restrict_study
from offramp.analyse.study import Study
from offramp.cli import main
from offramp.errors import OptionError
from offramp.report.html import PLAUSIBLE_SECTION, SECTIONS, render_report

QUICK = Path(__file__).resolve().parents[1] / "scenarios" / "quick.toml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

_PATTERN = """
[[patterns]]
name = "{name}"
statistic = {statistic}
accepted = [{low}, {high}]
source = "written by the test"
confidence = 0.5
mapping = "a test pattern on quick.toml's baseline"
"""
RARE_WAR = _PATTERN.format(
    name="rare_direct_war",
    statistic='{ kind = "mean", strategy = "nothing", column = "direct_conflict" }',
    low=0.0,
    high=0.05,
)
SETTLES = _PATTERN.format(
    name="baseline_settles",
    statistic='{ kind = "share", strategy = "nothing", outcomes = ["settlement"] }',
    low=0.5,
    high=1.0,
)
# With 2 replications a sample's share is 0, 0.5 or 1: none lies in [0.6, 0.9].
NEVER = _PATTERN.format(
    name="never_met",
    statistic='{ kind = "share", strategy = "nothing", outcomes = ["settlement"] }',
    low=0.6,
    high=0.9,
)


def _calibration(root: Path, *patterns: str) -> Path:
    folder = root / "calibration"
    folder.mkdir(parents=True)
    (folder / "patterns.toml").write_text("".join(patterns), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def calib_dir(tmp_path_factory) -> Path:
    return _calibration(tmp_path_factory.mktemp("calib"), RARE_WAR, SETTLES)


@pytest.fixture(scope="module")
def analysis(quick_exploration, calib_dir):
    return analyze(quick_exploration, plausible=calib_dir, progress=False)


def _by_hand(study: Study) -> set[int]:
    """The samples whose ``nothing`` worlds never reach a direct war (share <= 0.05) and
    settle in at least half of them, from the raw experiment rows."""
    rows = study.experiments[study.experiments["strategy"] == "nothing"]
    grouped = rows.groupby("sample")
    war = grouped["direct_conflict"].mean()
    settles = grouped["outcome"].apply(lambda outcomes: (outcomes == "settlement").mean())
    passed = (war <= 0.05) & (settles >= 0.5) & (settles <= 1.0)
    return {int(sample) for sample in passed.index[passed]}


def test_the_plausible_samples_are_those_whose_statistics_pass(analysis):
    view = analysis.plausible
    expected = _by_hand(analysis.study)
    # The fixture must discriminate: some samples pass, some do not.
    assert 0 < len(expected) < analysis.study.experiments["sample"].nunique()
    assert set(view.samples) == expected and view.count == len(expected)
    assert set(view.study.experiments["sample"]) == expected
    rates = view.selection.pass_rates.set_index("pattern")
    assert rates.loc["all patterns", "passed"] == len(expected)
    assert rates.loc["rare_direct_war", "samples"] == analysis.study.experiments["sample"].nunique()
    assert rates.loc["baseline_settles", "passed"] == len(expected)  # no direct war in quick: the first always passes


def test_the_plausible_part_is_the_analysis_of_the_restricted_study(analysis, quick_exploration):
    view = analysis.plausible
    restricted = analyze(restrict_study(analysis.study, view.samples), progress=False)
    for name in ("outcomes", "per_sample", "regret", "satisficing", "robustness", "claim_detail", "claim_verdicts"):
        pd.testing.assert_frame_equal(getattr(view, name), getattr(restricted, name), obj=name)
    assert len(view.claim_verdicts) and len(view.robustness)
    # All worlds are analysed as without --plausible.
    plain = analyze(quick_exploration, progress=False)
    for name, table in plain.tables().items():
        pd.testing.assert_frame_equal(analysis.tables()[name], table, obj=name)
    assert "plausible" not in analysis.notes


def test_no_plausible_sample_is_a_note_not_an_error(quick_exploration, tmp_path):
    calib = _calibration(tmp_path / "calib", RARE_WAR, NEVER)
    analysis = analyze(quick_exploration, plausible=calib, progress=False)
    view = analysis.plausible
    assert view.count == 0 and view.samples == ()
    assert not len(view.outcomes) and not len(view.robustness) and not len(view.claim_verdicts)
    assert "no sample" in analysis.notes["plausible"] and view.note == analysis.notes["plausible"]
    rates = view.selection.pass_rates.set_index("pattern")
    assert rates.loc["never_met", "passed"] == 0 and rates.loc["rare_direct_war", "pass_rate"] == 1.0
    text = _text(render_report(analysis))
    assert "Plausible worlds no sample of" in text and "plausible worlds: 0 samples" in text


def test_patterns_needing_a_strategy_not_run_are_one_option_error(quick_study_without_baseline, calib_dir):
    with pytest.raises(OptionError, match=r"did not run 'nothing', which the patterns of .* need") as caught:
        analyze(quick_study_without_baseline, plausible=calib_dir, progress=False)
    assert caught.value.option == "plausible"


def test_cli_missing_strategy_is_one_line_and_exit_2(tmp_path, calib_dir, capsys):
    from offramp.explore.experiments import explore

    run = tmp_path / "run"
    explore(QUICK, samples=3, replications=1, strategy=["sanctions_only"], seed=0, out=run, workers=1, progress=False)
    assert main(["analyze", str(run), "--plausible", str(calib_dir), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("offramp: error: --plausible: ") and "did not run 'nothing'" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_without_a_patterns_file_is_one_line_and_exit_2(quick_exploration, tmp_path, capsys):
    assert main(["analyze", str(quick_exploration), "--plausible", str(tmp_path), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--plausible: " in err and "no calibration/patterns.toml" in err and err.count("\n") == 1


def test_cli_prints_side_by_side_and_writes_plausible_tables(quick_exploration, calib_dir, tmp_path, capsys):
    tables = tmp_path / "tables"
    code = main(
        ["analyze", str(quick_exploration), "--plausible", str(calib_dir), "--tables", str(tables), "--no-progress"]
    )
    out = capsys.readouterr().out
    assert code == 0
    total = offramp.analyze(quick_exploration, progress=False).study.experiments["sample"].nunique()
    count = len(_by_hand(Study.from_directory(quick_exploration)))
    assert f"All worlds ({total} samples) | plausible worlds ({count} samples)" in out
    robustness = pd.read_parquet(tables / "plausible_robustness.parquet")
    assert (robustness["samples"] == count).all()
    patterns = pd.read_parquet(tables / "plausible_patterns.parquet")
    assert list(patterns.columns) == [
        "sample",
        "rare_direct_war",
        "baseline_settles",
        "pass.rare_direct_war",
        "pass.baseline_settles",
        "accepted",
    ]
    assert set(patterns.loc[patterns["accepted"], "sample"]) == _by_hand(Study.from_directory(quick_exploration))
    for name in ("outcomes", "claim_verdicts", "pass_rates", "robustness"):
        assert (tables / f"plausible_{name}.parquet").is_file()
    assert (tables / "robustness.parquet").is_file()


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _headings(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page, flags=re.DOTALL)]


def _side_by_side_checks(page: str, analysis) -> None:
    """The section is second, and each of its tables pairs each strategy's rows, labelled with their sample counts."""
    assert _headings(page) == [SECTIONS[0][1], PLAUSIBLE_SECTION[1], *(h for _, h in SECTIONS[1:])]
    section = re.search(r'<section id="plausible">(.*?)</section>', page, flags=re.DOTALL).group(1)
    text = _text(section)
    total = analysis.study.experiments["sample"].nunique()
    everything, plausible = f"all worlds ({total} samples)", f"plausible worlds ({analysis.plausible.count} samples)"
    for part in ("Outcome shares", "Robustness", "Claim audit"):
        assert f"{part}: {everything}, {plausible}" in text
    strategies = len(analysis.study.strategies)
    # Three paired tables: each strategy has a row on each set of worlds.
    assert text.count(everything) == 3 * strategies + 3 and text.count(plausible) == 3 * strategies + 3
    assert "rare_direct_war" in text and "baseline_settles" in text and "all patterns" in text


def test_the_report_sets_all_and_plausible_worlds_side_by_side(analysis):
    _side_by_side_checks(render_report(analysis), analysis)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed here (.ci/run installs it)")
def test_the_side_by_side_section_in_chromium(analysis, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_report(analysis), encoding="utf-8")
    flags = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking")
    done = subprocess.run(
        [CHROMIUM, *flags, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    dom = done.stdout
    assert "</html>" in dom, done.stderr[-2000:]
    _side_by_side_checks(dom, analysis)
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            CHROMIUM,
            *flags,
            f"--user-data-dir={tmp_path / 'profile-2'}",
            f"--screenshot={shot}",
            "--window-size=1280,3000",
            page.as_uri() + "#plausible",
        ],
        capture_output=True,
        timeout=90,
        check=False,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000
