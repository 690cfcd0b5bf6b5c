"""The app's state logic without a browser (issue 13): one world week by week, two
strategies in step, the seminar game, its log, replay and debrief."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from offramp.app.session import (
    LEVERS,
    Cell,
    CompareSession,
    Debrief,
    GameLog,
    GameSession,
    WorldSession,
    replay,
)
from offramp.model.coercer import Observation, Strategy
from offramp.model.unrest import Occupant
from offramp.run.runner import OUTCOME_LABELS, run_worlds, trace_world
from offramp.scenario.load import load_scenario
from offramp.scenario.translate import build_strategies, to_params

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
QUICK = load_scenario(SCENARIOS / "quick.toml")
ESSAY = load_scenario(SCENARIOS / "essay.toml")
SEED = 11

TURNS = (
    {"sanctions": 0.4, "information": 0.3, "covert_support": 0.5},
    {"sanctions": 0.7, "outreach": 0.6, "covert_support": [0.2, 0.9]},
    {"concessions": 0.25, "covert_support": {"periphery": 1.0}},
)


def _play(game: GameSession, look: bool) -> None:
    for levers in TURNS:
        if look:
            game.observation()
        game.play_turn(levers)


@pytest.mark.parametrize("strategy", ["full_pressure", "conciliation"])
def test_a_world_is_the_one_offramp_run_simulates(strategy):
    """The session's world 2 ends as world 2 of a batch of four does (common random
    numbers, batch invariance), and its weeks equal trace_world's columns."""
    batch = run_worlds(to_params(QUICK.scenario, 4), build_strategies(QUICK)[strategy], strategy, [0, 1, 2, 3], SEED)
    session = WorldSession(QUICK, strategy, world=2, seed=SEED)
    session.jump(session.horizon_weeks)
    assert session.outcome == batch["outcome"][2]
    assert session.end_week == batch["end_week"][2]
    trace = trace_world(to_params(QUICK.scenario, 1), build_strategies(QUICK)[strategy], 2, SEED)
    views = session.history
    assert [v.week for v in views] == trace["week"]
    assert [v.outcome for v in views] == trace["outcome"]
    for name in ("war_score", "war_deaths", "belief", "hazard"):
        assert [getattr(v, name) for v in views] == trace[name], name
    assert [v.war_deaths_total for v in views] == trace["war_deaths_total"]
    assert [v.tension for v in views] == trace["tension"]
    assert [v.action for v in views] == trace["leader_action"]
    for i, action in enumerate(("continue", "escalate", "offramp")):
        assert [v.values[i] for v in views] == trace[f"value_{action}"]
        assert [v.probabilities[i] for v in views] == trace[f"p_{action}"]
    for k, region in enumerate(session.regions):
        for name in ("legitimacy", "opposition", "unrest"):
            assert [getattr(v, name)[k] for v in views] == trace[f"{name}_{region}"]
        assert [v.levers.covert_support[k] for v in views] == trace[f"lever_covert_support_{region}"]
    for lever in ("sanctions", "concessions", "information", "outreach"):
        assert [getattr(v.levers, lever) for v in views] == trace[f"lever_{lever}"]


def test_a_world_that_ends_early_ends_in_the_same_week_as_in_offramp_run():
    """essay.toml's full_pressure on 16 worlds: the worlds of the batch that end before the
    horizon end in the same week, the same way, as a session of that world, and the
    session then stays put (step returns None, the history stops at the end week)."""
    strategy = build_strategies(ESSAY)["full_pressure"]
    batch = run_worlds(to_params(ESSAY.scenario, 16), strategy, "full_pressure", range(16), SEED)
    early = [w for w in range(16) if batch["end_week"][w] < ESSAY.scenario.scenario.horizon_weeks]
    assert len(early) >= 2, early  # the check needs worlds that end early
    for world in early[:2]:
        session = WorldSession(ESSAY, "full_pressure", world=world, seed=SEED)
        session.jump(ESSAY.scenario.scenario.horizon_weeks)
        assert (session.outcome, session.end_week) == (batch["outcome"][world], batch["end_week"][world])
        assert session.history[-1].week == batch["end_week"][world]
        assert session.step() is None and session.history[-1].week == batch["end_week"][world]


