"""``offramp app`` end to end in a real headless Chromium (issue 13).

The app runs as ``offramp app`` does, in its own process on a free port of 127.0.0.1 (``--port 0``);
Playwright drives Debian's ``chromium`` through ``executable_path`` (Playwright's own
browser download is never used). Every request the page makes to anything but the app's
address is refused and recorded: the app must work offline. Screenshots go to
``OFFRAMP_SCREENSHOTS`` when it is set (docs/app.md's pictures come from such a run), else
to the test's temporary folder.

CI sets ``OFFRAMP_REQUIRE_BROWSER``: there a missing browser fails these tests instead of
skipping them.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from offramp.app.session import GameLog, WorldSession, replay

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
ESSAY = SCENARIOS / "essay.toml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None and os.environ.get("OFFRAMP_REQUIRE_BROWSER"):
    raise RuntimeError("OFFRAMP_REQUIRE_BROWSER is set but chromium is not installed")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed here (.ci/run installs it: apt-get install chromium)"
)
START_TIMEOUT_S = 90  # a cold Numba cache compiles the unrest kernel first (about 10 s alone)
WAIT_MS = 20_000


def _start_app(*arguments: str) -> tuple[subprocess.Popen, str]:
    """``offramp app ARGUMENTS --port 0`` (a free port) in its own process; waits for its
    address line, which names the port it chose."""
    process = subprocess.Popen(
        [sys.executable, "-m", "offramp.cli", "app", *arguments, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("offramp app: http://127.0.0.1:"):
            return process, line.split()[2]
    process.kill()
    raise AssertionError("offramp app did not start:\n" + "".join(seen))


@pytest.fixture(scope="module")
def app_address(quick_exploration) -> Iterator[str]:
    process, address = _start_app(str(ESSAY), "--results", str(quick_exploration))
    assert address == f"http://127.0.0.1:{address.rsplit(':', 1)[1]}", "the app binds to the loopback by default"
    yield address
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("OFFRAMP_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Tab:
    """One browser tab on the app, refusing (and recording) every request elsewhere."""

    def __init__(self, browser, address: str) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.elsewhere: list[str] = []
        self.page.route("**/*", self._route)
        self.page.goto(address)
        self.page.get_by_text("Week 0 of 104").first.wait_for(timeout=WAIT_MS)

    def _route(self, route) -> None:
        if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:")):
            route.continue_()
        else:
            self.elsewhere.append(route.request.url)
            route.abort()

    def button(self, label: str):
        return self.page.get_by_role("button", name=label, exact=True)

    def week(self, week: int, horizon: int = 104):
        return self.page.get_by_text(f"Week {week} of {horizon}").first

    def grid_picture(self) -> bytes:
        """The regions' grids as the browser drew them (a screenshot of their figure)."""
        return self.page.locator(".offramp-grids").first.screenshot()

    def tab(self, name: str) -> None:
        self.page.locator(".bk-tab", has_text=name).first.click()

    def close(self) -> None:
        assert self.elsewhere == [], f"the page asked the network for {self.elsewhere}"
        self.context.close()


@pytest.fixture
def tab(browser, app_address) -> Iterator[Tab]:
    opened = Tab(browser, app_address)
    yield opened
    opened.close()


def test_stepping_five_weeks_moves_the_counter_and_the_grids(tab, shots):
    tab.button("Step week").click()
    tab.week(1).wait_for(timeout=WAIT_MS)
    first = tab.grid_picture()
    for week in range(2, 6):
        tab.button("Step week").click()
        tab.week(week).wait_for(timeout=WAIT_MS)
    assert tab.grid_picture() != first, "a grid picture should change over four weeks"
    # the page shows the world offramp run simulates: world 0, seed 0, the first strategy
    alone = WorldSession(ESSAY, tab.page.get_by_label("Strategy", exact=True).first.input_value(), 0, 0)
    alone.jump(5)
    assert f"{alone.history[-1].war_score:+.2f}" in tab.page.locator("p", has_text="Week 5 of 104").first.inner_text()
    tab.page.screenshot(path=str(shots / "app-world.png"), full_page=True)


def test_play_runs_weeks_until_paused(tab):
    headline = tab.page.locator("p", has_text=" of 104").first

    def week() -> int:
        return int(re.match(r"Week (\d+) of", headline.inner_text()).group(1))

    tab.button("Play").click()
    deadline = time.monotonic() + WAIT_MS / 1000
    while week() < 3 and time.monotonic() < deadline:  # weeks pass faster than a text wait polls
        time.sleep(0.05)
    assert week() >= 3, "Play did not run the world"
    tab.button("Pause").click()
    time.sleep(0.5)  # a tick already under way may still land
    paused_at = week()
    time.sleep(1.0)  # about seven play periods
    assert week() == paused_at, "the world went on after Pause"


def test_two_tabs_do_not_share_a_world(browser, app_address, tab):
    tab.button("Step week").click()
    tab.week(1).wait_for(timeout=WAIT_MS)
    tab.button("Step week").click()
    tab.week(2).wait_for(timeout=WAIT_MS)
    other = Tab(browser, app_address)
    try:
        assert other.week(0).is_visible()
        other.button("Step week").click()
        other.week(1).wait_for(timeout=WAIT_MS)
        assert tab.week(2).is_visible()
    finally:
        other.close()


