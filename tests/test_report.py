"""The HTML report: one self-contained file with every section, written atomically, and
drawn by a real browser.

One small exploration of ``scenarios/quick.toml`` (an LHS design of 24 samples x 2
replications, every strategy, the claim audit's baseline ``nothing`` among them) is run and
analysed once per module, and its report written by ``write_report`` as ``offramp analyze
--report`` does. The same study without ``nothing`` is analysed and written too, for the
claim audit without a baseline. The structural tests read those files; the
browser tests open it in headless Chromium (skipped, with the reason, only where Chromium
is not installed; ``.ci/run`` installs it). The screenshot is kept in the test's folder
and copied to ``$OFFRAMP_REPORT_SCREENSHOT`` when that is set.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import os
import re
import shutil
import struct
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape

import offramp
import offramp.report.html as report_html
import offramp.run.record
from offramp.analyse.analysis import analyze
from offramp.report.html import SECTIONS, format_number, format_percent, render_report, write_report
from offramp.report.html_template import INSTRUMENT_NOTE
from offramp.report.summary import summarise

QUICK = Path(__file__).resolve().parents[1] / "scenarios" / "quick.toml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
# CI sets OFFRAMP_REQUIRE_BROWSER: there a missing browser fails the tests instead of
# skipping them, so the report is always seen rendered before it lands.
if CHROMIUM is None and os.environ.get("OFFRAMP_REQUIRE_BROWSER"):
    raise RuntimeError("OFFRAMP_REQUIRE_BROWSER is set but chromium is not installed")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed here (.ci/run installs it: apt-get install chromium)"
)

# Flags for a quiet, offline, single-use browser: no sandbox (CI runs as root), no GPU, no
# background traffic, a profile of its own.
_BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


@pytest.fixture(scope="module")
def study(tmp_path_factory, quick_exploration):
    """(analysis, report path): analyze once, then write the report, as the command line does."""
    root = tmp_path_factory.mktemp("report")
    analysis = analyze(quick_exploration, progress=False)
    assert write_report(analysis, root / "report.html") == root / "report.html"
    return analysis, root / "report.html"


@pytest.fixture(scope="module")
def page(study) -> str:
    return study[1].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bare(tmp_path_factory, quick_study_without_baseline):
    """(analysis, page) of the quick study without its ``nothing`` strategy: the claim
    audit has no baseline to measure the uplift over."""
    root = tmp_path_factory.mktemp("bare")
    analysis = analyze(quick_study_without_baseline, progress=False)
    write_report(analysis, root / "report.html")
    return analysis, (root / "report.html").read_text(encoding="utf-8")


class _Collector(HTMLParser):
    """Tags with their attributes, and the text of every heading."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.headings: dict[str, list[str]] = {"h1": [], "h2": [], "h3": []}
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in self.headings:
            self._open = tag
            self.headings[tag].append("")

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None

    def handle_data(self, data):
        if self._open:
            self.headings[self._open][-1] += data


def _parse(text: str) -> _Collector:
    collector = _Collector()
    collector.feed(text)
    return collector


