"""The standalone civil-violence model's settings, validated once, with Mesa's names.

``EpsteinConfig`` is the edge where user input (command-line options or Python keyword
arguments) is checked; after :func:`to_unrest_params` the engine trusts its parameters.
Defaults are Mesa's ``EpsteinCivilViolence`` defaults (Epstein's Run 5 with J_max = 1000).
It is a :class:`~offramp.scenario.options.JobOptions` model: ``EpsteinConfig.check(**values)``
names a bad setting as an :class:`~offramp.errors.OptionError` (the command line's
``--cop-density``), and its fields give the command line's help texts and defaults.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import Field, model_validator

from offramp.model.variants import RatioRounding, Variant
from offramp.scenario.options import JobOptions

if TYPE_CHECKING:
    from offramp.model.unrest import UnrestParams

__all__ = ["EpsteinConfig", "LegitimacyChange", "to_unrest_params"]

_MAX_JAIL = 30000


class LegitimacyChange(StrEnum):
    """Epstein's legitimacy experiments (Figs. 9-10): none, a sudden drop, a gradual decline."""

    NONE = "none"
    SUDDEN = "sudden"
    GRADUAL = "gradual"


class EpsteinConfig(JobOptions):
    """Settings of one standalone Epstein run (names as in Mesa's example); unknown names,
    NaN and infinities are refused, and the settings are frozen (:class:`JobOptions`)."""

    width: int = Field(40, ge=3, le=4096, description="grid width [cells]")
    height: int = Field(40, ge=3, le=4096, description="grid height [cells]")
    citizen_density: float = Field(0.7, ge=0.0, le=1.0, description="share of cells starting with a citizen")
    cop_density: float = Field(0.074, ge=0.0, le=1.0, description="share of cells starting with a police officer")
    citizen_vision: int = Field(7, ge=1, le=10, description="citizens' von Neumann vision [cells]")
    cop_vision: int = Field(7, ge=1, le=10, description="police's von Neumann vision [cells]")
    legitimacy: float = Field(0.8, ge=0.0, le=1.0, description="regime legitimacy L (at the start)")
    max_jail_term: int = Field(1000, ge=0, le=_MAX_JAIL, description="J_max: jail terms are U{0..J_max} [steps]")
    active_threshold: float = Field(0.1, ge=0.0, le=1.0, description="activation threshold T")
    arrest_prob_constant: float = Field(2.3, gt=0.0, le=100.0, description="k in P = 1 - exp(-k C/A)")
    variant: Variant = Field(Variant.MESA, description="rule variant: mesa (Mesa's example) or paper (Epstein 2002)")
    ratio_rounding: RatioRounding | None = Field(
        None, description="operator on C/A: literal, floor or round (default: round for mesa, literal for paper)"
    )
    movement: bool = Field(True, description="whether free agents move each step")
    move_attempts: int = Field(
        3,
        ge=1,
        le=8,
        description="paper variant only: movement rounds per step, a mover that lost a contested cell trying "
        "again until it has had this many (mesa moves one agent at a time, contests no cell, and refuses "
        "any other value)",
    )
    legitimacy_change: LegitimacyChange = Field(LegitimacyChange.NONE, description="legitimacy schedule")
    legitimacy_to: float = Field(0.7, ge=0.0, le=1.0, description="legitimacy after the change")
    change_start: int = Field(50, ge=0, description="step at which the change starts")
    change_end: int = Field(100, ge=0, description="step at which a gradual change ends")

    @model_validator(mode="after")
    def _check_consistency(self) -> EpsteinConfig:
        if self.citizen_density + self.cop_density > 1.0:
            raise ValueError("cop_density: citizen_density + cop_density must be at most 1")
        for name in ("citizen_vision", "cop_vision"):
            if 2 * getattr(self, name) + 1 > min(self.width, self.height):
                raise ValueError(f"{name}: 2 * vision + 1 must fit in the grid (width and height)")
        if self.legitimacy_change is LegitimacyChange.GRADUAL and self.change_end <= self.change_start:
            raise ValueError("change_end: must be after change_start for a gradual change")
        # The mesa engine never reads move_attempts; a value set for it would be ignored
        # in silence, so it is refused. The default passes, so that saved settings
        # (which list every field) load again.
        if self.variant is Variant.MESA and self.move_attempts != type(self).model_fields["move_attempts"].default:
            raise ValueError("move_attempts: only the paper variant uses it (mesa moves one agent at a time)")
        return self

    @property
    def rounding(self) -> RatioRounding:
        """The C/A operator in force."""
        if self.ratio_rounding is not None:
            return self.ratio_rounding
        return RatioRounding.ROUND if self.variant is Variant.MESA else RatioRounding.LITERAL


def to_unrest_params(config: EpsteinConfig) -> UnrestParams:
    """Translate validated settings to the engine's parameters (the one translation point).

    Parameters
    ----------
    config : EpsteinConfig

    Returns
    -------
    UnrestParams
    """
    # The engine (and NumPy) loads when a run needs it, not when the command line starts.
    from offramp.model.unrest import UnrestParams

    return UnrestParams(
        height=config.height,
        width=config.width,
        citizen_density=config.citizen_density,
        police_density=config.cop_density,
        citizen_vision=config.citizen_vision,
        police_vision=config.cop_vision,
        max_jail_steps=config.max_jail_term,
        arrest_constant=config.arrest_prob_constant,
        variant=config.variant,
        ratio_rounding=config.rounding,
        movement=config.movement,
        move_attempts=config.move_attempts,
    )
