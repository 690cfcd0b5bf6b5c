"""The ``offramp epstein`` command: options mirror the API, outputs, one-line errors."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest
import typer.main

from offramp import __version__
from offramp.cli import app, main
from offramp.run.epstein import epstein_job
from offramp.scenario.epstein import EpsteinConfig


def _options(command_name: str) -> set[str]:
    group = typer.main.get_command(app)
    command = group.commands[command_name]
    return {p.name for p in command.params}


def test_epstein_options_mirror_the_settings_and_the_job_function():
    job = set(inspect.signature(epstein_job).parameters) - {"config"}
    assert _options("epstein") == set(EpsteinConfig.model_fields) | job


def test_help_shows_schema_defaults(capsys):
    assert main(["epstein", "--help"]) == 0
    text = capsys.readouterr().out
    assert "Mesa" in text and "--cop-density" in text and "0.074" in text


def test_run_writes_csv_and_plot(tmp_path, capsys):
    out, plot = tmp_path / "counts.csv", tmp_path / "shares.png"
    code = main(["epstein", "--width", "20", "--height", "20", "--worlds", "3", "--steps", "12", "--seed", "4",
                 "--out", str(out), "--plot", str(plot), "--no-progress", "--legitimacy", "0.6"])
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
    assert main(["epstein", "--width", "16", "--height", "16", "--steps", "3", "--seed", "8",
                 "--out", str(out), "--no-progress"]) == 0
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
        (["--legitimacy-change", "gradual", "--change-start", "50", "--change-end", "10"], "--change-end"),
        (["--no-such-option", "1"], "--no-such-option"),
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


def test_installed_script_reports_bad_input_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "offramp.cli", "epstein", "--legitimacy", "-0.1"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--legitimacy" in result.stderr and "Traceback" not in result.stderr


def test_existing_results_survive_a_failed_write(tmp_path):
    """A run that fails validation leaves an earlier file of the same name untouched."""
    out = tmp_path / "counts.csv"
    out.write_text("precious\n")
    assert main(["epstein", "--out", str(out), "--steps", "0", "--no-progress"]) == 2
    assert out.read_text() == "precious\n"
