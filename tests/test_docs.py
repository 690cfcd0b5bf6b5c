"""The docs' parameter tables agree with the code and with the shipped scenario.

A default lives in one place, its parameter dataclass; the mechanism pages repeat it in a
table for the reader, with the range ``scenarios/essay.toml`` explores and the claims'
sides. Tables written by hand drift (the Mesa three-defaults problem), so every table of
``docs/*.md`` that gives defaults or ranges is parsed here and checked:

- a submodel's table (``parameter | default | ... | explored``, under the heading
  ``## Parameters (`[section]`, `ClassName`)``): every field of the dataclass has one
  row, every row is a field, each default equals the field's default, ``explored`` is
  ``fixed`` exactly when ``[uncertainties]`` has no range for the parameter and gives
  that range otherwise, followed by ``; Cn essay [a, b], sceptic [c, d]`` for every claim
  that names the parameter, and for no other;
- the regions' and grids' table (``field | schema default | ... | explored``) against the
  scenario schema's defaults and the regions' ranges and claims;
- the claims' table (``claim | parameters | essay's side | sceptic's side``) against
  ``[claims]``, and the claims page names every uncertainty.

A table whose header mentions a default in any other format fails, so that no table
escapes the check. The last tests feed the checks a changed default, a missing row and a
stale range, and require each to be reported.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import MISSING, dataclass, fields
from enum import Enum
from pathlib import Path

import pytest

from offramp.scenario.schema import SUBMODEL_SECTIONS, RegionSection, ScenarioInfo, UnrestSection

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
ESSAY = tomllib.loads((ROOT / "scenarios" / "essay.toml").read_text(encoding="utf-8"))
UNCERTAINTIES: dict[str, list[float]] = ESSAY["uncertainties"]
CLAIMS: dict[str, dict] = ESSAY["claims"]

PARAMETER_HEADER = ("parameter", "default")
SCHEMA_HEADER = ("field", "schema default")
CLAIMS_HEADER = ("claim", "parameters", "essay's side", "sceptic's side")

_RANGE = r"\[([^\[\],]+), ([^\[\],]+)\]"
_CLAIM_SIDES = rf"(C\d+) essay {_RANGE}, sceptic {_RANGE}"
# The docs' typography: a minus sign and a multiplication sign, as escapes for the linter.
MINUS, TIMES = "\u2212", "\u00d7"
_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
# Schema tables name fields of other sections with a prefix: `[unrest] width`.
_SCHEMA_SECTIONS = {"": RegionSection, "[unrest]": UnrestSection, "[scenario]": ScenarioInfo}
_NOT_PARAMETERS = {"name", "role"}  # a region's identifier and description


@dataclass(frozen=True)
class Table:
    """One Markdown table: the page, the heading above it, its header and rows of cells."""

    page: str
    heading: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, row: tuple[str, ...], name: str) -> str:
        return row[self.header.index(name)]


def _cells(line: str) -> tuple[str, ...]:
    # A cell may hold an escaped pipe (`\|dy\|`); only unescaped pipes separate cells.
    return tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1])


def _tables(path: Path) -> list[Table]:
    tables: list[Table] = []
    heading = ""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        is_table = line.startswith("|") and i + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1])
        if not is_table:
            i += 1
            continue
        header = _cells(line)
        rows = []
        i += 2
        while i < len(lines) and lines[i].startswith("|"):
            rows.append(_cells(lines[i]))
            i += 1
        tables.append(Table(path.name, heading, header, tuple(rows)))
    return tables


TABLES = [table for path in sorted(DOCS.glob("*.md")) for table in _tables(path)]


def _number(text: str) -> float:
    """A number as the docs write it: 0.75, 100000, a minus sign, 5 x 10⁻⁵ or 10⁻³."""
    text = text.strip().replace(MINUS, "-")
    power = re.fullmatch(rf"(?:(-?\d+(?:\.\d+)?) {TIMES} )?10([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", text)
    if power:
        mantissa = float(power.group(1)) if power.group(1) else 1.0
        return mantissa * 10.0 ** int(power.group(2).translate(_SUPERSCRIPT))
    if not re.fullmatch(r"-?\d+(?:\.\d+)?", text):
        raise ValueError(f"not a number: {text!r}")
    return float(text)


def _same(documented: tuple[float, ...], actual: object) -> bool:
    values = tuple(actual) if isinstance(actual, (list, tuple)) else (actual,)
    return len(values) == len(documented) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isclose(d, v, rel_tol=1e-12, abs_tol=1e-15)
        for d, v in zip(documented, values, strict=False)
    )


def _range(low: str, high: str) -> tuple[float, float]:
    return _number(low), _number(high)


def _claim_sides(key: str, claims: dict[str, dict]) -> dict[str, tuple[object, object]]:
    """The claims that name a parameter, with their essay and sceptic ranges."""
    return {
        claim: (sides["essay"].get(key), sides["sceptic"].get(key))
        for claim, sides in claims.items()
        if key in sides["essay"] or key in sides["sceptic"]
    }


def _explored_problems(
    where: str, key: str, explored: tuple[float, float] | None, sides: dict, uncertainties: dict, claims: dict
) -> list[str]:
    """Compare a documented range and claims' sides with the scenario's."""
    problems = []
    if explored is None and key in uncertainties:
        problems.append(f"{where}: documented as not explored, but essay.toml explores {uncertainties[key]}")
    elif explored is not None and not _same(explored, uncertainties.get(key)):
        problems.append(f"{where}: documented range {list(explored)}, essay.toml {uncertainties.get(key)}")
    expected = _claim_sides(key, claims)
    for claim in sorted(set(expected) | set(sides)):
        if claim not in expected:
            problems.append(f"{where}: documents {claim}, which does not name {key}")
        elif claim not in sides:
            problems.append(f"{where}: {claim} names {key} but the table does not say so")
        elif not (_same(sides[claim][0], expected[claim][0]) and _same(sides[claim][1], expected[claim][1])):
            essay, sceptic = expected[claim]
            problems.append(
                f"{where}: {claim} documented as essay {list(sides[claim][0])}, sceptic {list(sides[claim][1])}; "
                f"essay.toml essay {essay}, sceptic {sceptic}"
            )
    return problems


def _parse_explored(cell: str) -> tuple[tuple[float, float] | None, dict[str, tuple]]:
    """``fixed``, or ``[a, b]`` then ``; Cn essay [a, b], sceptic [c, d]`` per claim."""
    if cell == "fixed":
        return None, {}
    match = re.fullmatch(rf"{_RANGE}((?:; {_CLAIM_SIDES})*)", cell)
    if not match:
        raise ValueError(f"explored {cell!r} is neither 'fixed' nor '[low, high]; Cn essay [..], sceptic [..]'")
    sides = {
        side.group(1): (_range(side.group(2), side.group(3)), _range(side.group(4), side.group(5)))
        for side in re.finditer(_CLAIM_SIDES, match.group(3))
    }
    return _range(match.group(1), match.group(2)), sides


def _field_defaults(cls: type) -> dict[str, object]:
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}


def _parameter_table_problems(
    table: Table, section: str, defaults: dict[str, object], uncertainties: dict, claims: dict
) -> list[str]:
    """Everything in a submodel's parameter table that disagrees with the code or essay.toml.

    Parameters
    ----------
    table : Table
        A ``parameter | default | ... | explored`` table.
    section : str
        The scenario section of its dataclass (``war``).
    defaults : dict of str to object
        The dataclass's field defaults, by field name.
    uncertainties : dict of str to list of float
        essay.toml's ``[uncertainties]``.
    claims : dict of str to dict
        essay.toml's ``[claims]``.

    Returns
    -------
    list of str
        One line per disagreement; empty when the table is right.
    """
    problems = []
    documented: list[str] = []
    for row in table.rows:
        name = table.column(row, "parameter").strip("`")
        where = f"{table.page}: {section}.{name}"
        documented.append(name)
        if name not in defaults:
            problems.append(f"{where}: not a field of the section's dataclass")
            continue
        try:
            default = _number(table.column(row, "default"))
            explored, sides = _parse_explored(table.column(row, "explored"))
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        if not _same((default,), defaults[name]):
            problems.append(f"{where}: documented default {default:g}, code {defaults[name]}")
        problems += _explored_problems(where, f"{section}.{name}", explored, sides, uncertainties, claims)
    problems += [f"{table.page}: {section}.{name}: a field with no row" for name in defaults if name not in documented]
    problems += [f"{table.page}: {section}.{name}: two rows" for name in set(documented) if documented.count(name) > 1]
    return problems


def _parameter_tables() -> dict[str, list[tuple[Table, str]]]:
    """Submodel tables by the dataclass their heading names, with the heading's section."""
    found: dict[str, list[tuple[Table, str]]] = {}
    for table in TABLES:
        if table.header[:2] != PARAMETER_HEADER:
            continue
        heading = re.search(r"\(`\[(\w+)\]`, `(\w+)`\)", table.heading)
        assert heading, f"{table.page}: a parameter table under {table.heading!r}, which names no section and class"
        found.setdefault(heading.group(2), []).append((table, heading.group(1)))
    return found


