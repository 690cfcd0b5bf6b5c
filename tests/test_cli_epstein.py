"""The ``offramp epstein`` command: options mirror the API, outputs, one-line errors."""

from __future__ import annotations

import errno
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import typer.main

from offramp import __version__
from offramp.cli import app, main
from offramp.errors import OptionError
from offramp.report.figures import FigureOptions, plot_epstein
from offramp.run.epstein import epstein_job, run_epstein
from offramp.run.options import EpsteinOptions, available_cores
from offramp.scenario.epstein import EpsteinConfig


def _options(command_name: str) -> set[str]:
    group = typer.main.get_command(app)
    command = group.commands[command_name]
    return {p.name for p in command.params}


def test_epstein_options_are_the_models_fields():
    """The command's options are exactly the settings' fields (EpsteinConfig), the job's
    options' fields (EpsteinOptions, which epstein_job takes as keywords) and the figure
    path the command line composes (FigureOptions' ``plot``); no name is in two models."""
    models = (EpsteinConfig, EpsteinOptions, FigureOptions)
    names = [name for model in models for name in model.model_fields]
    assert len(names) == len(set(names))
    assert _options("epstein") == set(names)


def test_run_epstein_defaults_are_the_options_models():
    """run_epstein, the plain engine call, spells its defaults in its signature: they must
    be EpsteinOptions' (only its progress bar is off by default)."""
    signature = inspect.signature(run_epstein).parameters
    for name in ("worlds", "steps", "seed", "threads"):
        assert signature[name].default == EpsteinOptions.model_fields[name].default, name
    assert signature["progress"].default is False


def test_the_job_checks_its_keywords_once_and_draws_nothing(tmp_path):
    """epstein_job builds EpsteinOptions from its keywords (an OptionError names a bad one,
    before anything is written); the figure comes from the report, from the result."""
    config = EpsteinConfig(width=12, height=12, citizen_vision=3, cop_vision=3)
    with pytest.raises(OptionError) as caught:
        epstein_job(config, steps=0, out=tmp_path / "counts.csv")
    assert caught.value.option == "steps" and str(caught.value).startswith("steps: ")
    with pytest.raises(OptionError, match="out"):
        epstein_job(config, out=tmp_path / "counts.xlsx")
    assert list(tmp_path.iterdir()) == []
    result = epstein_job(config, options=EpsteinOptions(worlds=2, steps=4, progress=False))
    assert result.counts.shape == (2, 5, 3) and list(tmp_path.iterdir()) == []
    plot = plot_epstein(result, tmp_path / "shares.svg")
    assert plot.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_help_shows_schema_defaults(capsys):
    assert main(["epstein", "--help"]) == 0
    text = capsys.readouterr().out
    assert "Mesa" in text and "--cop-density" in text and "0.074" in text


def test_run_writes_csv_and_plot(tmp_path, capsys):
    out, plot = tmp_path / "counts.csv", tmp_path / "shares.png"
    code = main(
        [
            "epstein",
            "--width",
            "20",
            "--height",
            "20",
            "--worlds",
            "3",
            "--steps",
            "12",
            "--seed",
            "4",
            "--out",
            str(out),
            "--plot",
            str(plot),
            "--no-progress",
            "--legitimacy",
            "0.6",
        ]
    )
    assert code == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["world", "step", "quiet", "active", "jailed"]
    assert len(frame) == 3 * 13
    assert frame["jailed"].max() > 0
    totals = frame[["quiet", "active", "jailed"]].sum(axis=1)
    assert (totals.groupby(frame["world"]).nunique() == 1).all()  # citizens are conserved
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "active share" in capsys.readouterr().out


