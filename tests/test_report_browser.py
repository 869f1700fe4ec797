"""The report opened in a real browser: headless Chromium from Debian's packages, driven by
Selenium through Debian's chromedriver (`.ci/install-chromium.sh` installs both; without them
these tests are skipped).

The page carries hostile text (tests/workflow_runs.py, HOSTILE_MARKUP and LONG_WORD): in the
browser no script may run, every figure must decode, the console must stay free of errors, nothing
may be fetched, and the 1,500-character word must wrap instead of widening the page.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from markupsafe import escape

from alignbench.report.render import render_report
from tests.factories import FIGURE_NAMES, TEMPLATE, make_context
from tests.workflow_runs import HOSTILE_MARKUP, LONG_WORD, PWNED

# Debian's paths, given explicitly: Selenium then never looks for (or downloads) a driver itself.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1024, 768)

# Skipped on a machine without them; never in CI (.ci/run sets CI=true and installs them), where
# a skip would hide that the report was not opened at all.
pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()) and os.environ.get("CI") != "true",
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER}: run .ci/install-chromium.sh (Debian, as root)",
)

# What the page holds once loaded; run after the load event, so images have been decoded.
PAGE_STATE = f"""
return {{
    pwned: typeof window.{PWNED},
    scripts: document.getElementsByTagName("script").length,
    images: Array.from(document.images, image => image.complete && image.naturalWidth > 0),
    pageWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
    text: document.body.innerText,
}};
"""


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")  # CI runs as root, where Chromium's sandbox refuses
    options.add_argument("--disable-dev-shm-usage")  # containers' /dev/shm is small
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    # Console messages, and DevTools' network events: every request the page makes, file: and
    # data: URLs included, which the page's own Resource Timing leaves out.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    yield driver
    driver.quit()


def open_report(browser, path: Path) -> dict:
    """Load the page; return its state, its console errors and the URLs it requested."""
    for kind in ("browser", "performance"):
        browser.get_log(kind)  # reading empties a log: drop what earlier pages left
    url = path.as_uri()
    browser.get(url)
    state = browser.execute_script(PAGE_STATE)
    state["errors"] = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    events = (json.loads(entry["message"])["message"] for entry in browser.get_log("performance"))
    requests = [
        event["params"]["request"]["url"]
        for event in events
        if event["method"] == "Network.requestWillBeSent"
    ]
    assert url in requests  # the log works: it holds the page's own request
    # The figures are data: URIs; anything else (http:, or file: as <img src=x> asks) is a fetch.
    state["fetches"] = [
        other for other in requests if other != url and not other.startswith("data:")
    ]
    return state


def assert_inert(state: dict, figures: int) -> None:
    assert state["pwned"] == "undefined"  # neither the <script> nor the onerror handler ran
    assert state["scripts"] == 0  # the template has none, and no hostile one became an element
    assert state["images"] == [True] * figures
    assert state["errors"] == []
    assert state["fetches"] == []
    assert HOSTILE_MARKUP in state["text"] and LONG_WORD in state["text"]
    assert state["pageWidth"] <= state["viewportWidth"], "a long word widens the page"


@pytest.mark.workflow
def test_the_workflow_report_shows_hostile_data_as_inert_text(finished_run, browser):
    report = finished_run / "results" / "report" / "index.html"
    html = report.read_text()
    samples = yaml.safe_load((finished_run / "tiny.yaml").read_text())["report"]["samples"]
    # Every sample's prompt and reference answer carry the markup, escaped and not rendered.
    assert html.count(str(escape(HOSTILE_MARKUP))) == 2 * samples
    assert "{{ 7*7 }}" in html and "<script" not in html.lower() and "<img src=x" not in html
    assert_inert(open_report(browser, report), figures=len(FIGURE_NAMES))


def test_hostile_generations_render_as_inert_text(tmp_path, browser):
    """Model output and the per-prompt fields the workflow run leaves plain, rendered directly."""
    from matplotlib.image import imsave

    figures = {}
    for name in FIGURE_NAMES:
        figures[name] = str(tmp_path / f"{name}.png")
        imsave(figures[name], [[0.0, 1.0], [1.0, 0.0]])
    context = make_context(figures)
    for sample in context["samples"]:
        sample.update(task=HOSTILE_MARKUP, answer=LONG_WORD)
        for answer in sample["answers"]:
            answer["generation"] = f"{HOSTILE_MARKUP} {LONG_WORD}"
    report = tmp_path / "index.html"
    report.write_text(render_report(context, TEMPLATE))
    assert_inert(open_report(browser, report), figures=len(FIGURE_NAMES))
