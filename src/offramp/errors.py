"""offramp's own error types: what the command line turns into one-line messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["OfframpError", "InputError", "OptionError", "describe_validation_error"]


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


class OptionError(InputError):
    """A bad value of a job option (a keyword argument of a job function, a command-line
    option): the option's keyword name travels as data, so that the command line can show
    it as ``--chunk-size`` and Python as ``chunk_size``, without parsing a message.

    Parameters
    ----------
    option : str
        The option's keyword name, e.g. ``"chunk_size"``.
    problem : str
        What is wrong, in a few words.
    """

    def __init__(self, option: str, problem: str) -> None:
        self.option = option
        super().__init__(option, problem)

    @property
    def flag(self) -> str:
        """The option as the command line spells it: ``--chunk-size``."""
        return "--" + self.option.replace("_", "-")


def describe_validation_error(error: ValidationError, name_field: Callable[[tuple[str | int, ...]], str]) -> str:
    """One line for a pydantic ``ValidationError``: where, what, and how many more.

    Parameters
    ----------
    error : pydantic.ValidationError
    name_field : callable
        Maps an error's location (a tuple of field names and indices; empty for a
        cross-field rule) to the name users know it by (an option, a dotted path).

    Returns
    -------
    str
        ``"<where>: <problem>"``, with ``" (and N more problems)"`` when there are more.
    """
    problems = error.errors(include_url=False)
    first = problems[0]
    message = str(first.get("msg", "invalid"))
    location = tuple(first.get("loc", ()))
    # Cross-field rules name their field at the start of the message: "field: problem";
    # rules of the whole file (empty location) name a dotted path ("uncertainties.x.y").
    message = message.removeprefix("Value error, ")
    head, sep, rest = message.partition(": ")
    is_path = not location and head.split(".", 1)[0].isidentifier()
    if sep and (head.isidentifier() or is_path):
        location, message = (*location, *head.split(".")), rest
    where = name_field(location) if location else "input"
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    return f"{where}: {message}{more}"