def test_parquet_carries_settings_seed_and_version(tmp_path):
    out = tmp_path / "counts.parquet"
    assert (
        main(
            [
                "epstein",
                "--width",
                "16",
                "--height",
                "16",
                "--steps",
                "3",
                "--seed",
                "8",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    metadata = pq.read_schema(out).metadata
    assert json.loads(metadata[b"offramp.seed"]) == 8
    assert json.loads(metadata[b"offramp.version"]) == __version__
    assert json.loads(metadata[b"offramp.config"])["width"] == 16
    frame = pd.read_parquet(out)
    assert frame["step"].max() == 3


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        (["--legitimacy", "1.5"], "--legitimacy"),
        (["--legitimacy", "nan"], "--legitimacy"),
        (["--citizen-density", "0.8", "--cop-density", "0.3"], "--cop-density"),
        (["--citizen-vision", "-1"], "--citizen-vision"),
        (["--cop-vision", "30"], "--cop-vision"),
        (["--steps", "0"], "--steps"),
        (["--worlds", "0"], "--worlds"),
        (["--steps", "many"], "--steps"),
        (["--variant", "netlogo"], "--variant"),
        (["--out", "counts.xlsx"], "--out"),
        (["--out", "counts"], "--out"),
        (["--plot", "shares.txt"], "--plot"),
        (["--legitimacy-change", "gradual", "--change-start", "50", "--change-end", "10"], "--change-end"),
        (["--no-such-option", "1"], "--no-such-option"),
        (["--move-attempts", "2"], "--move-attempts"),  # mesa (the default) has no movement rounds
        (["--variant", "paper", "--move-attempts", "9"], "--move-attempts"),
    ],
)
def test_bad_input_gives_one_line_naming_the_option_and_exit_2(arguments, option, capsys, tmp_path):
    code = main(["epstein", "--no-progress", *arguments])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1, captured.err
    assert option in lines[0]
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("option", ["--turns", "--move-rounds"])
def test_the_former_turn_options_are_unknown(option, capsys):
    """The 16-turn emulation's settings are gone: the command refuses them as unknown
    options (exit 2, one line naming the option), and the settings as unknown fields."""
    code = main(["epstein", "--no-progress", option, "4"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1 and "No such option" in lines[0] and option in lines[0], lines
    name = option.removeprefix("--").replace("-", "_")
    with pytest.raises(OptionError) as caught:
        EpsteinConfig.check(**{name: 4})
    assert caught.value.option == name


def test_move_attempts_belongs_to_the_paper_variant():
    """move_attempts is the paper variant's setting; mesa refuses any value but the
    default (which saved settings carry), naming the option."""
    assert EpsteinConfig.check(variant="paper", move_attempts=2).move_attempts == 2
    default = EpsteinConfig.model_fields["move_attempts"].default
    assert EpsteinConfig.check(variant="mesa", move_attempts=default).move_attempts == default
    with pytest.raises(OptionError) as caught:
        EpsteinConfig.check(variant="mesa", move_attempts=default + 1)
    assert caught.value.option == "move_attempts" and "paper" in str(caught.value)


def test_installed_script_reports_bad_input_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "offramp.cli", "epstein", "--legitimacy", "-0.1"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,  # the exit status is what this test checks
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--legitimacy" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_existing_results_survive_a_write_that_fails_midway(suffix, tmp_path, monkeypatch, capsys):
    """The writer really starts: it writes part of the table, then fails (a full disk).
    The earlier file keeps its bytes and no temporary file is left beside it."""
    out = tmp_path / f"counts{suffix}"
    small = ["epstein", "--width", "12", "--height", "12", "--citizen-vision", "3", "--cop-vision", "3"]
    assert main([*small, "--steps", "2", "--out", str(out), "--no-progress"]) == 0
    before = out.read_bytes()
    capsys.readouterr()
    attempts = []

    def failing_write(where, half: bytes) -> None:
        attempts.append(Path(where))
        Path(where).write_bytes(half)  # some bytes reach the disk ...
        raise OSError(errno.ENOSPC, "No space left on device", str(where))  # ... then it fails

    if suffix == ".csv":
        monkeypatch.setattr(pd.DataFrame, "to_csv", lambda frame, where, **_: failing_write(where, b"world,step,qu"))
    else:
        monkeypatch.setattr(pq, "write_table", lambda table, where, **_: failing_write(where, b"PAR1 half a file"))
    code = main([*small, "--steps", "3", "--seed", "9", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert len(attempts) == 1 and attempts[0] != out  # the writer wrote elsewhere, not over the old file
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_epstein_jobs_docstring_lists_exactly_the_options_fields():
    """epstein_job takes its options as keywords; its docstring's list of them must be
    EpsteinOptions' fields, no more and no fewer."""
    listed = re.findall(r"^\s*- ``(\w+)``", epstein_job.__doc__ or "", re.MULTILINE)
    assert sorted(listed) == sorted(EpsteinOptions.model_fields)


@pytest.mark.skipif(available_cores() < 2, reason="two threads need two cores")
@pytest.mark.parametrize("variant", ["mesa", "paper"])
def test_counts_do_not_depend_on_threads(tmp_path, variant):
    """Seven worlds split between two threads at every step (4 + 3 grids): the counts
    file is the one-thread run's, byte for byte, for both variants."""
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    common = ["epstein", "--width", "14", "--height", "14", "--citizen-vision", "3", "--cop-vision", "3"]
    common += ["--variant", variant, "--worlds", "7", "--steps", "12", "--seed", "4", "--no-progress"]
    assert main([*common, "--out", str(one)]) == 0
    assert main([*common, "--out", str(two), "--threads", "2"]) == 0
    assert one.read_bytes() == two.read_bytes()
    config = EpsteinConfig(width=14, height=14, citizen_vision=3, cop_vision=3, variant=variant)
    threaded = run_epstein(config, worlds=7, steps=12, seed=4, threads=2)
    columns = ["world", "step", "quiet", "active", "jailed"]
    assert (pd.read_csv(one)[columns].to_numpy() == threaded.to_frame()[columns].to_numpy()).all()


@pytest.mark.parametrize("threads", ["0", "4097"])
def test_bad_threads_is_one_line(tmp_path, capsys, threads):
    code = main(["epstein", "--threads", threads, "--out", str(tmp_path / "counts.csv"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("offramp: error: --threads: ") and len(err.strip().splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OptionError) as caught:
        run_epstein(EpsteinConfig(), threads=int(threads))
    assert caught.value.option == "threads"
