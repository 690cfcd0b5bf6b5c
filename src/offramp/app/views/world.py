"""The World view: one world of a scenario under one strategy, week by week.

It is the world ``offramp run SCENARIO --seed S`` simulates as world I (the session uses
the run's own step and the world's own streams). A saved game log can be replayed here:
the player's lever schedule becomes the strategy, on the game's world.
"""

from __future__ import annotations

import panel as pn

from offramp.app.context import AppContext
from offramp.app.session import GameLog, WorldSession, replay
from offramp.app.views.common import Messages, guarded, needs_scenario
from offramp.app.views.display import WorldDisplay
from offramp.app.views.stepping import WorldControls
from offramp.errors import InputError
from offramp.scenario.load import ScenarioSource

__all__ = ["world_view", "WorldPage"]


class WorldPage:
    """The World view's state: its session, display and controls (one per browser tab).

    Parameters
    ----------
    context : AppContext
        Must hold a scenario.
    """

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self.messages = Messages()
        self.controls = WorldControls(context, self.messages, ["Strategy"], self._new_world, self._step, self._jump)
        self.holder = pn.Column()
        self.session: WorldSession
        self.display: WorldDisplay
        self.replay_file = pn.widgets.FileInput(label="Replay a game log", accept=".json", multiple=False)
        self.replay_file.param.watch(guarded(self.messages, self._replay), "value")
        self.note = pn.pane.Markdown("", margin=(0, 10))
        self.controls.rebuild()
        self.layout = pn.Column(
            self.messages.panel,
            self.controls.layout,
            pn.Row(pn.pane.Markdown("Replay a saved game log:", margin=(8, 10)), self.replay_file),
            self.note,
            self.holder,
            name="World",
        )

    def _show(self, session: WorldSession, description: str) -> None:
        self.session = session
        self.display = WorldDisplay(session.regions, session.horizon_weeks, session.grid_shape, session.circle_size)
        self.holder[:] = [self.display.layout]
        self.note.object = description

    def _new_world(self, source: ScenarioSource, strategies: list[str], world: int, seed: int) -> None:
        session = WorldSession(source, strategies[0], world, seed)
        self._show(
            session,
            f"World {world} of `offramp run {source.name} --seed {seed}` under **{strategies[0]}**: "
            "the same world, week for week.",
        )

    def _step(self) -> bool:
        view = self.session.step()
        if view is None:
            return False
        self.display.show([view])
        return not self.session.is_done

    def _jump(self, week: int) -> None:
        self.session.jump(week)
        self.display.catch_up(self.session.history)

    def _replay(self, _event: object) -> None:
        content = self.replay_file.value
        if not content:
            return
        try:
            log = GameLog.from_json(content.decode("utf-8") if isinstance(content, bytes) else str(content))
        except UnicodeDecodeError as error:
            raise InputError(str(self.replay_file.filename), "not a game log (not UTF-8 text)") from error
        source = self._scenario_of(log)
        game = replay(source, log)  # checks the log against the model, turn by turn
        self.controls.play.value = False
        session = WorldSession(source, game.strategy(), log.world, log.seed)
        self._show(
            session,
            f"Replaying the game log `{self.replay_file.filename}`: world {log.world}, seed {log.seed}, "
            f"{len(log.turns)} turns; it ended **{log.outcome}** in week {log.end_week}. Step or play to watch it.",
        )

    def _scenario_of(self, log: GameLog) -> ScenarioSource:
        candidates = [self.controls.source]
        for path in self.context.scenario_files():
            if path.name != self.controls.source.name:
                try:
                    candidates.append(self.context.load(path.name))
                except ValueError:
                    continue  # a broken file in the folder is not this log's scenario
        for source in candidates:
            if source.hash == log.scenario_hash:
                return source
        raise InputError(
            str(self.replay_file.filename),
            f"played on a scenario ({log.scenario_name}) that is not among this app's scenario files",
        )


def world_view(context: AppContext) -> pn.viewable.Viewable:
    """The World view, fresh for one browser tab.

    Parameters
    ----------
    context : AppContext

    Returns
    -------
    panel.viewable.Viewable
    """
    return WorldPage(context).layout if context.scenario is not None else needs_scenario("World")
