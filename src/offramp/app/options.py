"""``offramp app``'s options, checked once at the edge (no web framework imported here,
so the command line's ``--help`` stays fast)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from offramp.scenario.options import JobOptions

__all__ = ["AppOptions", "LOOPBACK"]

LOOPBACK = "127.0.0.1"
"""The app's default address: this machine only."""


class AppOptions(JobOptions):
    """Where ``offramp app`` listens and what it opens.

    Attributes
    ----------
    host : str
        The address to bind; anything other than the loopback exposes the app (and the
        files it was given) to the network, so it must be asked for.
    port : int
        The port; 0 picks a free one.
    results : Path or None
        An ``offramp explore`` directory for the Results view.
    criteria : Path or None
        A criteria file for the Results view (what success is; as ``offramp analyze
        --criteria``); None: the defaults.
    """

    host: str = Field(LOOPBACK, min_length=1, description="address to listen on (this machine only by default)")
    port: int = Field(5006, ge=0, le=65535, description="port to listen on; 0 picks a free one")
    results: Path | None = Field(None, description="an offramp explore directory to open in the Results view")
    criteria: Path | None = Field(
        None, description="criteria file (TOML) for the Results view, as offramp analyze --criteria; default criteria"
    )
