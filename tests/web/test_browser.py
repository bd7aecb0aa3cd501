"""End to end in a real browser: Debian's Chromium driven by Playwright against the app on loopback.

The browser is the system one (``make test`` installs it); Playwright never downloads its own. The result
page screenshot and a sample PDF are kept under ``build/artifacts/`` for review.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from tests.browser import chromium
from tests.live_server import serving

from lss_pathway.api.settings import ServiceSettings
from lss_pathway.domain.parsing import parse_record
from lss_pathway.server.app import create_app
from lss_pathway.web.form import all_fields, record_to_form

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "build" / "artifacts"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serving(create_app(ServiceSettings(examples_dir=str(EXAMPLES)))) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _fill_from_example(page: Page, name: str) -> None:
    """Type every value of an example into the form, field by field, as a clinician would."""
    record = parse_record((EXAMPLES / f"{name}.yaml").read_text(), "yaml")
    values = record_to_form(record)
    for field in all_fields():
        value = values.get(field.name)
        if not value:
            continue
        if field.kind == "multi":
            for item in value:
                page.locator(f'input[name="{field.name}"][value="{item}"]').check()
        elif field.kind in ("tri", "choice"):
            page.locator(f"#{field.html_id}").select_option(str(value))
        else:
            page.locator(f"#{field.html_id}").fill(str(value))


def _verdict(page: Page, level: str, side: str) -> str | None:
    return page.locator(f"#cell-{level}-{side}").get_attribute("data-verdict")


def test_a_candidate_filled_in_by_hand_gets_the_grid(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    _fill_from_example(page, "01-bilateral-l45-candidate")
    page.get_by_role("button", name="Assess").click()
    expect(page.get_by_role("heading", name=re.compile("mild candidacy by level and side"))).to_be_visible()
    # Example 01: L4-L5 stenosis from LF hypertrophy on both sides; L3-L4 and L5-S1 are not stenotic;
    # L1-L2 and L2-L3 were not imaged.
    assert _verdict(page, "L4-L5", "left") == "candidate"
    assert _verdict(page, "L4-L5", "right") == "candidate"
    for level in ("L3-L4", "L5-S1"):
        for side in ("left", "right"):
            assert _verdict(page, level, side) == "not-candidate"
    assert _verdict(page, "L1-L2", "left") == "undetermined"
    # The reasons are one click away and the intra-procedure confirmation is listed.
    cell = page.locator("#cell-L3-L4-left")
    cell.locator("summary").click()
    expect(cell.locator(".cell-reasons")).to_be_visible()
    expect(cell.locator(".cell-reasons")).to_contain_text("Why not")
    expect(page.locator("#pending-list")).to_contain_text("L4-L5 left")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "result-page.png"), full_page=True)
    assert (ARTIFACTS / "result-page.png").stat().st_size > 10_000


def test_loading_the_example_without_imaging_lists_what_to_document(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Example patient").select_option("10-imaging-missing")
    page.get_by_role("button", name="Load example").click()
    expect(page.get_by_role("status")).to_contain_text("10-imaging-missing")
    page.get_by_role("button", name="Assess").click()
    todo = page.locator("#todo-list")
    expect(todo).to_be_visible()
    expect(todo).to_contain_text("imaging")
    for level in ("L1-L2", "L3-L4", "L4-L5", "L5-S1"):
        for side in ("left", "right"):
            assert _verdict(page, level, side) == "undetermined"


def test_a_validation_error_shows_next_to_its_field(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    age = page.get_by_label(re.compile(r"^Age"))
    age.fill("15")
    page.get_by_role("button", name="Assess").click()
    age = page.get_by_label(re.compile(r"^Age"))
    expect(age).to_have_attribute("aria-invalid", "true")
    error_id = (age.get_attribute("aria-describedby") or "").split()[0]
    error = page.locator(f"#{error_id}")
    expect(error).to_contain_text("18")
    # Next to its field: the message shares the field's container and sits just below the input.
    container = age.locator("xpath=ancestor::div[contains(@class, 'field')][1]")
    expect(container.locator(".field-error")).to_have_count(1)
    input_box, error_box = age.bounding_box(), error.bounding_box()
    assert input_box is not None and error_box is not None
    assert 0 <= error_box["y"] - (input_box["y"] + input_box["height"]) < 80
    # The summary at the top links to the field.
    link = page.locator("#error-summary a").first
    expect(link).to_have_attribute("href", "#" + (age.get_attribute("id") or "?"))


def test_keyboard_reaches_the_skip_link_and_the_form(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused, "after the skip link, Tab should land inside the main content"
    positive = page.evaluate(
        "[...document.querySelectorAll('[tabindex]')].filter(e => e.tabIndex > 0).length"
    )
    assert positive == 0, "a positive tabindex breaks the natural keyboard order"


@pytest.mark.parametrize("path", ["/", "result"])
def test_readable_at_200_percent_zoom_without_sideways_scrolling(
    browser: Browser, base_url: str, path: str
) -> None:
    # 200 % zoom of a 1280 px window leaves 640 CSS pixels; the page must reflow, not scroll sideways.
    context = browser.new_context(viewport={"width": 640, "height": 900}, device_scale_factor=2)
    page = context.new_page()
    page.goto(base_url + "/?example=01-bilateral-l45-candidate")
    if path == "result":
        page.get_by_role("button", name="Assess").click()
        expect(page.locator("#candidacy-grid")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    context.close()
    assert overflow <= 0


def test_the_pdf_download_has_the_report(page: Page, base_url: str, tmp_path: Path) -> None:
    assert shutil.which("pdftotext"), "poppler-utils is missing: run `make test`, which installs it"
    page.goto(base_url + "/?example=01-bilateral-l45-candidate")
    page.get_by_role("button", name="Assess").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PDF").click()
    target = tmp_path / "report.pdf"
    download_info.value.save_as(target)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(target, ARTIFACTS / "sample-report.pdf")
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "LSS assessment: 01-bilateral-l45-candidate" in text
    assert "textbook" in text and "1.2.0" in text
    assert "the decision rests with the treating clinician" in text


def _open(page: Page, base_url: str, what: str) -> Page:
    """Bring up one of the app's pages the way a user would; returns the page showing it."""
    if what == "errors":
        page.goto(base_url + "/")
        page.get_by_label(re.compile(r"^Age")).fill("15")
        page.get_by_role("button", name="Assess").click()
        return page
    example = {"form": "01-bilateral-l45-candidate", "red-flags": "09-cauda-equina-red-flags"}.get(
        what, "01-bilateral-l45-candidate"
    )
    page.goto(base_url + f"/?example={example}")
    if what == "form":
        return page
    page.get_by_role("button", name="Assess").click()
    if what != "report":
        for summary in page.locator("#candidacy-grid summary").all():
            summary.click()  # the reasons are checked opened, as a reader would see them
        return page
    with page.context.expect_page() as report:
        page.get_by_role("button", name="Printable report").click()
    report.value.wait_for_load_state()
    return report.value


