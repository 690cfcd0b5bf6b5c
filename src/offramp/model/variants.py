"""The unrest engine's named rule choices: which variant, and which operator on C/A.

Plain enums without NumPy, so that what a user names on the command line (``--variant``,
``--ratio-rounding``) can be read at start-up without loading the engine.
``offramp.model.unrest`` uses and re-exports them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RatioRounding", "Variant"]


class Variant(StrEnum):
    """Rule variant: Epstein as published, or Mesa's implementation."""

    PAPER = "paper"
    MESA = "mesa"


class RatioRounding(StrEnum):
    """The operator applied to C/A in the arrest probability.

    The paper writes k (C/A) literally; NetLogo's Rebellion floors it; Mesa rounds it
    half-to-even (Python's ``round``). Both implementations say the dynamics of the paper
    (punctuated equilibrium) do not appear without their operator.
    """

    LITERAL = "literal"
    FLOOR = "floor"
    ROUND = "round"
