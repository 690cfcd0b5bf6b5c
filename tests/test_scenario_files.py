"""Scenario files at the edge: bad files give one line naming the file and the field.

Every bad file is made by editing the text of ``scenarios/quick.toml``, and goes through
both ``offramp validate`` and ``offramp run``: each must exit 2 with exactly one line on
stderr, no traceback, naming the file and the field at fault. A hypothesis test feeds
random mutations of the same file and asserts the same contract (or that the file is
still valid and translates to model parameters). The shipped scenarios validate, and the JSON
Schema ``offramp schema`` prints accepts them and rejects known-bad documents.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import tomllib
from dataclasses import fields
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from offramp.cli import main
from offramp.errors import InputError
from offramp.model.coercer import Observation
from offramp.scenario.load import load_scenario, parse_scenario
from offramp.scenario.schema import BOUNDS, SUBMODEL_SECTIONS
from offramp.scenario.translate import build_strategies, to_params

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
QUICK = (SCENARIOS / "quick.toml").read_text(encoding="utf-8")


def _edit(old: str, new: str, text: str = QUICK, count: int = 1) -> str:
    """``text`` with ``old`` replaced by ``new``; fails if ``old`` is not there (so a
    change to quick.toml cannot silently turn a bad-file case into the good file)."""
    assert old in text, f"quick.toml no longer contains {old!r}"
    return text.replace(old, new, count)


def _before_strategies(lines: str) -> str:
    """quick.toml with ``lines`` inserted as new tables just before the strategies."""
    return _edit("[strategies.sanctions_only]", f"{lines}\n\n[strategies.sanctions_only]")


def _without_regions() -> str:
    head, rest = QUICK.split("[[regions]]", 1)
    _, strategies = rest.split("[strategies.", 1)
    # A top-level key must come before the first table, or it lands inside that table.
    return "regions = []\n" + head + "[strategies." + strategies


# (case id, file text, the field path the message must name; None for file-level problems)
BAD_FILES = [
    ("typo-in-key", _before_strategies("[leader]\nprecison = 3"), "leader.precison"),
    ("nan", _before_strategies("[leader]\nprecision = nan"), "leader.precision"),
    ("infinity", _before_strategies("[escalation]\nbaseline_hazard = inf"), "escalation.baseline_hazard"),
    (
        "probability-above-1",
        _before_strategies("[inner_circle]\nexposure_probability = 1.5"),
        "inner_circle.exposure_probability",
    ),
    ("wrong-type", _edit("horizon_weeks = 26", 'horizon_weeks = "long"'), "scenario.horizon_weeks"),
    ("fractional-int", _edit("horizon_weeks = 26", "horizon_weeks = 26.5"), "scenario.horizon_weeks"),
    ("huge-int", _edit("horizon_weeks = 26", "horizon_weeks = 99999999999999999999999"), "scenario.horizon_weeks"),
    ("empty", "", None),
    ("only-comments", "# nothing here\n\n", None),
    ("not-toml", "this is = not [ toml\n", None),
    ("not-toml-truncated", QUICK[: QUICK.index("[[regions]]") + 5], None),
    ("no-regions", _without_regions(), "regions"),
    (
        "regions-key-missing",
        _before_strategies("").split("[[regions]]", 1)[0] + "[strategies." + QUICK.split("[strategies.", 1)[1],
        "regions",
    ),
    ("no-strategies", QUICK.split("[strategies.", 1)[0], "strategies"),
    ("unknown-strategy-kind", _edit('kind = "static"', 'kind = "magic"'), "strategies.nothing.kind"),
    ("strategy-kind-missing", _edit('kind = "static"\n', ""), "strategies.nothing.kind"),
    (
        "unknown-strategy-parameter",
        _edit(
            "outreach = 0.5\n\n[strategies.information_only]",
            "outreach = 0.5\nbogus = 1\n\n[strategies.information_only]",
        ),
        "strategies.outreach_only.bogus",
    ),
    (
        "strategy-parameter-string",
        _edit("outreach = 0.5\n\n[strategies.information_only]", 'outreach = "lots"\n\n[strategies.information_only]'),
        "strategies.outreach_only.outreach",
    ),
    (
        "strategy-parameter-nan",
        _edit("outreach = 0.5\n\n[strategies.information_only]", "outreach = nan\n\n[strategies.information_only]"),
        "strategies.outreach_only.outreach",
    ),
    ("strategy-lever-above-1", _edit("throttle = 0.25", "throttle = 2.5"), "strategies.full_pressure_paced.throttle"),
    (
        "schedule-not-pairs",
        _edit("concessions = [[0.0, 0.6]]", "concessions = [[0.0, 0.6, 1.0]]"),
        "strategies.conciliation.concessions",
    ),
    (
        "schedule-weeks-falling",
        _edit("sanctions = [[0.0, 0.2], [26.0, 0.0]]", "sanctions = [[26.0, 0.2], [0.0, 0.0]]"),
        "strategies.conciliation.sanctions",
    ),
    (
        "schedule-value-above-1",
        _edit("concessions = [[0.0, 0.6]]", "concessions = [[0.0, 1.6]]"),
        "strategies.conciliation.concessions",
    ),
    (
        "inner-strategy-unknown",
        _edit('inner = "full_pressure"', 'inner = "nope"'),
        "strategies.full_pressure_paced.inner",
    ),
    (
        "inner-strategy-not-a-name",
        _edit('inner = "full_pressure"', "inner = 3"),
        "strategies.full_pressure_paced.inner",
    ),
    (
        "inner-strategy-circular",
        _edit('inner = "full_pressure"', 'inner = "full_pressure_paced"'),
        "strategies.full_pressure_paced.inner",
    ),
    (
        "covert-schedules-per-region",
        _edit(
            "concessions = [[0.0, 0.6]]",
            "concessions = [[0.0, 0.6]]\ncovert_support = [[[0, 0.1]], [[0, 0.1]], [[0, 0.1]]]",
        ),
        "strategies.conciliation.covert_support",
    ),
    (
        "uncertainty-path-unknown",
        _edit('"leader.emboldening" = [0.0, 0.4]', '"leader.no_such" = [0.0, 0.2]'),
        "uncertainties.leader.no_such",
    ),
    (
        "uncertainty-region-unknown",
        _edit('"leader.emboldening" = [0.0, 0.4]', '"regions.nowhere.weight" = [0.1, 0.2]'),
        "uncertainties.regions.nowhere.weight",
    ),
    (
        "uncertainty-outside-range",
        _edit('"leader.emboldening" = [0.0, 0.4]', '"leader.optimism" = [0.0, 0.5]'),
        "uncertainties.leader.optimism",
    ),
    (
        "uncertainty-reversed",
        _edit('"leader.emboldening" = [0.0, 0.4]', '"leader.emboldening" = [0.2, 0.1]'),
        "uncertainties.leader.emboldening",
    ),
    (
        "claim-different-parameters",
        _edit('sceptic = { "leader.emboldening" = [0.0, 0.03] }', 'sceptic = { "leader.money_weight" = [0.1, 0.3] }'),
        "claims.C1",
    ),
    (
        "claim-outside-range",
        _edit(
            'sceptic = { "escalation.tension_hazard" = [0.003, 0.005] }',
            'sceptic = { "escalation.tension_hazard" = [0.003, 50.0] }',
        ),
        "claims.C9.sceptic.escalation.tension_hazard",
    ),
    ("uprising-without-core", _edit("core = true\n", ""), "regions"),
    (
        "densities-above-1",
        _edit(
            "police_density = 0.07\nmax_jail_steps = 20\n\n[[regions]]",
            "police_density = 0.5\ncitizen_density = 0.7\nmax_jail_steps = 20\n\n[[regions]]",
        ),
        "regions.0.police_density",
    ),
    ("vision-too-large", _edit("citizen_vision = 4", "citizen_vision = 6"), "unrest.citizen_vision"),
    # The former 16-turn emulation's settings are gone: unknown keys now.
    ("unrest-turns", _edit("move_attempts = 2", "move_attempts = 2\nturns = 1"), "unrest.turns"),
    ("unrest-move-rounds", _edit("move_attempts = 2", "move_attempts = 2\nmove_rounds = 1"), "unrest.move_rounds"),
    # move_attempts is the paper variant's: mesa refuses a value it would ignore.
    ("move-attempts-under-mesa", _edit('variant = "paper"', 'variant = "mesa"'), "unrest.move_attempts"),
    ("duplicate-region", _edit('name = "core"', 'name = "periphery"'), "regions"),
    # Model version 2's tables and parameters: the war, what the coercer sees, the
    # selectorate, the leader's values, legitimacy's band. One of each kind of mistake.
    ("war-above-range", _before_strategies("[war]\nopponent_capacity = 2.5"), "war.opponent_capacity"),
    ("war-below-range", _before_strategies("[war]\nfront_noise = -0.01"), "war.front_noise"),
    ("war-zero-time-constant", _before_strategies("[war]\nadaptation_weeks = 0"), "war.adaptation_weeks"),
    ("war-wrong-type", _before_strategies('[war]\nfront_speed = "fast"'), "war.front_speed"),
    ("war-boolean", _before_strategies("[war]\nevasion_max = true"), "war.evasion_max"),
    ("war-nan", _before_strategies("[war]\ncasualty_scale = nan"), "war.casualty_scale"),
    ("war-infinity", _before_strategies("[war]\nwar_deaths_per_week = inf"), "war.war_deaths_per_week"),
    ("war-unknown-key", _before_strategies("[war]\nfront_sped = 0.03"), "war.front_sped"),
    ("war-not-a-table", 'war = "hot"\n' + QUICK, "war"),  # a top-level key, before the first table
    ("coercer-lag-above-max", _before_strategies("[coercer]\nobservation_lag = 9"), "coercer.observation_lag"),
    ("coercer-negative-noise", _before_strategies("[coercer]\nobservation_noise = -0.1"), "coercer.observation_noise"),
    ("coercer-wrong-type", _before_strategies('[coercer]\nobservation_noise = "high"'), "coercer.observation_noise"),
    ("coercer-nan", _before_strategies("[coercer]\nfatigue_rate = nan"), "coercer.fatigue_rate"),
    ("coercer-unknown-key", _before_strategies("[coercer]\nobservation_delay = 1"), "coercer.observation_delay"),
    ("coup-success-above-1", _before_strategies("[inner_circle]\ncoup_success = 1.2"), "inner_circle.coup_success"),
    ("coup-level-zero", _before_strategies("[inner_circle]\ncoup_level = 0"), "inner_circle.coup_level"),
    (
        "purge-shift-below-range",
        _before_strategies("[inner_circle]\npurge_threshold_shift = -1.5"),
        "inner_circle.purge_threshold_shift",
    ),
    ("settlement-risk-above-range", _before_strategies("[leader]\nsettlement_risk = 6"), "leader.settlement_risk"),
    ("optimism-above-range", _before_strategies("[leader]\noptimism = 0.1"), "leader.optimism"),
    ("legitimacy-band-above-1", _before_strategies("[periphery]\nlegitimacy_band = 2"), "periphery.legitimacy_band"),
    (
        "repression-effect-wrong-type",
        _before_strategies('[periphery]\nrepression_effect = "backlash"'),
        "periphery.repression_effect",
    ),
    (
        "uncertainty-war-outside-range",
        _edit('"war.opponent_capacity" = [0.5, 1.2]', '"war.opponent_capacity" = [0.5, 2.5]'),
        "uncertainties.war.opponent_capacity",
    ),
    (
        "uncertainty-coercer-lag-outside-range",
        _edit('"war.opponent_capacity" = [0.5, 1.2]', '"coercer.observation_lag" = [0.0, 12.0]'),
        "uncertainties.coercer.observation_lag",
    ),
]


def _call(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_one_line_naming(code: int, err: str, file_name: str, field: str | None) -> None:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert file_name in lines[0], lines[0]
    if field is not None:
        # The path must appear whole: as its own segment, not as a prefix of a longer name.
        assert re.search(rf"(?<![\w.]){re.escape(field)}(?![\w])", lines[0]), lines[0]


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize(("text", "field"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_bad_file_gives_one_line_naming_file_and_field(text, field, command, tmp_path, capsys):
    path = tmp_path / "broken-scenario.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "outcomes.parquet"
    argv = (
        ["validate", str(path)]
        if command == "validate"
        else ["run", str(path), "--worlds", "2", "--no-progress", "--out", str(out)]
    )
    code, _, err = _call(argv, capsys)
    _assert_one_line_naming(code, err, path.name, field)
    assert not out.exists()


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_file_and_folder_and_non_utf8(command, tmp_path, capsys):
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00 = 1")
    for path in (tmp_path / "no-such-scenario.toml", folder, binary):
        extra = ["--worlds", "2", "--no-progress"] if command == "run" else []
        code, _, err = _call([command, str(path), *extra], capsys)
        _assert_one_line_naming(code, err, path.name, None)


# ---------------------------------------------------------------- every submodel parameter

_SET_ELSEWHERE = {("leader", "region_weights")}  # the regions table sets it
PARAMETERS = [
    (section, field.name, field.default)
    for section, cls in SUBMODEL_SECTIONS.items()
    for field in fields(cls)
    if (section, field.name) not in _SET_ELSEWHERE
]


def _refused_and_accepted(section: str, name: str, default: object) -> tuple[list[str], list[str]]:
    """TOML values a parameter must refuse (NaN, infinity, text, a boolean, a value past
    either end of its declared range, the excluded end itself) and must accept (its
    default, the included ends of its range)."""
    low, high, exclusive = BOUNDS.get(section, {}).get(name, (0.0, None, False))
    is_int = isinstance(default, int)
    number = (lambda v: str(int(v))) if is_int else (lambda v: repr(float(v)))
    refused = ["nan", "inf", '"0.5"', "true"]
    accepted = [number(default)]
    if low is not None:
        refused.append(number(low) if exclusive else number(low - 1))
        if not exclusive:
            accepted.append(number(low))
    if high is not None:
        refused.append(number(high + 1))
        accepted.append(number(high))
    if is_int:
        refused.append(f"{low + 1}.5")  # an integer parameter refuses a fraction
    return refused, accepted


@pytest.mark.parametrize(("section", "name", "default"), PARAMETERS, ids=[f"{s}.{n}" for s, n, _ in PARAMETERS])
def test_every_submodel_parameter_is_validated(section, name, default):
    """Every parameter of every submodel table ([war] and [coercer] included, and every
    one version 2 added): a bad value gives one line naming the file and the field, a
    good one passes. The ranges are the schema's declared BOUNDS (the named cases above
    pin the ranges that matter by hand)."""
    refused, accepted = _refused_and_accepted(section, name, default)
    for value in refused:
        with pytest.raises(InputError) as caught:
            parse_scenario(_before_strategies(f"[{section}]\n{name} = {value}"), "params.toml")
        message = str(caught.value)
        assert "\n" not in message and message.startswith(f"params.toml: {section}.{name}: "), (value, message)
    for value in accepted:
        scenario = parse_scenario(_before_strategies(f"[{section}]\n{name} = {value}"), "params.toml")
        assert getattr(getattr(scenario, section), name) == tomllib.loads(f"v = {value}")["v"]


def test_every_submodel_table_is_checked():
    """The parameter list above is the schema's: every submodel table, the new ones too."""
    assert {"war", "coercer"} <= set(SUBMODEL_SECTIONS)
    assert {section for section, _, _ in PARAMETERS} == set(SUBMODEL_SECTIONS)
    assert len(PARAMETERS) > 90


