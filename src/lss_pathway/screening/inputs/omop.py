"""OMOP CDM v5.4 (and v5.3) to the projection's tables, with the FHIR mapping's code meanings.

Each ``*_concept_id`` (and its ``*_source_concept_id``) is looked up in ``concept`` to a vocabulary and a
code; the vocabularies the project's code table uses become its FHIR system URIs, and every person's
relevant rows become minimal FHIR resources read by the FHIR reader itself (``fhir.reader``). So a code
means the same from OMOP as from FHIR, there is one code table (``fhir/data/codes.yaml``), and the FHIR
rules carry over: an antithrombotic the table cannot identify is an ``other_antithrombotic`` (its hold to
be agreed), a spine operation without a known code leaves the prior-procedure list unknown, and nothing
OMOP lacks is read as "none". docs/omop-mapping.md lists, fact by fact, what OMOP can and cannot give.

Memory stays bounded: DuckDB selects the few rows that bear on a fact into a temporary table once, then
persons are read in chunks of ``chunk`` and written to the sink as they are mapped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lss_pathway.domain.parsing import InputError as RecordError
from lss_pathway.fhir import codes as c
from lss_pathway.fhir.reader import read_sources
from lss_pathway.fhir.validation import Source
from lss_pathway.screening.inputs.omop_source import Cdm, open_cdm
from lss_pathway.screening.inputs.report import InputReport
from lss_pathway.screening.sink import RowSink

# OMOP vocabulary_id -> the system URI the code table uses (any other vocabulary is read by name only).
VOCABULARIES: dict[str, str] = {
    "ICD10CM": c.ICD10CM,
    "SNOMED": c.SNOMED,
    "RxNorm": c.RXNORM,
    "LOINC": c.LOINC,
    "CPT4": c.CPT,
    "ATC": c.ATC,
    "UCUM": c.UCUM,
}
# OMOP's standard Gender concepts (fixed concept ids of the Gender vocabulary).
GENDERS = {8507: "male", 8532: "female"}
_MAX_ERRORS = 5


@dataclass(frozen=True)
class _Route:
    """How one fact table's rows reach the FHIR reader."""

    table: str
    prefix: str  # column prefix: condition -> condition_concept_id, condition_source_value
    start: str
    resource: str
    end: str | None = None  # rows current on the as-of date only (start <= as-of <= end, or no end)
    latest: bool = False  # one value per person and concept: the latest on or before the as-of date


ROUTES = (
    _Route("condition_occurrence", "condition", "condition_start_date", "Condition", "condition_end_date"),
    _Route(
        "drug_exposure", "drug", "drug_exposure_start_date", "MedicationStatement", "drug_exposure_end_date"
    ),
    _Route("procedure_occurrence", "procedure", "procedure_date", "Procedure"),
    _Route("measurement", "measurement", "measurement_date", "Observation", latest=True),
    _Route("observation", "observation", "observation_date", "Observation", latest=True),
)
ROUTE_OF = {route.table: route for route in ROUTES}


@dataclass(frozen=True)
class Concept:
    concept_id: int
    vocabulary: str
    code: str
    name: str

    @property
    def system(self) -> str | None:
        return VOCABULARIES.get(self.vocabulary)

    def coding(self) -> dict[str, str]:
        found = {"code": self.code, "display": self.name}
        if self.system is not None:
            found["system"] = self.system
        return found

    def label(self) -> str:
        return f"{self.vocabulary} {self.code}"


def relevant(resource: str, concept: Concept) -> bool:
    """Whether the code table (or, for drugs and operations, a name) gives the concept a meaning."""
    system, code, name = concept.system, concept.code, concept.name
    if resource == "Condition":
        return any(known.matches(system, code) for known in c.CONDITION_CODES)
    if resource == "MedicationStatement":
        return relevant_drug(concept) or c.names_antithrombotic(name) is not None
    if resource == "Procedure":
        return (system, code.upper()) in c.SURGERY_CODES or c.names_spinal_surgery(name)
    return system == c.LOINC and code in c.LOINC_FINDINGS


def finding_of(concept: Concept) -> str | None:
    """The project finding a LOINC concept records (NPRS, ODI), if any."""
    return c.LOINC_FINDINGS.get(concept.code) if concept.system == c.LOINC else None


def relevant_drug(concept: Concept) -> bool:
    if concept.system == c.RXNORM:
        return concept.code in c.RXNORM_CODES
    if concept.system == c.ATC:
        return concept.code.upper() in c.ATC_SUBSTANCES or c.atc_class(concept.code) is not None
    return False


