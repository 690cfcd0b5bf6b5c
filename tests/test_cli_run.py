"""The ``offramp run`` command: options mirror ``run_campaign``, the outcome table, its
metadata, traces and figures, reproducibility and common random numbers, and results
that stay intact when a later run fails.

All runs use ``scenarios/quick.toml`` with a handful of worlds; a module-scoped run of
every strategy is shared by the tests that only read its outputs.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import typer.main
from pandas.testing import assert_frame_equal

from offramp import __version__
from offramp.cli import app, main
from offramp.errors import OptionError
from offramp.report.figures import FIGURE_SUFFIXES, FigureOptions, plot_campaign, pyplot
from offramp.run.campaign import run_campaign
from offramp.run.options import RunOptions, available_cores
from offramp.scenario.load import load_scenario

QUICK = Path(__file__).resolve().parents[1] / "scenarios" / "quick.toml"
WORLDS = 10
SEED = 7
# What the issue requires of every outcome table, beyond the per-region columns.
REQUIRED_COLUMNS = [
    "strategy",
    "world",
    "seed",
    "outcome",
    "end_week",
    "war_deaths",
    "periphery_casualties",
    "direct_conflict",
    "peak_tension",
    "purges",
    "defections",
    "attributions",
]
OUTCOMES = {"settlement", "insider_removal", "uprising", "direct_conflict", "ongoing"}
# Two strategies that use different levers, for the runs that need only a few.
PAIR = ("full_pressure", "conciliation")


def _run(tmp: Path, name: str, *arguments: str, worlds: int = WORLDS, seed: int = SEED) -> pd.DataFrame:
    """Run quick.toml through the command line and read back the outcome table."""
    out = tmp / f"{name}.parquet"
    code = main(
        [
            "run",
            str(QUICK),
            "--worlds",
            str(worlds),
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--no-progress",
            *arguments,
        ]
    )
    assert code == 0
    return pd.read_parquet(out)


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(QUICK).scenario


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """Every strategy on the same worlds, with a trace of world 3 and a figure."""
    tmp = tmp_path_factory.mktemp("full-run")
    out, plot = tmp / "outcomes.parquet", tmp / "shares.png"
    code = main(
        [
            "run",
            str(QUICK),
            "--worlds",
            str(WORLDS),
            "--seed",
            str(SEED),
            "--out",
            str(out),
            "--trace",
            "3",
            "--plot",
            str(plot),
            "--no-progress",
        ]
    )
    assert code == 0
    return {"out": out, "plot": plot, "trace": tmp / "trace-world-3.csv", "table": pd.read_parquet(out)}


# ---------------------------------------------------------------- the command's contract


def test_run_options_are_the_options_models_fields():
    """The command's options are exactly RunOptions' fields (which run_campaign takes as
    keywords) plus the figure path the command line composes (FigureOptions' ``plot``),
    and the scenario argument."""
    command = typer.main.get_command(app).commands["run"]
    options = {param.name for param in command.params}
    assert options == {"scenario"} | set(RunOptions.model_fields) | set(FigureOptions.model_fields)
    assert set(FigureOptions.model_fields) == {"plot"}


def test_run_campaign_takes_the_options_models_fields_as_keywords(tmp_path):
    """run_campaign builds RunOptions from its keywords: a misspelt one is an OptionError
    naming it (nothing is run or written), and a checked model is accepted as is."""
    with pytest.raises(OptionError, match="wrolds") as caught:
        run_campaign(QUICK, wrolds=3, out=tmp_path / "x.parquet")
    assert caught.value.option == "wrolds"
    with pytest.raises(TypeError, match="not both"):
        run_campaign(QUICK, options=RunOptions(worlds=2), worlds=2)
    result = run_campaign(QUICK, options=RunOptions(worlds=2, strategy=["conciliation"], progress=False))
    assert list(result.outcomes["world"]) == [0, 1] and result.strategies == ("conciliation",)
    assert list(tmp_path.iterdir()) == []


def test_help_shows_the_options_models_defaults(capsys):
    assert main(["run", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # help is wrapped to the terminal
    fields = RunOptions.model_fields
    assert "--worlds" in text and f"[default: {fields['worlds'].default}]" in text
    assert f"[default: {fields['chunk_size'].default}]" in text
    assert fields["seed"].description in text


# ---------------------------------------------------------------- the outcome table


def test_one_row_per_strategy_and_world_with_required_columns(full_run, scenario):
    table = full_run["table"]
    region_columns = [
        f"{prefix}_{region}" for region in scenario.region_names for prefix in ("peak_unrest", "residual_armed")
    ]
    assert set(REQUIRED_COLUMNS + region_columns) <= set(table.columns)
    assert len(table) == len(scenario.strategies) * WORLDS
    assert list(table["strategy"].unique()) == list(scenario.strategies)
    assert not table.duplicated(["strategy", "world"]).any()
    for name, rows in table.groupby("strategy"):
        assert sorted(rows["world"]) == list(range(WORLDS)), name
    assert (table["seed"] == SEED).all()
    assert set(table["outcome"]) <= OUTCOMES
    horizon = scenario.scenario.horizon_weeks
    assert table["end_week"].between(1, horizon).all()
    assert (table.loc[table["outcome"] == "ongoing", "end_week"] == horizon).all()
    # Human costs and counts are never negative; direct conflict agrees with the outcome.
    for column in ("war_deaths", "periphery_casualties", "purges", "defections", "attributions", *region_columns):
        assert (table[column] >= 0).all(), column
    assert (table["direct_conflict"].astype(bool) >= (table["outcome"] == "direct_conflict")).all()


def test_parquet_metadata_carries_scenario_hash_and_version(full_run):
    metadata = pq.read_schema(full_run["out"]).metadata
    text = QUICK.read_text(encoding="utf-8")
    assert json.loads(metadata[b"offramp.scenario_hash"]) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert json.loads(metadata[b"offramp.version"]) == __version__
    assert json.loads(metadata[b"offramp.seed"]) == SEED
    assert json.loads(metadata[b"offramp.scenario_text"]) == text


def test_trace_has_one_row_per_strategy_and_week_and_agrees_with_the_table(full_run, scenario):
    trace = pd.read_csv(full_run["trace"])
    assert {"strategy", "week", "outcome", "tension", "leader_belief", "leader_paranoia", "war_score"} <= set(
        trace.columns
    )
    assert {f"unrest_{region}" for region in scenario.region_names} <= set(trace.columns)
    assert set(trace["strategy"]) == set(scenario.strategies)
    assert not trace.duplicated(["strategy", "week"]).any()
    rows = full_run["table"].query("world == 3").set_index("strategy")
    for name, weeks in trace.groupby("strategy"):
        # The trace runs world 3 alone; batch invariance makes it the same world.
        assert list(weeks["week"]) == list(range(1, rows.loc[name, "end_week"] + 1)), name
        assert weeks["outcome"].iloc[-1] == rows.loc[name, "outcome"], name
        assert weeks["tension"].max() == pytest.approx(rows.loc[name, "peak_tension"], rel=1e-12, abs=1e-12), name


def test_plot_is_a_png(full_run):
    assert full_run["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_summary_tables_name_every_strategy(tmp_path, capsys):
    assert main(["run", str(QUICK), "--worlds", "4", "--strategy", "covert_only", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "covert_only" in out and "full_pressure" not in out


def test_trace_out_chooses_where_the_trace_goes(tmp_path):
    target = tmp_path / "nested" / "world-1.parquet"
    _run(tmp_path, "traced", "--strategy", "conciliation", "--trace", "1", "--trace-out", str(target), worlds=3)
    trace = pd.read_parquet(target)
    assert set(trace["strategy"]) == {"conciliation"} and trace["week"].iloc[0] == 1
    assert not (tmp_path / "trace-world-1.csv").exists()


# ---------------------------------------------------------------- choosing strategies


def test_strategy_option_runs_only_those_named(tmp_path):
    table = _run(tmp_path, "pair", "--strategy", PAIR[0], "--strategy", PAIR[1])
    assert list(table["strategy"].unique()) == list(PAIR)
    assert len(table) == 2 * WORLDS


def test_unknown_strategy_is_a_one_line_error(tmp_path, capsys):
    out = tmp_path / "never.parquet"
    code = main(
        [
            "run",
            str(QUICK),
            "--worlds",
            "2",
            "--strategy",
            "full_pressure",
            "--strategy",
            "no_such_thing",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    line = _one_line_error(capsys)
    assert code == 2
    assert "--strategy" in line and "no_such_thing" in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        (["--worlds", "0"], "--worlds"),
        (["--seed", "-1"], "--seed"),
        (["--chunk-size", "0"], "--chunk-size"),
        (["--trace", "5"], "--trace"),  # only worlds 0 .. 1 exist
        (["--out", "outcomes.xlsx"], "--out"),
        (["--trace", "0", "--trace-out", "trace.txt"], "--trace-out"),
        (["--trace-out", "trace.csv"], "--trace-out"),  # a trace file without a world to trace
        (["--plot", "shares.xlsx"], "--plot"),
        (["--worlds", "many"], "--worlds"),
        (["--threads", "0"], "--threads"),
        (["--threads", "4097"], "--threads"),  # more than the cores
    ],
)
def test_bad_options_are_one_line_errors(arguments, option, tmp_path, capsys, monkeypatch):
    """Every bad option: one line naming the flag, exit 2, before anything is run or written."""
    monkeypatch.chdir(tmp_path)
    code = main(["run", str(QUICK), "--worlds", "2", "--no-progress", *arguments])
    line = _one_line_error(capsys)
    assert code == 2
    assert line.startswith(f"offramp: error: {option}: ") or (option == "--worlds" and option in line), line
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_figure_is_drawn_from_the_result_by_the_report(tmp_path):
    """The job draws nothing; plot_campaign draws its figure from the returned run, and
    refuses a name matplotlib cannot write before drawing."""
    result = run_campaign(QUICK, worlds=3, strategy=list(PAIR), progress=False)
    assert list(tmp_path.iterdir()) == []
    path = plot_campaign(result, tmp_path / "nested" / "shares.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(OptionError, match="plot") as caught:
        plot_campaign(result, tmp_path / "shares.xlsx")
    assert caught.value.flag == "--plot"
    assert not (tmp_path / "shares.xlsx").exists()


def test_every_accepted_figure_suffix_is_one_matplotlib_writes():
    """FigureOptions refuses names up front without importing matplotlib; what it accepts
    must be what matplotlib's canvas can write, or a run would fail after its work."""
    figure = pyplot().figure()
    try:
        supported = {f".{name}" for name in figure.canvas.get_supported_filetypes()}
    finally:
        pyplot().close(figure)
    assert set(FIGURE_SUFFIXES) <= supported
    assert {".png", ".pdf", ".svg"} <= set(FIGURE_SUFFIXES)


# ---------------------------------------------------------------- reproducibility


@pytest.fixture(scope="module")
def pair_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pair-runs")
    pair = [arg for name in PAIR for arg in ("--strategy", name)]
    return {
        "chunk3": _run(tmp, "chunk3", *pair, "--chunk-size", "3"),
        "chunk50": _run(tmp, "chunk50", *pair, "--chunk-size", "50"),
        "again": _run(tmp, "again", *pair, "--chunk-size", "50"),
        "other_seed": _run(tmp, "other-seed", *pair, "--chunk-size", "50", seed=SEED + 1),
    }


def test_results_do_not_depend_on_chunk_size(pair_runs):
    assert_frame_equal(pair_runs["chunk3"], pair_runs["chunk50"], check_exact=True)


def test_same_seed_gives_identical_results(pair_runs):
    assert_frame_equal(pair_runs["again"], pair_runs["chunk50"], check_exact=True)


@pytest.mark.skipif(available_cores() < 2, reason="two threads need two cores")
@pytest.mark.parametrize("chunk_size", ["50", "3"])
def test_results_do_not_depend_on_threads(pair_runs, tmp_path, chunk_size):
    """--threads 2 splits each step's grids (10 worlds x 2 regions, or 3 x 2 per chunk)
    between two threads: the outcome table is the one-thread run's, bit for bit."""
    pair = [arg for name in PAIR for arg in ("--strategy", name)]
    threaded = _run(tmp_path, "threads", *pair, "--chunk-size", chunk_size, "--threads", "2")
    assert_frame_equal(threaded, pair_runs["chunk50"], check_exact=True)


def test_threads_may_not_exceed_the_cores():
    """In Python too: an OptionError naming threads and saying how many cores there are."""
    cores = available_cores()
    with pytest.raises(OptionError) as caught:
        run_campaign(QUICK, worlds=2, threads=cores + 1, progress=False)
    assert caught.value.option == "threads" and f"at most {cores}" in caught.value.problem
    assert RunOptions(threads=cores).threads == cores


def test_another_seed_gives_different_worlds(pair_runs):
    one = pair_runs["chunk50"].drop(columns="seed")
    other = pair_runs["other_seed"].drop(columns="seed")
    assert list(one.columns) == list(other.columns) and len(one) == len(other)
    assert (pair_runs["other_seed"]["seed"] == SEED + 1).all()
    # Continuous costs differ in (almost) every world when the worlds differ.
    assert (one["war_deaths"] != other["war_deaths"]).mean() > 0.5


@pytest.mark.parametrize("alone", ["covert_only", "conciliation"])
def test_common_random_numbers_rows_do_not_depend_on_other_strategies(alone, full_run, pair_runs, tmp_path):
    """A strategy's rows are the same whether it ran alone, with one other, or with all."""
    rows = lambda table: table[table["strategy"] == alone].reset_index(drop=True)  # noqa: E731
    by_itself = _run(tmp_path, "alone", "--strategy", alone)
    assert len(by_itself) == WORLDS
    assert_frame_equal(by_itself, rows(full_run["table"]), check_exact=True)
    if alone in PAIR:
        assert_frame_equal(by_itself, rows(pair_runs["chunk50"]), check_exact=True)


# ---------------------------------------------------------------- results already written stay intact


def _parquet_bytes(path: Path) -> bytes:
    return path.read_bytes()


def test_existing_results_survive_a_run_that_fails_validation(full_run, tmp_path, capsys):
    out = tmp_path / "outcomes.parquet"
    out.write_bytes(_parquet_bytes(full_run["out"]))
    before = out.read_bytes()
    bad = tmp_path / "bad.toml"
    bad.write_text(QUICK.read_text(encoding="utf-8").replace("horizon_weeks = 26", "horizon_weeks = -3"))
    assert main(["run", str(bad), "--worlds", "2", "--out", str(out), "--no-progress"]) == 2
    assert "bad.toml" in _one_line_error(capsys)
    assert main(["run", str(QUICK), "--worlds", "2", "--strategy", "nope", "--out", str(out), "--no-progress"]) == 2
    _one_line_error(capsys)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "outcomes.parquet"]


