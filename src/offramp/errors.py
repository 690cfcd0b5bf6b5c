"""offramp's own error types: what the command line turns into one-line messages."""

from __future__ import annotations

__all__ = ["OfframpError", "InputError"]


class OfframpError(Exception):
    """Base class of errors that offramp reports to users without a traceback."""


class InputError(OfframpError, ValueError):
    """Bad user input: names where (file, field or option) and what is wrong.

    Parameters
    ----------
    where : str
        The file, the field path or the command-line option at fault.
    problem : str
        What is wrong, in a few words.
    """

    def __init__(self, where: str, problem: str) -> None:
        self.where = where
        self.problem = problem
        super().__init__(f"{where}: {problem}")
