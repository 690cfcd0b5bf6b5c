"""The Results view: its state (brushing, PRIM's boxes, the claim audit) on a small real
exploration, and the Panel view driven at Python level (no browser)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from offramp.analyse.claims import claim_audit
from offramp.analyse.criteria import Criteria, Criterion
from offramp.analyse.discovery import discover_failures
from offramp.analyse.outcomes import wilson_interval
from offramp.analyse.robustness import sample_measures, satisficing
from offramp.analyse.study import Study
from offramp.app.results import ResultsSession
from offramp.run.runner import OUTCOME_LABELS

EMBOLDENING, MONEY = "leader.emboldening", "leader.money_weight"


@pytest.fixture(scope="module")
def study(quick_exploration) -> Study:
    return Study.from_directory(quick_exploration)


@pytest.fixture(scope="module")
def session(study) -> ResultsSession:
    """One session for the module; PRIM and the audit are cached in it, as in the app."""
    return ResultsSession(study)


@pytest.fixture(scope="module")
def satisfied(study) -> pd.DataFrame:
    criteria = Criteria()
    return satisficing(sample_measures(study.experiments, criteria.measures), criteria)


def test_the_uncertainties_are_the_designs_with_their_sampled_ranges(session, study):
    assert session.parameters == study.parameters and len(session.parameters) >= 2
    for parameter in study.parameters:
        assert session.bounds(parameter) == study.bounds[parameter]
    with pytest.raises(ValueError, match=r"^nope: not an uncertainty of this study"):
        session.bounds("nope")


def test_shares_equal_a_direct_count_over_the_brushed_experiments(session, study):
    (low_e, high_e), (low_m, high_m) = study.bounds[EMBOLDENING], study.bounds[MONEY]
    brush = {EMBOLDENING: (low_e, low_e + 0.6 * (high_e - low_e)), MONEY: (low_m + 0.3 * (high_m - low_m), high_m)}
    selection = session.shares(brush)
    frame = study.experiments
    inside = frame[EMBOLDENING].between(*brush[EMBOLDENING]) & frame[MONEY].between(*brush[MONEY])
    chosen = frame[inside]
    assert 0 < len(chosen) < len(frame), "the brush must select some experiments and not all"
    assert selection.samples == chosen["sample"].nunique()
    assert selection.worlds == chosen[["sample", "replication"]].drop_duplicates().shape[0]
    assert selection.text == f"Selection: {selection.samples} samples, {selection.worlds} worlds"
    shares = selection.shares.set_index("strategy")
    assert list(shares.index) == list(study.strategies)
    for strategy, mine in chosen.groupby("strategy"):
        assert shares.loc[strategy, "worlds"] == len(mine) == selection.worlds
        for outcome in OUTCOME_LABELS:
            count = int((mine["outcome"] == outcome).sum())
            low, high = wilson_interval(count, len(mine))
            assert shares.loc[strategy, f"{outcome}_share"] == pytest.approx(count / len(mine))
            assert shares.loc[strategy, f"{outcome}_low"] == pytest.approx(float(low))
            assert shares.loc[strategy, f"{outcome}_high"] == pytest.approx(float(high))
        assert sum(shares.loc[strategy, f"{o}_share"] for o in OUTCOME_LABELS) == pytest.approx(1.0)
    assert session.selection is selection
    # No brush: every experiment.
    everything = session.shares({})
    assert (everything.samples, everything.worlds) == (study.samples, study.samples * study.replications)


def test_a_brush_that_excludes_everything_is_an_empty_selection(session, study):
    values = np.sort(study.design_values()[EMBOLDENING].to_numpy())
    gap = (values[0] + values[1]) / 2  # between two sampled values: no sample lies on it
    selection = session.shares({EMBOLDENING: (gap, gap)})
    assert (selection.samples, selection.worlds) == (0, 0)
    assert selection.text == "Selection: 0 samples, 0 worlds"
    assert selection.shares["strategy"].tolist() == list(study.strategies)
    assert (selection.shares["worlds"] == 0).all()
    assert selection.shares.drop(columns=["strategy", "worlds"]).isna().all().all()


@pytest.mark.parametrize(
    ("brush", "message"),
    [
        ({EMBOLDENING: (-0.1, 0.2)}, rf"^{EMBOLDENING}: \(-0.1, 0.2\) is outside the range sampled, \[0, 0.4\]"),
        ({EMBOLDENING: (0.1, 0.5)}, rf"^{EMBOLDENING}: \(0.1, 0.5\) is outside the range sampled"),
        ({EMBOLDENING: (0.3, 0.1)}, rf"^{EMBOLDENING}: the low end 0.3 is above the high end 0.1"),
        ({MONEY: (float("nan"), 1.0)}, rf"^{MONEY}: a range's ends must be finite numbers"),
        ({MONEY: (1.0,)}, rf"^{MONEY}: a range is two numbers"),
        ({"leader.nope": (0.0, 1.0)}, r"^leader.nope: not an uncertainty of this study"),
    ],
)
def test_a_bad_brush_names_the_parameter_and_keeps_the_selection(study, brush, message):
    session = ResultsSession(study)
    before = session.shares({EMBOLDENING: (0.1, 0.3)})
    with pytest.raises(ValueError, match=message):
        session.shares({MONEY: study.bounds[MONEY], **brush})
    assert session.selection is before


def test_a_brush_on_the_sampled_bounds_typed_back_with_rounding_is_accepted(session, study):
    low, high = study.bounds[MONEY]
    width = high - low
    selection = session.shares({MONEY: (low - 1e-12 * width, high + 1e-12 * width)})
    assert selection.samples == study.samples


def test_prim_is_lazy_cached_and_explains_failures_as_analyze_does(study, satisfied):
    session = ResultsSession(study)
    strategy = study.strategies[1]
    assert not session.is_prim_ready(strategy)
    view = session.prim(strategy)
    assert session.is_prim_ready(strategy) and session.prim(strategy) is view
    assert view.note is None and view.discovery is not None
    criteria = Criteria()
    own = discover_failures(study, satisfied, strategy, criteria.discovery, failure=f"does not meet {criteria.text}")
    pd.testing.assert_frame_equal(view.discovery.trajectory, own.trajectory)
    assert view.discovery.chosen == own.chosen
    chosen = session.prim_box(strategy)
    assert chosen.step == own.chosen and chosen.is_chosen
    pd.testing.assert_frame_equal(chosen.limits, own.box)


def test_any_step_s_box_holds_that_step_s_coverage_density_and_mass(session, study, satisfied):
    """The limits of a step other than the chosen one select exactly the samples PRIM
    scored: the failures inside them give the trajectory's coverage and density."""
    strategy = study.strategies[2]
    found = session.prim(strategy).discovery
    rows = satisfied[satisfied["strategy"] == strategy].sort_values("sample")
    fails = ~rows["satisfices"].to_numpy(bool)
    values = study.design_values().loc[rows["sample"].to_numpy()]
    steps = [int(step) for step in found.trajectory["box"] if step != found.chosen]
    assert steps, "the trajectory has more than the chosen step"
    for step in steps:
        box = session.prim_box(strategy, step)
        assert not box.is_chosen and box.step == step
        inside = np.ones(len(values), bool)
        for limit in box.limits.itertuples(index=False):
            inside &= values[limit.parameter].between(limit.low, limit.high).to_numpy()
        assert fails[inside].sum() / fails.sum() == pytest.approx(box.coverage)
        assert fails[inside].mean() == pytest.approx(box.density)
        assert inside.mean() == pytest.approx(box.mass)
    with pytest.raises(ValueError, match=r"no step 99"):
        session.prim_box(strategy, 99)
    with pytest.raises(ValueError, match=r"^strategy: 'nope' was not run"):
        session.prim("nope")