@pytest.mark.parametrize("what", ["form", "result", "red-flags", "errors", "report"])
def test_no_accessibility_violations_found_by_axe(page: Page, base_url: str, what: str) -> None:
    """axe-core (bundled in the Python package, injected locally) over each page, reasons expanded."""
    _no_axe_violations(_open(page, base_url, what))


def test_printing_the_result_page_shows_every_cells_reasons(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    page.goto(base_url + "/?example=01-bilateral-l45-candidate")
    page.get_by_role("button", name="Assess").click()
    expect(page.locator("#candidacy-grid")).to_be_visible()
    page.wait_for_load_state("load")
    printed = tmp_path / "printed.pdf"
    page.pdf(path=str(printed))  # Chromium's own print path, with print media styles
    text = subprocess.run(["pdftotext", str(printed), "-"], capture_output=True, text=True, check=True).stdout
    assert text.count("Criteria:") == 10, "the folded reasons of all ten cells are printed"
    assert "Edit these facts" not in text and "Download PDF" not in text


def test_pasting_the_mri_report_prefills_the_imaging_tables_for_checking(page: Page, base_url: str) -> None:
    """No script: the report goes to the server and the form comes back filled, each value with its
    sentence; axe finds nothing on the pre-filled form; a corrected value is what gets assessed."""
    page.goto(base_url + "/?example=10-imaging-missing")
    report = (EXAMPLES / "reports" / "01-mri-terse-l45-lf.txt").read_text()
    page.get_by_label("Report text").fill(report)
    page.get_by_role("button", name="Read the report into the imaging fields").click()
    expect(page.locator("#prefill-summary")).to_contain_text("filled from the report")
    assert page.url.endswith("/prefill#report-box")
    central = page.locator("#f-imaging-L4-L5-central_stenosis")
    expect(central).to_have_value("severe")
    source = page.locator("#f-imaging-L4-L5-central_stenosis-source")
    expect(source).to_be_visible()
    expect(source).to_contain_text("results in severe central canal stenosis")
    assert central.get_attribute("aria-describedby") == "f-imaging-L4-L5-central_stenosis-source"
    expect(page.locator("#f-imaging-L4-L5-canal_area_mm2")).to_have_value("58")
    expect(page.locator("#prefill-summary")).to_contain_text("Not found in the report (left blank)")
    expect(page.locator("#f-imaging-L4-L5-schizas")).to_have_value("")
    expect(page.locator("#f-patient-age_years")).to_have_value("71")  # the rest of the form is kept

    results = Axe().run(page)
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
        for v in results.response["violations"]
    ]
    assert not found

    # The clinician corrects one value, then assesses: the grid reflects the values on the form.
    page.locator("#f-imaging-L4-L5-right-foraminal_stenosis").select_option("mild")
    page.get_by_role("button", name="Assess").click()
    expect(page.locator("#candidacy-grid")).to_be_visible()
    assert _verdict(page, "L1-L2", "left") == "not-candidate"  # stated unremarkable in the report
    assert _verdict(page, "L4-L5", "left") == "undetermined"


