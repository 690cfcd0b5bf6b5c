"""Reading scenario files: TOML in, a validated :class:`Scenario` out, or one clear error.

Every problem becomes an :class:`~offramp.errors.InputError` naming the file and the
field (``essay.toml: leader.precision: Input should be greater than or equal to 0``).
Scenario files are data: nothing in them is evaluated.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from offramp.errors import InputError, describe_validation_error
from offramp.scenario.schema import Scenario

__all__ = ["load_scenario", "parse_scenario", "scenario_hash", "ScenarioSource", "read_data_file", "validate_toml"]

_Model = TypeVar("_Model", bound=BaseModel)


class ScenarioSource:
    """A loaded scenario with the text it came from (for hashes and manifests).

    Attributes
    ----------
    scenario : Scenario
    text : str
        The file's text.
    name : str
        The file name, as used in messages.
    """

    __slots__ = ("scenario", "text", "name")

    def __init__(self, scenario: Scenario, text: str, name: str) -> None:
        self.scenario, self.text, self.name = scenario, text, name

    @property
    def hash(self) -> str:
        """SHA-256 of the file's text."""
        return scenario_hash(self.text)


def scenario_hash(text: str) -> str:
    """SHA-256 hex digest of a scenario's text.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dotted(location: tuple) -> str:
    return ".".join(str(part) for part in location)


def parse_scenario(text: str, name: str = "scenario") -> Scenario:
    """Validate a scenario given as TOML text.

    Parameters
    ----------
    text : str
        TOML.
    name : str
        What to call it in messages (the file name).

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        ``name: field.path: problem`` for the first problem found.
    """
    if not text.strip():
        raise InputError(name, "the file is empty")
    return validate_toml(text, name, Scenario, _dotted)


def load_scenario(path: str | Path) -> ScenarioSource:
    """Read and validate a scenario file.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    ScenarioSource

    Raises
    ------
    InputError
        Missing or unreadable file, bad TOML, or a field that fails validation.
    """
    text, name = read_data_file(path, "scenario file")
    return ScenarioSource(parse_scenario(text, name), text, name)


def read_data_file(path: str | Path, kind: str = "file") -> tuple[str, str]:
    """The UTF-8 text of a data file (a scenario, criteria) and the name to call it by.

    Parameters
    ----------
    path : str or Path
    kind : str
        What the file should be, for the message when ``path`` is a folder.

    Returns
    -------
    (str, str)
        The text, and the file's name.

    Raises
    ------
    InputError
        Missing, a folder, unreadable, or not UTF-8.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(str(path), "no such file")
    if path.is_dir():
        raise InputError(str(path), f"is a folder, not a {kind}")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(str(path), f"cannot be read ({error.strerror})") from None
    try:
        return raw.decode("utf-8"), path.name
    except UnicodeDecodeError:
        raise InputError(path.name, "is not UTF-8 text") from None


def validate_toml(
    text: str, name: str, model: type[_Model], name_field: Callable[[tuple[int | str, ...]], str]
) -> _Model:
    """Parse TOML text (data only, never evaluated) and validate it with a pydantic model.

    Parameters
    ----------
    text : str
    name : str
        What to call the text in messages (the file name).
    model : pydantic model class
    name_field : callable
        Maps a validation error's location to the name users know the field by.

    Returns
    -------
    pydantic.BaseModel
        The validated model, an instance of ``model``.

    Raises
    ------
    InputError
        ``name: not valid TOML: ...`` or ``name: field: problem`` for the first problem.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(name, f"not valid TOML: {error}") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InputError(name, describe_validation_error(error, name_field)) from None