def test_a_strategy_prim_cannot_explain_gets_the_reason(study):
    lenient = Criteria(satisficing=[Criterion(outcome="settlement", at_least=0.0)])  # everything satisfices
    session = ResultsSession(study, lenient)
    view = session.prim(study.strategies[0])
    assert view.discovery is None and "no sample fails; nothing to explain" in view.note
    with pytest.raises(ValueError, match="no sample fails"):
        session.prim_box(study.strategies[0], 0)


def test_the_claim_audit_is_analyze_s(session, study, satisfied):
    assert study.claims, "quick.toml states claims"
    audit = session.claim_audit()
    assert session.is_claim_audit_ready() and session.claim_audit() is audit
    criteria = Criteria()
    per_sample = sample_measures(study.experiments, criteria.measures)
    detail, verdicts = claim_audit(study, per_sample, satisfied, criteria, list(study.strategies))
    pd.testing.assert_frame_equal(audit.verdicts, verdicts)
    pd.testing.assert_frame_equal(audit.detail, detail)
    assert audit.notes == {}
    assert list(audit.verdicts.columns) == [
        "strategy",
        *(c.id for c in study.claims),
        "depends_on",
        "uplift_depends_on",
    ]


def test_without_claims_or_baseline_the_audit_says_why(study, quick_study_without_baseline):
    bare = ResultsSession(dataclasses.replace(study, claims=())).claim_audit()
    assert bare.verdicts.empty and bare.notes == {"claims": "the scenario states no claims ([claims.Cn]) to audit"}
    limited = ResultsSession(quick_study_without_baseline).claim_audit()
    assert not limited.verdicts.empty
    assert limited.notes["claims uplift"].startswith("no 'nothing' strategy was run, so the uplift")