def relevant_text(resource: str, text: str) -> bool:
    """A source value without any concept is read as a name only (its vocabulary is unknown)."""
    if resource == "MedicationStatement":
        return c.names_antithrombotic(text) is not None
    if resource == "Procedure":
        return c.names_spinal_surgery(text)
    return False


def read_omop(
    source: Path,
    out: Path,
    *,
    today: dt.date,
    progress: Callable[[int], None] | None = None,
    chunk: int = 5_000,
) -> InputReport:
    """Read the CDM at ``source`` into the projection's Parquet tables in ``out``, as on ``today``.

    ``today`` is the as-of date: every record's assessment date, the day a drug or condition must be
    current on and after which nothing is read. ``progress`` is called with the number of persons
    handled so far (written or skipped), once per chunk.
    """
    report = InputReport()
    cdm = open_cdm(source, report)
    try:
        _count(cdm, report)
        concepts = _Concepts(cdm)
        _stage(cdm, concepts, today, report)
        with RowSink(out) as sink:
            _persons(cdm, concepts, sink, report, today, progress, chunk)
    finally:
        cdm.close()
    return report


def _count(cdm: Cdm, report: InputReport) -> None:
    for table in ("person", "death", *(r.table for r in ROUTES)):
        if cdm.has(table):
            report.read[table] = int(
                cdm.con.execute(f"SELECT count(*) FROM {cdm.sql[table]}").fetchall()[0][0]
            )


def _bigint(column: str) -> str:
    return f"TRY_CAST({column} AS BIGINT)"


def _date(column: str) -> str:
    return f"TRY_CAST({column} AS DATE)"


class _Concepts:
    """The concepts the CDM's fact rows use that bear on a fact, resolved once (not the whole vocabulary)."""

    def __init__(self, cdm: Cdm):
        con, concept = cdm.con, cdm.sql["concept"]
        used = []
        for route in ROUTES:
            if cdm.has(route.table):
                for column in (f"{route.prefix}_concept_id", f"{route.prefix}_source_concept_id"):
                    used.append(
                        f"SELECT {_bigint(column)} AS id, '{route.resource}' AS resource "
                        f"FROM {cdm.sql[route.table]}"
                    )
                if route.latest:
                    used.append(f"SELECT {_bigint('unit_concept_id')}, 'unit' FROM {cdm.sql[route.table]}")
        self.by_id: dict[int, Concept] = {}
        self.relevant: dict[str, set[int]] = defaultdict(set)
        self.ancestors: dict[int, list[Concept]] = defaultdict(list)
        if not used:
            return
        con.execute(
            "CREATE TEMP TABLE lss_used AS SELECT DISTINCT id, resource "
            f"FROM ({' UNION ALL '.join(used)}) WHERE id <> 0"
        )
        rows = con.execute(
            f"SELECT u.resource, {_bigint('k.concept_id')}, k.vocabulary_id, k.concept_code, k.concept_name "
            f"FROM lss_used u JOIN {concept} k ON {_bigint('k.concept_id')} = u.id"
        ).fetchall()
        for resource, cid, vocabulary, code, name in rows:
            found = Concept(int(cid), str(vocabulary or ""), str(code or ""), str(name or ""))
            self.by_id[found.concept_id] = found
            if resource == "unit" or relevant(resource, found):
                self.relevant[resource].add(found.concept_id)
        if cdm.has("concept_ancestor"):
            self._drug_ancestors(cdm)

    def _drug_ancestors(self, cdm: Cdm) -> None:
        """RxNorm ingredients and ATC classes above each drug concept: the standard OMOP route from a
        clinical drug to the substance, which names the agent even when the drug's own code is not in
        the table."""
        rows = cdm.con.execute(
            f"SELECT u.id, {_bigint('k.concept_id')}, k.vocabulary_id, k.concept_code, k.concept_name "
            f"FROM lss_used u JOIN {cdm.sql['concept_ancestor']} a "
            f"ON {_bigint('a.descendant_concept_id')} = u.id "
            f"JOIN {cdm.sql['concept']} k ON {_bigint('k.concept_id')} = {_bigint('a.ancestor_concept_id')} "
            f"WHERE u.resource = 'MedicationStatement' AND {_bigint('k.concept_id')} <> u.id "
            "AND (k.vocabulary_id = 'ATC' "
            "OR (k.vocabulary_id = 'RxNorm' AND k.concept_class_id = 'Ingredient')) "
            "ORDER BY 1, 3, 4"
        ).fetchall()
        for drug, cid, vocabulary, code, name in rows:
            found = Concept(int(cid), str(vocabulary), str(code or ""), str(name or ""))
            self.ancestors[int(drug)].append(found)
            if relevant_drug(found):
                self.relevant["MedicationStatement"].add(int(drug))


