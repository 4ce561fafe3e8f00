"""Headless Chromium (Debian's `chromium`, driven by Playwright) against a live server.

Screenshots of every page at 390 and 1440 px go to test-artifacts/screenshots/; each page is
scanned with axe-core (from the npm registry, node_modules/axe-core)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("csp-violation " + e.violatedDirective + " " + (e.blockedURI || "inline")
    + " at " + e.documentURI);
});
"""


class _Browser:
    """Chromium whose every context reports Content-Security-Policy violations: each page
    listens for ``securitypolicyviolation`` events and logs them; the test fails if any."""

    def __init__(self, chromium) -> None:
        self._chromium = chromium
        self.violations: list[str] = []

    def new_context(self, **options):
        context = self._chromium.new_context(**options)
        context.add_init_script(CSP_LISTENER)
        context.on("console", self._console)
        return context

    def _console(self, message) -> None:
        if message.text.startswith("csp-violation"):
            self.violations.append(message.text)

    def __getattr__(self, name):
        return getattr(self._chromium, name)


@pytest.fixture
def browser(chromium):
    wrapped = _Browser(chromium)
    yield wrapped
    assert not wrapped.violations, wrapped.violations


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache: None) -> None:
    pass


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not AXE.exists():
        pytest.skip("axe-core is missing: run `npm ci`")
    # Through the debugging protocol, which the page's Content-Security-Policy (no inline
    # script) does not govern, unlike a <script> tag.
    page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:3]]}
        for v in result
        if v["impact"] in {"serious", "critical"}
    ]


def shoot(browser, url: str, name: str, *, storage_state=None) -> list[dict]:
    """Screenshots at 390 and 1440 px, light and dark; the axe scan of each. Returns the
    violations found, labelled with the page and width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width in (390, 1440):
        for scheme in ("light", "dark"):
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                color_scheme=scheme,
                storage_state=storage_state,
            )
            page = context.new_page()
            page.goto(url)
            page.wait_for_load_state("load")
            suffix = "" if scheme == "light" else "-dark"
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}{suffix}.png"), full_page=True)
            if scheme == "light" or width == 1440:
                problems += [
                    {**v, "page": name, "width": width, "scheme": scheme}
                    for v in axe_violations(page)
                ]
            context.close()
    return problems


def open_menu(page) -> None:
    """On a narrow screen the header's links are in its menu: open it (a no-op when wide)."""
    menu = page.locator(".nav-menu")
    if menu.is_visible() and menu.get_attribute("open") is None:
        menu.locator("summary").click()
