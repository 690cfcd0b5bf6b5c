"""The Play view: the seminar game, in which the user is the coercer (issue 13, view 3).

The view draws a :class:`~offramp.app.session.GameSession`: the player sets the levers,
the model runs a turn of ``Weeks per turn`` weeks, and the page shows what the coercer
could observe. When the world ends, it shows the outcome, the true course of the game,
and the debrief (the same world under every shipped strategy, and the player's schedule
over many worlds beside them). The game log can be saved at any turn.

Choices
-------
1. While the game runs the page shows only what the coercer observes (the session's
   noisy, lagged :meth:`~offramp.app.session.GameSession.observation`); the true state (the
   war score, the leader's values and belief) is drawn only once the world has ended, as
   a seminar game hides it from the players until the debrief.
2. The observation chart holds, for each turn, the observation the player saw when
   setting that turn's levers (``Turn.observation``, what the log records); the table
   shows the one for the coming turn.
3. A new game is built in full before it replaces the old one, so a scenario that does
   not load or a bad number leaves the game being played as it was (the message line
   says why).
4. Charts change by assigning their sources' data; unrest per region is one
   ``multi_line`` renderer and the debrief's strategies are the factors of one range, so a
   scenario with other regions or strategies needs no new figure.
5. The debrief's ensemble runs in a worker thread (one for the whole app, so two debriefs
   queue rather than halve each other's speed) and reaches the page on the server's next
   tick, Bokeh's way of updating a document from a thread: a seminar room's other tabs
   keep stepping meanwhile. Without a server (a test, a notebook cell) it runs in place.
   It is capped at :data:`MAX_DEBRIEF_WORLDS` worlds, so a mistyped million cannot hold
   the thread for an afternoon.
"""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import panel as pn
from bokeh.models import ColumnDataSource, FactorRange, Range1d
from bokeh.models.widgets.tables import NumberFormatter
from bokeh.plotting import figure

from offramp.app.context import AppContext
from offramp.app.session import Debrief, GameSession
from offramp.app.views.common import PALETTE, Messages, guarded, legend_beside, line_chart, needs_scenario
from offramp.app.views.stepping import whole_number
from offramp.run.runner import OUTCOME_LABELS
from offramp.scenario.load import ScenarioSource

__all__ = ["play_view", "MAX_DEBRIEF_WORLDS"]

MAX_DEBRIEF_WORLDS = 10_000
"""The most worlds one debrief runs (module choice 5)."""

_DEBRIEFS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="offramp-debrief")

_SCALAR_LEVERS = {
    "sanctions": "Sanctions",
    "concessions": "Concessions",
    "information": "Information",
    "outreach": "Outreach",
}
_COVERT = "Covert support: "
_LEVER_STEP = 0.05
_OBSERVED = ("tension", "paranoia_estimate", "defected_share")
_ACTIONS = ("continue", "escalate", "offramp")  # the order of WeekView.values (leader.Action)
_SAME_WORLD_COLUMNS = ("strategy", "outcome", "end_week", "war_deaths")


def play_view(context: AppContext) -> pn.viewable.Viewable:
    """The Play view: a fresh game and its widgets (one per browser tab).

    Parameters
    ----------
    context : AppContext
        The app's checked command line; its scenario is the first game's.

    Returns
    -------
    panel.viewable.Viewable
        The view's layout; when the context has no scenario, a note that the game needs
        one.
    """
    if context.scenario is None:
        return needs_scenario("Play")
    return _PlayView(context, context.scenario).layout


def _empty_observed() -> dict[str, list[Any]]:
    return {"week": [], **{name: [] for name in _OBSERVED}}


def _empty_unrest() -> dict[str, list[Any]]:
    return {"xs": [], "ys": [], "region": [], "color": []}


def _empty_truth() -> dict[str, list[Any]]:
    return {"week": [], "war_score": [], "belief": [], **{f"value_{name}": [] for name in _ACTIONS}}


def _empty_shares() -> dict[str, list[Any]]:
    return {"strategy": [], "outline": [], "outline_width": [], **{label: [] for label in OUTCOME_LABELS}}


def _mark_player(row: pd.Series) -> list[str]:
    """Tabulator row style: the player's schedule stands out."""
    style = "font-weight: bold; background-color: #fff3bf" if row["strategy"] == Debrief.PLAYER else ""
    return [style] * len(row)


