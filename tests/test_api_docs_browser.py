"""The API's docs page (/api/docs, Swagger UI) in real Chromium: a phone's width, axe, dark mode."""
import pytest

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
