# The XSS proof opens pages in the same headless Chromium as the browser tests.
from tests.browser.conftest import chromium, screenshot  # noqa: F401
