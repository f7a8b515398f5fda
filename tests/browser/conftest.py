"""Headless Chromium (Debian's package) driven by Playwright; Playwright's own browser download is never used."""

import pytest

from tests.browser.axe import accessibility_problems

# `chromium` and `screenshot` live in tests/conftest.py: the XSS proof in tests/security/ drives the same browser.


def pytest_collection_modifyitems(config, items):
    # Journeys through the pages: the test command runs them once, in the PostgreSQL pass when it runs.
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.one_pass)


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
def check_accessibility():
    """Call with a page after each navigation to a page not yet checked; the test fails at its end, listing every
    serious or critical WCAG 2.2 AA violation axe-core found (rule, impact, page, the elements' selectors)."""
    problems: list[str] = []

    def check(page) -> None:
        problems.extend(accessibility_problems(page))

    yield check
    if problems:
        pytest.fail("axe-core found accessibility violations:\n" + "\n".join(problems), pytrace=False)
