"""``offramp app``'s command line (issue 13): a bad scenario file, results directory or
option is one line and exit 2, before any server exists; the default address is the
loopback."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from offramp.app.options import LOOPBACK, AppOptions
from offramp.cli import main

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err and "offramp app: http" not in captured.out
    return lines[0]


@pytest.fixture
def typo(tmp_path) -> Path:
    text = (SCENARIOS / "quick.toml").read_text().replace("horizon_weeks", "horizon_weks", 1)
    path = tmp_path / "typo.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["missing.toml"], "offramp: error: missing.toml: no such file"),
        ([], "offramp: error: scenario: give a scenario file, --results DIR, or both"),
        ([str(SCENARIOS / "essay.toml"), "--port", "70000"], "offramp: error: --port: must be at most 65535"),
        ([str(SCENARIOS / "essay.toml"), "--port", "-1"], "offramp: error: --port: must be at least 0"),
        ([str(SCENARIOS / "essay.toml"), "--host", ""], "offramp: error: --host:"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, arguments, expected):
    assert main(["app", *arguments]) == 2
    assert _one_line_error(capsys).startswith(expected)


def test_a_scenario_with_a_typo_names_the_file_and_the_field(capsys, typo):
    assert main(["app", str(typo)]) == 2
    line = _one_line_error(capsys)
    assert line.startswith("offramp: error: typo.toml:") and "horizon_weks" in line


def test_a_directory_that_is_not_an_exploration_is_refused(capsys, tmp_path):
    assert main(["app", str(SCENARIOS / "essay.toml"), "--results", str(tmp_path)]) == 2
    assert _one_line_error(capsys).startswith(f"offramp: error: --results: {tmp_path}: no manifest.json")
    assert main(["app", "--results", str(tmp_path / "absent")]) == 2
    assert "no such directory" in _one_line_error(capsys)


def test_a_damaged_exploration_is_refused(capsys, quick_exploration, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(quick_exploration, copy)
    (copy / "manifest.json").write_text("{not json")
    assert main(["app", "--results", str(copy)]) == 2
    assert _one_line_error(capsys).startswith("offramp: error: --results:")


def test_a_port_in_use_is_one_line(capsys):
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["app", str(SCENARIOS / "quick.toml"), "--port", str(port)]) == 2
    assert _one_line_error(capsys).startswith(f"offramp: error: --port: cannot listen on 127.0.0.1:{port}")


def test_the_default_address_is_this_machine_only():
    assert AppOptions().host == LOOPBACK == "127.0.0.1"


def test_help_lists_the_options(capsys):
    assert main(["app", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--results" in text and "--host" in text and "[default: 127.0.0.1]" in text


def test_ctrl_c_stops_the_app_quietly():
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "offramp.cli", "app", str(SCENARIOS / "quick.toml"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = [process.stdout.readline()]  # Panel's own line, then ours once it listens
    while not seen[-1].startswith("offramp app: http") and seen[-1]:
        seen.append(process.stdout.readline())
    assert seen[-1].startswith("offramp app: http://127.0.0.1:"), "".join(seen)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "offramp app: stopped" in output and "Traceback" not in "".join(seen) + output


def test_a_criteria_file_is_checked_before_the_server(capsys, quick_exploration, tmp_path):
    # An address no machine has: a check that let a bad file through would fail to bind
    # (and say so) instead of serving until the test is killed.
    nowhere = ["--host", "192.0.2.1", "--port", "1"]
    bad = tmp_path / "typo.toml"
    bad.write_text('[objective]\noutcome = "settlement"\nwithin_weks = 52\n')
    assert main(["app", "--results", str(quick_exploration), "--criteria", str(bad), *nowhere]) == 2
    line = _one_line_error(capsys)
    assert line.startswith("offramp: error: typo.toml:") and "within_weks" in line
    other = tmp_path / "other.toml"
    other.write_text('[objective]\ncolumn = "no_such_column"\n')
    assert main(["app", "--results", str(quick_exploration), "--criteria", str(other), *nowhere]) == 2
    line = _one_line_error(capsys)
    assert line.startswith("offramp: error: other.toml:") and "no_such_column" in line
    assert main(["app", str(SCENARIOS / "quick.toml"), "--criteria", str(SCENARIOS / "criteria.toml"), *nowhere]) == 2
    assert _one_line_error(capsys) == "offramp: error: --criteria: applies to --results: give the exploration to judge"


def test_the_results_view_judges_by_the_criteria_given(quick_exploration, tmp_path):
    from offramp.app.context import app_context

    lenient = tmp_path / "lenient.toml"
    lenient.write_text('[[satisficing]]\noutcome = "direct_conflict"\nat_most = 0.5\n')
    default, given = app_context(results=quick_exploration), app_context(results=quick_exploration, criteria=lenient)
    assert given.criteria.text != default.criteria.text
    assert "0.5" in given.criteria.text


def test_only_pages_of_this_machine_may_open_the_websocket_on_the_loopback():
    from offramp.app.server import websocket_origins

    assert websocket_origins(LOOPBACK, 5006) == ["127.0.0.1:5006", "localhost:5006"]
    assert websocket_origins("0.0.0.0", 5006) == ["*"]  # asked for: other machines' names are unknown