def _text(page: str) -> str:
    """The page's text as a reader sees it (entities decoded), for finding numbers."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# -- structure, without a browser -----------------------------------------------------------


def test_sections_in_order_with_their_anchors(page):
    parsed = _parse(page)
    assert parsed.headings["h2"] == [heading for _, heading in SECTIONS]
    ids = [attrs["id"] for tag, attrs in parsed.tags if tag == "section"]
    assert ids == [anchor for anchor, _ in SECTIONS]
    assert parsed.headings["h1"] == ["offramp report: quick"]


def test_nothing_is_fetched_and_figures_are_png_data_uris(page):
    parsed = _parse(page)
    for tag, attrs in parsed.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), f"<{tag}> in the report"
        for name in ("src", "href", "srcset", "poster", "action"):
            if name in attrs:
                value = attrs[name]
                assert value.startswith(("data:", "#")), f"<{tag} {name}={value[:60]!r}> points outside the file"
    assert not re.search(r"url\(\s*['\"]?(?!data:)", page), "the style sheet fetches something"
    assert "@import" not in page and "@font-face" not in page
    images = [attrs for tag, attrs in parsed.tags if tag == "img"]
    assert len(images) >= 8  # outcomes 3, robustness 2, discovery 2 per strategy, sensitivity, claims
    for attrs in images:
        assert attrs["src"].startswith("data:image/png;base64,")
        data = base64.b64decode(attrs["src"].split(",", 1)[1], validate=True)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (int(attrs["width"]), int(attrs["height"]))
        assert attrs["alt"]


def test_instrument_note_at_top_and_bottom(page):
    assert page.count(INSTRUMENT_NOTE) == 2
    body = page[page.index("<body") :]
    assert body.index(INSTRUMENT_NOTE) < body.index("<h1")
    assert body.rindex(INSTRUMENT_NOTE) > body.index("<footer")


def test_summary_and_numbers_from_the_tables_appear(study, page):
    analysis, _ = study
    text = _text(page)
    sentences = summarise(analysis)
    assert sentences
    for sentence in sentences:
        assert sentence in text
    for row in analysis.robustness.itertuples():
        assert format_percent(row.satisficing_share) in text
        assert format_percent(row.satisficing_low) + "\u2013" + format_percent(row.satisficing_high) in text
        assert format_number(row.mean_regret) in text
    for row in analysis.outcomes.itertuples():
        assert format_percent(row.settlement_share) in text
        assert format_number(row.mean_war_deaths) in text
    assert analysis.discoveries, "the quick design should give a failure to explain"
    for found in analysis.discoveries:
        assert f"Where {found.strategy} fails" in text
        assert found.failure in text
        assert format_percent(found.coverage) in text
        for rule in found.cart_leaves["rule"]:
            assert rule in text
        assert str(escape(found.cart_text)) in page  # in a <pre>, as exported
    top = analysis.sensitivity.sort_values("score", ascending=False).iloc[0]
    assert format_number(top["score"]) in text
    for claim in analysis.study.claims:
        assert claim.text in text
    scenario = analysis.study.scenario
    for fact in (
        scenario["hash"],
        scenario["file"],
        offramp.__version__,
        analysis.study.offramp_version,
        analysis.criteria.text,
        "lhs (samples = 24)",
    ):
        assert fact in text
    assert str(escape(scenario["text"])) in page  # the TOML, escaped, in a <pre>


def test_collapsible_parts_are_details(page):
    parsed = _parse(page)
    assert sum(tag == "details" for tag, _ in parsed.tags) >= 4  # 2 outcome tables, claim detail, scenario file
    assert re.search(r"<details><summary>The scenario file \(quick\.toml\)</summary>\s*<pre>", page)


def test_empty_parts_show_their_notes_and_depends_is_highlighted(study):
    """A study whose discovery, sensitivity and regret are empty, with a claim depended on.

    The empty parts show their notes (escaped) and no figure. The claim is planted on the
    baseline's row (quick runs ``nothing``): its cell, the one verdict of "depends" in the
    table, is highlighted and carries the baseline's sub-line, not an uplift.
    """
    analysis, _ = study
    verdicts = analysis.claim_verdicts.copy()
    first_claim = analysis.study.claims[0].id
    baseline = verdicts.index[verdicts["strategy"] == analysis.criteria.claim_audit.baseline]
    assert len(baseline) == 1
    verdicts.loc[baseline, [first_claim, "depends_on"]] = ["depends", first_claim]
    notes = {"discovery": "no strategy both fails and succeeds <here>", "sensitivity": "EMA Workbench is missing"}
    hollow = dataclasses.replace(
        analysis,
        discoveries=(),
        sensitivity=pd.DataFrame(),
        regret=analysis.regret.iloc[:0],
        claim_verdicts=verdicts,
        notes=notes,
    )
    page = render_report(hollow)
    text = _text(page)
    assert "no strategy both fails and succeeds &lt;here&gt;" in page  # notes are escaped, not markup
    assert "EMA Workbench is missing" in text and "no regret to show" in text
    assert not [h for h in _parse(page).headings["h3"] if h.startswith("Where ")]
    assert page.count('<td class="depends">depends<span class="sub">baseline</span></td>') == 1
    images = page.count("<img ")
    assert images == 5  # outcomes 3, satisficing, claims; no regret, discovery or sensitivity figure
    sections = re.split(r'<section id="', page)
    discovery = next(s for s in sections if s.startswith("discovery"))
    assert 'class="callout"' in discovery and "<img" not in discovery


def _claim_section(page: str) -> str:
    return next(s for s in re.split(r'<section id="', page) if s.startswith("claims"))


def test_without_the_baseline_the_claim_audit_shows_absolute_verdicts_and_the_note(bare):
    """A study that did not run ``nothing`` (quick's, with it dropped): the analysis notes
    that the uplift is not audited, the claims section shows that note once and no uplift
    column, sub-line or panel, and the summary says nothing of an uplift."""
    analysis, page = bare
    assert "nothing" not in analysis.study.strategies
    assert "no 'nothing' strategy was run" in analysis.notes["claims uplift"]
    claims = _claim_section(page)
    assert claims.count(str(escape(analysis.notes["claims uplift"]))) == 1
    assert "Claim audit: uplift" in claims
    assert "uplift:" not in claims and "uplift verdict" not in claims and "depends on</th>" in claims
    assert not any(s.startswith("The uplift over") for s in summarise(analysis))


def test_with_the_baseline_the_default_report_audits_the_uplift_over_nothing(study, page):
    """quick.toml runs ``nothing``, the default baseline: the report shows the uplift over
    it (its column, the baseline's sub-line in every claim's cell of its row, an uplift
    sub-line in every other) and no note that it was not audited."""
    analysis, _ = study
    assert "nothing" in analysis.study.strategies and "claims uplift" not in analysis.notes
    claims = _claim_section(page)
    strategies, claim_count = len(analysis.study.strategies), len(analysis.study.claims)
    assert "uplift over nothing depends on</th>" in claims and "Claim audit: uplift" not in claims
    assert claims.count('<span class="sub">baseline</span>') == claim_count
    assert claims.count('<span class="sub">uplift: ') == (strategies - 1) * claim_count


@pytest.fixture(scope="module")
def uplifted(bare):
    """The quick study without ``nothing``, audited with sanctions_only as the baseline named
    in the criteria: the same strategies as ``bare``'s page, which has no uplift, so the two
    reports differ only by it. quick's 24 samples give no verdict by themselves, so two are
    planted on the first claim: conciliation's uplift depends on it, full_pressure's absolute
    success falls with it and its uplift does not."""
    from offramp.analyse.claims import claim_audit

    analysis, _ = bare
    settings = analysis.criteria.claim_audit.model_copy(update={"baseline": "sanctions_only"})
    criteria = analysis.criteria.model_copy(update={"claim_audit": settings})
    strategies = list(analysis.study.strategies)
    detail, verdicts = claim_audit(analysis.study, analysis.per_sample, analysis.satisficing, criteria, strategies)
    assert (detail.loc[detail["strategy"] != "sanctions_only", "uplift_essay"].notna()).any()
    claim = analysis.study.claims[0].id
    planted = (detail["strategy"] == "conciliation") & (detail["claim"] == claim)
    detail.loc[planted, "uplift_depends"] = True
    verdicts.loc[verdicts["strategy"] == "conciliation", "uplift_depends_on"] = claim
    shifted = (detail["strategy"] == "full_pressure") & (detail["claim"] == claim)
    detail.loc[shifted, ["depends", "falls", "flips", "uplift_depends"]] = [True, True, False, False]
    verdicts.loc[verdicts["strategy"] == "full_pressure", [claim, "depends_on"]] = ["depends", claim]
    notes = {key: text for key, text in analysis.notes.items() if key != "claims uplift"}
    return dataclasses.replace(analysis, criteria=criteria, claim_detail=detail, claim_verdicts=verdicts, notes=notes)


def test_the_claim_audit_shows_absolute_and_uplift_verdicts_side_by_side(bare, page, uplifted):
    """With a baseline named in the criteria (sanctions_only), each verdict cell holds the
    absolute verdict and below it the uplift's, the planted ones highlighted; the tables, the
    summary and the provenance name that baseline. The heat map gains the uplift panel below
    the absolute one: as wide as the same strategies' map without it (``bare``), twice as
    tall; the default page (quick's ``nothing`` as baseline) draws both panels too."""
    claim = uplifted.study.claims[0].id
    other = render_report(uplifted)
    claims = _claim_section(other)
    # Each verdict cell: the absolute verdict, the uplift's below it; the baseline says so.
    strategies = len(uplifted.study.strategies)
    claim_count = len(uplifted.study.claims)
    assert claims.count('<span class="sub">baseline</span>') == claim_count
    assert claims.count('<span class="sub">uplift: ') == (strategies - 1) * claim_count
    absolute = uplifted.claim_verdicts.set_index("strategy").at["conciliation", claim]  # "n/a" with 24 samples
    assert claims.count(f'<td class="depends">{absolute}<span class="sub">uplift: depends</span></td>') == 1
    assert claims.count('<span class="sub">uplift: depends</span>') == 1
    assert claims.count('<td class="depends">depends<span class="sub">uplift: -</span></td>') == 1
    assert "uplift over sanctions_only depends on</th>" in claims and "uplift verdict</th>" in claims
    assert "the baseline" in claims and "Mann\u2013Whitney" in _text(claims)

    # The heat map gains the uplift panel below: as wide, twice as tall.
    def size(section):
        tag = re.search(r"<img [^>]*>", section).group(0)
        return int(re.search(r'width="(\d+)"', tag).group(1)), int(re.search(r'height="(\d+)"', tag).group(1))

    (one, high), (two, high_two) = size(_claim_section(bare[1])), size(claims)
    assert two == one and high_two == 2 * high
    assert size(_claim_section(page))[1] == high_two  # one strategy more (nothing): wider, as tall
    sentence = (
        "The uplift over the baseline strategy (sanctions_only) depends on the essay's claims for "
        f"conciliation on {claim}."
    )
    assert sentence in summarise(uplifted) and sentence in _text(other)
    shifted = (
        "Absolute success depends on these claims but the uplift over the baseline strategy (sanctions_only) "
        f"does not: {claim} for full_pressure."
    )
    assert shifted in summarise(uplifted)
    assert "uplift over sanctions_only, at least 0 on the essay" in _text(other)  # provenance


def test_each_note_appears_once(study):
    """Every note of the analysis reaches the page by one channel (``analysis.notes``) and
    is shown once: in its part's section, or in the summary when no section is its own.

    The notes include one per strategy for sensitivity, as ``analyze`` writes them, and the
    sensitivity table carries stale ``attrs`` notes (the old second channel), which must
    not be shown.
    """
    analysis, _ = study
    strategies = list(analysis.study.strategies)
    notes = {
        "study": "3 chunks of the run are missing <study>",
        "robustness": "one replication per sample <robustness>",
        f"discovery {strategies[0]}": "PRIM found no box <discovery>",
        f"sensitivity {strategies[1]}": "the output is constant: no feature scores <sensitivity 1>",
        f"sensitivity {strategies[2]}": "sobol design, but 2 of 24 samples are missing <sensitivity 2>",
        "claims": "a claim could not be audited <claims>",
        "other": "a note of a part without a section <other>",
    }
    sensitivity = analysis.sensitivity.copy()
    sensitivity.attrs["notes"] = {strategies[1]: notes[f"sensitivity {strategies[1]}"]}
    page = render_report(dataclasses.replace(analysis, notes=notes, sensitivity=sensitivity))
    sections = {s.split('"', 1)[0]: s for s in re.split(r'<section id="', page)[1:]}
    home = {"study": "summary", "other": "summary", "robustness": "robustness", "claims": "claims"}
    for key, text in notes.items():
        shown = str(escape(text))
        assert page.count(shown) == 1, f"note {key!r} appears {page.count(shown)} times"
        assert shown in sections[home.get(key, key.split()[0])], f"note {key!r} is not in its section"


def test_every_section_builder_returns_a_section(study, tmp_path):
    """One type for every section (choice 7), in the order of SECTIONS."""
    analysis, _ = study
    figure = report_html._Figures(tmp_path)
    built = [
        report_html._summary(analysis),
        report_html._outcomes(analysis, figure),
        report_html._robustness(analysis, figure),
        report_html._discovery(analysis, figure),
        report_html._sensitivity(analysis, figure),
        report_html._claims(analysis, figure),
        report_html._provenance(analysis, datetime.now(UTC)),
    ]
    assert {type(section) for section in built} == {report_html._Section}
    assert [(section.anchor, section.heading) for section in built] == list(SECTIONS)
    assert all(section.blocks for section in built)


def test_write_is_atomic(study, tmp_path, monkeypatch):
    analysis, _ = study
    monkeypatch.setattr(report_html, "render_report", lambda analysis: "<!DOCTYPE html><p>first</p>")
    target = write_report(analysis, tmp_path / "out" / "report.html")
    assert target.read_text(encoding="utf-8") == "<!DOCTYPE html><p>first</p>"
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask  # the umask's, not mkstemp's 0600
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]

    def refuse(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr(report_html, "render_report", lambda analysis: "<!DOCTYPE html><p>second</p>")
    monkeypatch.setattr(offramp.run.record.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_report(analysis, target)
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "<!DOCTYPE html><p>first</p>"  # untouched
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]  # no temporary file left


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.08333, "0.0833"),
        (20.833, "20.8"),
        (11223.688, "11,200"),
        (0.5, "0.5"),
        (9.996, "10"),
        (999.6, "1,000"),
        (-0.3218, "-0.322"),
        (0, "0"),
        (48, "48"),
        (float("nan"), "\u2013"),
        (None, "\u2013"),
        (pd.NA, "\u2013"),
        (3e-7, "3.00e-07"),
    ],
)
def test_format_number(value, expected):
    assert format_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.208333, "20.8%"),
        (0.0416667, "4.17%"),
        (1.0, "100%"),
        (0.0, "0%"),
        (1e-17, "0%"),
        (0.00003, "<0.01%"),
        (0.00369, "0.369%"),
        (float("nan"), "\u2013"),
    ],
)
def test_format_percent(value, expected):
    assert format_percent(value) == expected