def test_the_grids_show_every_agent_once():
    """The grid picture counts as many police and citizens as the world has, and the
    views are read-only copies."""
    session = WorldSession(ESSAY, "full_pressure", world=0, seed=SEED)
    view = session.step()
    assert view is not None
    occupant = session._state.grids.occupant
    assert view.grids.shape == occupant.shape
    assert np.array_equal(np.count_nonzero(view.grids == Cell.POLICE, axis=(1, 2)), session._state.police[0])
    citizens = np.isin(view.grids, [Cell.QUIET, Cell.ACTIVE, Cell.JAILED])
    assert np.array_equal(citizens, occupant == Occupant.CITIZEN)
    assert view.elites.size == session._state.inner_circle.status.shape[1]
    with pytest.raises(ValueError, match="read-only"):
        view.grids[0, 0, 0] = Cell.ACTIVE


def test_stepping_after_the_end_does_nothing():
    session = WorldSession(QUICK, "nothing", world=0, seed=SEED)
    last = session.jump(session.horizon_weeks)
    assert last is not None and last.is_final and session.is_done
    weeks = len(session.history)
    assert session.step() is None
    assert len(session.history) == weeks and session.history[-1] is last


def test_jump_forward_and_back_is_deterministic():
    """Jumping back restarts the world and runs it again: the same weeks."""
    session = WorldSession(ESSAY, "full_pressure_paced", world=3, seed=SEED)
    first = session.jump(4)
    assert first is not None and session.week == 4
    assert session.jump(2) is not None and session.week == 2 and len(session.history) == 2
    again = session.jump(4)
    assert again is not None
    assert again.war_score == first.war_score and np.array_equal(again.grids, first.grids)
    assert session.jump(0) is None and session.history == []
    with pytest.raises(ValueError, match=r"^week: must be in"):
        session.jump(session.horizon_weeks + 1)


def test_compare_is_each_world_in_step():
    compare = CompareSession(ESSAY, ("nothing", "full_pressure"), world=1, seed=SEED)
    alone = [WorldSession(ESSAY, name, world=1, seed=SEED) for name in ("nothing", "full_pressure")]
    for _ in range(3):
        pair = compare.step()
        for view, session in zip(pair, alone, strict=True):
            mine = session.step()
            assert view is not None and mine is not None
            assert view.week == mine.week and view.war_score == mine.war_score
            assert np.array_equal(view.grids, mine.grids) and np.array_equal(view.values, mine.values)
    assert pair[0].levers.sanctions == 0.0 and pair[1].levers.sanctions > 0.0
    with pytest.raises(ValueError, match=r"^strategies: give two"):
        CompareSession(QUICK, ("nothing",), world=1, seed=SEED)


@pytest.mark.parametrize(
    ("levers", "problem"),
    [
        ({"sanctions": 1.5}, "^sanctions: must be in"),
        ({"outreach": float("nan")}, "^outreach: must be in"),
        ({"information": "lots"}, "^information: must be a number"),
        ({"bribes": 0.2}, "^bribes: not a lever"),
        ({"covert_support": [0.1, 0.2, 0.3]}, "^covert_support: 3 values for 2 regions"),
        ({"covert_support": {"periphery": -0.1}}, r"^covert_support\[periphery\]: must be in"),
        ({"covert_support": {"capital": 0.1}}, "^covert_support: no region named 'capital'"),
    ],
)
def test_bad_levers_name_the_lever_and_change_nothing(levers, problem):
    game = GameSession(QUICK, world=0, seed=SEED)
    game.play_turn(TURNS[0])
    before = (game.world.week, len(game.history), game.log())
    with pytest.raises(ValueError, match=problem):
        game.play_turn(levers)
    assert (game.world.week, len(game.history), game.log()) == before


def test_a_turn_holds_its_levers_and_the_schedule_is_piecewise_constant():
    game = GameSession(QUICK, world=0, seed=SEED, turn_weeks=3)
    for levers in TURNS:
        assert len(game.play_turn(levers)) == 3
    sanctions = [v.levers.sanctions for v in game.history]
    fatigue = [np.exp(-0.003 * week) for week in range(9)]  # quick.toml: the default fatigue
    expected = [min(level, cap) for level, cap in zip([0.4] * 3 + [0.7] * 3 + [0.0] * 3, fatigue, strict=True)]
    assert sanctions == pytest.approx(expected, rel=1e-12)
    core = game.regions.index("core")  # closed to covert support: zeroed by the world
    assert all(v.levers.covert_support[core] == 0.0 for v in game.history)
    assert [v.levers.covert_support[0] for v in game.history] == [0.5] * 3 + [0.2] * 3 + [1.0] * 3
    spec = game.schedule()
    assert spec["kind"] == "static"
    assert spec["sanctions"] == [[0.0, 0.4], [2.0, 0.4], [3.0, 0.7], [5.0, 0.7], [6.0, 0.0], [8.0, 0.0]]