def test_bad_file_cases_are_really_bad_and_the_good_file_is_good():
    """Guards the table above: each case differs from quick.toml, which is itself valid."""
    assert load_scenario(SCENARIOS / "quick.toml").scenario.scenario.name == "quick"
    for case_id, text, _ in BAD_FILES:
        assert text != QUICK, case_id


# ---------------------------------------------------------------- mutated files (hypothesis)

_KEY_LINE = re.compile(r'^\s*(?:[A-Za-z_][\w]*|"[^"]*")\s*=', re.MULTILINE)
_NUMBER = re.compile(r"(?<![\w.\"-])-?\d+(?:\.\d+)?(?![\w.])")
_TABLE = re.compile(r"^\[\[?[^\]]+\]\]?\s*$", re.MULTILINE)
_ODD_VALUES = st.one_of(
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "-1",
            "-0.5",
            "1.5",
            "2",
            "0",
            "1e308",
            "-1e308",
            "1e-320",
            "99999999999999999999999",
            "-99999999999999999999999",
            '"long"',
            '""',
            "true",
            "false",
            "[]",
            "{}",
            "[1, 2, 3]",
            "1979-05-27",
        ]
    ),
    st.integers(min_value=-(10**6), max_value=10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
)


@st.composite
def _mutated_quick(draw) -> str:
    text = QUICK
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["drop_key", "replace_number", "unknown_key", "truncate"]))
        if kind == "drop_key":
            lines = [m.start() for m in _KEY_LINE.finditer(text)]
            if lines:
                start = draw(st.sampled_from(lines))
                end = text.find("\n", start)
                text = text[:start] + (text[end + 1 :] if end >= 0 else "")
        elif kind == "replace_number":
            numbers = list(_NUMBER.finditer(text))
            if numbers:
                match = draw(st.sampled_from(numbers))
                text = text[: match.start()] + draw(_ODD_VALUES) + text[match.end() :]
        elif kind == "unknown_key":
            tables = list(_TABLE.finditer(text))
            if tables:
                match = draw(st.sampled_from(tables))
                name = draw(st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True))
                text = text[: match.end()] + f"\n{name} = {draw(_ODD_VALUES)}" + text[match.end() :]
        else:
            text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
    return text


