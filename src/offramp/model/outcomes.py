"""How a world ends: the end states of MODEL.md, in one NumPy-free enum (results files,
the analysis and the report read the labels from here)."""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Outcome"]


class Outcome(IntEnum):
    """How a world ended (ONGOING: still going at the horizon)."""

    ONGOING = 0
    SETTLEMENT = 1
    INSIDER_REMOVAL = 2
    UPRISING = 3
    DIRECT_CONFLICT = 4
    MILITARY_VICTORY = 5
    MILITARY_DEFEAT = 6

    @property
    def label(self) -> str:
        """The name used in results files."""
        return self.name.lower()
