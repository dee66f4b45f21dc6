"""Browser journeys: Playwright driving Debian's Chromium (``apt-get install chromium``;
``playwright install`` cannot download here) against pytest-django's live server.

Without the browser the journeys are skipped with the reason, except in CI (``CI`` set), where
they fail: ``.ci/run`` installs it.
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM (the tests' own checks)
# refuses to run in a thread with a loop unless told that this is fine (it is: one thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
#: Flags for a headless Chromium on a closed network (no background calls to Google's hosts).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _browser_missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} CI must install it: apt-get install -y chromium (see .ci/run).")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _browser_missing(f"No Chromium at {CHROMIUM}: the browser journeys need Debian's chromium package.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("Playwright is not installed (pip install -r requirements.txt).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


#: The demo accounts' password in the journeys.
PASSWORD = "journey-demo-password"


@pytest.fixture
def demo(db):
    """The demo scenario without the imported inventories (fast): accounts and the company's tools."""
    from registry.demo import demo_seed

    demo_seed(password=PASSWORD, import_inventories=False)


@pytest.fixture
def session(request, browser, live_server, demo):
    """``session("curator")``: a signed-in page in a browser context of its own.

    A test module may set ``BROWSER_TIMEOUT_MS`` (default 5,000) and ``VIEWPORT_WIDTH``.
    """
    contexts = []
    timeout = getattr(request.module, "BROWSER_TIMEOUT_MS", 5000)
    width = getattr(request.module, "VIEWPORT_WIDTH", 1400)

    def open_as(username):
        context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
        context.set_default_timeout(timeout)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button:has-text('Log in')")
        page.wait_for_selector("nav >> text=Teams")
        return page

    yield open_as
    for context in contexts:
        context.close()
