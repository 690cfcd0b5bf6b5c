"""The World and Compare views at Python level (issue 13): their widgets drive the
sessions, their charts and pictures show the sessions' weeks, bad input in the page
becomes a message and changes nothing, and two views never share a world."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from offramp.app.context import app_context
from offramp.app.pictures import elites_rgba, grid_rgba
from offramp.app.session import CompareSession, GameSession, WorldSession
from offramp.app.views.compare import ComparePage
from offramp.app.views.world import WorldPage
from offramp.errors import InputError

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture
def folder(tmp_path) -> Path:
    """A scenario folder: quick.toml, a copy of it with a typo, and nothing else."""
    shutil.copy(SCENARIOS / "quick.toml", tmp_path / "quick.toml")
    text = (SCENARIOS / "quick.toml").read_text()
    (tmp_path / "broken.toml").write_text(text.replace("horizon_weeks", "horizon_weks", 1))
    return tmp_path


def _click(button, times: int = 1) -> None:
    for _ in range(times):
        button.clicks += 1


def test_stepping_draws_the_sessions_weeks(folder):
    page = WorldPage(app_context(folder / "quick.toml"))
    _click(page.controls.step_button, 3)
    data = page.display.source.data
    assert list(data["week"]) == [1, 2, 3]
    alone = WorldSession(folder / "quick.toml", page.session.strategy_name, 0, 0)
    alone.jump(3)
    assert list(data["war_score"]) == [v.war_score for v in alone.history]
    assert list(data["tension"]) == [v.tension for v in alone.history]
    assert page.display.headline.object.startswith(f"**Week 3 of {alone.horizon_weeks}**")
    pictures = page.display.grids.data["image"]
    assert len(pictures) == len(alone.regions)
    for k, picture in enumerate(pictures):
        np.testing.assert_array_equal(picture, grid_rgba(alone.history[-1].grids[k]))
    np.testing.assert_array_equal(page.display.elites.data["image"][0], elites_rgba(alone.history[-1].elites))
    assert page.display.captions.data["numbers"][0].startswith(f"legitimacy {alone.history[-1].legitimacy[0]:.2f}")


def test_jumping_back_redraws_from_the_start(folder):
    page = WorldPage(app_context(folder / "quick.toml"))
    page.controls.week.value = 10
    _click(page.controls.jump_button)
    assert len(page.display.source.data["week"]) == min(10, page.session.end_week)
    page.controls.week.value = 4
    _click(page.controls.jump_button)
    assert list(page.display.source.data["week"]) == [1, 2, 3, 4]
    assert page.session.week == 4


def test_bad_input_in_the_page_is_a_message_and_changes_nothing(folder):
    page = WorldPage(app_context(folder / "quick.toml"))
    _click(page.controls.step_button, 2)
    session = page.session
    page.controls.world.value = -1
    assert page.messages.panel.visible
    assert "world: must be at least 0" in page.messages.panel.object
    assert page.session is session and page.session.week == 2
    page.controls.week.value = 10_000
    _click(page.controls.jump_button)
    assert "week: must be in [0," in page.messages.panel.object
    assert page.session.week == 2
    page.controls.scenario.value = "broken.toml"
    assert "broken.toml" in page.messages.panel.object and "horizon_weks" in page.messages.panel.object
    assert page.session is session
    _click(page.controls.step_button)  # the app keeps running
    assert page.session.week == 3
    assert not page.messages.panel.visible


def test_choosing_a_strategy_or_world_starts_that_world(folder):
    page = WorldPage(app_context(folder / "quick.toml"))
    page.controls.strategies[0].value = "conciliation"
    page.controls.world.value = 3
    assert (page.session.strategy_name, page.session.world, page.session.week) == ("conciliation", 3, 0)
    assert list(page.display.source.data["week"]) == []


def test_a_game_log_replays_in_the_world_view(folder):
    context = app_context(folder / "quick.toml")
    game = GameSession(context.scenario, world=1, seed=0, turn_weeks=3)
    game.play_turn({"sanctions": 0.6, "covert_support": 0.5})
    game.play_turn({"sanctions": 0.9, "outreach": 0.7})
    page = WorldPage(context)
    page.replay_file.filename = "game.json"
    page.replay_file.value = game.log().to_json().encode()
    assert not page.messages.panel.visible, page.messages.panel.object
    _click(page.controls.step_button, 6)
    assert [v.war_score for v in page.session.history] == [v.war_score for v in game.history]
    assert [v.levers for v in page.session.history] == [v.levers for v in game.history]
    assert "game.json" in page.note.object


def test_a_bad_game_log_is_a_message(folder):
    page = WorldPage(app_context(folder / "quick.toml"))
    session = page.session
    page.replay_file.filename = "notes.json"
    page.replay_file.value = b"{not json"
    assert page.messages.panel.visible and page.session is session
    other = GameSession(SCENARIOS / "essay.toml", world=0, seed=0)
    other.play_turn({"sanctions": 0.5})
    page.replay_file.filename = "essay-game.json"
    page.replay_file.value = other.log().to_json().encode()
    assert "essay-game.json" in page.messages.panel.object
    assert "not among this app's scenario files" in page.messages.panel.object
    assert page.session is session


def test_two_pages_do_not_share_a_world(folder):
    context = app_context(folder / "quick.toml")
    first, second = WorldPage(context), WorldPage(context)
    _click(first.controls.step_button, 4)
    assert first.session.week == 4 and second.session.week == 0
    assert len(second.display.source.data["week"]) == 0


def test_compare_steps_both_strategies_in_step(folder):
    page = ComparePage(app_context(folder / "quick.toml"))
    page.controls.strategies[0].value = "full_pressure"
    page.controls.strategies[1].value = "conciliation"
    _click(page.controls.step_button, 5)
    alone = CompareSession(folder / "quick.toml", ["full_pressure", "conciliation"], 0, 0)
    for _ in range(5):
        alone.step()
    for display, session in zip(page.displays, alone.sessions, strict=True):
        assert list(display.source.data["war_score"]) == [v.war_score for v in session.history]
    assert not np.array_equal(page.displays[0].source.data["sanctions"], page.displays[1].source.data["sanctions"])


def test_the_context_offers_only_its_folders_scenarios(folder, tmp_path_factory):
    context = app_context(folder / "quick.toml")
    assert [p.name for p in context.scenario_files()] == ["quick.toml", "broken.toml"]
    with pytest.raises(InputError, match="not a scenario file"):
        context.load("../essay.toml")


def test_pictures_colour_each_cell_and_elite_by_what_it_holds():
    from offramp.app.pictures import CELL_COLOURS, ELITE_COLOURS
    from offramp.app.session import Cell
    from offramp.model.cascade import Elite

    grid = np.array([[Cell.EMPTY, Cell.QUIET, Cell.ACTIVE], [Cell.JAILED, Cell.POLICE, Cell.QUIET]], np.int8)
    image = grid_rgba(grid)
    assert image.shape == (2, 3) and image.dtype == np.uint32
    top_row = image[1]  # row 0 of the grid is drawn at the top: the image's last row
    red, green, blue = (top_row[2] & 0xFF, (top_row[2] >> 8) & 0xFF, (top_row[2] >> 16) & 0xFF)
    assert (red, green, blue) == CELL_COLOURS[Cell.ACTIVE]
    assert image[0, 1] == grid_rgba(np.array([[Cell.POLICE]], np.int8))[0, 0]  # the grid's row 1
    circle = elites_rgba(np.array([Elite.LOYAL, Elite.PURGED, Elite.DEFECTED], np.int8), per_row=2)
    assert circle.shape == (2, 2)
    assert (circle[1, 1] & 0xFF, (circle[1, 1] >> 8) & 0xFF, (circle[1, 1] >> 16) & 0xFF) == ELITE_COLOURS[Elite.PURGED]
    assert circle[0, 1] == 0xFFFFFFFF  # no fourth elite: white


def test_a_scenario_file_gone_since_the_start_is_a_message(folder):
    page = WorldPage(app_context(folder / "quick.toml"))
    (folder / "broken.toml").unlink()
    page.controls.scenario.value = "broken.toml"
    assert page.messages.panel.visible and "broken.toml" in page.messages.panel.object
    assert page.session.source.name == "quick.toml"