def test_bad_input_in_the_page_is_a_message_and_the_app_keeps_running(tab):
    world = tab.page.get_by_label("World", exact=True).first
    world.fill("-3")
    world.press("Enter")
    tab.page.get_by_text("world: must be at least 0").first.wait_for(timeout=WAIT_MS)
    tab.button("Step week").click()
    tab.week(1).wait_for(timeout=WAIT_MS)


def test_compare_runs_two_strategies_in_step(tab, shots):
    tab.tab("Compare")
    step = tab.page.get_by_role("button", name="Step week", exact=True)
    step.last.wait_for(timeout=WAIT_MS)
    for _ in range(3):
        step.last.click()
    tab.page.get_by_text("Week 3 of 104").nth(1).wait_for(timeout=WAIT_MS)  # both worlds
    tab.page.screenshot(path=str(shots / "app-compare.png"), full_page=True)


def test_play_two_turns_then_save_the_log(tab, shots):
    tab.tab("Play")
    play = tab.button("Play turn")
    play.wait_for(timeout=WAIT_MS)
    play.click()
    tab.page.get_by_text("Turn 1 · week 4 of 104").first.wait_for(timeout=WAIT_MS)
    play.click()
    tab.page.get_by_text("Turn 2 · week 8 of 104").first.wait_for(timeout=WAIT_MS)
    with tab.page.expect_download() as saved:
        tab.page.get_by_text("Save game log").first.click()
    log = GameLog.from_json(Path(saved.value.path()).read_text())
    assert (len(log.turns), log.world, log.seed) == (2, 0, 0)
    tab.page.screenshot(path=str(shots / "app-play.png"), full_page=True)
    # the saved log replays in the World view: the player's levers become the strategy
    tab.tab("World")
    tab.page.locator("input[type='file']").first.set_input_files(saved.value.path())
    tab.page.get_by_text("Replaying the game log").first.wait_for(timeout=WAIT_MS)
    for week in range(1, 5):
        tab.button("Step week").click()
        tab.week(week).wait_for(timeout=WAIT_MS)
    game = replay(ESSAY, log)
    assert f"{game.history[3].war_score:+.2f}" in tab.page.locator("p", has_text="Week 4 of 104").first.inner_text()


def test_results_brushing_a_range_updates_the_selection(tab, quick_exploration, shots):
    from offramp.analyse.study import Study
    from offramp.app.results import ResultsSession

    session = ResultsSession(Study.from_directory(quick_exploration))
    parameter = session.parameters[0]
    low, high = session.bounds(parameter)
    middle = round((low + high) / 2, 3)
    expected = session.shares({parameter: (middle, high)})
    assert 0 < expected.samples < session.shares({}).samples, "the brushed half should hold some samples, not all"
    tab.tab("Results")
    tab.page.get_by_text(f"Selection: {session.shares({}).samples} samples").first.wait_for(timeout=WAIT_MS)
    start = tab.page.locator("input[type='text']:visible").first  # the first range's lower end
    start.fill(str(middle))
    start.press("Enter")
    tab.page.get_by_text(f"Selection: {expected.samples} samples, {expected.worlds} worlds").first.wait_for(
        timeout=WAIT_MS
    )
    tab.page.screenshot(path=str(shots / "app-results.png"), full_page=True)
    tab.page.locator(".bk-tab", has_text="PRIM").first.click()
    tab.page.get_by_text(re.compile(r"^Box \d+ .*coverage")).first.wait_for(timeout=60_000)
    tab.page.screenshot(path=str(shots / "app-results-prim.png"), full_page=True)


def test_a_game_played_to_the_end_gets_its_debrief(browser, app_address, tab, shots):
    """The debrief runs in a worker thread: another tab steps its world meanwhile."""
    tab.tab("Play")
    tab.button("Play turn").wait_for(timeout=WAIT_MS)
    tab.page.locator("select:visible").first.select_option("quick.toml")  # 26 weeks: seven turns of four
    tab.button("New game").click()
    tab.page.get_by_text("Turn 0 · week 0 of 26").first.wait_for(timeout=WAIT_MS)
    for turn in range(1, 8):
        tab.button("Play turn").click()
        tab.page.get_by_text(re.compile(rf"^Turn {turn} · week")).first.wait_for(timeout=WAIT_MS)
    tab.page.get_by_text(re.compile(r"^Game over: \w+ in week \d+")).first.wait_for(timeout=WAIT_MS)
    worlds = tab.page.get_by_label("Debrief worlds", exact=True).first
    worlds.fill("400")  # several seconds of work
    worlds.press("Enter")
    other = Tab(browser, app_address)  # opened first: loading a page is not what is tested
    try:
        tab.button("Debrief").click()
        other.button("Step week").click()
        other.week(1).wait_for(timeout=WAIT_MS)
        assert tab.page.get_by_text("your_schedule").count() == 0, "the other tab waited for the debrief"
    finally:
        other.close()
    tab.page.get_by_text("your_schedule").first.wait_for(timeout=120_000)
    tab.page.screenshot(path=str(shots / "app-debrief.png"), full_page=True)