def test_the_log_round_trips_through_json_and_replays_exactly():
    game = GameSession(QUICK, world=5, seed=SEED)
    _play(game, look=False)
    log = game.log()
    assert GameLog.from_json(log.to_json()) == log
    assert [t.start_week for t in log.turns] == [0, 4, 8] and log.end_week == 12
    again = replay(QUICK, GameLog.from_json(log.to_json()))
    assert again.log() == log
    for mine, theirs in zip(again.history, game.history, strict=True):
        assert mine.war_score == theirs.war_score and np.array_equal(mine.grids, theirs.grids)
    # The schedule as a static strategy in a plain world session is the same world.
    world = WorldSession(QUICK, game.strategy(), world=5, seed=SEED)
    world.jump(12)
    assert [v.war_score for v in world.history] == [v.war_score for v in game.history]
    with pytest.raises(ValueError, match=r"^game log: not a game log"):
        GameLog.from_json('{"seed": 1}')
    with pytest.raises(ValueError, match=r"^game log: played on another scenario"):
        replay(ESSAY, log)


class _Recording:
    """Wraps a strategy and keeps every observation the world's step hands it."""

    def __init__(self, inner: Strategy) -> None:
        self.inner = inner
        self.seen: list[Observation] = []

    def levers(self, observation: Observation):
        self.seen.append(observation)
        return self.inner.levers(observation)


def test_the_observation_shown_is_noisy_and_lagged_and_changes_nothing():
    """What the player sees is what the coercer's next step draws, not the truth, and
    looking at it does not change the world."""
    looked, blind = GameSession(QUICK, world=4, seed=SEED), GameSession(QUICK, world=4, seed=SEED)
    _play(looked, look=True)
    _play(blind, look=False)
    assert looked.log() == blind.log()
    assert all(
        np.array_equal(a.grids, b.grids) and a.tension == b.tension
        for a, b in zip(looked.history, blind.history, strict=True)
    )

    shown = looked.observation()
    state = looked.world._state
    assert shown.paranoia_estimate != float(state.leader.paranoia[0])  # quick.toml: noise 0.2, lag 1
    assert shown.paranoia_estimate != float(state.observed.paranoia[0, 1])  # the lagged truth, read with noise
    recording = _Recording(looked.strategy())
    looked.world.use_strategy(recording)
    looked.world.step()
    assert recording.seen[0].paranoia_estimate[0] == shown.paranoia_estimate
    assert tuple(recording.seen[0].unrest[0]) == shown.unrest


def test_debrief_sets_the_players_schedule_beside_the_shipped_strategies():
    game = GameSession(QUICK, world=1, seed=SEED)
    _play(game, look=False)
    debrief = game.debrief(worlds=3, chunk_size=2)
    shipped = list(build_strategies(QUICK))
    assert [row["strategy"] for row in debrief.same_world] == [*shipped, Debrief.PLAYER]
    assert set(debrief.shares) == {*shipped, Debrief.PLAYER}
    for shares in debrief.shares.values():
        assert set(shares) == set(OUTCOME_LABELS)
        assert sum(shares.values()) == pytest.approx(1.0)
    row = run_worlds(to_params(QUICK.scenario, 1), build_strategies(QUICK)["full_pressure"], "x", [1], SEED)
    mine = next(r for r in debrief.same_world if r["strategy"] == "full_pressure")
    assert (mine["outcome"], mine["end_week"], mine["war_deaths"]) == (
        row["outcome"][0],
        row["end_week"][0],
        row["war_deaths"][0],
    )
    with pytest.raises(ValueError, match=r"^worlds: must be at least 1"):
        game.debrief(worlds=0)


def test_a_finished_game_logs_no_further_turn():
    game = GameSession(QUICK, world=0, seed=SEED, turn_weeks=26)
    assert len(game.play_turn({"sanctions": 0.3})) == 26 and game.is_done
    assert game.play_turn({"sanctions": 0.9}) == [] and len(game.log().turns) == 1
    assert set(LEVERS) == {"sanctions", "concessions", "information", "outreach", "covert_support"}
