"""Job options, validated once at the edge: the base of every job's options model.

A job (``offramp run``, ``epstein``, ``explore``, ``analyze``) takes options: numbers of
worlds and steps, a seed, a chunk size, workers, output paths. Each job declares them as
a pydantic model derived from :class:`JobOptions`, next to the job, with ranges on the
fields. The command line and the Python function both build that model, once; a bad
value raises :class:`~offramp.errors.OptionError` naming the option (as data), and the
job's code trusts the model from then on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from offramp.errors import OptionError, describe_validation_error

__all__ = ["JobOptions"]

# pydantic's range errors, worded as offramp words them everywhere else.
_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("greater than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


class JobOptions(BaseModel):
    """Base of a job's options: unknown names, NaN and infinities are refused; frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, arbitrary_types_allowed=True)

    @classmethod
    def check(cls, **values: Any) -> Self:
        """The options model for ``values``, or :class:`OptionError` naming the first bad one.

        Parameters
        ----------
        **values : object
            Option values by keyword name; those left out take the field's default.

        Returns
        -------
        JobOptions
            An instance of the calling class.

        Raises
        ------
        OptionError
            The first problem, with the option's keyword name in ``option``.
        """
        try:
            return cls(**values)
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            location = tuple(first.get("loc", ()))
            message = describe_validation_error(error, lambda loc: str(loc[0]))
            option, _, problem = message.partition(": ")
            bound = _BOUNDS.get(str(first.get("type")))
            if bound is not None and location:  # the house wording for a range: "must be at least 1"
                word, key = bound
                problem = f"must be {word} {first.get('ctx', {}).get(key)}, got {first.get('input')!r}"
            # A cross-field rule names its field at the start of its message; one that
            # names none is blamed on the first option of the model.
            if not location and option == "input":
                option = next(iter(cls.model_fields))
            raise OptionError(option, problem) from None

    @classmethod
    def resolve(cls, options: Self | None, values: Mapping[str, Any]) -> Self:
        """A job's options: the checked model it was given, or one built from keywords.

        The one place a job function turns its arguments into options: a caller that
        already holds a checked model (the command line) passes it and nothing is checked
        again.

        Parameters
        ----------
        options : JobOptions or None
            A model of this class already checked, or None.
        values : mapping
            Option values as keywords; only when ``options`` is None.

        Returns
        -------
        JobOptions
            An instance of the calling class.

        Raises
        ------
        OptionError
            A bad value among ``values``.
        TypeError
            Both ``options`` and keywords, or ``options`` of another model.
        """
        if options is None:
            return cls.check(**values)
        if values:
            raise TypeError(f"give either options or keywords ({', '.join(values)}), not both")
        if not isinstance(options, cls):
            raise TypeError(f"options must be {cls.__name__}, got {type(options).__name__}")
        return options
