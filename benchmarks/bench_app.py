"""``offramp app``: how soon the page is usable, and how long a week's step takes to render.

Three measurements, each against the issue's bound, printed as a ratio to it:

1. **Start-up**: from launching ``offramp app scenarios/essay.toml`` (a new process) to
   (a) its address line and (b) the World view drawn in headless Chromium (the text
   ``Week 0 of 104`` visible). The browser is started beforehand, as a user's is.
2. **A week's step in the browser**: click "Step week" and wait until the page shows the
   next week (the server steps the world, draws the pictures, streams the charts' row, and
   the browser renders it): the round trip a user sees, median and 90th percentile over
   ``--steps`` weeks.
3. **A week's step on the server**: the same step at Python level (the session's step and
   the display's update, no browser), so the two can be told apart.

Needs the test extras (Panel, Playwright) and Debian's ``chromium``.

    python benchmarks/bench_app.py               # 40 weeks
    python benchmarks/bench_app.py --steps 10
"""

from __future__ import annotations

import argparse
import queue
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ESSAY = Path(__file__).resolve().parents[1] / "scenarios" / "essay.toml"
STEP_BOUND_MS = 100.0
READY_BOUND_S = 5.0


_CLICK_AND_WAIT = """([button, headline, text]) => new Promise((done) => {
    const began = performance.now();
    button.click();
    const look = () => headline.textContent.includes(text)
        ? done(performance.now() - began) : requestAnimationFrame(look);
    look();
})"""


def _server_side(steps: int) -> list[float]:
    from offramp.app.context import app_context
    from offramp.app.views.world import WorldPage

    page = WorldPage(app_context(ESSAY))
    page.controls.step_button.clicks += 1  # warm-up: first-call costs
    times = []
    for _ in range(steps):
        began = time.perf_counter()
        page.controls.step_button.clicks += 1
        times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("bench_app: needs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "offramp.cli", "app", str(ESSAY), "--port", "0"],  # a free port
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
        while not (line := lines.get(timeout=120)).startswith("offramp app: http"):
            pass
        listening = time.perf_counter() - began
        page.goto(line.split()[2])
        page.get_by_text("Week 0 of 104").first.wait_for(timeout=60_000)
        ready = time.perf_counter() - began
        # Timed inside the page: from the button's click to the frame in which the
        # headline shows the next week (Playwright's own click and wait add their polling).
        button = page.get_by_role("button", name="Step week", exact=True).element_handle()
        headline = (
            page.locator("p", has_text="Week 0 of 104").first.element_handle().evaluate_handle("p => p.parentElement")
        )
        round_trips = [
            page.evaluate(_CLICK_AND_WAIT, [button, headline, f"Week {week} of 104"])
            for week in range(1, args.steps + 1)
        ]
        browser.close()
        process.terminate()
        process.wait(timeout=20)
    server = _server_side(args.steps)

    def row(what: str, value: float, unit: str, bound: float) -> None:
        print(f"{what:<48} {value:9.1f} {unit:<3} bound {bound:6.1f} {unit:<3} ratio to bound {value / bound:5.2f}")

    print(f"offramp app on {ESSAY.name}, {args.steps} weeks")
    row("start: address printed", listening, "s", READY_BOUND_S)
    row("start: World view drawn in Chromium", ready, "s", READY_BOUND_S)
    row("week step in the browser, median", statistics.median(round_trips), "ms", STEP_BOUND_MS)
    row("week step in the browser, 90th percentile", statistics.quantiles(round_trips, n=10)[-1], "ms", STEP_BOUND_MS)
    row("week step on the server (no browser), median", statistics.median(server), "ms", STEP_BOUND_MS)


if __name__ == "__main__":
    main()
