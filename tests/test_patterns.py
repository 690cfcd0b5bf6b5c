"""The patterns file (offramp.scenario.patterns) and its statistics (offramp.analyse.patterns).

Each statistic of the vocabulary is checked against values computed by hand from a small
handmade table of experiment rows; bad patterns files give one line naming the file and
the field; the shipped file validates against the essay scenario and the printed schema.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tomllib
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from offramp.analyse.patterns import pattern_acceptance, pattern_statistics
from offramp.cli import main
from offramp.errors import InputError
from offramp.scenario.load import load_scenario
from offramp.scenario.patterns import (
    COLUMNS,
    OUTCOME_NAMES,
    REGION_COLUMNS,
    Patterns,
    load_patterns,
    parse_patterns,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "patterns.toml"
ESSAY = load_scenario(ROOT / "scenarios" / "essay.toml").scenario
NAN = math.nan

# A handmade table: (sample, strategy, outcome, end_week, coup_attempts, war_deaths,
# direct_conflict). Sample 2 never ran sanctions_only.
ROWS = pd.DataFrame(
    [
        (0, "nothing", "settlement", 10, 0, 1.0, False),
        (0, "nothing", "insider_removal", 50, 2, 2.0, False),
        (0, "nothing", "ongoing", 104, 1, 3.0, False),
        (0, "nothing", "military_victory", 30, 0, NAN, False),
        (0, "sanctions_only", "settlement", 20, 0, 4.0, False),
        (0, "sanctions_only", "uprising", 60, 0, 5.0, False),
        (1, "nothing", "ongoing", 104, 0, 0.0, False),
        (1, "nothing", "ongoing", 104, 0, 1.0, False),
        (1, "nothing", "settlement", 90, 0, 2.0, False),
        (1, "nothing", "settlement", 40, 0, 6.0, False),
        (1, "sanctions_only", "ongoing", 104, 0, 0.0, False),
        (1, "sanctions_only", "ongoing", 104, 0, 0.0, False),
        (2, "nothing", "direct_conflict", 5, 1, 10.0, True),
        (2, "nothing", "insider_removal", 8, 1, NAN, False),
    ],
    columns=["sample", "strategy", "outcome", "end_week", "coup_attempts", "war_deaths", "direct_conflict"],
)

SETTLED = '{ kind = "share", strategy = "nothing", outcomes = ["settlement"] }'
# (statistic, the values for samples 0, 1, 2, worked out by hand in the comment).
CASES = [
    # settlements among each sample's nothing worlds: 1/4, 2/4, 0/2
    (SETTLED, [0.25, 0.5, 0.0]),
    # ended by week 40: sample 0's at week 10; sample 1's at week 40 (90 is too late)
    ('{ kind = "share", strategy = "nothing", outcomes = ["settlement"], within_weeks = 40 }', [0.25, 0.25, 0.0]),
    # two outcomes: settlement or military victory
    ('{ kind = "share", strategy = "nothing", outcomes = ["settlement", "military_victory"] }', [0.5, 0.5, 0.0]),
    # sample 2 has no sanctions_only world: NaN
    ('{ kind = "share", strategy = "sanctions_only", outcomes = ["settlement"] }', [0.5, 0.0, NAN]),
    # coup attempts per world: 3/4, 0/4, 2/2
    ('{ kind = "mean", strategy = "nothing", column = "coup_attempts" }', [0.75, 0.0, 1.0]),
    # war deaths, the censored NaN left out: (1+2+3)/3, (0+1+2+6)/4, 10/1
    ('{ kind = "mean", strategy = "nothing", column = "war_deaths" }', [2.0, 2.25, 10.0]),
    # only settled worlds: 1/1, (2+6)/2, and none in sample 2
    ('{ kind = "mean", strategy = "nothing", column = "war_deaths", outcomes = ["settlement"] }', [1.0, 4.0, NAN]),
    # a boolean column averages to a share
    ('{ kind = "mean", strategy = "nothing", column = "direct_conflict" }', [0.0, 0.0, 0.5]),
    # median end of ended worlds: [10, 30, 50] -> 30; [40, 90] -> 65; [8] -> 8
    (
        (
            '{ kind = "quantile", strategy = "nothing", column = "end_week", q = 0.5, '
            'outcomes = ["settlement", "insider_removal", "military_victory"] }'
        ),
        [30.0, 65.0, 8.0],
    ),
    # linear interpolation at q = 0.25: [10, 30, 50, 104] -> 10 + 0.75 * 20;
    # [40, 90, 104, 104] -> 40 + 0.75 * 50; [5, 8] -> 5 + 0.25 * 3
    ('{ kind = "quantile", strategy = "nothing", column = "end_week", q = 0.25 }', [25.0, 77.5, 5.75]),
    # q = 0 and q = 1 are the extremes
    ('{ kind = "quantile", strategy = "nothing", column = "end_week", q = 1.0 }', [104.0, 104.0, 8.0]),
    # no worlds pass the filter anywhere but sample 0: NaN elsewhere
    (
        '{ kind = "quantile", strategy = "nothing", column = "end_week", q = 0.0, outcomes = ["military_victory"] }',
        [30.0, NAN, NAN],
    ),
    # removals per coup attempt: (1/4) / (3/4); 0 / 0 is NaN; (1/2) / 1
    (
        (
            '{ kind = "ratio", numerator = { kind = "share", strategy = "nothing", outcomes = ["insider_removal"] }, '
            'denominator = { kind = "mean", strategy = "nothing", column = "coup_attempts" } }'
        ),
        [1.0 / 3.0, NAN, 0.5],
    ),
    # settlements over battlefield ends: 0.25 / 0.25; 0.5 / 0 is NaN, not inf; 0 / 0
    (
        (
            f'{{ kind = "ratio", numerator = {SETTLED}, denominator = {{ kind = "share", strategy = "nothing", '
            'outcomes = ["military_victory", "military_defeat"] } }'
        ),
        [1.0, NAN, NAN],
    ),
]


def _pattern(statistic: str, name: str = "p", accepted: str = "[0, 1]", **fields: str) -> str:
    """One ``[[patterns]]`` table; keyword fields replace or (given as None) drop fields."""
    table = {
        "name": f'"{name}"',
        "statistic": statistic,
        "accepted": accepted,
        "source": '"A publication"',
        "confidence": "0.5",
        "mapping": '"How the figure maps onto the model."',
    }
    table.update(fields)
    body = "".join(f"{key} = {value}\n" for key, value in table.items() if value is not None)
    return "[[patterns]]\n" + body + "\n"


def _parse(*tables: str) -> Patterns:
    return parse_patterns("".join(tables), "patterns.toml")


@pytest.mark.parametrize(("statistic", "expected"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_each_statistic_matches_the_hand_computed_table(statistic, expected):
    table = pattern_statistics(ROWS, _parse(_pattern(statistic)))
    assert list(table.index) == [0, 1, 2] and table.index.name == "sample"
    assert list(table.columns) == ["p"] and table["p"].dtype == np.float64
    np.testing.assert_allclose(table["p"].to_numpy(), expected, rtol=1e-12, equal_nan=True)


def test_statistics_do_not_depend_on_row_order():
    patterns = _parse(*(_pattern(statistic, f"p{i}") for i, (statistic, _) in enumerate(CASES)))
    shuffled = ROWS.sample(frac=1.0, random_state=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(pattern_statistics(shuffled, patterns), pattern_statistics(ROWS, patterns))


def test_acceptance_is_the_range_bounds_included_and_nan_never_passes():
    patterns = _parse(
        # 0.25, 0.5, 0.0: the bounds are inside
        _pattern(SETTLED, "settled", accepted="[0.0, 0.5]"),
        # 0.75, 0.0, 1.0
        _pattern('{ kind = "mean", strategy = "nothing", column = "coup_attempts" }', "coups", accepted="[0.5, 1]"),
        # 0.5, 0.0, NaN: NaN fails even the widest range
        _pattern(
            '{ kind = "share", strategy = "sanctions_only", outcomes = ["settlement"] }',
            "sanctions",
            accepted="[-1e300, 1e300]",
        ),
    )
    acceptance = pattern_acceptance(pattern_statistics(ROWS, patterns), patterns)
    assert list(acceptance.columns) == ["settled", "coups", "sanctions", "accepted"]
    assert all(dtype.kind == "b" for dtype in acceptance.dtypes)
    assert acceptance["settled"].tolist() == [True, True, True]
    assert acceptance["coups"].tolist() == [True, False, True]
    assert acceptance["sanctions"].tolist() == [True, True, False]
    assert acceptance["accepted"].tolist() == [True, False, False]


def test_a_ratio_over_zero_is_nan_and_never_accepted():
    # Sample 1 has no coup attempt: removals per attempt is 0 / 0, and no range takes it.
    statistic = (
        '{ kind = "ratio", numerator = { kind = "share", strategy = "nothing", outcomes = ["insider_removal"] }, '
        'denominator = { kind = "mean", strategy = "nothing", column = "coup_attempts" } }'
    )
    patterns = _parse(_pattern(statistic, accepted="[0, 1e300]"))
    statistics = pattern_statistics(ROWS, patterns)
    assert math.isnan(statistics.loc[1, "p"])
    assert pattern_acceptance(statistics, patterns).loc[1].tolist() == [False, False]


def test_rows_without_a_needed_strategy_or_column_are_refused():
    patterns = _parse(_pattern('{ kind = "mean", strategy = "conciliation", column = "purges" }'))
    with pytest.raises(ValueError, match="no column 'purges'"):
        pattern_statistics(ROWS, patterns)
    with pytest.raises(ValueError, match="no experiment ran strategy 'conciliation'"):
        pattern_statistics(ROWS.assign(purges=0), patterns)


def test_no_rows_give_an_empty_table_with_every_pattern():
    patterns = _parse(_pattern(SETTLED, "a"), _pattern(SETTLED, "b"))
    table = pattern_statistics(ROWS.iloc[:0], patterns)
    assert table.empty and list(table.columns) == ["a", "b"]
    assert list(pattern_acceptance(table, patterns).columns) == ["a", "b", "accepted"]


def test_strategies_are_those_the_patterns_name_once_each_in_order():
    ratio = (
        '{ kind = "ratio", numerator = { kind = "share", strategy = "covert_only", outcomes = ["uprising"] }, '
        'denominator = { kind = "mean", strategy = "nothing", column = "coup_attempts" } }'
    )
    patterns = _parse(_pattern(SETTLED, "a"), _pattern(ratio, "b"))
    assert patterns.strategies == ("nothing", "covert_only")
    assert patterns.names == ("a", "b")


# Bad files: (case id, the file's text, the one line the error must be).
BAD = [
    (
        "unknown-kind",
        _pattern('{ kind = "median", strategy = "nothing", column = "end_week" }'),
        (
            "patterns.toml: patterns[0].statistic: Input tag 'median' found using 'kind' does not match any of the "
            "expected tags: 'share', 'mean', 'quantile', 'ratio'"
        ),
    ),
    (
        "unknown-strategy",
        _pattern(SETTLED) + _pattern('{ kind = "share", strategy = "x", outcomes = ["settlement"] }', "q"),
        (
            "patterns.toml: patterns[1].statistic.strategy: no strategy named 'x'; the scenario has conciliation, "
            "covert_only, full_pressure, full_pressure_paced, information_only, nothing, outreach_only, sanctions_only"
        ),
    ),
    (
        "unknown-strategy-in-a-ratio",
        _pattern(
            f'{{ kind = "ratio", numerator = {SETTLED}, '
            'denominator = { kind = "mean", strategy = "x", column = "purges" } }'
        ),
        (
            "patterns.toml: patterns[0].statistic.denominator.strategy: no strategy named 'x'; the scenario has "
            "conciliation, covert_only, full_pressure, full_pressure_paced, information_only, nothing, outreach_only, "
            "sanctions_only"
        ),
    ),
    (
        "unknown-outcome",
        _pattern('{ kind = "share", strategy = "nothing", outcomes = ["settlement", "victory"] }'),
        "patterns.toml: patterns[0].statistic.outcomes[1]: unknown outcome 'victory'; the outcomes are "
        + ", ".join(OUTCOME_NAMES),
    ),
    (
        "unknown-column",
        _pattern('{ kind = "mean", strategy = "nothing", column = "deaths" }'),
        "patterns.toml: patterns[0].statistic.column: unknown column 'deaths'; the columns are "
        + ", ".join((*COLUMNS, *(f"{prefix}<region>" for prefix in REGION_COLUMNS))),
    ),
    (
        "unknown-region-column",
        _pattern('{ kind = "quantile", strategy = "nothing", column = "peak_unrest_capital", q = 0.5 }'),
        (
            "patterns.toml: patterns[0].statistic.column: no region named 'capital' (column 'peak_unrest_capital'); "
            "the scenario has crushed_protest, insurgency_legacy, recent_riots, core"
        ),
    ),
    (
        "lo-above-hi",
        _pattern(SETTLED, accepted="[0.6, 0.4]"),
        "patterns.toml: patterns[0].accepted: lo must not exceed hi, got [0.6, 0.4]",
    ),
    (
        "nan",
        _pattern(SETTLED, accepted="[nan, 0.4]"),
        "patterns.toml: patterns[0].accepted[0]: Input should be a finite number",
    ),
    (
        "inf",
        _pattern(SETTLED, accepted="[0, inf]"),
        "patterns.toml: patterns[0].accepted[1]: Input should be a finite number",
    ),
    ("missing-source", _pattern(SETTLED, source=None), "patterns.toml: patterns[0].source: Field required"),
    (
        "blank-source",
        _pattern(SETTLED, source='"  "'),
        "patterns.toml: patterns[0].source: String should match pattern '\\S'",
    ),
    ("missing-mapping", _pattern(SETTLED, mapping=None), "patterns.toml: patterns[0].mapping: Field required"),
    (
        "confidence-zero",
        _pattern(SETTLED, confidence="0"),
        "patterns.toml: patterns[0].confidence: Input should be greater than 0",
    ),
    (
        "q-above-one",
        _pattern('{ kind = "quantile", strategy = "nothing", column = "end_week", q = 1.5 }'),
        "patterns.toml: patterns[0].statistic.q: Input should be less than or equal to 1",
    ),
    (
        "within-beyond-horizon",
        _pattern('{ kind = "share", strategy = "nothing", outcomes = ["settlement"], within_weeks = 105 }'),
        "patterns.toml: patterns[0].statistic.within_weeks: 105 is beyond the scenario's horizon of 104 weeks",
    ),
    (
        "unknown-key",
        _pattern(SETTLED, weight="2"),
        "patterns.toml: patterns[0].weight: Extra inputs are not permitted",
    ),
    (
        "a-number-as-text",
        _pattern(SETTLED, accepted='["0", 1]'),
        "patterns.toml: patterns[0].accepted[0]: Input should be a valid number",
    ),
    (
        "duplicate-name",
        _pattern(SETTLED) + _pattern(SETTLED),
        "patterns.toml: patterns[1].name: pattern name 'p' is used twice",
    ),
    (
        "reserved-name",
        _pattern(SETTLED, "accepted"),
        "patterns.toml: patterns[0].name: 'accepted' is reserved (sample, accepted)",
    ),
    ("empty", "\n", "patterns.toml: the file is empty"),
    ("no-patterns", "# nothing here\n", "patterns.toml: patterns: Field required"),
    (
        "empty-list",
        "patterns = []\n",
        "patterns.toml: patterns: List should have at least 1 item after validation, not 0",
    ),
    ("bad-toml", "[[patterns]\n", "patterns.toml: not valid TOML: "),
]


@pytest.mark.parametrize(("text", "message"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_patterns_files_are_one_line_naming_file_and_field(tmp_path, text, message):
    path = tmp_path / "patterns.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_patterns(path, ESSAY)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_missing_file_is_named():
    with pytest.raises(InputError, match="no such file"):
        load_patterns(ROOT / "scenarios" / "no-such-patterns.toml", ESSAY)


def test_the_shipped_patterns_validate_against_the_essay_scenario():
    patterns = load_patterns(SHIPPED, ESSAY)
    assert len(patterns.patterns) >= 6
    assert set(patterns.strategies) <= set(ESSAY.strategies)
    for pattern in patterns.patterns:
        assert pattern.source.strip() and pattern.mapping.strip()
        low, high = pattern.accepted
        assert low <= high


def test_declared_columns_are_the_runners_numeric_outcome_columns():
    """COLUMNS and REGION_COLUMNS (declared where the scenario layer can read them) are the
    numeric columns outcome_rows writes, checked on a batch straight after init."""
    from offramp.model.world import WorldStreamSet, init_world
    from offramp.run.runner import outcome_rows
    from offramp.scenario.translate import to_params

    params = to_params(ESSAY, 2)
    state = init_world(params, WorldStreamSet.for_worlds(0, [0, 1]))
    written = outcome_rows(state, params, "nothing", np.arange(2), 0)
    regions = [region.name for region in ESSAY.regions]
    declared = {*COLUMNS, *(prefix + name for prefix in REGION_COLUMNS for name in regions)}
    assert set(written) - {"strategy", "world", "seed", "outcome"} == declared
    assert all(np.asarray(written[name]).dtype.kind in "biuf" for name in declared)


def _printed_schema(*arguments: str) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema", *arguments]) == 0
    return json.loads(out.getvalue())


def test_offramp_schema_patterns_prints_the_patterns_files_schema():
    schema = _printed_schema("--patterns")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == Patterns.model_json_schema()
    assert "patterns" in schema["properties"] and "regions" not in schema["properties"]
    jsonschema.validate(tomllib.loads(SHIPPED.read_text(encoding="utf-8")), schema)
    # The printed schema refuses what the loader refuses: a kind outside the vocabulary,
    # an outcome that is no end state, a missing source.
    for bad in (
        _pattern('{ kind = "median", strategy = "nothing", column = "end_week" }'),
        _pattern('{ kind = "share", strategy = "nothing", outcomes = ["victory"] }'),
        _pattern(SETTLED, source=None),
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(tomllib.loads(bad), schema)
    # Without the flag it is still the scenario's schema.
    assert "regions" in _printed_schema()["properties"]