def _stage(cdm: Cdm, concepts: _Concepts, today: dt.date, report: InputReport) -> None:
    """Persons (with their ordinal) and the rows that bear on a fact, in temporary tables."""
    con, person = cdm.con, cdm.sql["person"]
    birth = (
        f"coalesce({_date('birth_datetime')}, "
        if "birth_datetime" in _columns(cdm, "person")
        else "coalesce("
    )
    born = (
        f"{birth}TRY_CAST(lpad(CAST({_bigint('year_of_birth')} AS VARCHAR), 4, '0') || '-' || "
        f"lpad(CAST({_bigint('month_of_birth')} AS VARCHAR), 2, '0') || '-' || "
        f"lpad(CAST({_bigint('day_of_birth')} AS VARCHAR), 2, '0') AS DATE))"
    )
    death = "NULL::DATE AS died, false AS dead"
    join = ""
    if cdm.has("death"):
        join = (
            f"LEFT JOIN (SELECT {_bigint('person_id')} AS pid, min({_date('death_date')}) AS died, "
            f"bool_or({_date('death_date')} IS NULL OR {_date('death_date')} <= ?) AS dead "
            f"FROM {cdm.sql['death']} GROUP BY 1) d ON d.pid = p.person_id"
        )
        death = "d.died, coalesce(d.dead, false) AS dead"
    con.execute(
        f"CREATE TEMP TABLE lss_person AS SELECT row_number() OVER (ORDER BY p.person_id) AS n, p.*, {death} "
        f"FROM (SELECT {_bigint('person_id')} AS person_id, {born} AS born, "
        f"{_bigint('year_of_birth')} AS year, {_bigint('gender_concept_id')} AS gender "
        f"FROM {person}) p {join}",
        [today] if join else [],
    )
    con.execute(
        "CREATE TEMP TABLE lss_fact (n BIGINT, tbl VARCHAR, cid BIGINT, scid BIGINT, text VARCHAR, "
        "day DATE, value DOUBLE, unit BIGINT)"
    )
    for route in ROUTES:
        if cdm.has(route.table):
            _stage_route(cdm, concepts, route, today, report)


def _columns(cdm: Cdm, table: str) -> set[str]:
    relation = cdm.sql[table]
    return {str(d[0]).lower() for d in cdm.con.execute(f"SELECT * FROM {relation} LIMIT 0").description}