# -- in a browser ---------------------------------------------------------------------------


def _chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run(
        [CHROMIUM, *_BROWSER_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@needs_chromium
def test_browser_screenshot(study, tmp_path):
    _, report = study
    shot = tmp_path / "report.png"
    done = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,4000", report.as_uri())
    assert shot.is_file(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert struct.unpack(">II", data[16:24]) == (1280, 4000)
    from PIL import Image  # matplotlib's dependency

    grey = Image.open(shot).convert("L")
    inked = sum(grey.histogram()[:230]) / (grey.width * grey.height)
    assert inked > 0.05, f"the page looks blank ({inked:.1%} of pixels are not near-white)"
    wanted = os.environ.get("OFFRAMP_REPORT_SCREENSHOT")
    if wanted:
        Path(wanted).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, wanted)


@needs_chromium
def test_browser_dom_has_every_section_and_decodes_every_image(study, page, tmp_path):
    """The page in Chromium: every heading in the DOM, every image decoded, no console error.

    The report holds no script; a copy gets a small one that, once the page has loaded,
    writes on <body> how many images there are and how many decoded (complete, with a
    natural width), so --dump-dom can tell.
    """
    probe = (
        "<script>window.addEventListener('load', () => {"
        "const images = Array.from(document.images);"
        "document.body.dataset.images = images.length;"
        "document.body.dataset.decoded = images.filter((i) => i.complete && i.naturalWidth > 0).length;"
        "});</script>"
    )
    copy = tmp_path / "probe.html"
    copy.write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    done = _chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", copy.as_uri())
    dom = done.stdout
    assert "</html>" in dom, done.stderr[-2000:]
    expected = page.count("<img ")
    body = re.search(r"<body([^>]*)>", dom).group(1)
    assert f'data-images="{expected}"' in body and f'data-decoded="{expected}"' in body, body
    parsed = _parse(dom)
    assert parsed.headings["h2"] == [heading for _, heading in SECTIONS]
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "ERR_" in line]
    assert not [line for line in console if "Uncaught" in line or "ERR_" in line or "rror" in line], console
