"""The clinic pages over HTTP (no browser): labels, examples, results, errors next to fields, reports."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from lss_pathway.api.settings import ServiceSettings
from lss_pathway.domain.parsing import parse_record
from lss_pathway.server.app import create_app
from lss_pathway.web.form import FormValues, all_fields, record_to_form

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(ServiceSettings(examples_dir=str(EXAMPLES))))


def _form(name: str) -> FormValues:
    return record_to_form(parse_record((EXAMPLES / f"{name}.yaml").read_text(), "yaml"))


def _post(client: TestClient, path: str, values: FormValues, **extra: str) -> httpx.Response:
    data: dict[str, str | list[str]] = {**values, **extra}
    return client.post(path, data=data)


class Controls(HTMLParser):
    """Collects form controls and how each is labelled (label[for], a wrapping label, or aria-label)."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append({**a, "_wrapped": "yes" if self.in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def _controls(html: str) -> Controls:
    parser = Controls()
    parser.feed(html)
    return parser


def test_every_input_of_the_form_has_a_label(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    found = _controls(page.text)
    unlabelled = [
        c
        for c in found.controls
        if not (c.get("id") in found.label_for or c["_wrapped"] or c.get("aria-label"))
    ]
    assert not unlabelled
    names = {c.get("name") for c in found.controls}
    # Every fact of the record is on the form (the form module's own coverage test checks the model).
    assert {f.name for f in all_fields()} <= names


def test_ids_are_unique(client: TestClient) -> None:
    ids = re.findall(r'\sid="([^"]+)"', client.get("/").text)
    assert len(ids) == len(set(ids))


def test_loading_an_example_fills_the_form(client: TestClient) -> None:
    page = client.get("/", params={"example": "01-bilateral-l45-candidate"})
    assert page.status_code == 200
    assert 'value="72"' in page.text  # age_years in the example file
    assert "Loaded example" in page.text


def test_an_unknown_example_is_a_404_with_a_message(client: TestClient) -> None:
    page = client.get("/", params={"example": "../../etc/passwd"})
    assert page.status_code == 404
    assert "no example named" in page.text


def test_result_page_shows_red_flags_first_and_the_grid(client: TestClient) -> None:
    page = _post(client, "/assess", _form("09-cauda-equina-red-flags"))
    assert page.status_code == 200
    text = page.text
    assert 'role="alert"' in text
    assert text.index('id="h-flags"') < text.index('id="candidacy-grid"')
    assert len(re.findall(r'data-verdict="', text)) == 10


def test_candidate_result_and_rule_set_choice(client: TestClient) -> None:
    page = _post(client, "/assess", _form("01-bilateral-l45-candidate"), ruleset="mild-trial")
    text = page.text
    assert 'id="cell-L4-L5-left" data-verdict="candidate"' in text
    assert "mild-trial@1.1.0" in text
    # The values travel with the page so that print, PDF and edit re-send them.
    assert 'name="patient.age_years" value="72"' in text


def test_a_validation_error_sits_next_to_its_field(client: TestClient) -> None:
    values = _form("01-bilateral-l45-candidate")
    values["imaging.L4-L5.left.lf_thickness_mm"] = "sixty"
    page = _post(client, "/assess", values)
    assert page.status_code == 422
    text = page.text
    field = next(f for f in all_fields() if f.name == "imaging.L4-L5.left.lf_thickness_mm")
    control = re.search(rf'<input[^>]*id="{field.html_id}"[^>]*>', text)
    assert control is not None and 'aria-invalid="true"' in control.group(0)
    error = text.index(f'id="{field.html_id}-error"')
    assert 0 < error - control.start() < 2000, "the message follows its input"
    assert f'href="#{field.html_id}"' in text  # the summary links to it
    assert 'value="sixty"' in text  # what was typed is kept


def test_an_unknown_rule_set_is_reported_not_a_500(client: TestClient) -> None:
    page = _post(client, "/assess", {}, ruleset="no-such-rules")
    assert page.status_code == 422
    assert "rule set" in page.text


def test_pages_are_not_cached_and_fetch_nothing_external(client: TestClient) -> None:
    page = client.get("/")
    assert page.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert not re.search(r"""(?:src|href)=["']https?://""", page.text)
    for asset in ("/static/web/app.css", "/static/web/report.css"):
        assert client.get(asset).status_code == 200


def test_report_html_and_pdf(client: TestClient) -> None:
    values = _form("02-unilateral-left-l45-candidate")
    html = _post(client, "/report", values, paper="letter")
    assert html.status_code == 200
    assert "size: letter" in html.text
    pdf = _post(client, "/report.pdf", values)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert "lss-assessment.pdf" in pdf.headers["content-disposition"]


def test_edit_returns_to_the_form_with_the_values(client: TestClient) -> None:
    page = _post(client, "/", _form("01-bilateral-l45-candidate"))
    assert page.status_code == 200
    assert 'value="72"' in page.text


def test_a_whole_level_contradiction_names_the_level_not_an_index(client: TestClient) -> None:
    values = _form("01-bilateral-l45-candidate")
    values["imaging.L4-L5.meyerding_grade"] = "2"
    values["imaging.L4-L5.slip_percent"] = "10"
    page = _post(client, "/assess", values)
    assert page.status_code == 422
    assert "imaging L4-L5: meyerding_grade 2 contradicts slip_percent 10" in page.text
    assert "imaging.levels[" not in page.text


RED_FLAG_ANSWERS = [
    ("red_flags.saddle_anaesthesia", "yes"),
    ("red_flags.new_bladder_bowel_dysfunction", "yes"),
    ("red_flags.sexual_dysfunction", "yes"),
    ("red_flags.progressive_motor_deficit", "yes"),
    ("red_flags.bilateral_leg_deficit", "yes"),
    ("exam.neurologic_deficit", "severe"),
]


@pytest.mark.parametrize("example", ["01-bilateral-l45-candidate", "10-imaging-missing"])
@pytest.mark.parametrize(("name", "answer"), RED_FLAG_ANSWERS)
def test_a_red_flag_is_always_surfaced_first_and_no_cell_is_a_candidate(
    client: TestClient, example: str, name: str, answer: str
) -> None:
    values = _form(example)
    values[name] = answer
    text = _post(client, "/assess", values).text
    flags = text[text.index('id="h-flags"') : text.index('id="h-grid"')]
    assert re.search(r"Red flags: [1-9]\d* present", flags)
    assert 'class="flag flag-present"' in flags
    assert 'role="alert"' in text[: text.index('id="h-grid"')]
    assert 'data-verdict="candidate"' not in text


def test_a_blank_form_is_all_undetermined(client: TestClient) -> None:
    text = _post(client, "/assess", {}).text
    assert text.count('data-verdict="undetermined"') == 10
    assert 'id="todo-list"' in text


def test_a_field_the_form_does_not_know_is_reported_not_dropped(client: TestClient) -> None:
    values = _form("01-bilateral-l45-candidate")
    values["symptoms.neurogenic_claudication_score"] = "4"
    page = _post(client, "/assess", values)
    assert page.status_code == 422
    assert "symptoms.neurogenic_claudication_score" in page.text
    assert "was not used" in page.text
    # Rows beyond those shown are still known names (a longer list is never cut short).
    values = _form("01-bilateral-l45-candidate")
    values["safety.antithrombotics"] = "listed"
    values["safety.antithrombotics.7.agent"] = "aspirin_primary"
    assert _post(client, "/assess", values).status_code == 200


# --- more than four antithrombotic rows -------------------------------------------------------------------

SIX_AGENTS = ("aspirin", "clopidogrel", "warfarin", "apixaban", "rivaroxaban", "cilostazol")


def _six_drugs() -> FormValues:
    values = _form("01-bilateral-l45-candidate")
    values = {k: v for k, v in values.items() if not k.startswith("safety.antithrombotics")}
    values["safety.antithrombotics"] = "listed"
    for i, agent in enumerate(SIX_AGENTS):
        values[f"safety.antithrombotics.{i}.agent"] = agent
    return values


def test_add_a_row_gives_the_antithrombotics_table_one_more_row_keeping_values(
    client: TestClient,
) -> None:
    values = _form("01-bilateral-l45-candidate")
    shown = client.get("/").text
    assert 'name="safety.antithrombotics.3.agent"' in shown
    assert 'name="safety.antithrombotics.4.agent"' not in shown
    response = _post(
        client, "/", values, add_row="safety.antithrombotics", **{"rows:safety.antithrombotics": "4"}
    )
    assert response.status_code == 200
    assert 'name="safety.antithrombotics.4.agent"' in response.text
    assert 'name="safety.antithrombotics.5.agent"' not in response.text
    assert 'name="rows:safety.antithrombotics" value="5"' in response.text
    assert 'name="prior_procedures.3.type"' not in response.text  # only the table asked for grows
    assert f'value="{values["patient.age_years"]}"' in response.text


def test_six_antithrombotics_are_assessed_carried_and_shown_again_on_edit(client: TestClient) -> None:
    values = _six_drugs()
    result = _post(client, "/assess", values)
    assert result.status_code == 200
    for i, agent in enumerate(SIX_AGENTS):  # all six carried to print, PDF and edit
        assert f'name="safety.antithrombotics.{i}.agent" value="{agent}"' in result.text
    report = _post(client, "/report", values)
    assert report.status_code == 200 and "Cilostazol" in report.text and "Rivaroxaban" in report.text
    edit = _post(client, "/", values)
    assert 'name="safety.antithrombotics.5.agent"' in edit.text  # a loaded list longer than 4 is shown whole
    assert re.search(r'<option value="cilostazol" selected', edit.text)


def test_an_error_in_the_sixth_row_is_shown_beside_that_row(client: TestClient) -> None:
    values = _six_drugs()
    values["safety.antithrombotics.5.days_held"] = "-3"
    response = _post(client, "/assess", values)
    assert response.status_code == 422
    assert 'data-field="safety.antithrombotics.5.days_held"' in response.text
    assert 'name="safety.antithrombotics.5.days_held"' in response.text


def test_enter_in_a_field_does_not_add_a_row() -> None:
    """The form's first submit button is the hidden default (read the report / assess), not "Add a row"."""
    html = TestClient(create_app(ServiceSettings())).get("/").text
    form = html[html.index('id="patient-form"') :]
    first = re.search(r"<button[^>]*>", form)
    assert first is not None and 'formaction="/prefill#report-box"' in first[0] and "add_row" not in first[0]
