"""Fixtures the dashboard's browser tests share."""
from __future__ import annotations

import pytest

from tests.dashboard import servers

PAGE_TIMEOUT = 30.0  # seconds a page may take to load and draw


@pytest.fixture(scope="module")
def driver():
    """A headless Chromium for one test module (skips, or fails when required, without one)."""
    servers.browser_or_skip()
    browser = servers.chromium(PAGE_TIMEOUT)
    try:
        yield browser
    finally:
        browser.quit()