# --- the Panel view, driven without a browser ------------------------------------------------


@pytest.fixture
def pn():
    """Panel (the ``app`` extra); the view's tests are skipped without it, the state's are not."""
    return pytest.importorskip("panel")


@pytest.fixture
def view(pn, quick_exploration):
    from offramp.app.context import app_context
    from offramp.app.views.results import results_view

    return results_view(app_context(results=quick_exploration))


def _one(view, kind, name=None):
    found = [w for w in view.select(kind) if name is None or w.label == name]
    assert len(found) == 1, f"{len(found)} {kind.__name__} named {name!r}"
    return found[0]


def _selection_text(view) -> str:
    import panel as pn

    texts = [p.object for p in view.select(pn.pane.Str) if str(p.object).startswith("Selection:")]
    assert len(texts) == 1
    return texts[0]


def _figure(view, title):
    import panel as pn

    figures = [p.object for p in view.select(pn.pane.Bokeh) if p.object.title.text == title]
    assert len(figures) == 1
    return figures[0]


def _messages(view):
    return view.objects[1]


def test_the_view_s_header_and_brush_widgets(pn, view, study, quick_exploration):
    header = view.objects[0].object
    for part in (str(quick_exploration.resolve()), "design lhs", f"{study.samples} samples", "2 replications"):
        assert part in header
    assert all(strategy in header for strategy in study.strategies)
    chooser = _one(view, pn.widgets.MultiChoice, "Uncertainties to brush")
    assert chooser.options == list(study.parameters) and chooser.value == list(study.parameters[:2])
    sliders = view.select(pn.widgets.EditableRangeSlider)
    assert [s.label for s in sliders] == list(study.parameters[:2])
    assert [(s.start, s.end) for s in sliders] == [study.bounds[p] for p in study.parameters[:2]]
    chooser.value = [study.parameters[0], study.parameters[3]]
    assert [s.label for s in view.select(pn.widgets.EditableRangeSlider)] == [study.parameters[0], study.parameters[3]]


def test_moving_a_range_updates_the_selection_the_bars_and_the_table(pn, view, study):
    slider = _one(view, pn.widgets.EditableRangeSlider, EMBOLDENING)
    source = _figure(view, "Outcome shares").renderers[0].data_source
    assert _selection_text(view) == f"Selection: {study.samples} samples, {study.samples * study.replications} worlds"
    before = dict(source.data)
    slider.value = (0.1, 0.2)
    expected = ResultsSession(study).shares({EMBOLDENING: (0.1, 0.2), MONEY: study.bounds[MONEY]})
    assert _selection_text(view) == expected.text != "Selection: 0 samples, 0 worlds"
    assert source.data["strategy"] == list(study.strategies)
    assert source.data["worlds"] == [expected.worlds] * len(study.strategies)
    for outcome in OUTCOME_LABELS:
        assert source.data[outcome] == pytest.approx(expected.shares[f"{outcome}_share"].tolist())
    assert source.data != before
    table = next(t for t in view.select(pn.widgets.Tabulator) if "worlds" in t.value.columns)
    assert table.value["worlds"].tolist() == [expected.worlds] * len(study.strategies)


