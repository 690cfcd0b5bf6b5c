"""Documented parameters equal the signature's, for every public function of offramp.

The Mesa drift (docstrings for arguments that do not exist) is the warning: a numpydoc
``Parameters`` section must list exactly the function's parameters, in order. Public
functions, methods, classmethods and staticmethods are all checked, and one that takes
parameters but has no ``Parameters`` section fails: an undocumented argument is drift too.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import offramp

_SKIP_MODULES = {"offramp.cli"}  # typer commands document options through help texts


def _public_functions():
    for info in pkgutil.walk_packages(offramp.__path__, "offramp."):
        if info.name in _SKIP_MODULES:
            continue
        module = importlib.import_module(info.name)
        for name, member in vars(module).items():
            if name.startswith("_") or getattr(member, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(member):
                yield f"{module.__name__}.{name}", member
            elif inspect.isclass(member):
                for method_name, attribute in vars(member).items():
                    method = attribute.__func__ if isinstance(attribute, (classmethod, staticmethod)) else attribute
                    if inspect.isfunction(method) and not method_name.startswith("_"):
                        yield f"{module.__name__}.{name}.{method_name}", method


def _documented(doc: str) -> list[str] | None:
    match = re.search(
        r"\n\s*Parameters\n\s*-{5,}\n(.*?)(\n\s*\n\s*(Returns|Raises|Yields|Notes|References|Examples)\n|\Z)",
        doc,
        re.DOTALL,
    )
    if not match:
        return None
    names = []
    for line in match.group(1).splitlines():
        header = re.match(r"^(\*{0,2}[A-Za-z_][\w, *]*?)\s*:", line)  # getdoc dedents: headers at column 0
        if header:
            names.extend(part.strip().lstrip("*") for part in header.group(1).split(","))
    return names


FUNCTIONS = dict(_public_functions())


def test_there_are_functions_to_check():
    assert len(FUNCTIONS) > 40


@pytest.mark.parametrize("qualified", sorted(FUNCTIONS))
def test_documented_parameters_match_the_signature(qualified):
    function = FUNCTIONS[qualified]
    actual = [name for name, p in inspect.signature(function).parameters.items() if name not in ("self", "cls")]
    documented = _documented(inspect.getdoc(function) or "")
    if documented is None:
        assert not actual, f"{qualified}: takes {actual} but its docstring has no Parameters section"
        return
    assert documented == actual, f"{qualified}: documents {documented}, signature has {actual}"


def test_the_check_catches_classmethods_and_missing_sections():
    """The collector sees classmethods and the check fails an undocumented parameter."""

    class Probe:
        @classmethod
        def build(cls, size: int) -> None:
            """Build one."""

    method = vars(Probe)["build"]
    assert isinstance(method, classmethod)
    assert _documented(inspect.getdoc(method.__func__) or "") is None
    assert any(name.endswith("JobOptions.check") for name in FUNCTIONS)  # a classmethod
