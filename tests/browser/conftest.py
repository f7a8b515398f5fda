"""Headless Chromium (Debian's package) driven by Playwright; Playwright's own browser download is never used."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("CI=true but /usr/bin/chromium is missing: browser tests must run in CI")
        pytest.skip("BROWSER TESTS SKIPPED: /usr/bin/chromium is missing (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


# Chromium's console wording for what a Content-Security-Policy blocked.
CSP_VIOLATION_MARKERS = ("Content Security Policy", "Refused to")


@pytest.fixture
def browser_problems() -> list[str]:
    """What the browser reported going wrong on the test's pages: CSP violations and uncaught JavaScript errors."""
    return []


@pytest.fixture
def page(chromium, browser_problems):
    """A fresh browser tab; the test fails if any page it opened broke the policy or threw a JavaScript error."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)

    def on_console(message):
        if message.type == "error" and any(marker in message.text for marker in CSP_VIOLATION_MARKERS):
            browser_problems.append(f"{message.text} ({page.url})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: browser_problems.append(f"JavaScript error: {error} ({page.url})"))
    yield page
    context.close()
    if browser_problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(browser_problems), pytrace=False)


@pytest.fixture
def screenshot():
    """Save a full-page screenshot in test-artifacts/ to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
