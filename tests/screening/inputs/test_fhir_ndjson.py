"""FHIR Bulk NDJSON into the projection's tables: the Synthea export (untouched patients as the negative
control, injected copies with LSS facts in standard codes), bad lines, gzip, and what cannot be read."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

pq = pytest.importorskip("pyarrow.parquet")

from tests.fhir.synthea import patient_bundle  # noqa: E402
from tests.screening.fhir_bulk import ON, Injected, injected_export, living_adults, synthea_export  # noqa: E402

from lss_pathway.assess import assess  # noqa: E402
from lss_pathway.criteria.candidacy import Verdict  # noqa: E402
from lss_pathway.domain.record import PatientRecord  # noqa: E402
from lss_pathway.domain.schema import record_from_rows, rows_by_patient, tables  # noqa: E402
from lss_pathway.fhir.codes import ICD10CM, RXNORM  # noqa: E402
from lss_pathway.fhir.mapping import record_from_bundle  # noqa: E402
from lss_pathway.screening.inputs.fhir_ndjson import read_fhir_ndjson  # noqa: E402
from lss_pathway.screening.inputs.report import InputError, InputReport  # noqa: E402


def read_back(out: Path) -> dict[str, PatientRecord]:
    """The records in the tables, by their ``id`` (the FHIR Patient.id)."""
    rows = {name: pq.read_table(out / f"{name}.parquet").to_pylist() for name in tables()}
    records = [record_from_rows(patient_rows) for _, patient_rows in rows_by_patient(rows)]
    return {str(r.id): r for r in records}


def verdicts(record: PatientRecord) -> set[Verdict]:
    return {cell.verdict for cell in assess(record, today=ON).candidacy.cells}


# --- the Synthea export with injected copies: one read shared by the tests below -------------------------


class Screened:
    def __init__(self, root: Path):
        self.injected = injected_export(root / "export")
        self.progress: list[int] = []
        self.report = read_fhir_ndjson(root / "export", root / "out", today=ON, progress=self.progress.append)
        self.records = read_back(root / "out")
        self.originals = {p["id"] for p in living_adults(synthea_export())}


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Screened:
    synthea_export()
    return Screened(tmp_path_factory.mktemp("bulk"))


def test_untouched_patients_read_as_the_fhir_mapping_reads_their_bundle(screened: Screened) -> None:
    """Same code meanings as ``fhir/``: each original's record equals the single-patient Bundle path's."""
    assert screened.originals and screened.originals <= set(screened.records)
    for pid in screened.originals:
        expected = record_from_bundle(patient_bundle(pid), assessment_date=None).record
        assert screened.records[pid].model_copy(update={"id": None}) == expected


def test_untouched_patients_are_the_negative_control(screened: Screened) -> None:
    """No spinal stenosis in Synthea: no imaging, no candidate cell. The one active sepsis dates from 1971,
    too old to be read as current (``fhir/currency.py``): it leaves the infection to confirm rather than
    blocking, so every cell of every chart is undetermined."""
    for pid in screened.originals:
        record = screened.records[pid]
        assert not record.imaging.levels and record.imaging.modality is None
        assert record.prior_procedures is None and record.symptoms.leg_symptoms is None
        assert record.safety.systemic_infection is None
        assert verdicts(record) == {Verdict.UNDETERMINED}


def test_deceased_and_minor_patients_are_reported_outside_scope_without_their_ids(screened: Screened) -> None:
    patients = [json.loads(x) for x in next(synthea_export().glob("Patient.*")).read_text().splitlines()]
    deceased = sum(1 for p in patients if "deceasedDateTime" in p)
    reasons = [s.reason for s in screened.report.skipped]
    assert sum("recorded as deceased" in r for r in reasons) == deceased == 3
    assert sum("outside the tool's scope" in r for r in reasons) == 1
    assert all(r.startswith("patient #") and s.source == "Patient.000.ndjson" for s, r in
               zip(screened.report.skipped, reasons, strict=True))  # fmt: skip
    text = repr(screened.report)
    assert not any(p["id"] in text or p["id"][:8] in text for p in patients)
    assert screened.report.patients == len(patients) - 4 + len(screened.injected) == len(screened.records)


def test_counts_and_progress(screened: Screened) -> None:
    report = screened.report
    assert report.read["Encounter"] == report.ignored["Encounter"] == 1215  # a type the mapping does not read
    assert report.read["Patient"] == 13 + len(screened.injected)
    assert 0 < report.ignored["Condition"] < report.read["Condition"]
    assert screened.progress == list(range(1, report.read["Patient"] + 1))


def test_injected_facts_arrive_in_the_tables(screened: Screened) -> None:
    drawn = 0
    for injected in screened.injected:
        record = screened.records[injected.patient_id]
        original = screened.records[injected.copied_from]
        agents = {a.agent for a in record.safety.antithrombotics or []}
        before = {a.agent for a in original.safety.antithrombotics or []}
        if injected.agent is not None:
            assert agents - before == {injected.agent}
        else:
            assert agents == before
        assert record.safety.bleeding_disorder == injected.bleeding_disorder
        assert record.safety.systemic_infection == (
            injected.systemic_infection or original.safety.systemic_infection
        )
        assert record.symptoms.low_back_pain == (injected.low_back_pain or original.symptoms.low_back_pain)
        if injected.prior is not None:
            (prior,) = record.prior_procedures or []
            kind, level, day = injected.prior
            levels = [lv.value for lv in prior.levels or []]
            assert (prior.type.value, levels, prior.date) == (kind, [level], day)
        else:
            assert record.prior_procedures is None
        assert (record.baseline.nprs, record.baseline.odi_percent) == (injected.nprs, injected.odi)
        modality = record.imaging.modality.value if record.imaging.modality else None
        got = (modality, record.imaging.date) if modality else None
        assert got == injected.imaging
        drawn += sum(x is not None for x in (injected.agent, injected.prior, injected.nprs, injected.imaging))
    assert drawn >= 2, "the seed should draw table facts, not only conditions"


def test_an_injected_contraindication_makes_every_cell_not_a_candidate(screened: Screened) -> None:
    blocked = [i for i in screened.injected if i.bleeding_disorder or i.systemic_infection]
    assert blocked, "seed 11 draws a bleeding disorder or a sepsis for some copy"
    for injected in blocked:
        assert verdicts(screened.records[injected.patient_id]) == {Verdict.NOT_CANDIDATE}
    for injected in screened.injected:
        assert Verdict.CANDIDATE not in verdicts(screened.records[injected.patient_id])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_generator_is_seeded(tmp_path: Path, seed: int) -> None:
    first = injected_export(tmp_path / "a", seed=seed)
    again = injected_export(tmp_path / "b", seed=seed)
    assert [vars(i) for i in first] == [vars(i) for i in again]
    assert all(isinstance(i, Injected) and i.resources for i in first)


# --- small hand-made exports: bad lines, gzip, what cannot be read ---------------------------------------

ACTIVE = {
    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
}


def condition(subject: Any, code: str = "D66") -> dict[str, Any]:
    resource = {"resourceType": "Condition", "id": f"c-{code}", "clinicalStatus": ACTIVE,
                "code": {"coding": [{"system": ICD10CM, "code": code}]}}  # fmt: skip
    if subject is not None:
        resource["subject"] = {"reference": subject}
    return resource


PATIENTS = [
    {"resourceType": "Patient", "id": "p-one", "gender": "female", "birthDate": "1950-02-03"},
    {"resourceType": "Patient", "id": "p-two", "gender": "male", "birthDate": "1948-07-01"},
]
WARFARIN = {
    "resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
    "subject": {"reference": "Patient/p-two"},
    "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "855332"}]},
}  # fmt: skip
CONDITION_LINES = [
    json.dumps(condition("Patient/p-one")),  # 1: read
    '{"resourceType": "Condition", "id": ',  # 2: not JSON
    "[1, 2]",  # 3: not an object
    '{"id": "x"}',  # 4: no resourceType
    json.dumps(condition(None)),  # 5: no subject
    json.dumps(condition("Group/g1")),  # 6: not about a patient
    "",  # blank lines are not resources
    json.dumps(condition("Patient/p-nobody")),  # 8: a patient not in the export
    "\xc3( not UTF-8",  # 9: not JSON (written as latin-1, so not UTF-8 either)
]


def write(folder: Path, name: str, lines: list[str], gz: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = "".join(line + "\n" for line in lines).encode("latin-1")  # JSON dumps are ASCII
    if gz:
        (folder / f"{name}.gz").write_bytes(gzip.compress(data))
    else:
        (folder / name).write_bytes(data)


def small_export(folder: Path, gz: bool = False) -> Path:
    write(folder, "Patient.000.ndjson", [json.dumps(PATIENTS[0])], gz)
    write(folder, "Patient.001.ndjson", [json.dumps(PATIENTS[1])], gz)
    write(folder, "Condition.ndjson", CONDITION_LINES, gz)
    write(folder, "MedicationRequest.000.ndjson", [json.dumps(WARFARIN)], gz)
    write(folder, "Encounter.000.ndjson", ['{"resourceType": "Encounter"}', "not even JSON"], gz)
    write(folder, "notes.ndjson", [json.dumps(condition("Patient/p-two", "A41.9"))], gz)
    return folder


def read(folder: Path, out: Path) -> tuple[InputReport, dict[str, PatientRecord]]:
    report = read_fhir_ndjson(folder, out, today=ON)
    return report, read_back(out)


def test_bad_lines_are_reported_with_file_and_line_and_the_rest_is_read(tmp_path: Path) -> None:
    report, records = read(small_export(tmp_path / "in"), tmp_path / "out")
    places = [(s.source, s.line) for s in report.skipped]
    assert places == [("notes.ndjson", None)] + [("Condition.ndjson", n) for n in (2, 3, 4, 5, 6, 9, 8)]
    assert "not read" in report.skipped[0].reason
    reasons = [s.reason for s in report.skipped[1:]]
    assert "not valid JSON" in reasons[0] and "not a JSON object" in reasons[1]
    assert "no resourceType" in reasons[2] and "without a subject" in reasons[3]
    assert "not a Patient reference" in reasons[4] and "not valid JSON" in reasons[5]
    assert "not a Patient of this export" in reasons[6]
    assert report.patients == 2
    assert records["p-one"].safety.bleeding_disorder is True  # line 1 of the same file
    assert [a.agent for a in records["p-two"].safety.antithrombotics or []] == ["warfarin"]
    assert records["p-two"].safety.bleeding_disorder is None
    assert (report.read["Encounter"], report.ignored["Encounter"]) == (2, 2)  # never parsed


def test_gzip_parts_read_like_plain_files(tmp_path: Path) -> None:
    plain_report, plain = read(small_export(tmp_path / "plain"), tmp_path / "plain-out")
    gz_report, gzipped = read(small_export(tmp_path / "gz", gz=True), tmp_path / "gz-out")
    assert not list((tmp_path / "gz").glob("*.ndjson"))
    assert gzipped == plain and len(plain) == 2
    expected = [(s.source + ".gz", s.line, s.reason) for s in plain_report.skipped]
    assert [(s.source, s.line, s.reason) for s in gz_report.skipped] == expected


def test_a_damaged_gzip_file_is_reported_and_the_other_files_still_read(tmp_path: Path) -> None:
    folder = small_export(tmp_path / "in", gz=True)
    whole = (folder / "Condition.ndjson.gz").read_bytes()
    (folder / "Condition.ndjson.gz").write_bytes(whole[: len(whole) // 2])
    report, records = read(folder, tmp_path / "out")
    damaged = [s for s in report.skipped if "cannot be read" in s.reason]
    assert [s.source for s in damaged] == ["Condition.ndjson.gz"]
    assert [a.agent for a in records["p-two"].safety.antithrombotics or []] == ["warfarin"]


def test_a_patient_whose_resources_fail_is_skipped_by_its_number_not_its_id(tmp_path: Path) -> None:
    folder = small_export(tmp_path / "in")
    invalid = condition("Patient/p-two", "A41.9") | {"clinicalStatus": "active"}  # not a CodeableConcept
    contradiction = {"resourceType": "Condition", "id": "r", "subject": {"reference": "Patient/p-one"},
                     "verificationStatus": {"coding": [{"code": "refuted"}]},
                     "code": {"coding": [{"system": "urn:lss-pathway:fhir:CodeSystem:findings",
                                          "code": "bleeding-disorder"}]}}  # fmt: skip
    write(folder, "Condition.001.ndjson", [json.dumps(invalid), json.dumps(contradiction)])
    report, records = read(folder, tmp_path / "out")
    skipped = {s.reason.split(":")[0]: s for s in report.skipped if s.reason.startswith("patient #")}
    assert set(skipped) == {"patient #1 of the export", "patient #2 of the export"}
    assert skipped["patient #2 of the export"].line == 1 and "Condition.001.ndjson:1" in str(skipped)
    assert "contradiction" in skipped["patient #1 of the export"].reason
    assert "p-one" not in repr(report) and "p-two" not in repr(report)
    assert records == {} and report.patients == 0


def test_duplicate_patients_and_medication_references(tmp_path: Path) -> None:
    folder = small_export(tmp_path / "in")
    write(folder, "Patient.002.ndjson", [json.dumps(PATIENTS[0])])
    medication = {"resourceType": "Medication", "id": "med-1", "code": WARFARIN["medicationCodeableConcept"]}
    write(folder, "Medication.000.ndjson", [json.dumps(medication)])
    by_reference = {k: v for k, v in WARFARIN.items() if k != "medicationCodeableConcept"}
    by_reference |= {"id": "m2", "subject": {"reference": "Patient/p-one"},
                     "medicationReference": {"reference": "Medication/med-1"}}  # fmt: skip
    write(folder, "MedicationStatement.000.ndjson", [])
    write(folder, "MedicationRequest.001.ndjson", [json.dumps(by_reference)])
    report, records = read(folder, tmp_path / "out")
    assert [(s.source, s.line) for s in report.skipped if "second Patient" in s.reason] == [
        ("Patient.002.ndjson", 1)
    ]
    assert [a.agent for a in records["p-one"].safety.antithrombotics or []] == ["warfarin"]


def test_what_cannot_be_screened_at_all_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        read_fhir_ndjson(tmp_path / "absent", tmp_path / "out", today=ON)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no Patient file"):
        read_fhir_ndjson(tmp_path / "empty", tmp_path / "out", today=ON)
    write(tmp_path / "conditions", "Condition.000.ndjson", [json.dumps(condition("Patient/p-one"))])
    with pytest.raises(InputError, match="no Patient file"):
        read_fhir_ndjson(tmp_path / "conditions", tmp_path / "out", today=ON)


def test_the_index_is_removed_and_dates_after_the_as_of_date_are_refused(tmp_path: Path) -> None:
    folder = small_export(tmp_path / "in")
    later = {"resourceType": "Procedure", "id": "pr", "status": "completed",
             "subject": {"reference": "Patient/p-one"},
             "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "0275T"}]},
             "performedDateTime": (ON + dt.timedelta(days=1)).isoformat()}  # fmt: skip
    write(folder, "Procedure.000.ndjson", [json.dumps(later)])
    report, records = read(folder, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f"{t}.parquet" for t in tables())
    assert set(records) == {"p-two"}
    (late,) = [s for s in report.skipped if s.reason.startswith("patient #1 of the export")]
    assert "prior_procedures[0].date" in late.reason and "after the assessment date 2026-12-01" in late.reason