def test_existing_results_survive_an_interrupted_write(full_run, tmp_path, monkeypatch, capsys):
    """The table is written to a temporary file and renamed: an interruption mid-write
    leaves the earlier file untouched and no half-written file behind."""
    out = tmp_path / "outcomes.parquet"
    out.write_bytes(_parquet_bytes(full_run["out"]))
    before = out.read_bytes()

    def interrupted_write(table, where, *args, **kwargs):
        Path(where).write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", interrupted_write)
    code = main(["run", str(QUICK), "--worlds", "2", "--strategy", "conciliation", "--out", str(out), "--no-progress"])
    assert code == 130
    assert "intact" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["outcomes.parquet"]


def test_main_shows_any_commands_option_error_as_its_flag(monkeypatch, capsys):
    """main() maps OptionError generically, whichever command raised it (explore and
    analyze raise it too): one line ``--flag: problem`` from the option's name as data,
    exit 2; no message is parsed."""
    import offramp.run.campaign

    def refuses(*args, **kwargs):
        raise OptionError("some_option_name", "what: is wrong: here")

    monkeypatch.setattr(offramp.run.campaign, "run_campaign", refuses)
    code = main(["run", str(QUICK), "--no-progress"])
    assert code == 2
    assert _one_line_error(capsys) == "offramp: error: --some-option-name: what: is wrong: here"


def test_run_campaigns_docstring_lists_exactly_the_options_fields():
    """run_campaign takes its options as keywords; its docstring's list of them must be
    RunOptions' fields, no more and no fewer (the Mesa drift, for keywords)."""
    listed = re.findall(r"^\s*- ``(\w+)``", run_campaign.__doc__ or "", re.MULTILINE)
    assert sorted(listed) == sorted(RunOptions.model_fields)
