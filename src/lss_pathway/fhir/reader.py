"""Read validated FHIR resources into record facts: known codes only, contradictions refused."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

from lss_pathway.domain.anatomy import Level, Side
from lss_pathway.domain.assembly import LISTED, NAME_SEP, OTHER_AGENT, FactAssembly, Key, show
from lss_pathway.domain.drugs import agent_class, agent_label, antithrombotic_agents
from lss_pathway.domain.parsing import FieldError
from lss_pathway.domain.vocabulary import Modality, ProcedureType, Sex
from lss_pathway.fhir import codes as c
from lss_pathway.fhir.currency import infection_current_days, infection_fields, stale_since
from lss_pathway.fhir.results import IgnoredInput, MappingResult
from lss_pathway.fhir.validation import Source

_OBSERVATION_OK = {"final", "amended", "corrected"}
_REPORT_OK = {"final", "amended", "corrected", "appended"}
_MEDICATION_CURRENT = {"active", "on-hold"}
_REQUEST_INTENTS = {"order", "original-order", "reflex-order", "filler-order", "instance-order", "plan"}
_NOT_CONFIRMED = {"unconfirmed", "provisional", "differential"}
_NOT_CURRENT = {"inactive", "remission", "resolved"}
_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_RELATIVE = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
_ANTITHROMBOTIC_TOPIC = "antithrombotics"
_PROCEDURE_NOT_DONE = {"not-done", "entered-in-error", "preparation"}
_PRIOR_TOPIC = "prior spine procedures"
_INFECTION_TOPIC = "infection"

T = TypeVar("T")
_PROCEDURE_TYPES = {t.value: t for t in ProcedureType}
_MODALITIES = {m.value: m for m in Modality}


def read_sources(
    sources: list[Source],
    ignored: list[IgnoredInput],
    assessment_date: dt.date | None,
    record_id: Any,
    infection_days: int | None = None,
    today: dt.date | None = None,
) -> MappingResult:
    """``infection_days``: how old an active infection Condition may be and still be read as current
    (default: ``fhir/data/currency.yaml``). ``today``: the caller's date (a screen's as-of date), which no
    date in the record may pass."""
    days = infection_current_days() if infection_days is None else infection_days
    reader = _Reader(sources, ignored, days, today)
    if assessment_date is not None:
        reader.set(("assessment_date",), assessment_date, "the assessment_date argument")
    if isinstance(record_id, str):
        reader.set(("id",), record_id, "Bundle.identifier")
    reader.run()
    data, blame = reader.build()
    reader.report_unsupported_lists()
    record = reader.record(data, blame, today or dt.date.today())
    return MappingResult(record, tuple(reader.ignored))


def _full_date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    match = _FULL_DATE.match(value)
    if match is None:
        return None
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


class _Coding(NamedTuple):
    system: str | None
    code: str | None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _codings(concept: Any) -> list[_Coding]:
    """The (system, code) pairs of a CodeableConcept (or of a list of Codings)."""
    items = concept.get("coding") if isinstance(concept, Mapping) else concept
    if not isinstance(items, list):
        return []
    return [_Coding(_text(x.get("system")), _text(x.get("code"))) for x in items if isinstance(x, Mapping)]


def _lookup(table: Mapping[str, T], coding: _Coding, system: str) -> T | None:
    return table.get(coding.code) if coding.system == system and coding.code is not None else None


def _values(table: Mapping[str, T], concept: Any, system: str) -> dict[T, None]:
    """The table entries a CodeableConcept's codings in ``system`` name, in order."""
    found = (_lookup(table, coding, system) for coding in _codings(concept))
    return dict.fromkeys(v for v in found if v is not None)


def _status(concept: Any, system: str) -> str | None:
    for coding in _codings(concept):
        if coding.system in (system, None):
            code = coding.code
            return code if isinstance(code, str) else None
    return None


def _first_code(concept: Any) -> tuple[str | None, str | None]:
    codings = _codings(concept)
    if codings:
        return codings[0].code, codings[0].system
    return None, None


