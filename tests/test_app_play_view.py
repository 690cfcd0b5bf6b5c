"""The Play view (issue 13, view 3) at Python level: its widgets driven as the page drives
them, its panes and chart sources checked against a game played alone on the session."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import panel as pn
import pytest

from offramp.app.context import AppContext, app_context
from offramp.app.session import Debrief, GameLog, GameSession, replay
from offramp.app.views.play import MAX_DEBRIEF_WORLDS, play_view
from offramp.run.runner import OUTCOME_LABELS
from offramp.scenario.load import load_scenario
from offramp.scenario.translate import build_strategies

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A scenario folder: quick.toml with a 12-week horizon, a file that does not load,
    and the essay (other regions)."""
    text = (SCENARIOS / "quick.toml").read_text(encoding="utf-8")
    assert "horizon_weeks = 26" in text
    (tmp_path / "small.toml").write_text(text.replace("horizon_weeks = 26", "horizon_weeks = 12"), encoding="utf-8")
    (tmp_path / "broken.toml").write_text('[scenario]\nname = "broken"\nhorizon_weeks = -3\n', encoding="utf-8")
    (tmp_path / "essay.toml").write_text((SCENARIOS / "essay.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def _widget(view: Any, kind: type, name: str) -> Any:
    found = [w for w in view.select(kind) if w.name == name]
    assert len(found) == 1, (name, [w.name for w in view.select(kind)])
    return found[0]


def _click(view: Any, name: str) -> None:
    _widget(view, pn.widgets.Button, name).clicks += 1


def _source(view: Any, name: str) -> Any:
    for pane in view.select(pn.pane.Bokeh):
        source = pane.object.select_one({"name": name})
        if source is not None:
            return source
    raise AssertionError(f"no chart source named {name}")


def _status(view: Any) -> str:
    (status,) = [p for p in view.select(pn.pane.Markdown) if str(p.object).startswith("Turn ")]
    return str(status.object)


def _message(view: Any) -> str:
    (alert,) = view.select(pn.pane.Alert)
    return str(alert.object) if alert.visible else ""


def _panel(view: Any, name: str) -> Any:
    (found,) = [c for c in view.select(pn.Column) if c.name == name]
    return found


def _log(view: Any) -> GameLog:
    download = _widget(view, pn.widgets.FileDownload, "Save game log")
    return GameLog.from_json(download.callback().getvalue())


def _set(view: Any, values: dict[str, float]) -> None:
    for name, value in values.items():
        _widget(view, pn.widgets.FloatSlider, name).value = value


def _new_game(view: Any, scenario: str, world: int, seed: int, weeks: int) -> None:
    _widget(view, pn.widgets.Select, "Scenario").value = scenario
    _widget(view, pn.widgets.IntInput, "World").value = world
    _widget(view, pn.widgets.IntInput, "Seed").value = seed
    _widget(view, pn.widgets.IntInput, "Weeks per turn").value = weeks
    _click(view, "New game")


# Each turn: the sliders moved, and the levers the session then gets (a slider keeps its
# value from the turn before; covert support is per region, core left at 0).
TURNS = (
    (
        {"Sanctions": 0.4, "Information": 0.3, "Covert support: crushed_protest": 0.5},
        {"sanctions": 0.4, "information": 0.3, "covert_support": {"crushed_protest": 0.5}},
    ),
    (
        {"Sanctions": 0.7, "Outreach": 0.6, "Covert support: recent_riots": 0.9},
        {
            "sanctions": 0.7,
            "information": 0.3,
            "outreach": 0.6,
            "covert_support": {"crushed_protest": 0.5, "recent_riots": 0.9},
        },
    ),
)


def test_two_turns_show_only_what_the_coercer_observes():
    """essay.toml, world 0, seed 0, four weeks a turn: after two turns the status says
    Turn 2, week 8; the observation chart holds the two observations the session showed
    (a game played alone with the same levers); the truth stays hidden."""
    view = play_view(app_context(SCENARIOS / "essay.toml"))
    assert _status(view).startswith("Turn 0 · week 0 of 104")
    assert _widget(view, pn.widgets.FileDownload, "Save game log").disabled  # nothing to save before a turn
    assert _widget(view, pn.widgets.FloatSlider, "Covert support: core").disabled  # closed in essay.toml
    alone = GameSession(load_scenario(SCENARIOS / "essay.toml"), world=0, seed=0, turn_weeks=4)
    regions = alone.regions
    for sliders, levers in TURNS:
        _set(view, sliders)
        _click(view, "Play turn")
        alone.play_turn(levers)
    assert _message(view) == ""
    assert _status(view).startswith("Turn 2 · week 8 of 104")

    observed, unrest = _source(view, "observed"), _source(view, "observed_unrest")
    seen = [turn.observation for turn in alone.turns]
    assert observed.data["week"] == [0, 4]
    for name in ("tension", "paranoia_estimate", "defected_share"):
        assert observed.data[name] == [getattr(observation, name) for observation in seen], name
    assert unrest.data["region"] == list(regions)
    assert unrest.data["ys"] == [[observation.unrest[k] for observation in seen] for k in range(len(regions))]
    assert _log(view) == alone.log()  # the same levers, turns and observations
    (table,) = [p for p in view.select(pn.pane.DataFrame) if "observed at week 8" in p.object.columns]
    assert table.object["value"].tolist()[0] == round(alone.observation().tension, 3)

    assert not _panel(view, "True course").visible and not _panel(view, "Game over").visible
    assert _source(view, "truth").data["week"] == []  # no true state reaches the page during the game
    download = _widget(view, pn.widgets.FileDownload, "Save game log")
    assert not download.disabled and download.filename == "offramp-game-essay-seed0-world0.json"
    assert download.label == "Save game log"


def test_the_end_shows_the_outcome_the_truth_and_the_debrief(folder):
    """Played to the horizon (12 weeks, 5 a turn: turns of 5, 5 and 2 weeks): the outcome,
    the true course, the debrief beside a debrief of the saved game replayed alone."""
    view = play_view(app_context(folder / "small.toml"))
    _new_game(view, "small.toml", world=2, seed=5, weeks=5)
    _set(view, {"Sanctions": 0.6, "Concessions": 0.2, "Covert support: periphery": 0.8})
    for _ in range(10):
        if _widget(view, pn.widgets.Button, "Play turn").disabled:
            break
        _click(view, "Play turn")
    assert _message(view) == ""
    log = _log(view)
    game = replay(folder / "small.toml", log)  # the saved log replays to the same game
    assert game.is_done and (game.world.outcome, game.world.end_week) == (log.outcome, log.end_week)
    assert [turn.sanctions for turn in log.turns] == [0.6] * len(log.turns)
    assert _status(view).startswith(f"Turn {len(log.turns)} · week {game.world.week} of 12")
    assert _status(view).endswith(f" · game over: {log.outcome}")
    (outcome,) = [p for p in view.select(pn.pane.Markdown) if str(p.object).startswith("### Game over: ")]
    assert f"{log.outcome} in week {log.end_week}" in outcome.object
    assert _panel(view, "True course").visible
    truth = _source(view, "truth").data
    assert truth["week"] == list(range(1, game.world.week + 1))
    assert truth["war_score"] == [week.war_score for week in game.history]
    assert truth["value_offramp"] == [float(week.values[2]) for week in game.history]

    _click(view, "Play turn")  # the button is disabled in the page; a stray click says why
    assert _message(view) == "the game is over: start a new game"

    _widget(view, pn.widgets.IntInput, "Debrief worlds").value = 3
    _click(view, "Debrief")
    assert _message(view) == "" and _panel(view, "Debrief results").visible
    names = [*build_strategies(load_scenario(folder / "small.toml")), Debrief.PLAYER]
    expected = game.debrief(worlds=3)
    same_world = _widget(view, pn.widgets.Tabulator, "Same world").value
    assert same_world["strategy"].tolist() == names
    assert same_world.to_dict("records") == list(expected.same_world)
    shares = _widget(view, pn.widgets.Tabulator, "Outcome shares").value
    assert shares["strategy"].tolist() == names
    for row in shares.to_dict("records"):
        assert [row[label] for label in OUTCOME_LABELS] == [expected.shares[row["strategy"]][x] for x in OUTCOME_LABELS]
        assert math.isclose(sum(row[label] for label in OUTCOME_LABELS), 1.0)
    for name in ("Same world", "Outcome shares"):  # the player's row, and only it, is marked
        css = _widget(view, pn.widgets.Tabulator, name).style.to_html().split("</style>")[0]
        assert "font-weight: bold" in css
        assert {int(row) for row in re.findall(r"_row(\d+)_col\d+", css)} == {names.index(Debrief.PLAYER)}
    chart = _source(view, "shares").data
    assert chart["strategy"] == names
    assert [colour == "black" for colour in chart["outline"]] == [name == Debrief.PLAYER for name in names]

    _widget(view, pn.widgets.IntInput, "Debrief worlds").value = 0
    _click(view, "Debrief")
    assert _message(view) == "worlds: must be at least 1, got 0"
    _widget(view, pn.widgets.IntInput, "Debrief worlds").value = MAX_DEBRIEF_WORLDS + 1
    _click(view, "Debrief")
    assert _message(view) == f"debrief worlds: at most {MAX_DEBRIEF_WORLDS}, got {MAX_DEBRIEF_WORLDS + 1}"
    assert _widget(view, pn.widgets.Tabulator, "Same world").value["strategy"].tolist() == names  # kept


def test_bad_input_shows_a_message_and_keeps_the_game(folder):
    view = play_view(app_context(folder / "small.toml"))
    assert _widget(view, pn.widgets.Select, "Scenario").options == ["small.toml", "broken.toml", "essay.toml"]
    _set(view, {"Sanctions": 0.5})
    _click(view, "Play turn")
    before = (_status(view), _log(view), dict(_source(view, "observed").data))
    assert before[0].startswith("Turn 1 · week 4 of 12")

    for scenario, world, seed, weeks, problem in [
        ("small.toml", 0, -1, 4, "seed: must be at least 0, got -1"),
        ("small.toml", -2, 0, 4, "world: must be at least 0, got -2"),
        ("small.toml", 0, 0, 0, "turn_weeks: must be at least 1, got 0"),
        ("small.toml", None, 0, 4, "world: give a whole number"),
    ]:
        _new_game(view, scenario, world, seed, weeks)
        assert _message(view) == problem
        assert (_status(view), _log(view), dict(_source(view, "observed").data)) == before
    _new_game(view, "broken.toml", 0, 0, 4)
    assert _message(view).startswith("broken.toml: ")
    assert (_status(view), _log(view)) == before[:2]

    # A good game clears the message and starts afresh, with the new scenario's regions.
    _new_game(view, "essay.toml", 1, 3, 2)
    assert _message(view) == ""
    assert _status(view).startswith("Turn 0 · week 0 of 104")
    assert (
        _source(view, "observed").data["week"] == []
        and _widget(view, pn.widgets.FileDownload, "Save game log").disabled
    )
    sliders = [w.name for w in view.select(pn.widgets.FloatSlider) if w.name.startswith("Covert support: ")]
    assert sliders == [
        f"Covert support: {region}" for region in load_scenario(folder / "essay.toml").scenario.region_names
    ]
    _click(view, "Play turn")
    assert _status(view).startswith("Turn 1 · week 2 of 104")
    assert _widget(view, pn.widgets.FileDownload, "Save game log").filename == "offramp-game-essay-seed3-world1.json"


def test_two_views_of_one_context_do_not_share_a_game(folder):
    context = app_context(folder / "small.toml")
    first, second = play_view(context), play_view(context)
    _set(first, {"Sanctions": 0.9})
    _click(first, "Play turn")
    assert _status(first).startswith("Turn 1") and _status(second).startswith("Turn 0")
    assert _widget(second, pn.widgets.FloatSlider, "Sanctions").value == 0.0
    assert _source(second, "observed").data["week"] == []
    _click(second, "Play turn")
    assert _log(second).turns[0].sanctions == 0.0 and _log(first).turns[0].sanctions == 0.9


def test_without_a_scenario_the_view_says_it_needs_one():
    view = play_view(AppContext(scenario=None, scenario_dir=None, results=None, study=None))
    (note,) = view.select(pn.pane.Markdown)
    assert "needs a scenario" in note.object
    assert not view.select(pn.widgets.Button)