PARAMETER_TABLES = _parameter_tables()


def test_every_table_with_defaults_is_one_the_tests_read():
    readable = {PARAMETER_HEADER, SCHEMA_HEADER}
    unread = [
        f"{table.page}: {' | '.join(table.header)}"
        for table in TABLES
        if any("default" in cell for cell in table.header) and table.header[:2] not in readable
    ]
    assert not unread, "tables with defaults in a format test_docs does not read:\n" + "\n".join(unread)
    for table in TABLES:
        if table.header[:2] == PARAMETER_HEADER:
            assert "explored" in table.header, f"{table.page}: a parameter table needs an 'explored' column"


def test_every_submodel_dataclass_has_exactly_one_table():
    names = {cls.__name__ for cls in SUBMODEL_SECTIONS.values()}
    assert set(PARAMETER_TABLES) == names
    for name, tables in PARAMETER_TABLES.items():
        assert len(tables) == 1, f"{name} has tables on {[table.page for table, _ in tables]}"


@pytest.mark.parametrize("section", sorted(SUBMODEL_SECTIONS))
def test_parameter_table_matches_the_dataclass_and_the_essay_scenario(section):
    cls = SUBMODEL_SECTIONS[section]
    [(table, heading_section)] = PARAMETER_TABLES[cls.__name__]
    assert heading_section == section, f"{table.page}: {cls.__name__} is section [{section}], not [{heading_section}]"
    problems = _parameter_table_problems(table, section, _field_defaults(cls), UNCERTAINTIES, CLAIMS)
    assert not problems, "\n".join(problems)