def test_a_bad_range_shows_a_message_and_keeps_the_old_state(pn, view, study):
    slider = _one(view, pn.widgets.EditableRangeSlider, EMBOLDENING)
    source = _figure(view, "Outcome shares").renderers[0].data_source
    slider.value = (0.1, 0.2)
    text, data = _selection_text(view), dict(source.data)
    slider.value = (0.1, 0.9)  # beyond the sampled 0.4, as typed into the end box
    messages = _messages(view)
    assert messages.visible and messages.object.startswith(f"{EMBOLDENING}: (0.1, 0.9) is outside the range sampled")
    assert _selection_text(view) == text and source.data == data
    assert slider.value == (0.1, 0.2) and (slider.start, slider.end) == study.bounds[EMBOLDENING]
    slider.value = (0.0, 0.2)  # a good range clears the message
    assert not messages.visible and _selection_text(view) != text


def test_prim_computes_when_its_tab_opens_and_the_box_slider_and_tap_select_a_box(pn, view, study):
    tabs = _one(view, pn.Tabs)
    assert list(tabs._names) == ["Brush", "PRIM", "Claim audit"]
    assert not view.select(pn.widgets.IntSlider), "PRIM is not computed before its tab is opened"
    strategy = _one(view, pn.widgets.Select, "Strategy")
    assert strategy.options == list(study.strategies)
    tabs.active = 1
    box = _one(view, pn.widgets.IntSlider, "PRIM box")
    reference = ResultsSession(study)
    found = reference.prim(strategy.value).discovery
    assert box.value == found.chosen and box.end == int(found.trajectory["box"].max())
    chart = _figure(view, "PRIM trade-off")
    points = chart.renderers[0].data_source
    assert points.data["coverage"] == found.trajectory["coverage"].tolist()
    assert points.data["restricted"] == found.trajectory["restricted"].tolist()
    limits = next(t for t in view.select(pn.widgets.Tabulator) if "parameter" in t.value.columns)
    step = next(int(s) for s in found.trajectory["box"] if s != found.chosen and found.step_box(int(s)).shape[0])
    box.value = step
    expected = reference.prim_box(strategy.value, step)
    pd.testing.assert_frame_equal(limits.value.reset_index(drop=True), expected.limits[list(limits.value.columns)])
    summary = next(p.object for p in view.select(pn.pane.Str) if str(p.object).startswith("Box "))
    assert summary.startswith(f"Box {step} of {strategy.value}: coverage {expected.coverage:.3f}")
    assert points.selected.indices == [step]
    points.selected.indices = [found.chosen]  # a tap on the chosen point
    assert box.value == found.chosen
    assert "(chosen)" in next(p.object for p in view.select(pn.pane.Str) if str(p.object).startswith("Box "))
    strategy.value = study.strategies[2]
    other = reference.prim(study.strategies[2]).discovery
    assert points.data["density"] == other.trajectory["density"].tolist() and box.value == other.chosen


def test_the_claim_audit_tab_shows_the_verdicts(pn, view, study):
    tabs = _one(view, pn.Tabs)
    assert not [t for t in view.select(pn.widgets.Tabulator) if "depends_on" in t.value.columns]
    tabs.active = 2
    verdicts = [t for t in view.select(pn.widgets.Tabulator) if "depends_on" in t.value.columns]
    assert len(verdicts) == 1
    pd.testing.assert_frame_equal(verdicts[0].value, ResultsSession(study).claim_audit().verdicts)


def test_without_results_the_view_says_how_to_start_the_app(pn):
    from offramp.app.context import AppContext
    from offramp.app.views.results import results_view

    shown = results_view(AppContext(scenario=None, scenario_dir=None, results=None, study=None))
    assert "--results DIR" in shown.objects[0].object
