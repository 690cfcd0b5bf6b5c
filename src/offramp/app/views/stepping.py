"""The controls the World and Compare views share: which world, and moving through it.

A :class:`WorldControls` holds the scenario, strategy, world and seed pickers and the step,
play and jump controls, and calls its owner back; the owner (a view) holds the session and
the displays. Building a session from the pickers happens in one place, so that both views
refuse the same bad input with the same one-line message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import panel as pn

from offramp.app.context import AppContext
from offramp.app.views.common import Messages, guarded
from offramp.scenario.load import ScenarioSource

__all__ = ["WorldControls", "PLAY_PERIOD_MS", "whole_number"]

PLAY_PERIOD_MS = 150
"""How often Play steps a week: fast enough to watch a world unfold, slow enough to read."""


def whole_number(widget: pn.widgets.IntInput) -> int:
    """An integer input's value; an emptied box is refused with the input's name.

    Parameters
    ----------
    widget : panel.widgets.IntInput

    Returns
    -------
    int

    Raises
    ------
    ValueError
        The box is empty.
    """
    if widget.value is None:
        raise ValueError(f"{widget.label.lower()}: give a whole number")
    return int(widget.value)


class WorldControls:
    """Pickers and stepping controls (the owner supplies what they do).

    Parameters
    ----------
    context : AppContext
    messages : Messages
        The view's message line; every callback is :func:`~offramp.app.views.common.guarded`.
    strategy_labels : sequence of str
        One strategy picker per label (``["Strategy"]``, or two for Compare).
    on_world : callable(ScenarioSource, list of str, int, int)
        Build the world(s): scenario, the chosen strategies, world index, seed. Raises
        ``ValueError`` on bad input (the old world stays).
    on_step : callable() -> bool
        Step a week; returns False when every world has ended.
    on_jump : callable(int)
        Go to a week.
    """

    def __init__(
        self,
        context: AppContext,
        messages: Messages,
        strategy_labels: Sequence[str],
        on_world: Callable[[ScenarioSource, list[str], int, int], None],
        on_step: Callable[[], bool],
        on_jump: Callable[[int], None],
    ) -> None:
        assert context.scenario is not None  # the views check before building controls
        self.context = context
        self.messages = messages
        self._on_world, self._on_step, self._on_jump = on_world, on_step, on_jump
        files = [path.name for path in context.scenario_files()] or [context.scenario.name]
        self.source: ScenarioSource = context.scenario
        self.scenario = pn.widgets.Select(label="Scenario", options=files, value=files[0], width=200)
        names = list(self.source.scenario.strategies)
        self.strategies = [
            pn.widgets.Select(label=label, options=names, value=names[min(i, len(names) - 1)], width=200)
            for i, label in enumerate(strategy_labels)
        ]
        # No start bound on the inputs: an out-of-range value reaches the session, which
        # refuses it with a message that names it, instead of being clamped in silence.
        self.world = pn.widgets.IntInput(label="World", value=0, width=100)
        self.seed = pn.widgets.IntInput(label="Seed", value=0, width=100)
        self.step_button = pn.widgets.Button(label="Step week", color="primary", width=110)
        self.play = pn.widgets.Toggle(label="Play", width=80)
        self.week = pn.widgets.IntInput(label="Week", value=0, width=100)
        self.jump_button = pn.widgets.Button(label="Jump to week", width=120)
        self._playing: pn.io.callbacks.PeriodicCallback | None = None

        self.scenario.param.watch(guarded(messages, self._scenario_changed), "value")
        for widget in (*self.strategies, self.world, self.seed):
            widget.param.watch(guarded(messages, lambda _event: self.rebuild()), "value")
        self.step_button.on_click(guarded(messages, lambda _event: self._step_once()))
        self.jump_button.on_click(guarded(messages, lambda _event: self._jump()))
        self.play.param.watch(self._toggle_play, "value")
        self.layout = pn.Column(
            pn.Row(self.scenario, *self.strategies, self.world, self.seed),
            pn.Row(self.step_button, self.play, self.week, self.jump_button, align="end"),
        )

    def _scenario_changed(self, _event: object) -> None:
        source = self.context.load(str(self.scenario.value))
        names = list(source.scenario.strategies)
        self.source = source
        for index, picker in enumerate(self.strategies):
            # Setting options and value fires the watcher: rebuild once, below, instead.
            with pn.io.hold(), picker.param.discard_events():
                picker.options = names
                picker.value = names[min(index, len(names) - 1)]
        self.rebuild()

    def rebuild(self) -> None:
        """Build the world(s) from the pickers; stop playing."""
        self.play.value = False
        self._on_world(
            self.source, [str(p.value) for p in self.strategies], whole_number(self.world), whole_number(self.seed)
        )

    def _jump(self) -> None:
        with pn.io.hold():
            self._on_jump(whole_number(self.week))

    def _step_once(self) -> None:
        with pn.io.hold():  # the week's changes reach the browser as one message
            going = self._on_step()
        if not going:
            self.messages.info("The world has ended: pick another world, or jump back to an earlier week.")

    def _tick(self) -> None:
        try:
            with pn.io.hold():
                going = self._on_step()
        except ValueError as error:  # a replayed schedule gone wrong: stop, say why
            self.messages.error(str(error))
            going = False
        if not going:
            self.play.value = False

    def _toggle_play(self, _event: object) -> None:
        if self.play.value and self._playing is None:
            self._playing = pn.state.add_periodic_callback(self._tick, period=PLAY_PERIOD_MS)
            self.play.label = "Pause"
        elif not self.play.value and self._playing is not None:
            self._playing.stop()
            self._playing = None
            self.play.label = "Play"
