"""``JobOptions.check``: one OptionError naming the option, in the house wording."""

from __future__ import annotations

import math

import pytest
from pydantic import Field, model_validator

from offramp.errors import InputError, OptionError
from offramp.scenario.options import JobOptions


class _Options(JobOptions):
    worlds: int = Field(10, ge=1, description="worlds [count]")
    share: float = Field(0.5, gt=0.0, lt=1.0, description="a share")
    seed: int = Field(0, ge=0, le=99, description="seed")

    @model_validator(mode="after")
    def _seed_below_worlds(self) -> _Options:
        if self.seed >= self.worlds:
            raise ValueError("seed: must be below worlds")
        return self


@pytest.mark.parametrize(
    ("values", "option", "problem"),
    [
        ({"worlds": 0}, "worlds", "must be at least 1, got 0"),
        ({"share": 0.0}, "share", "must be greater than 0.0, got 0.0"),
        ({"share": 1.0}, "share", "must be less than 1.0, got 1.0"),
        ({"seed": 100}, "seed", "must be at most 99, got 100"),
        ({"seed": 20}, "seed", "must be below worlds"),
        ({"share": math.nan}, "share", "Input should be a finite number"),
        ({"wrolds": 3}, "wrolds", "Extra inputs are not permitted"),
    ],
)
def test_a_bad_option_is_named_as_data(values, option, problem):
    with pytest.raises(OptionError) as caught:
        _Options.check(**values)
    error = caught.value
    assert (error.option, error.problem) == (option, problem)
    assert error.flag == "--" + option.replace("_", "-")
    assert isinstance(error, InputError)  # the command line's one-line, exit-2 path
    assert str(error) == f"{option}: {problem}"


def test_good_options_are_frozen_and_defaults_fill_in():
    options = _Options.check(worlds=5)
    assert (options.worlds, options.share, options.seed) == (5, 0.5, 0)
    with pytest.raises(ValueError, match="frozen"):
        options.worlds = 6  # type: ignore[misc]


def test_resolve_takes_a_checked_model_or_keywords_not_both():
    checked = _Options.check(worlds=5)
    assert _Options.resolve(checked, {}) is checked  # trusted: not checked again
    assert _Options.resolve(None, {"worlds": 7}).worlds == 7
    with pytest.raises(OptionError):
        _Options.resolve(None, {"worlds": 0})
    with pytest.raises(TypeError, match="not both"):
        _Options.resolve(checked, {"worlds": 7})

    class _Other(JobOptions):
        worlds: int = 1

    with pytest.raises(TypeError, match="must be _Options"):
        _Options.resolve(_Other(), {})  # type: ignore[arg-type]