def _assert_levers_in_unit_interval(strategies: dict, n_regions: int) -> None:
    """A valid file's strategies give finite levers in [0, 1] for a few observations (the
    engine trusts them: a value the schema let through must not reach it as NaN or text)."""
    n_worlds = 3
    unrest = np.array([[0.0] * n_regions, [0.05] * n_regions, [1.0] * n_regions])
    for week in (0, 5, 200):
        observation = Observation(
            week=np.full(n_worlds, week),
            tension=np.array([0.0, 1.5, 5.0]),
            paranoia_estimate=np.array([0.0, 0.7, 1.0]),
            unrest=unrest,
            defected_share=np.zeros(n_worlds),
        )
        for name, strategy in strategies.items():
            levers = strategy.levers(observation)
            for field in fields(levers):
                value = getattr(levers, field.name)
                assert np.isfinite(value).all() and (value >= 0).all() and (value <= 1).all(), (name, field.name)


@pytest.fixture(scope="module")
def mutant_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mutants")


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(text=_mutated_quick())
def test_mutated_files_are_valid_or_one_line_naming_the_file(text, mutant_folder):
    """Any mutation of quick.toml: valid (and then it translates to model parameters and
    strategies without error) or exit 2 with one line naming the file; never a crash."""
    path = mutant_folder / "mutant-scenario.toml"
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(path)])
    if code == 0:
        assert err.getvalue() == ""
        assert "valid" in out.getvalue()
        scenario = load_scenario(path).scenario
        params = to_params(scenario, 2)
        assert params.regions.weight.shape == (2, len(scenario.regions))
        strategies = build_strategies(scenario)
        assert set(strategies) == set(scenario.strategies)
        _assert_levers_in_unit_interval(strategies, len(scenario.regions))
    else:
        _assert_one_line_naming(code, err.getvalue(), path.name, None)