def test_every_explored_submodel_parameter_is_in_a_table():
    # Follows from the tables' checks; said directly so that a new uncertainty with a
    # typo in its name (which the schema would refuse anyway) cannot hide.
    keys = {f"{section}.{f.name}" for section, cls in SUBMODEL_SECTIONS.items() for f in fields(cls)}
    named = {key for key in UNCERTAINTIES if not key.startswith("regions.")}
    assert named <= keys, sorted(named - keys)


# --- the regions and the grids (schema defaults) ---------------------------------------


def _schema_default_matches(text: str, default: object) -> bool:
    text = text.strip("`")
    if isinstance(default, bool):
        return text == str(default).lower()
    if isinstance(default, Enum):
        return text == default.value
    try:
        return _same((_number(text),), default)
    except ValueError:
        return False


def _parse_regional_explored(cell: str) -> dict[str, tuple[tuple[float, float], dict[str, tuple]]]:
    """``fixed`` or ``–``, or ``region [a, b] (Cn essay [..], sceptic [..])``; several by ``; ``."""
    if cell in ("fixed", "–"):
        return {}
    entries = {}
    for entry in cell.split("; "):
        match = re.fullmatch(rf"(\w+) {_RANGE}(?: \({_CLAIM_SIDES}\))?", entry)
        if not match:
            raise ValueError(f"explored entry {entry!r} is not 'region [low, high] (Cn essay [..], sceptic [..])'")
        sides = {}
        if match.group(4):
            sides[match.group(4)] = (_range(match.group(5), match.group(6)), _range(match.group(7), match.group(8)))
        entries[match.group(1)] = (_range(match.group(2), match.group(3)), sides)
    return entries


