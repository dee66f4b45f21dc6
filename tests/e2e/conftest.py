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