def _stage_route(cdm: Cdm, concepts: _Concepts, route: _Route, today: dt.date, report: InputReport) -> None:
    con, table, p = cdm.con, cdm.sql[route.table], route.prefix
    source = f"CAST({p}_source_value AS VARCHAR)"  # some CDMs store codes as numbers
    ids = sorted(concepts.relevant.get(route.resource, ()))
    texts = []
    if route.resource in ("MedicationStatement", "Procedure"):
        values = con.execute(
            f"SELECT DISTINCT {source} FROM {table} WHERE coalesce({_bigint(f'{p}_concept_id')}, 0) = 0 "
            f"AND coalesce({_bigint(f'{p}_source_concept_id')}, 0) = 0 AND {source} IS NOT NULL"
        ).fetchall()
        texts = [str(v) for (v,) in values if relevant_text(route.resource, str(v))]
    keys = [finding_of(concepts.by_id[i]) or str(i) for i in ids]  # a value's key: its finding
    con.execute(
        "CREATE OR REPLACE TEMP TABLE lss_ids AS "
        "SELECT unnest(?::BIGINT[]) AS id, unnest(?::VARCHAR[]) AS key",
        [ids, keys],
    )
    con.execute("CREATE OR REPLACE TEMP TABLE lss_texts AS SELECT unnest(?::VARCHAR[]) AS text", [texts])
    cid, scid = _bigint(f"{p}_concept_id"), _bigint(f"{p}_source_concept_id")
    start = _date(route.start)
    when = f"{start} <= $today"
    if route.end is not None:
        when += f" AND ({_date(route.end)} IS NULL OR {_date(route.end)} >= $today)"
        if route.resource == "Condition":  # a prior-surgery diagnosis says an operation happened, ever
            lasting = sorted(
                k.concept_id
                for k in map(concepts.by_id.__getitem__, ids)
                if (k.system, k.code) in c.PRIOR_SURGERY_CONDITIONS
            )
            ever = f"{cid} IN ({_ints(lasting)}) OR {scid} IN ({_ints(lasting)})"
            when = f"({when} OR ({start} <= $today AND ({ever})))"
    value = "NULL::DOUBLE AS value, NULL::BIGINT AS unit"
    if route.latest:
        value = f"TRY_CAST(value_as_number AS DOUBLE) AS value, {_bigint('unit_concept_id')} AS unit"
        when += " AND NOT isnan(TRY_CAST(value_as_number AS DOUBLE))"  # NULL and NaN are no value
    text = f"CASE WHEN coalesce({cid}, 0) = 0 AND coalesce({scid}, 0) = 0 THEN {source} END"
    select = (
        f"SELECT s.n, '{route.table}' AS tbl, nullif({cid}, 0) AS cid, nullif({scid}, 0) AS scid, "
        f"{text} AS text, {start} AS day, {value} "
        f"FROM {table} f JOIN lss_person s ON s.person_id = {_bigint('f.person_id')} "
        f"WHERE {when} AND ({cid} IN (SELECT id FROM lss_ids) OR {scid} IN (SELECT id FROM lss_ids) "
        f"OR ({text}) IN (SELECT text FROM lss_texts))"
    )
    (found,) = con.execute(f"SELECT count(*) FROM ({select})", {"today": today}).fetchall()[0]
    report.ignored[route.table] = report.read[route.table] - int(found)  # rows that bear on no fact
    if route.latest:
        key = "coalesce((SELECT key FROM lss_ids WHERE id = cid), (SELECT key FROM lss_ids WHERE id = scid))"
        select = (
            f"SELECT * EXCLUDE (key) FROM (SELECT *, {key} AS key FROM ({select})) "
            "QUALIFY rank() OVER (PARTITION BY n, key ORDER BY day DESC) = 1"  # ties kept: they may disagree
        )
    elif route.resource == "Procedure":
        select = f"SELECT DISTINCT * FROM ({select})"
    else:  # one current row per person and concept; its dates do not enter the record
        select = f"SELECT DISTINCT n, tbl, cid, scid, text, NULL::DATE, value, unit FROM ({select})"
    con.execute(f"INSERT INTO lss_fact {select}", {"today": today})


