"""The registry pages in Debian's Chromium: signing in, the three pages and the printable report, each
checked by axe-core, and the plots drawn under the pages' strict Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

pytest.importorskip("sqlalchemy", reason="the registry extra is not installed (pip install -e '.[registry]')")

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from tests.browser import chromium
from tests.live_server import serving

from lss_pathway.registry.bulk import import_lines
from lss_pathway.registry.db import make_engine, upgrade
from lss_pathway.registry.demo import synthetic_lines
from lss_pathway.registry.store import Registry
from lss_pathway.registry.tokens import create_token
from lss_pathway.server.app import create_app

SUBJECT = "DEMO-7-000003"


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server over a SQLite registry with a synthetic cohort, and a read-only token for it."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'registry.sqlite3'}")
    upgrade(engine)
    Registry(engine).install_schedules()
    start = dt.date.today() - dt.timedelta(days=900)
    import_lines(engine, synthetic_lines(60, seed=7, start=start), actor="seed", reason="browser test")
    token = create_token(engine, "browser", "read")
    app = create_app()
    app.state.registry_engine = engine
    with serving(app) as url:
        yield url, token
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, signed_in: tuple[str, str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    url, token = signed_in
    page.goto(url + "/registry")
    page.get_by_label("Registry token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Cohort dashboard")).to_be_visible()
    yield page
    context.close()


def _violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize("path", ["/registry", "/registry/due", f"/registry/subjects/{SUBJECT}"])
def test_registry_pages_have_no_accessibility_violations_and_draw_their_plots(
    page: Page, signed_in: tuple[str, str], path: str
) -> None:
    blocked: list[str] = []
    page.on(
        "console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.goto(signed_in[0] + path)
    page.wait_for_load_state("load")
    for image in page.locator("figure img").all():
        # A plot that failed to decode has no natural width; a blocked style would show in the console.
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert blocked == []
    assert _violations(page) == []


def test_the_subject_page_leads_to_a_printable_report_with_the_follow_up_plots(
    page: Page, signed_in: tuple[str, str]
) -> None:
    page.goto(signed_in[0] + f"/registry/subjects/{SUBJECT}")
    page.get_by_role("link", name="Printable report").click()
    expect(page.get_by_role("heading", name=f"Registry: {SUBJECT}")).to_be_visible()
    plots = page.locator("figure img")
    expect(plots).to_have_count(2)
    for image in plots.all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert _violations(page) == []


def test_signing_in_with_a_wrong_token_shows_the_form_again_without_registry_data(
    browser: Browser, signed_in: tuple[str, str]
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(signed_in[0] + "/registry")
    page.get_by_label("Registry token").fill("lssr_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That token is not valid for the registry.")).to_be_visible()
    assert "DEMO-" not in page.content()
    assert _violations(page) == []
    context.close()