class _Reader(FactAssembly):
    """One pass over validated resources, feeding the shared fact assembly (``domain.assembly``)."""

    def __init__(
        self, sources: list[Source], ignored: list[IgnoredInput], infection_days: int, today: dt.date | None
    ):
        super().__init__()
        self.infection_days = infection_days
        self.today = today
        self.infections: list[tuple[Source, list[str]]] = []  # decided once the assessment date is known
        self.sources = sources
        self.ignored = ignored
        self.med_agents: dict[str, str] = {}  # prefix of a medication resource -> its agent
        self.refs: dict[str, Source] = {}
        self.subjects: dict[str, str] = {}  # unresolved subject reference -> first label
        self.patient: Source | None = None
        self.list_claims: dict[str, Source] = {}  # list field -> the resource saying whether it is empty

    # -- bookkeeping --

    def ignore(
        self,
        src: Source,
        path: str,
        reason: str,
        code: Any = None,
        system: Any = None,
        bears_on: str | None = None,
    ) -> None:
        self.ignored.append(
            IgnoredInput(
                src.type,
                src.id,
                f"{src.prefix}.{path}" if path else src.prefix,
                reason,
                code if isinstance(code, str) else None,
                system if isinstance(system, str) else None,
                bears_on,
            )
        )

    def ignore_code(self, src: Source, path: str, concept: Any, what: str) -> None:
        code, system = _first_code(concept)
        text = concept.get("text") if isinstance(concept, Mapping) else None
        if code is None and isinstance(text, str):
            reason = f"{what} given as text only ('{text}'); the mapping reads codes, not free text"
        elif code is None:
            reason = f"{what} has no code"
        else:
            reason = f"unknown {what} code '{code}' ({system or 'no system'}); not mapped, never guessed"
        self.ignore(src, path, reason, code, system)

    def resolve(self, reference: Any) -> Source | None:
        if not isinstance(reference, Mapping) or not isinstance(reference.get("reference"), str):
            return None
        ref = reference["reference"]
        if ref in self.refs:
            return self.refs[ref]
        match = _RELATIVE.search(ref)
        return self.refs.get(f"{match[1]}/{match[2]}") if match else None

    def subject_ok(self, src: Source) -> bool:
        """False (and reported) when the resource is about someone other than this input's patient."""
        subject = src.data.get("subject")
        if not isinstance(subject, Mapping) or not isinstance(subject.get("reference"), str):
            return True
        ref = subject["reference"]
        target = self.resolve(subject)
        match = _RELATIVE.search(ref)
        rtype = target.type if target is not None else (match[1] if match else None)
        if rtype not in (None, "Patient"):
            self.ignore(src, "subject", f"the subject is a {rtype}, not the patient")
            return False
        if target is not None:
            return True
        if self.patient is not None and match is not None:
            self.errors.append(
                FieldError(
                    f"{src.label}.subject",
                    f"refers to {ref}, not to the patient of this input ({self.patient.label})",
                )
            )
            return False
        first = next(iter(self.subjects.items()), None)
        if first is not None and first[0] != ref:
            self.errors.append(
                FieldError(
                    f"{src.label}.subject",
                    f"the resources describe more than one patient: {first[1]} refers to {first[0]}, "
                    f"this one to {ref}",
                )
            )
            return False
        self.subjects.setdefault(ref, src.label)
        return True

    # -- the pass over the resources --

    def run(self) -> None:
        patients = [s for s in self.sources if s.type == "Patient"]
        if len(patients) > 1:
            self.errors.append(
                FieldError(
                    patients[1].label,
                    f"more than one Patient resource ({patients[0].label} and {patients[1].label}); "
                    "one input describes one patient",
                )
            )
        self.patient = patients[0] if patients else None
        for src in self.sources:
            if src.id:
                self.refs[f"{src.type}/{src.id}"] = src
            if src.full_url:
                self.refs[src.full_url] = src
        # Medications first, so that Observation.focus can name the agent whatever the order.
        for src in self.sources:
            if src.type in ("MedicationRequest", "MedicationStatement"):
                self.medication(src)
        for src in self.sources:
            if src.type not in ("MedicationRequest", "MedicationStatement", "Medication"):
                _READERS[src.type](self, src)
        # Current infections first, so that a stale one's confirm item can say what else is recorded.
        stale = [(src, fields) for src, fields in self.infections if not self.current_infection(src, fields)]
        for src, fields in stale:
            self.confirm_infection(src, fields)

    def patient_resource(self, src: Source) -> None:
        d = src.data
        if "birthDate" in d:
            birth = _full_date(d["birthDate"])
            if birth is None:
                self.ignore(
                    src, "birthDate", f"partial birth date '{d['birthDate']}'; the record needs a full date"
                )
            else:
                self.set(("patient", "birth_date"), birth, src.label)
        deceased = d.get("deceasedDateTime") or d.get("deceasedBoolean")
        if deceased:
            self.errors.append(
                FieldError(
                    f"{src.label}.deceased[x]",
                    "the patient is recorded as deceased; the tool assesses living patients only",
                )
            )
        gender = d.get("gender")
        if gender in ("male", "female", "other"):
            self.set(("patient", "sex"), Sex(gender), src.label)

    def observation(self, src: Source) -> None:
        d = src.data
        finding = self.finding(src)
        if finding is None:
            return
        if d.get("status") not in _OBSERVATION_OK:
            self.ignore(
                src, "status", f"status '{d.get('status')}': only final, amended or corrected results count"
            )
            return
        if not self.subject_ok(src):
            return
        place = self.place(src, finding)
        if place is None:
            return
        if any(k.startswith("value") for k in d):
            present, value = self.value(src, finding)
            if not present:
                return
        elif "dataAbsentReason" in d:
            self.touch(finding, place)  # explicitly unknown: the level or side exists, the fact does not
            return
        else:
            self.ignore(src, "", "no value and no dataAbsentReason", finding.code, c.FINDINGS)
            return
        if d.get("component"):
            self.ignore(src, "component", "components are not read")
        self.touch(finding, place)
        if finding.kind is c.Kind.MARKER:
            return
        if finding.kind is c.Kind.NONE_LISTED:
            self.set((LISTED, finding.field), value, src.label)
            self.list_claims.setdefault(finding.field, src)
            return
        self.set(self.key(finding, place), value, src.label)

    def finding(self, src: Source) -> c.Finding | None:
        concept = src.data.get("code")
        found = _values(c.FINDINGS_BY_CODE, concept, c.FINDINGS)
        for coding in _codings(concept):
            loinc = _lookup(c.LOINC_FINDINGS, coding, c.LOINC)
            if loinc is not None:
                found[c.FINDINGS_BY_CODE[loinc]] = None
        if len(found) > 1:
            self.ignore(src, "code", f"more than one project code ({', '.join(f.code for f in found)})")
            return None
        if not found:
            self.ignore_code(src, "code", concept, "Observation")
            return None
        return next(iter(found))

    def place(self, src: Source, finding: c.Finding) -> tuple[Any, ...] | None:
        """The level, side and agent the Observation is about, checked against the fact's scope."""
        scope = finding.scope
        focus = src.data.get("focus") or []
        agent: str | None = None
        if scope is c.Scope.AGENT:
            targets = [self.resolve(f) for f in focus]
            if len(targets) != 1 or targets[0] is None:
                self.ignore(
                    src,
                    "focus",
                    "needs one focus that refers to a MedicationRequest or MedicationStatement here",
                )
                return None
            agent = self.med_agents.get(targets[0].prefix)
            if agent is None:
                self.ignore(src, "focus", f"the focus {targets[0].label} does not name an identified agent")
                return None
        elif focus:
            self.ignore(src, "focus", "has a focus: the observation is not about the patient")
            return None
        site = src.data.get("bodySite")
        levels: list[Level] = []
        sides: list[Side] = []
        for i, coding in enumerate(_codings(site)):
            level_found = _lookup(c.SPINAL_LEVELS, coding, c.SPINAL_LEVEL)
            side_found = _lookup(c.LATERALITY, coding, c.SNOMED)
            if level_found is not None:
                levels.append(level_found)
            elif side_found is not None:
                sides.append(side_found)
            else:
                system, code = coding
                self.ignore(
                    src,
                    f"bodySite.coding[{i}]",
                    "bodySite coding not recognised (spinal level or laterality)",
                    code,
                    system,
                )
                return None
        if site is not None and not _codings(site):
            self.ignore(src, "bodySite", "bodySite without a coding")
            return None
        if len(set(levels)) > 1 or len(set(sides)) > 1:
            self.ignore(src, "bodySite", "more than one spinal level or side")
            return None
        level = levels[0] if levels else None
        side = sides[0] if sides else None
        wants_level = scope in (c.Scope.LEVEL, c.Scope.LEVEL_SIDE, c.Scope.EPIDUROGRAM)
        wants_side = scope in (c.Scope.SIDE, c.Scope.LEVEL_SIDE, c.Scope.EPIDUROGRAM)
        if (level is not None) != wants_level or (side is not None) != wants_side:
            needed = {
                c.Scope.RECORD: "no bodySite",
                c.Scope.AGENT: "no bodySite",
                c.Scope.SIDE: "a laterality and no spinal level",
                c.Scope.LEVEL: "a spinal level and no laterality",
                c.Scope.LEVEL_SIDE: "a spinal level and a laterality",
                c.Scope.EPIDUROGRAM: "a spinal level and a laterality",
            }[scope]
            self.ignore(
                src, "bodySite", f"'{finding.code}' needs {needed} in bodySite", finding.code, c.FINDINGS
            )
            return None
        return (level, side, agent)

    def touch(self, finding: c.Finding, place: tuple[Any, ...]) -> None:
        level, side, _ = place
        if finding.scope in (c.Scope.LEVEL, c.Scope.LEVEL_SIDE):
            self.touch_level(level, side)
        elif finding.scope is c.Scope.EPIDUROGRAM:
            self.epidurogram.setdefault((level, side), None)

    def key(self, finding: c.Finding, place: tuple[Any, ...]) -> Key:
        level, side, agent = place
        scope = finding.scope
        if scope is c.Scope.SIDE:
            return (*finding.field.split("."), side)
        if scope is c.Scope.LEVEL:
            return ("imaging", "levels", level, finding.field)
        if scope is c.Scope.LEVEL_SIDE:
            return ("imaging", "levels", level, "sides", side, finding.field)
        if scope is c.Scope.EPIDUROGRAM:
            return ("procedure", "epidurogram", level, side, finding.field)
        if scope is c.Scope.AGENT:
            return ("safety", "antithrombotics", agent, finding.field)
        return tuple(finding.field.split("."))

    def value(self, src: Source, f: c.Finding) -> tuple[bool, Any]:
        d = src.data
        kind = f.kind
        expected = {
            c.Kind.BOOLEAN: "valueBoolean",
            c.Kind.MARKER: "valueBoolean",
            c.Kind.NONE_LISTED: "valueBoolean",
            c.Kind.QUANTITY: "valueQuantity",
            c.Kind.INTEGER: "valueInteger",
            c.Kind.CODED: "valueCodeableConcept",
            c.Kind.DATE: "valueDateTime",
            c.Kind.STRING: "valueString",
        }[kind]
        if expected not in d:
            given = next(k for k in d if k.startswith("value"))
            self.ignore(src, given, f"'{f.code}' is read from {expected}, not {given}", f.code, c.FINDINGS)
            return False, None
        raw = d[expected]
        if kind is c.Kind.MARKER and raw is not True:
            self.ignore(src, expected, f"'{f.code}' is only written as true", f.code, c.FINDINGS)
            return False, None
        if kind is c.Kind.QUANTITY:
            return self.quantity(src, f, raw)
        if kind is c.Kind.CODED:
            assert f.values is not None
            vocabulary = c.VALUE_SYSTEMS[f.values]
            found = _values({m.value: m for m in vocabulary}, raw, f.values)
            if found:
                return True, next(iter(found))
            self.ignore_code(src, expected, raw, f"'{f.code}' value")
            return False, None
        if kind is c.Kind.DATE:
            day = _full_date(raw)
            if day is None:
                self.ignore(
                    src, expected, f"partial date '{raw}'; the record needs a full date", f.code, c.FINDINGS
                )
                return False, None
            return True, day
        return True, raw

    def quantity(self, src: Source, f: c.Finding, q: dict[str, Any]) -> tuple[bool, Any]:
        unit = f.unit
        assert unit is not None
        path = "valueQuantity"
        if "comparator" in q:
            self.ignore(
                src, path + ".comparator", f"'{q['comparator']}' is not an exact value", f.code, c.FINDINGS
            )
            return False, None
        if "value" not in q:
            self.ignore(src, path, "quantity without a value", f.code, c.FINDINGS)
            return False, None
        if q.get("system") not in (None, c.UCUM):
            self.ignore(src, path + ".system", f"unit system {q['system']} is not UCUM", f.code, c.FINDINGS)
            return False, None
        code = _text(q.get("code", q.get("unit")))
        if code is None and unit.optional:
            factor: float = 1
        elif code is not None and code in unit.factors:
            factor = unit.factors[code]
        else:
            accepted = ", ".join(unit.factors)
            self.ignore(
                src,
                path,
                f"unit '{code}' is not accepted for '{f.code}' (accepted: {accepted})",
                f.code,
                c.FINDINGS,
            )
            return False, None
        raw = q["value"]
        value = (
            (float(raw) if isinstance(raw, str) else raw) if factor == 1 else round(float(raw) * factor, 9)
        )
        if f.whole:
            if float(value) != int(value):
                self.ignore(src, path, f"'{f.code}' must be a whole number", f.code, c.FINDINGS)
                return False, None
            value = int(value)
        return True, value

    def condition(self, src: Source) -> None:
        d = src.data
        concept = d.get("code")
        fields: list[tuple[str, bool]] = []  # (record field, exact)
        info: c.ConditionCode | None = None
        for coding in _codings(concept):
            system, code = coding.system, coding.code
            finding = c.FINDINGS_BY_CODE.get(code) if system == c.FINDINGS and isinstance(code, str) else None
            if finding is not None and finding.scope is c.Scope.RECORD and finding.kind is c.Kind.BOOLEAN:
                fields.append((finding.field, True))
                continue
            for known in c.CONDITION_CODES:
                if known.matches(system, code):
                    if known.field is None:
                        info = info or known
                    else:
                        fields.append((known.field, False))
                    break
        if not fields:
            if info is not None:
                if (info.system, info.code) in c.PRIOR_SURGERY_CONDITIONS and self.current_condition(src):
                    self.uncertain_procedures.append(src.label)
                self.ignore(
                    src,
                    "code",
                    f"recognised: {info.display} ({info.code}); {info.note}",
                    info.code,
                    info.system,
                    info.bears_on,
                )
            else:
                self.ignore_code(src, "code", concept, "Condition")
            return
        if not self.subject_ok(src):
            return
        verification = _status(d.get("verificationStatus"), c.CONDITION_VERIFICATION)
        clinical = _status(d.get("clinicalStatus"), c.CONDITION_CLINICAL)
        if verification == "entered-in-error":
            self.ignore(src, "verificationStatus", "entered in error")
            return
        if verification in _NOT_CONFIRMED:
            self.ignore(src, "verificationStatus", f"'{verification}': not a confirmed diagnosis")
            return
        if verification == "refuted":
            for field, exact in dict.fromkeys(fields):
                if exact:
                    self.set(tuple(field.split(".")), False, src.label)
                else:
                    code, system = _first_code(concept)
                    self.ignore(
                        src,
                        "verificationStatus",
                        f"refuting one specific diagnosis says nothing about '{field}' as a whole",
                        code,
                        system,
                    )
            return
        if clinical in _NOT_CURRENT:
            self.ignore(src, "clinicalStatus", f"'{clinical}': not a current condition")
            return
        infections = [field for field, _ in dict.fromkeys(fields) if field in infection_fields()]
        if infections:
            self.infections.append((src, infections))
        for field, _ in dict.fromkeys(fields):
            if field not in infections:
                self.set(tuple(field.split(".")), True, src.label)

    def infection_dates(self, src: Source) -> tuple[dt.date, dt.date | None]:
        """The assessment date (else the caller's today) and the Condition's latest date if too old to be
        current."""
        stated = self.facts.get(("assessment_date",))
        on = stated[0] if stated is not None else (self.today or dt.date.today())
        return on, stale_since(src.data, on, self.infection_days)

    def current_infection(self, src: Source, infections: list[str]) -> bool:
        """A present infection Condition recent enough (or undated) sets its facts true."""
        if self.infection_dates(src)[1] is not None:
            return False
        for field in infections:
            self.set(tuple(field.split(".")), True, src.label)
        return True

    def confirm_infection(self, src: Source, infections: list[str]) -> None:
        """An infection Condition too old to be read as current: a "confirm" item, never a silent absence.

        The fact is left unknown unless another source states it (a current infection, or the clinician's
        recorded "no infection", which answers the question): the item says which."""
        on, latest = self.infection_dates(src)
        code, system = _first_code(src.data.get("code"))
        name = _name_of(src.data.get("code")) or code or "the infection"
        outcome = []
        for field in infections:
            other = self.facts.get(tuple(field.split(".")))
            if other is None:
                outcome.append(f"{field} left unknown, never read as absent")
            else:
                outcome.append(f"{field} = {show(other[0])} as {other[1]} records it")
        self.ignore(
            src,
            "clinicalStatus",
            f"confirm: is this infection current? '{name}' is recorded active, latest date {latest}, with "
            f"no date in the {self.infection_days} days before {on} (fhir/data/currency.yaml, unverified); "
            f"{'; '.join(outcome)}: record whether it is current",
            code,
            system,
            _INFECTION_TOPIC,
        )

    def current_condition(self, src: Source) -> bool:
        """Neither refuted, unconfirmed, entered in error nor resolved (what a present Condition needs)."""
        verification = _status(src.data.get("verificationStatus"), c.CONDITION_VERIFICATION)
        clinical = _status(src.data.get("clinicalStatus"), c.CONDITION_CLINICAL)
        return (
            verification not in (*_NOT_CONFIRMED, "refuted", "entered-in-error")
            and clinical not in _NOT_CURRENT
        )

    def medication(self, src: Source) -> None:
        d = src.data
        status = d.get("status")
        if status not in _MEDICATION_CURRENT:
            self.ignore(src, "status", f"status '{status}': not a current medication")
            return
        if src.type == "MedicationRequest" and d.get("intent") not in _REQUEST_INTENTS:
            self.ignore(src, "intent", f"intent '{d.get('intent')}': not an order or plan")
            return
        if not self.subject_ok(src):
            return
        if "medicationCodeableConcept" in d:
            concept, path = d["medicationCodeableConcept"], "medicationCodeableConcept"
        else:
            concept, path = self.medication_reference(src, d.get("medicationReference"))
            if concept is None:
                self.ignore(src, "medicationReference", "the Medication it refers to is not in this input")
                return
        self.identify(src, concept, path)

    def medication_reference(self, src: Source, reference: Any) -> tuple[Any, str]:
        ref = reference.get("reference") if isinstance(reference, Mapping) else None
        if isinstance(ref, str) and ref.startswith("#"):
            for i, contained in enumerate(src.data.get("contained") or []):
                if contained.get("resourceType") == "Medication" and contained.get("id") == ref[1:]:
                    return contained.get("code"), f"contained[{i}].code"
            return None, ""
        target = self.resolve(reference)
        if target is None or target.type != "Medication":
            return None, ""
        return target.data.get("code"), "medicationReference"

    def identify(self, src: Source, concept: Any, path: str) -> None:
        agents_known = antithrombotic_agents()
        named: list[tuple[set[str], str | None, str]] = []  # (possible agents, default, what named them)
        classes: list[tuple[str, c.AtcClass]] = []
        for coding in _codings(concept):
            system, code = coding.system, coding.code
            if not isinstance(code, str):
                continue
            if system == c.ANTITHROMBOTIC_AGENT and code in agents_known:
                named.append(({code}, code, f"project code '{code}'"))
            elif system == c.RXNORM and code in c.RXNORM_CODES:
                entry = c.RXNORM_CODES[code]
                named.append((set(entry.agents), entry.default, f"RxNorm {code} ({entry.display})"))
            elif system == c.ATC:
                if code.upper() in c.ATC_SUBSTANCES:
                    entry = c.ATC_SUBSTANCES[code.upper()]
                    named.append((set(entry.agents), entry.default, f"ATC {code} ({entry.display})"))
                found = c.atc_class(code)
                if found is not None:
                    classes.append(found)
        if not named:
            agent = _agent_from_text(concept.get("text") if isinstance(concept, Mapping) else None)
            if agent is not None:
                named.append(({agent}, agent, f"text '{concept['text']}'"))
        if named:
            possible = set.intersection(*(names for names, _, _ in named))
            if not possible:
                self.errors.append(
                    FieldError(
                        f"{src.label}.{path}",
                        "its codes name different agents: " + ", ".join(w for _, _, w in named),
                    )
                )
                return
            for group_code, group in classes:
                narrowed = {a for a in possible if a not in agents_known or agent_class(a) in group.classes}
                if not narrowed:
                    self.errors.append(
                        FieldError(
                            f"{src.label}.{path}",
                            f"ATC {group_code} ({group.display}) contradicts "
                            + ", ".join(w for _, _, w in named),
                        )
                    )
                    return
                possible = narrowed
            defaults = {d for _, d, _ in named if d in possible}
            if len(possible) > 1 and len(defaults) == 1:
                possible = defaults  # the code names the agent on its own (aspirin, indication unknown)
            known = {a for a in possible if a in agents_known}
            if len(possible) == 1 and len(known) == 1:
                agent = known.pop()
                if agent == OTHER_AGENT:  # named by its text (or a display): one entry per name
                    name = _name_of(concept)
                    agent = f"{OTHER_AGENT}{NAME_SEP}{name}" if name else agent
                self.med_agents[src.prefix] = agent
                self.agents.setdefault(agent, src.label)
                return
            detail = (
                f"does not say which of {', '.join(sorted(possible))} the record needs; add the project "
                "agent code"
                if known
                else f"names {', '.join(sorted(possible))}, which this version's antithrombotic vocabulary "
                "does not hold; the hold must be decided with the prescriber"
            )
            names = [agent_label(a) if a in agents_known else a for a in sorted(possible)]
            self.other_agent(src, path, concept, f"{named[0][2]} {detail}", " or ".join(names))
            return
        if classes:
            group_code, group = classes[0]
            reason = f"ATC {group_code} ({group.display}) without an identifiable agent"
            self.other_agent(src, path, concept, reason, f"ATC {group_code}")
            return
        name = _named_in(concept, c.names_antithrombotic)
        if name is not None:
            code, _ = _first_code(concept)
            reason = (
                f"names an antithrombotic or NSAID ('{name}') but its code{f' {code!r}' if code else ''} "
                "is not in the code table"
            )
            self.other_agent(src, path, concept, reason, name)
            return
        self.ignore_code(src, path, concept, "medication")

    def other_agent(self, src: Source, path: str, concept: Any, reason: str, fallback: str) -> None:
        """An antithrombotic the table cannot identify is still an antithrombotic: it is recorded as
        ``other_antithrombotic`` with its name, so its hold must be agreed with the prescriber (the cell
        stays undetermined until it is), and the list is never read as none."""
        name = (_name_of(concept) or fallback)[:80]
        agent = f"{OTHER_AGENT}{NAME_SEP}{name}"
        self.med_agents[src.prefix] = agent
        self.agents.setdefault(agent, src.label)
        self.ignore(
            src,
            path,
            f"{reason}; recorded as other antithrombotic '{name}', its hold to be agreed with the prescriber",
            *_first_code(concept),
            bears_on=_ANTITHROMBOTIC_TOPIC,
        )

    def procedure(self, src: Source) -> None:
        d = src.data
        concept = d.get("code")
        types = _values(_PROCEDURE_TYPES, concept, c.PROCEDURE_TYPE)
        if not types:
            for coding in _codings(concept):
                if coding.system is not None and coding.code is not None:
                    surgery = c.SURGERY_CODES.get((coding.system, coding.code.strip().upper()))
                    if surgery is not None:
                        types[surgery] = None
        if not types:
            named = _named_in(
                concept, lambda text: "spine operation" if c.names_spinal_surgery(text) else None
            )
            if named is not None and d.get("status") not in _PROCEDURE_NOT_DONE:
                self.uncertain_procedures.append(src.label)
                code, system = _first_code(concept)
                self.ignore(
                    src,
                    "code",
                    "names a spine operation but its code is not in the code table; the list of prior "
                    "spine procedures is left unknown, never read as none",
                    code,
                    system,
                    bears_on=_PRIOR_TOPIC,
                )
                return
            self.ignore_code(src, "code", concept, "Procedure")
            return
        if len(types) > 1:
            self.ignore(src, "code", f"more than one procedure type ({', '.join(t.value for t in types)})")
            return
        if d.get("status") != "completed":
            self.ignore(
                src, "status", f"status '{d.get('status')}': only completed procedures are prior procedures"
            )
            return
        if not self.subject_ok(src):
            return
        levels: dict[Level, None] = {}
        for i, site in enumerate(d.get("bodySite") or []):
            found = _values(c.SPINAL_LEVELS, site, c.SPINAL_LEVEL)
            if found:
                levels.update(found)
            else:
                self.ignore(src, f"bodySite[{i}]", "not a spinal level code", *_first_code(site))
        performed: Any = d.get("performedDateTime")
        if performed is None and isinstance(d.get("performedPeriod"), Mapping):
            performed = d["performedPeriod"].get("start")
        day = _full_date(performed)
        if day is None and any(k.startswith("performed") for k in d):
            self.ignore(
                src, "performed[x]", "the date is partial or not a dateTime/Period; date left unknown"
            )
        entry: dict[str, Any] = {"type": next(iter(types)).value}
        entry["levels"] = [lv.value for lv in levels] if levels else None
        entry["date"] = day
        self.procedures.append((entry, src.label))

    def imaging_study(self, src: Source) -> None:
        d = src.data
        if d.get("status") != "available":
            self.ignore(src, "status", f"status '{d.get('status')}': only available studies count")
            return
        dicom: dict[Modality, None] = {}
        other: list[str] = []
        series = [s.get("modality") for s in d.get("series") or [] if isinstance(s, Mapping)]
        for coding in _codings(d.get("modality") or []) + _codings(series):
            known = _lookup(c.DICOM_MODALITY, coding, c.DICOM)
            if known is not None:
                dicom[known] = None
            elif coding.code is not None:
                other.append(coding.code)
        project: dict[Modality, None] = {}
        for concept in d.get("procedureCode") or []:
            project.update(_values(_MODALITIES, concept, c.IMAGING_MODALITY))
        modality: Modality | None = None
        if len(project) > 1:
            self.errors.append(
                FieldError(f"{src.label}.procedureCode", "names more than one imaging modality")
            )
            return
        if project:
            modality = next(iter(project))
            allowed = {Modality.MRI} if modality is Modality.MRI else {Modality.CT}
            if set(dicom) - allowed:
                self.errors.append(
                    FieldError(
                        f"{src.label}.modality",
                        f"DICOM modality {', '.join(m.value for m in dicom)} contradicts procedureCode "
                        f"{modality.value}",
                    )
                )
                return
        elif len(dicom) > 1:
            self.ignore(src, "modality", "more than one modality (MR and CT); the record holds one study")
            return
        elif dicom:
            modality = next(iter(dicom))
        elif other:
            self.ignore(src, "modality", f"modality {', '.join(other)} is not MR or CT", other[0], c.DICOM)
            return
        if not self.subject_ok(src):
            return
        self.imaging(src, modality, d.get("started"), "started")

    def diagnostic_report(self, src: Source) -> None:
        d = src.data
        concept = d.get("code")
        found = _values(_MODALITIES, concept, c.IMAGING_MODALITY)
        if len(found) != 1:
            if found:
                self.ignore(src, "code", "names more than one imaging modality")
            else:
                self.ignore_code(src, "code", concept, "DiagnosticReport")
            return
        if d.get("status") not in _REPORT_OK:
            self.ignore(src, "status", f"status '{d.get('status')}': only final reports count")
            return
        if not self.subject_ok(src):
            return
        when: Any = d.get("effectiveDateTime")
        path = "effectiveDateTime"
        if when is None and isinstance(d.get("effectivePeriod"), Mapping):
            when, path = d["effectivePeriod"].get("start"), "effectivePeriod.start"
        self.imaging(src, next(iter(found)), when, path)

    def imaging(self, src: Source, modality: Modality | None, when: Any, path: str) -> None:
        if modality is not None:
            self.set(("imaging", "modality"), modality, src.label)
        if when is not None:
            day = _full_date(when)
            if day is None:
                self.ignore(src, path, f"partial date '{when}'; the record needs a full date")
            else:
                self.set(("imaging", "date"), day, src.label)

    def report_unsupported_lists(self) -> None:
        for field, what in self.unsupported_lists:
            self.ignore(
                self.list_claims[field],
                "valueBoolean",
                f"says there is a {what} but no resource names one; left unknown",
            )


