"""A real headless Chromium: home page, autocomplete, language switch, no console errors or CSP violations.

Skipped only when /usr/bin/chromium is missing outside CI; in CI (``CI`` set) a missing browser fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is required in CI")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield instance
        instance.close()


def test_home_autocomplete_and_language_switch(browser: object, server: Server) -> None:
    context = browser.new_context(locale="nl-NL")  # type: ignore[attr-defined]
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on("response", lambda response: problems.append(f"{response.status}: {response.url}")
            if response.status >= 400 else None)

    page.goto(server.url + "/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("ul.categories li").count() > 3

    box = page.locator("#search-box")
    box.click()
    box.press_sequentially("icto", delay=30)
    suggestion = page.locator("#search-suggestions li").first
    suggestion.wait_for(state="visible", timeout=5000)
    assert "ICTO" in suggestion.inner_text()
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url("**/concept/icto-coach", timeout=5000)
    assert page.locator("h1").inner_text() == "ICTO-coach"
    assert page.locator("button.copy").is_visible()  # shown by app.js

    page.locator("a.lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "ICTO coach"
    page.goto(server.url + "/hierarchy")
    assert page.locator("html").get_attribute("lang") == "en"  # the cookie keeps the choice

    assert problems == [], problems
    context.close()


def test_search_form_works_without_javascript(browser: object, server: Server) -> None:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server.url + "/?lang=en")
    page.locator("#search-box").fill("coach")
    page.locator("form.search button").click()
    page.wait_for_url("**/search?**")
    assert page.locator("ol.results li").count() > 0
    context.close()