def _no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}"
        for v in results.response["violations"]
    ]
    assert not found


def test_a_patient_file_loaded_from_disk_fills_the_form_and_rows_can_be_added(
    page: Page, base_url: str
) -> None:
    """Load a file through the file input, check the filled form with axe, add a fifth antithrombotic row,
    and assess: the uploaded values and the typed fifth agent are what get assessed."""
    page.goto(base_url + "/")
    page.get_by_label(re.compile(r"^Patient file")).set_input_files(
        str(EXAMPLES / "07-apixaban-can-be-held.yaml")
    )
    page.get_by_role("button", name="Load file").click()
    expect(page.locator("#upload-summary")).to_contain_text("Loaded patient file")
    expect(page.locator('select[name="safety.antithrombotics.0.agent"]')).to_have_value("apixaban")
    _no_axe_violations(page)
    for _ in range(4):  # four clicks: rows 5 to 8
        page.get_by_role("button", name=re.compile(r"^Add a row to Current antithrombotic")).click()
    page.locator('select[name="safety.antithrombotics.7.agent"]').select_option("aspirin")
    expect(page.locator('select[name="safety.antithrombotics.0.agent"]')).to_have_value("apixaban")
    _no_axe_violations(page)
    page.get_by_role("button", name="Assess", exact=True).click()
    expect(page.locator("#candidacy-grid")).to_be_visible()
    carried = page.locator('input[type="hidden"][name="safety.antithrombotics.7.agent"]')
    expect(carried.first).to_have_value("aspirin")  # carried by every form of the result page