def _ints(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "NULL"


def _persons(
    cdm: Cdm,
    concepts: _Concepts,
    sink: RowSink,
    report: InputReport,
    today: dt.date,
    progress: Callable[[int], None] | None,
    chunk: int,
) -> None:
    con = cdm.con
    total = int(con.execute("SELECT count(*) FROM lss_person").fetchall()[0][0])
    for first in range(1, total + 1, chunk):
        bounds = [first, first + chunk]
        people = con.execute(
            "SELECT n, person_id, born, year, gender, died, dead FROM lss_person "
            "WHERE n >= ? AND n < ? ORDER BY n",
            bounds,
        ).fetchall()
        facts: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in con.execute(
            "SELECT n, tbl, cid, scid, text, day, value, unit FROM lss_fact WHERE n >= ? AND n < ? "
            "ORDER BY n, tbl, cid, scid, text, day",
            bounds,
        ).fetchall():
            facts[int(row[0])].append(row[1:])
        for rows in facts.values():
            _latest_values(concepts, rows)
        for n, person_id, born, year, gender, died, dead in people:
            if person_id is None:
                report.skip("person", int(n), "no person_id")
                continue
            # Built here from typed columns, these resources skip the FHIR models' checks of untrusted
            # JSON (half the time per person); the reader itself handles any value they hold.
            sources = [Source("person", _patient(born, year, gender, bool(dead), died), None)]
            for table, cid, scid, text, day, value, unit in facts.get(int(n), []):
                sources += _resources(concepts, ROUTE_OF[table], cid, scid, text, day, value, unit)
            try:
                result = read_sources(sources, [], today, str(person_id), today=today)
            except RecordError as exc:
                reasons = "; ".join(str(e) for e in exc.errors[:_MAX_ERRORS])
                more = len(exc.errors) - _MAX_ERRORS
                report.skip(
                    "person",
                    int(n),
                    f"person #{n} of the source: {reasons}" + (f" (+{more} more)" if more > 0 else ""),
                )
            else:
                sink.add(result.record)
                report.patients += 1
                # A row the FHIR reader did not use (a unit it does not accept ...) is ignored input too.
                for used in {_item(ignored.path) for ignored in result.ignored}:
                    report.ignored[used.partition("[")[0]] += 1
        if progress is not None:
            progress(min(first + chunk - 1, total))


SUBJECT = {"reference": "Patient/p"}


def _latest_values(concepts: _Concepts, rows: list[tuple[Any, ...]]) -> None:
    """Keep, per finding, only the latest reading of measurement and observation together (in place)."""

    def finding(row: tuple[Any, ...]) -> str | None:
        return next((finding_of(concepts.by_id[i]) for i in row[1:3] if i in concepts.by_id), None)

    latest: dict[str | None, Any] = {}
    for row in rows:
        if ROUTE_OF[row[0]].latest:
            key = finding(row)
            latest[key] = max(latest.get(key, row[4]), row[4])
    rows[:] = [r for r in rows if not ROUTE_OF[r[0]].latest or r[4] == latest[finding(r)]]


def _item(path: str) -> str:
    """The staged row an ignored-input path is about: ``drug_exposure[RxNorm 309362]`` or ``person``."""
    return path.partition("]")[0] if "[" in path else path.partition(".")[0]


def _patient(
    born: dt.date | None, year: int | None, gender: int | None, dead: bool, died: dt.date | None
) -> dict[str, Any]:
    """A year of birth alone is a partial date: the FHIR reader reports it and the age stays unknown."""
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p"}
    if born is not None:
        patient["birthDate"] = born.isoformat()
    elif year is not None and 1000 <= year <= 9999:
        patient["birthDate"] = f"{year:04d}"
    if gender in GENDERS:
        patient["gender"] = GENDERS[gender]
    if dead and died is not None:
        patient["deceasedDateTime"] = died.isoformat()
    elif dead:  # a death row without a date
        patient["deceasedBoolean"] = True
    return patient


def _resources(
    concepts: _Concepts,
    route: _Route,
    cid: int | None,
    scid: int | None,
    text: str | None,
    day: dt.date | None,
    value: float | None,
    unit: int | None,
) -> list[Source]:
    """One staged row as the FHIR resource(s) the reader expects, labelled by table and code (no ids)."""
    resource = route.resource
    own = [concepts.by_id[i] for i in dict.fromkeys((cid, scid)) if i is not None and i in concepts.by_id]
    concept: dict[str, Any] = {"coding": [k.coding() for k in own]}
    if text is not None:
        concept["text"] = text
    label = f"{route.table}[{own[0].label() if own else 'source value'}]"
    body: dict[str, Any] = {"resourceType": resource, "subject": SUBJECT}
    if resource == "Condition":
        body |= {
            "code": concept,
            "clinicalStatus": {"coding": [{"system": c.CONDITION_CLINICAL, "code": "active"}]},
        }
    elif resource == "Procedure":
        body |= {"code": concept, "status": "completed"}
        if day is not None:
            body["performedDateTime"] = day.isoformat()
    elif resource == "Observation":
        quantity: dict[str, Any] = {"value": value}
        unit_concept = concepts.by_id.get(unit) if unit else None
        if unit_concept is not None:
            quantity |= {"code": unit_concept.code, "unit": unit_concept.name}
            if unit_concept.system is not None:
                quantity["system"] = unit_concept.system
        body |= {"code": concept, "status": "final", "valueQuantity": quantity}
    else:
        return _medications(concepts, own, concept, label, body)
    return [Source(label, body, None)]


def _medications(
    concepts: _Concepts, own: list[Concept], concept: dict[str, Any], label: str, body: dict[str, Any]
) -> list[Source]:
    """A drug with one ingredient carries its ingredient and ATC classes beside its own codes; a drug
    with several becomes one statement per ingredient (each agent then needs its own hold)."""
    body["status"] = "active"
    above = [a for k in own for a in concepts.ancestors.get(k.concept_id, [])]
    ingredients = list({a.concept_id: a for a in above if a.vocabulary == "RxNorm"}.values())
    if len(ingredients) > 1:
        return [
            Source(
                f"{label}[{i.label()}]",
                body | {"medicationCodeableConcept": {"coding": [i.coding()], "text": i.name}},
                None,
            )
            for i in ingredients
        ]
    concept["coding"] += [a.coding() for a in {a.concept_id: a for a in above}.values()]
    if "text" not in concept and own:
        concept["text"] = own[0].name
    return [Source(label, body | {"medicationCodeableConcept": concept}, None)]
