"""The API's docs page (/api/docs, Swagger UI) in real Chromium: a phone's width, axe, dark mode."""
import pytest
from playwright.sync_api import expect

from tests.browser import axe_violations
from tests.test_web_screens import PHONE, browse  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def rendered(recorded):
    """/api/docs once Swagger UI has drawn the operations of the app's OpenAPI document."""
    page = recorded.goto("/api/docs")
    page.get_by_text("/api/daily").first.wait_for(timeout=15000)
    return page


def test_the_docs_page_is_laid_out_at_a_phones_own_width(browse):
    page = rendered(browse(**PHONE))
    # Without a viewport meta tag Chromium lays the page out 980 px wide and shrinks it.
    assert page.evaluate("innerWidth") == 390
    assert page.evaluate("document.documentElement.clientWidth") <= 390


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_docs_page_passes_axe_closed_authorizing_and_trying_an_endpoint(app, browse, theme):
    from app.services.accounts.api_keys import create_api_key

    with app.app_context():
        key = create_api_key("reader", "docs page")
    # The page's CSP refuses axe's injected script: this context bypasses it (axe only reads).
    page = rendered(browse(bypass_csp=True, color_scheme=theme))
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    every_impact = ("minor", "moderate", "serious", "critical")  # heading order and landmarks too
    found = {"closed": axe_violations(page, every_impact)}
    page.locator("button.authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(key)
    found["the Authorize dialog"] = axe_violations(page, every_impact)
    dialog.locator(".auth-btn-wrapper button", has_text="Authorize").click()
    dialog.locator(".auth-btn-wrapper button", has_text="Close").click()
    page.get_by_text("/api/daily").first.click()  # parameters, example answers, response headers
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.click()
    page.locator(".live-responses-table tbody .response-col_status").first.wait_for(timeout=15000)
    found["/api/daily tried"] = axe_violations(page, every_impact)
    assert {state: v for state, v in found.items() if v} == {}


def shows(page, look: dict) -> None:
    """The page's background and an endpoint group's name are in these colours (expect() waits out
    Swagger UI's colour transitions)."""
    expect(page.locator("body")).to_have_css("background-color", look["background"])
    expect(page.locator(".opblock-tag").first).to_have_css("color", look["heading"])


LIGHT = {"background": "rgb(255, 255, 255)", "heading": "rgb(59, 65, 81)"}
DARK = {"background": "rgb(28, 32, 34)", "heading": "rgb(228, 230, 230)"}


def test_the_docs_page_follows_the_systems_dark_preference(browse):
    shows(rendered(browse(color_scheme="dark")), DARK)
    shows(rendered(browse(color_scheme="light")), LIGHT)


def test_the_docs_page_follows_the_sites_dark_mode_toggle(browse):
    recorded = browse(color_scheme="light")
    recorded.goto("/").locator("#theme-toggle").click()  # chosen on another page: remembered
    page = rendered(recorded)
    shows(page, DARK)
    toggle = page.locator("#theme-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    toggle.click()  # the docs page has the same switch
    shows(page, LIGHT)
    assert page.evaluate("localStorage.getItem('deloton-theme')") == "light"