def _name_of(concept: Any) -> str | None:
    """The drug name of an ``other_antithrombotic``: the concept's text, else its first display."""
    if not isinstance(concept, Mapping):
        return None
    texts = [concept.get("text")] + [coding.get("display") for coding in concept.get("coding") or []]
    found = next((t.strip() for t in texts if isinstance(t, str) and t.strip()), None)
    return found[:80] if found else None


def _named_in(concept: Any, find: Callable[[str], str | None]) -> str | None:
    """What ``find`` spots in a CodeableConcept's text or coding displays (free text never names an agent)."""
    if not isinstance(concept, Mapping):
        return None
    texts = [concept.get("text")]
    items = concept.get("coding")
    if isinstance(items, list):
        texts += [item.get("display") for item in items if isinstance(item, Mapping)]
    for text in texts:
        if isinstance(text, str):
            found = find(text)
            if found is not None:
                return str(found)
    return None


def _agent_from_text(text: Any) -> str | None:
    """An agent named exactly (its id or label, any case); anything looser is not read."""
    if not isinstance(text, str):
        return None
    agents = antithrombotic_agents()
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    if key in agents:
        return key
    by_label = {agent_label(a).lower(): a for a in agents}
    return by_label.get(text.strip().lower())


_READERS = {
    "Patient": _Reader.patient_resource,
    "Observation": _Reader.observation,
    "Condition": _Reader.condition,
    "MedicationRequest": _Reader.medication,
    "MedicationStatement": _Reader.medication,
    "Procedure": _Reader.procedure,
    "ImagingStudy": _Reader.imaging_study,
    "DiagnosticReport": _Reader.diagnostic_report,
}