# ---------------------------------------------------------------- shipped files and schema


@pytest.mark.parametrize("name", ["essay.toml", "quick.toml"])
def test_shipped_scenarios_validate(name, capsys):
    path = SCENARIOS / name
    code, out, err = _call(["validate", str(path)], capsys)
    assert code == 0, err
    assert err == ""
    scenario = load_scenario(path).scenario
    digest = hashlib.sha256(path.read_text(encoding="utf-8").encode("utf-8")).hexdigest()
    assert out.startswith(f"{name}: valid")
    assert f"{len(scenario.regions)} regions" in out and f"{len(scenario.strategies)} strategies" in out
    assert digest[:12] in out


SHIPPED = sorted(path for path in SCENARIOS.glob("*.toml") if path.name not in {"criteria.toml", "patterns.toml"})


@pytest.fixture(scope="module")
def printed_schema() -> dict:
    """The JSON Schema as ``offramp schema`` prints it (checked as a validator below)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema"]) == 0
    schema = json.loads(out.getvalue())
    jsonschema.Draft202012Validator.check_schema(schema)  # a well-formed schema, first
    return schema


def test_shipped_scenarios_validate_against_the_printed_schema(printed_schema):
    """Every shipped scenario file is valid by the printed schema (an editor would accept it)."""
    assert {"essay.toml", "quick.toml"} <= {path.name for path in SHIPPED}
    for path in SHIPPED:
        jsonschema.validate(tomllib.loads(path.read_text(encoding="utf-8")), printed_schema)


# Known-bad documents: (case id, file text, the key path the schema must point at).
SCHEMA_BAD = [
    ("typo-in-key", _before_strategies("[leader]\nprecison = 3"), ["leader"]),
    ("unknown-table", _before_strategies("[leeder]\nprecision = 3"), []),
    (
        "probability-above-1",
        _before_strategies("[inner_circle]\nexposure_probability = 1.5"),
        ["inner_circle", "exposure_probability"],
    ),
    ("negative-horizon", _edit("horizon_weeks = 26", "horizon_weeks = -3"), ["scenario", "horizon_weeks"]),
    ("wrong-type", _edit("horizon_weeks = 26", 'horizon_weeks = "long"'), ["scenario", "horizon_weeks"]),
    ("no-strategies", QUICK.split("[strategies.", 1)[0], []),
    ("unrest-turns", _edit("move_attempts = 2", "move_attempts = 2\nturns = 1"), ["unrest"]),
    ("war-typo-in-key", _before_strategies("[war]\nfront_sped = 0.03"), ["war"]),
    ("war-above-range", _before_strategies("[war]\nopponent_capacity = 2.5"), ["war", "opponent_capacity"]),
    ("war-zero-time-constant", _before_strategies("[war]\nsurge_weeks = 0"), ["war", "surge_weeks"]),
    ("coercer-lag-above-max", _before_strategies("[coercer]\nobservation_lag = 9"), ["coercer", "observation_lag"]),
    ("coercer-boolean", _before_strategies("[coercer]\nobservation_noise = true"), ["coercer", "observation_noise"]),
    ("coercer-typo-in-key", _before_strategies("[coercer]\nnoise = 0.1"), ["coercer"]),
]


@pytest.mark.parametrize(("text", "path"), [case[1:] for case in SCHEMA_BAD], ids=[case[0] for case in SCHEMA_BAD])
def test_the_printed_schema_rejects_bad_documents(text, path, printed_schema):
    """A typo'd key, an unknown table, a value out of range or of the wrong type, a missing
    table: the printed schema rejects each, at the right place, as the loader does."""
    with pytest.raises(jsonschema.ValidationError) as caught:
        jsonschema.validate(tomllib.loads(text), printed_schema)
    assert list(caught.value.absolute_path)[: len(path)] == path, caught.value
    with pytest.raises(InputError):  # the schema and the loader agree
        parse_scenario(text, "bad.toml")


def _definition(schema: dict, section: str) -> dict:
    """A table's definition in the printed schema, following its $ref."""
    node = schema["properties"][section]
    if "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


@pytest.mark.parametrize("section", sorted(SUBMODEL_SECTIONS))
def test_the_printed_schema_covers_every_submodel_table(section, printed_schema):
    """``offramp schema`` documents each submodel table, [war] and [coercer] included:
    every parameter with the dataclass's default, the declared range, a description with
    its unit that does not repeat the default by hand, and no other key allowed."""
    definition = _definition(printed_schema, section)
    names = {field.name for field in fields(SUBMODEL_SECTIONS[section])} - {"region_weights"}
    assert definition["additionalProperties"] is False
    assert set(definition["properties"]) == names
    for field in fields(SUBMODEL_SECTIONS[section]):
        if field.name not in names:
            continue
        entry = definition["properties"][field.name]
        low, high, exclusive = BOUNDS.get(section, {}).get(field.name, (0.0, None, False))
        assert entry["default"] == field.default, field.name
        assert entry.get("exclusiveMinimum" if exclusive else "minimum") == low, field.name
        assert entry.get("maximum") == high, field.name
        assert entry["description"] and "Default" not in entry["description"], entry["description"]
        assert "[" in entry["description"], f"{section}.{field.name}: no unit"