def _schema_table_problems(table: Table, uncertainties: dict, claims: dict) -> list[str]:
    """Everything in the regions' and grids' table that disagrees with the schema or essay.toml.

    Parameters
    ----------
    table : Table
        A ``field | schema default | ... | explored`` table.
    uncertainties : dict of str to list of float
    claims : dict of str to dict

    Returns
    -------
    list of str
        One line per disagreement.
    """
    problems = []
    documented: set[tuple[str, str]] = set()
    regional_keys: set[str] = set()
    for row in table.rows:
        prefix = ""  # `[unrest] width`, `height`: the prefix holds for the rest of the cell
        for token in re.findall(r"`([^`]+)`", table.column(row, "field")):
            token_prefix, _, name = token.rpartition(" ")
            prefix = token_prefix or prefix
            model = _SCHEMA_SECTIONS.get(prefix)
            where = f"{table.page}: {prefix + ' ' if prefix else ''}{name}"
            if model is None or name not in model.model_fields:
                problems.append(f"{where}: not a field of the schema")
                continue
            documented.add((prefix, name))
            default = model.model_fields[name].default
            if not _schema_default_matches(table.column(row, "schema default"), default):
                problems.append(f"{where}: documented default {table.column(row, 'schema default')}, schema {default}")
            try:
                entries = _parse_regional_explored(table.column(row, "explored"))
            except ValueError as error:
                problems.append(f"{where}: {error}")
                continue
            if entries and model is not RegionSection:
                problems.append(f"{where}: only a region's fields can be explored")
                continue
            for region, (explored, sides) in entries.items():
                key = f"regions.{region}.{name}"
                regional_keys.add(key)
                problems += _explored_problems(where, key, explored, sides, uncertainties, claims)
    explored_keys = {key for key in uncertainties if key.startswith("regions.")}
    for claim in claims.values():
        explored_keys |= {key for key in (*claim["essay"], *claim["sceptic"]) if key.startswith("regions.")}
    problems += [
        f"{table.page}: {key} is explored but not in the table" for key in sorted(explored_keys - regional_keys)
    ]
    for prefix, model in (("", RegionSection), ("[unrest]", UnrestSection)):
        missing = [
            name for name in model.model_fields if name not in _NOT_PARAMETERS and (prefix, name) not in documented
        ]
        problems += [
            f"{table.page}: {f'{prefix} ' if prefix else ''}{name}: a schema field with no row" for name in missing
        ]
    return problems


def _schema_table() -> Table:
    [table] = [table for table in TABLES if table.header[:2] == SCHEMA_HEADER]
    return table


def test_regions_and_grids_table_matches_the_schema_and_the_essay_scenario():
    table = _schema_table()
    assert "explored" in table.header
    problems = _schema_table_problems(table, UNCERTAINTIES, CLAIMS)
    assert not problems, "\n".join(problems)


# --- the claims ------------------------------------------------------------------------


def test_claims_table_matches_the_essay_scenario():
    [table] = [table for table in TABLES if table.header == CLAIMS_HEADER]
    documented = {}
    for row in table.rows:
        claim = re.match(r"\*\*(C\d+)\*\*", table.column(row, "claim"))
        assert claim, f"claims.md: a row without a claim id: {row[0]!r}"
        names = re.findall(r"`([^`]+)`", table.column(row, "parameters"))
        essay = [_range(*pair) for pair in re.findall(_RANGE, table.column(row, "essay's side"))]
        sceptic = [_range(*pair) for pair in re.findall(_RANGE, table.column(row, "sceptic's side"))]
        documented[claim.group(1)] = (names, essay, sceptic)
    assert set(documented) == set(CLAIMS)
    for claim, (names, essay, sceptic) in documented.items():
        sides = CLAIMS[claim]
        assert names == list(sides["essay"]) == list(sides["sceptic"]), claim
        for name, documented_essay, documented_sceptic in zip(names, essay, sceptic, strict=True):
            assert _same(documented_essay, sides["essay"][name]), (claim, name, "essay", sides["essay"][name])
            assert _same(documented_sceptic, sides["sceptic"][name]), (claim, name, "sceptic", sides["sceptic"][name])


def test_claims_page_names_every_uncertainty():
    text = (DOCS / "claims.md").read_text(encoding="utf-8")
    missing = [key for key in UNCERTAINTIES if f"`{key}`" not in text]
    assert not missing, f"claims.md names neither as a claim's parameter nor as structural: {missing}"


