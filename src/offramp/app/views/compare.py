"""The Compare view: the same world under two strategies, side by side, in step."""

from __future__ import annotations

import panel as pn

from offramp.app.context import AppContext
from offramp.app.session import CompareSession
from offramp.app.views.common import Messages, needs_scenario
from offramp.app.views.display import WorldDisplay
from offramp.app.views.stepping import WorldControls
from offramp.scenario.load import ScenarioSource

__all__ = ["compare_view", "ComparePage"]


class ComparePage:
    """The Compare view's state (one per browser tab).

    Parameters
    ----------
    context : AppContext
        Must hold a scenario.
    """

    def __init__(self, context: AppContext) -> None:
        self.messages = Messages()
        self.controls = WorldControls(
            context, self.messages, ["Strategy A", "Strategy B"], self._new_world, self._step, self._jump
        )
        self.holder = pn.Row()
        self.session: CompareSession
        self.displays: tuple[WorldDisplay, WorldDisplay]
        self.controls.rebuild()
        self.layout = pn.Column(
            self.messages.panel,
            self.controls.layout,
            pn.pane.Markdown(
                "One world, two strategies: the same random numbers drive both (common random numbers), "
                "so every difference is the strategies'.",
                margin=(0, 10),
            ),
            self.holder,
            name="Compare",
        )

    def _new_world(self, source: ScenarioSource, strategies: list[str], world: int, seed: int) -> None:
        session = CompareSession(source, strategies, world, seed)
        first = session.sessions[0]
        self.session = session
        shape, size = first.grid_shape, first.circle_size
        self.displays = (
            WorldDisplay(first.regions, first.horizon_weeks, shape, size, strategies[0], compact=True),
            WorldDisplay(first.regions, first.horizon_weeks, shape, size, strategies[1], compact=True),
        )
        self.holder[:] = [display.layout for display in self.displays]

    def _step(self) -> bool:
        views = self.session.step()
        for display, view in zip(self.displays, views, strict=True):
            if view is not None:
                display.show([view])
        return not self.session.is_done

    def _jump(self, week: int) -> None:
        self.session.jump(week)
        for display, session in zip(self.displays, self.session.sessions, strict=True):
            display.catch_up(session.history)


def compare_view(context: AppContext) -> pn.viewable.Viewable:
    """The Compare view, fresh for one browser tab.

    Parameters
    ----------
    context : AppContext

    Returns
    -------
    panel.viewable.Viewable
    """
    return ComparePage(context).layout if context.scenario is not None else needs_scenario("Compare")