class _PlayView:
    """The widgets, panes and chart sources of one Play view, around one game."""

    def __init__(self, context: AppContext, scenario: ScenarioSource) -> None:
        self.context = context
        self.messages = Messages()
        names = [path.name for path in context.scenario_files()] or [scenario.name]

        # Game setup.
        self.scenario = pn.widgets.Select(label="Scenario", options=names, value=names[0])
        self.world = pn.widgets.IntInput(label="World", value=0)
        self.seed = pn.widgets.IntInput(label="Seed", value=0)
        self.turn_weeks = pn.widgets.IntInput(label="Weeks per turn", value=4)
        self.new_game = pn.widgets.Button(label="New game", color="primary")
        self.new_game.on_click(guarded(self.messages, self._on_new_game))

        # The levers (the session's ranges: each in [0, 1]).
        self.sliders = {
            lever: pn.widgets.FloatSlider(label=label, start=0.0, end=1.0, step=_LEVER_STEP, value=0.0)
            for lever, label in _SCALAR_LEVERS.items()
        }
        self.covert: dict[str, Any] = {}
        self.covert_column = pn.Column()
        self.play = pn.widgets.Button(label="Play turn", color="primary")
        self.play.on_click(guarded(self.messages, self._on_play_turn))

        # What the coercer observes.
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.note = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.observed_table = pn.pane.DataFrame(pd.DataFrame(), index=False, sizing_mode="stretch_width")
        self.observed = ColumnDataSource(data=_empty_observed(), name="observed")
        self.observed_unrest = ColumnDataSource(data=_empty_unrest(), name="observed_unrest")
        self.download = pn.widgets.FileDownload(
            label="Save game log", callback=self._log_file, filename="offramp-game.json", disabled=True
        )

        # The end: outcome, the true course, the debrief.
        self.outcome = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.truth = ColumnDataSource(data=_empty_truth(), name="truth")
        self.debrief_worlds = pn.widgets.IntInput(label="Debrief worlds", value=100)
        self.debrief = pn.widgets.Button(label="Debrief", color="primary")
        self.debrief.on_click(guarded(self.messages, self._on_debrief))
        # The player's row is marked by a style the tables keep when their value changes.
        self.same_world = pn.widgets.Tabulator(
            pd.DataFrame(columns=list(_SAME_WORLD_COLUMNS)).style.apply(_mark_player, axis=1),
            show_index=False,
            disabled=True,
            formatters={"war_deaths": NumberFormatter(format="0,0")},
            label="Same world",
        )
        self.shares_table = pn.widgets.Tabulator(
            pd.DataFrame(columns=["strategy", *OUTCOME_LABELS]).style.apply(_mark_player, axis=1),
            show_index=False,
            disabled=True,
            formatters={label: NumberFormatter(format="0.000") for label in OUTCOME_LABELS},
            label="Outcome shares",
        )
        self.shares = ColumnDataSource(data=_empty_shares(), name="shares")
        self.debrief_note = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.debrief_panel = pn.Column(
            self.debrief_note,
            pn.pane.Markdown("#### The game's world under every strategy"),
            self.same_world,
            pn.pane.Markdown("#### Outcome shares over many worlds"),
            pn.pane.Bokeh(self._shares_chart()),
            self.shares_table,
            name="Debrief results",
            visible=False,
        )
        self.truth_panel = pn.Column(
            pn.pane.Markdown("### The true course of the game (hidden while you played)"),
            pn.Row(pn.pane.Bokeh(self._war_chart()), pn.pane.Bokeh(self._values_chart())),
            name="True course",
            visible=False,
        )
        self.end_panel = pn.Column(
            self.outcome,
            self.truth_panel,
            pn.pane.Markdown("### Debrief"),
            pn.Row(self.debrief_worlds, self.debrief, align="end"),
            self.debrief_panel,
            name="Game over",
            visible=False,
        )

        self.layout = pn.Column(
            pn.pane.Markdown(
                "## Play: you are the coercer\n\nEach turn, set the levers and play it; the "
                "levers hold for the turn's weeks. You see what the coercer could observe, "
                "not the truth. When the world ends, see how it went and how the shipped "
                "strategies did on the same world."
            ),
            self.messages.panel,
            pn.Row(self.scenario, self.world, self.seed, self.turn_weeks, self.new_game, align="end"),
            pn.Row(
                pn.Column(
                    pn.pane.Markdown("### Your levers"),
                    *self.sliders.values(),
                    self.covert_column,
                    self.play,
                    self.download,
                    width=320,
                ),
                pn.Column(
                    self.status,
                    pn.pane.Markdown("### What you observe"),
                    self.note,
                    self.observed_table,
                    pn.Row(pn.pane.Bokeh(self._observed_chart()), pn.pane.Bokeh(self._unrest_chart())),
                ),
            ),
            self.end_panel,
            name="Play",
            sizing_mode="stretch_width",
        )
        self.game = GameSession(scenario, world=0, seed=0, turn_weeks=whole_number(self.turn_weeks))
        self._show_game()

    # ---- charts (built once; only their sources change, module choice 4) ----

    def _observed_chart(self) -> Any:
        chart = line_chart("Observed at each turn", "share / level")
        for colour, name in zip(PALETTE, _OBSERVED, strict=False):
            label = name.replace("_", " ")
            chart.line("week", name, source=self.observed, color=colour, legend_label=label, line_width=2)
            chart.scatter("week", name, source=self.observed, color=colour, legend_label=label, size=6)
        legend_beside(chart)
        return chart

    def _unrest_chart(self) -> Any:
        chart = line_chart("Observed unrest per region", "active share")
        chart.multi_line("xs", "ys", source=self.observed_unrest, color="color", legend_field="region", line_width=2)
        legend_beside(chart)
        return chart

    def _war_chart(self) -> Any:
        chart = line_chart("War score (true)", "war score")
        chart.line("week", "war_score", source=self.truth, color=PALETTE[0], line_width=2, legend_label="war score")
        chart.line("week", "belief", source=self.truth, color=PALETTE[1], line_width=2, legend_label="leader's belief")
        legend_beside(chart)
        return chart

    def _values_chart(self) -> Any:
        chart = line_chart("The leader's value of each action (true)", "value")
        for colour, name in zip(PALETTE, _ACTIONS, strict=False):
            chart.line("week", f"value_{name}", source=self.truth, color=colour, line_width=2, legend_label=name)
        legend_beside(chart)
        return chart

    def _shares_chart(self) -> Any:
        self.shares_range = FactorRange(factors=[])
        chart = figure(
            title="Outcome shares per strategy (yours outlined)",
            y_range=self.shares_range,
            x_range=Range1d(start=0.0, end=1.0),
            height=300,
            width=640,
            x_axis_label="share of worlds",
            tools="save",
            toolbar_location="right",
        )
        chart.hbar_stack(
            list(OUTCOME_LABELS),
            y="strategy",
            height=0.8,
            source=self.shares,
            color=[PALETTE[i % len(PALETTE)] for i in range(len(OUTCOME_LABELS))],
            legend_label=list(OUTCOME_LABELS),
            line_color="outline",
            line_width="outline_width",
        )
        legend_beside(chart)
        return chart

    # ---- callbacks (wrapped by guarded: a ValueError or OSError becomes a message) ----

    def _on_new_game(self, _event: object = None) -> None:
        source = self.context.load(str(self.scenario.value))
        game = GameSession(source, whole_number(self.world), whole_number(self.seed), whole_number(self.turn_weeks))
        self.game = game  # only now: a failure above keeps the game being played (choice 3)
        self._show_game()

    def _on_play_turn(self, _event: object = None) -> None:
        if self.game.is_done:
            raise ValueError("the game is over: start a new game")
        levers: dict[str, object] = {lever: slider.value for lever, slider in self.sliders.items()}
        levers["covert_support"] = {region: slider.value for region, slider in self.covert.items()}
        self.game.play_turn(levers)
        self._show_turn()

    def _on_debrief(self, _event: object = None) -> None:
        if not self.game.is_done:
            raise ValueError("debrief: finish the game first")
        worlds = whole_number(self.debrief_worlds)
        if worlds > MAX_DEBRIEF_WORLDS:
            raise ValueError(f"debrief worlds: at most {MAX_DEBRIEF_WORLDS}, got {worlds}")
        game = self.game
        document = pn.state.curdoc
        if document is None or document.session_context is None:  # no server: nobody waits (choice 5)
            self._show_debrief(game, game.debrief(worlds=worlds))
            return
        self.end_panel.loading = True
        self.debrief.disabled = True
        running = _DEBRIEFS.submit(game.debrief, worlds=worlds)
        running.add_done_callback(lambda done: document.add_next_tick_callback(partial(self._debrief_done, game, done)))

    def _debrief_done(self, game: GameSession, done: Future[Debrief]) -> None:
        """Show a debrief the worker thread finished (on the server's tick, choice 5)."""
        with pn.io.hold():
            self.end_panel.loading = False
            self.debrief.disabled = False
            if game is not self.game:
                return  # a new game began meanwhile: this debrief is of the old one
            try:
                result = done.result()
            except ValueError as error:
                self.messages.error(str(error))
                return
            self._show_debrief(game, result)

    def _log_file(self) -> io.StringIO:
        return io.StringIO(self.game.log().to_json())

    # ---- drawing the game's state ----

    def _show_game(self) -> None:
        """Reset the page to a new game's start."""
        game = self.game
        if tuple(self.covert) != game.regions:
            self.covert = {
                region: pn.widgets.FloatSlider(
                    label=f"{_COVERT}{region}", start=0.0, end=1.0, step=_LEVER_STEP, value=0.0
                )
                for region in game.regions
            }
            self.covert_column.objects = list(self.covert.values())
        closed = {region.name for region in game.source.scenario.regions if not region.covert_support}
        for region, slider in self.covert.items():
            slider.disabled = region in closed  # the world zeroes covert support there anyway
            slider.description = "closed to covert support in this scenario" if region in closed else None
        coercer = game.world.params.coercer
        self.note.object = (
            f"These are the coercer's observations of **{game.source.scenario.scenario.name}**, world "
            f"{game.world.world}, seed {game.world.seed}: noisy (noise {coercer.observation_noise:g}) and "
            f"lagged by {coercer.observation_lag:g} week{'' if coercer.observation_lag == 1 else 's'}, not the "
            "true state."
        )
        stem = Path(game.source.name).stem
        self.download.filename = f"offramp-game-{stem}-seed{game.world.seed}-world{game.world.world}.json"
        self.observed.data = _empty_observed()
        self.observed_unrest.data = _empty_unrest()
        self.truth.data = _empty_truth()
        self.shares.data = _empty_shares()
        self.shares_range.factors = []
        self.same_world.value = pd.DataFrame(columns=list(_SAME_WORLD_COLUMNS))
        self.shares_table.value = pd.DataFrame(columns=["strategy", *OUTCOME_LABELS])
        self.debrief_panel.visible = False
        self.end_panel.visible = self.truth_panel.visible = False
        self._show_turn()

    def _show_turn(self) -> None:
        """Draw the game after a turn: status, what is observed now and at each turn."""
        game, world = self.game, self.game.world
        turns = len(game.turns)
        status = f"Turn {turns} · week {world.week} of {world.horizon_weeks}"
        if game.is_done:
            status += f" · game over: {world.outcome}"
        self.status.object = status
        self.play.disabled = game.is_done
        self.download.disabled = turns == 0

        now = game.observation()
        rows = [("tension", now.tension), ("paranoia estimate", now.paranoia_estimate)]
        rows += [("defected share", now.defected_share)]
        rows += [(f"unrest: {region}", value) for region, value in zip(game.regions, now.unrest, strict=True)]
        self.observed_table.object = pd.DataFrame(
            {f"observed at week {now.week}": [name for name, _ in rows], "value": [round(v, 3) for _, v in rows]}
        )
        seen = [turn.observation for turn in game.turns]
        weeks = [observation.week for observation in seen]
        self.observed.data = {
            "week": weeks,
            **{name: [getattr(observation, name) for observation in seen] for name in _OBSERVED},
        }
        self.observed_unrest.data = {
            "xs": [weeks for _ in game.regions],
            "ys": [[observation.unrest[k] for observation in seen] for k in range(len(game.regions))],
            "region": list(game.regions),
            "color": [PALETTE[k % len(PALETTE)] for k in range(len(game.regions))],
        }
        if game.is_done:
            self._show_end()

    def _show_end(self) -> None:
        """The outcome and the true course, now that the world has ended (choice 1)."""
        world, history = self.game.world, self.game.history
        ending = (
            "the horizon was reached with the war going on"
            if world.outcome == "ongoing"
            else f"the world ended in {world.outcome.replace('_', ' ')}"
        )
        self.outcome.object = (
            f"### Game over: {world.outcome} in week {world.end_week}\n\n"
            f"After {len(self.game.turns)} turns {ending}. Below, the true course of the game, "
            "then the debrief: how the shipped strategies did on this world, and your schedule "
            "of levers replayed over many worlds."
        )
        self.truth.data = {
            "week": [view.week for view in history],
            "war_score": [view.war_score for view in history],
            "belief": [view.belief for view in history],
            **{f"value_{name}": [float(view.values[i]) for view in history] for i, name in enumerate(_ACTIONS)},
        }
        self.end_panel.visible = self.truth_panel.visible = True

    def _show_debrief(self, game: GameSession, result: Debrief) -> None:
        self.same_world.value = pd.DataFrame(list(result.same_world), columns=list(_SAME_WORLD_COLUMNS))
        names = list(result.shares)
        shares = pd.DataFrame(
            [[name, *(result.shares[name][label] for label in OUTCOME_LABELS)] for name in names],
            columns=["strategy", *OUTCOME_LABELS],
        )
        self.shares_table.value = shares
        is_player = [name == Debrief.PLAYER for name in names]
        self.shares.data = {
            "strategy": names,
            "outline": ["black" if mine else "rgba(0, 0, 0, 0)" for mine in is_player],
            "outline_width": [3.0 if mine else 0.0 for mine in is_player],
            **{label: list(shares[label]) for label in OUTCOME_LABELS},
        }
        self.shares_range.factors = names[::-1]  # the first strategy on top
        self.debrief_note.object = (
            f"The game's world (world {game.world.world}, seed {result.seed}) under every shipped strategy "
            f"and under your schedule (**{Debrief.PLAYER}**), then the outcome shares over "
            f"{result.worlds} worlds of the scenario (the same worlds for every strategy)."
        )
        self.debrief_panel.visible = True