# --- the checks catch what they are for -------------------------------------------------
# Each test changes one thing and requires exactly the problems it causes, on top of
# whatever the pages get wrong today (the tests above report those).


def _war():
    [(table, section)] = PARAMETER_TABLES["WarParams"]
    defaults = _field_defaults(SUBMODEL_SECTIONS[section])
    baseline = _parameter_table_problems(table, section, defaults, UNCERTAINTIES, CLAIMS)
    return table, section, defaults, baseline


def _added(problems: list[str], baseline: list[str]) -> list[str]:
    return [problem for problem in problems if problem not in baseline]


def test_a_changed_default_in_the_code_is_reported():
    table, section, defaults, baseline = _war()
    changed = {**defaults, "front_speed": defaults["front_speed"] * 1.5}
    problems = _added(_parameter_table_problems(table, section, changed, UNCERTAINTIES, CLAIMS), baseline)
    assert len(problems) == 1
    assert "war.front_speed: documented default" in problems[0]


def test_a_field_without_a_row_and_a_row_without_a_field_are_reported():
    table, section, defaults, baseline = _war()
    more = {**defaults, "new_field": 1.0}
    problems = _added(_parameter_table_problems(table, section, more, UNCERTAINTIES, CLAIMS), baseline)
    assert problems == [f"{table.page}: war.new_field: a field with no row"]
    fewer = {name: value for name, value in defaults.items() if name != "casualty_scale"}
    problems = _added(_parameter_table_problems(table, section, fewer, UNCERTAINTIES, CLAIMS), baseline)
    assert problems == [f"{table.page}: war.casualty_scale: not a field of the section's dataclass"]


def test_a_changed_range_or_claim_side_or_a_new_uncertainty_is_reported():
    table, section, defaults, baseline = _war()
    uncertainties = {**UNCERTAINTIES, "war.front_speed": [0.01, 0.06], "war.front_noise": [0.0, 0.02]}
    problems = _added(_parameter_table_problems(table, section, defaults, uncertainties, CLAIMS), baseline)
    assert len(problems) == 2
    assert "war.front_speed: documented range" in problems[0]
    assert "war.front_noise: documented as not explored" in problems[1]
    claims = {**CLAIMS, "C10": {**CLAIMS["C10"], "essay": {**CLAIMS["C10"]["essay"], "war.evasion_max": [0.2, 0.6]}}}
    problems = _added(_parameter_table_problems(table, section, defaults, UNCERTAINTIES, claims), baseline)
    assert len(problems) == 1
    assert "war.evasion_max: C10 documented as essay" in problems[0]


def test_a_stale_schema_default_or_region_range_or_a_missing_row_is_reported():
    table = _schema_table()
    baseline = _schema_table_problems(table, UNCERTAINTIES, CLAIMS)
    uncertainties = {**UNCERTAINTIES, "regions.core.base_legitimacy": [0.6, 0.9], "regions.core.weight": [1.0, 2.0]}
    problems = _added(_schema_table_problems(table, uncertainties, CLAIMS), baseline)
    assert len(problems) == 2
    assert "base_legitimacy: documented range" in problems[0]
    assert "regions.core.weight is explored but not in the table" in problems[1]
    column = table.header.index("schema default")
    stale_rows = tuple(
        (*row[:column], "0.05", *row[column + 1 :]) if row[0] == "`police_density`" else row for row in table.rows
    )
    stale = Table(table.page, table.heading, table.header, stale_rows)
    problems = _added(_schema_table_problems(stale, UNCERTAINTIES, CLAIMS), baseline)
    assert problems == [f"{table.page}: police_density: documented default 0.05, schema 0.04"]
    fewer = Table(table.page, table.heading, table.header, tuple(row for row in table.rows if "`weight`" not in row[0]))
    problems = _added(_schema_table_problems(fewer, UNCERTAINTIES, CLAIMS), baseline)
    assert problems == [f"{table.page}: weight: a schema field with no row"]


def test_numbers_are_read_as_the_docs_write_them():
    assert _number(f"5 {TIMES} 10⁻⁵") == pytest.approx(5e-5)
    assert _number("10⁻³") == pytest.approx(1e-3)
    assert _number(f"{MINUS}0.05") == -0.05
    assert _number("100000") == 100000.0
    with pytest.raises(ValueError, match="not a number"):
        _number("the regions' weight")
