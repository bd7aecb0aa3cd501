"""The rule-set catalogue: listing, loading by name or pinned version, resolving 'extends', immutability."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from lss_pathway.criteria.ruleset import RuleSet
from lss_pathway.rulesets import catalog
from lss_pathway.rulesets.catalog import (
    DEFAULT_RULESET,
    RuleSetError,
    available,
    digest,
    load_ruleset,
    packaged_text,
    parse_ruleset,
    resolve,
    ruleset_from_text,
)

EXPECTED_IDS = {"textbook", "mild-trial", "cms-ncd-150.13"}


def _released() -> dict[str, str]:
    text = Path(catalog.__file__).parent.joinpath("data", "RELEASED.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return {str(k): str(v) for k, v in data.items()}


def _ids(rules: RuleSet) -> list[str]:
    return [c.id for c in rules.criteria]


# --- listing and loading ---------------------------------------------------------------------------------


def test_available_lists_the_three_packaged_sets() -> None:
    entries = available()
    assert {e.id for e in entries} == EXPECTED_IDS
    assert {e.ref for e in entries} >= {"textbook@1.0.0", "mild-trial@1.0.0", "cms-ncd-150.13@1.0.0"}
    for entry in entries:
        assert entry.filename == f"{entry.id}-{entry.version}.yaml"
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry.version)


def test_default_is_textbook() -> None:
    assert DEFAULT_RULESET == "textbook"
    assert load_ruleset().id == "textbook"


def test_load_by_name_gives_the_newest_version() -> None:
    newest = max(
        (e for e in available() if e.id == "textbook"), key=lambda e: tuple(map(int, e.version.split(".")))
    )
    rules = load_ruleset("textbook")
    assert rules.version == newest.version
    assert rules == load_ruleset(f"textbook@{newest.version}")


def test_pinned_ref_loads_that_version() -> None:
    rules = load_ruleset("textbook@1.0.0")
    assert (rules.id, rules.version, rules.ref) == ("textbook", "1.0.0", "textbook@1.0.0")


def test_newest_is_chosen_by_numeric_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for version in ("1.0.0", "1.10.0", "1.9.0"):
        (data / f"demo-{version}.yaml").write_text(f"id: demo\nversion: {version}\n", encoding="utf-8")
    (data / "RELEASED.yaml").write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(catalog, "resources", SimpleNamespace(files=lambda package: tmp_path))
    entries = catalog.available.__wrapped__()
    assert [e.version for e in entries] == ["1.0.0", "1.9.0", "1.10.0"]
    monkeypatch.setattr(catalog, "available", lambda: entries)
    assert catalog._resolve_ref("demo").version == "1.10.0"
    assert catalog._resolve_ref("demo@1.9.0").version == "1.9.0"


def test_file_declaring_another_id_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "demo-1.0.0.yaml").write_text(
        "id: other\nversion: 1.0.0\ntitle: t\ndescription: d\n", encoding="utf-8"
    )
    monkeypatch.setattr(catalog, "resources", SimpleNamespace(files=lambda package: tmp_path))
    entries = catalog.available.__wrapped__()
    monkeypatch.setattr(catalog, "available", lambda: entries)
    with pytest.raises(RuleSetError, match="does not match its file name"):
        catalog.load_ruleset.__wrapped__("demo")


@pytest.mark.parametrize("ref", ["nope", "textbook@9.9.9", "mild", "textbook@"])
def test_unknown_ref_names_the_available_ones(ref: str) -> None:
    if ref == "textbook@":
        # An empty version means "newest", like no version at all.
        assert load_ruleset(ref).id == "textbook"
        return
    with pytest.raises(RuleSetError) as info:
        load_ruleset(ref)
    message = str(info.value)
    assert f"unknown rule set '{ref}'" in message
    for entry in available():
        assert entry.ref in message


def test_rule_set_error_is_a_value_error() -> None:
    assert issubclass(RuleSetError, ValueError)


# --- extends ---------------------------------------------------------------------------------------------


def test_mild_trial_inherits_textbook_minus_lf_hypertrophy() -> None:
    textbook = load_ruleset("textbook@1.0.0")
    trial = load_ruleset("mild-trial@1.0.0")
    raw = ruleset_from_text(packaged_text(catalog._resolve_ref("mild-trial@1.0.0")))
    assert raw.remove == ["lf_hypertrophy_on_side"]
    inherited = [i for i in _ids(textbook) if i != "lf_hypertrophy_on_side"]
    assert _ids(trial) == inherited + _ids(raw)
    assert "lf_hypertrophy_on_side" not in _ids(trial)
    for criterion in textbook.criteria:
        if criterion.id != "lf_hypertrophy_on_side":
            assert next(c for c in trial.criteria if c.id == criterion.id) == criterion
    assert set(textbook.sources) <= set(trial.sources)
    assert set(textbook.parameters) <= set(trial.parameters)
    assert trial.antithrombotic_holds == textbook.antithrombotic_holds
    assert trial.extends == "textbook@1.0.0"


def test_cms_extends_mild_trial_with_coverage() -> None:
    trial = load_ruleset("mild-trial@1.0.0")
    cms = load_ruleset("cms-ncd-150.13@1.0.0")
    assert _ids(cms) == [*_ids(trial), "medicare_beneficiary", "enrolled_in_ced_study"]
    assert set(trial.parameters) <= set(cms.parameters)


def test_child_replaces_a_criterion_with_the_same_id() -> None:
    child = parse_ruleset(
        {
            "id": "child",
            "version": "1.0.0",
            "title": "t",
            "description": "d",
            "extends": "textbook@1.0.0",
            "criteria": [
                {
                    "id": "no_bleeding_disorder",
                    "kind": "contraindication",
                    "scope": "patient",
                    "statement": "replaced",
                    "source": "chapter",
                    "verification": "V",
                    "test": {"fact": "safety.bleeding_disorder", "op": "ne", "value": True},
                }
            ],
        }
    )
    resolved = resolve(child)
    assert _ids(resolved) == _ids(load_ruleset("textbook@1.0.0"))
    assert next(c for c in resolved.criteria if c.id == "no_bleeding_disorder").statement == "replaced"


def test_extends_without_version_is_refused() -> None:
    child = parse_ruleset(
        {"id": "child", "version": "1.0.0", "title": "t", "description": "d", "extends": "textbook"}
    )
    with pytest.raises(RuleSetError, match="must pin a version"):
        resolve(child)


# --- immutability ----------------------------------------------------------------------------------------


def test_released_files_match_their_recorded_sha256() -> None:
    released = _released()
    for entry in available():
        key = f"{entry.id}-{entry.version}"
        assert key in released, f"{entry.filename} is packaged but not listed in RELEASED.yaml"
        assert digest(packaged_text(entry)) == released[key], f"{entry.filename} changed after release"


# A released line never changes; a new version adds a line (and a line here). Editing a released file and
# its RELEASED.yaml hash together would otherwise pass the check above unnoticed.
PINNED = {
    "textbook-1.0.0": "6c67f10436a3dad5354e27bed8cc4e1af20c19aacd896dc3d9bffa9af4d5b461",
    "mild-trial-1.0.0": "6f892a964b5cea8ba39deefb7027ab0cf06596b52f890ad7f0697c546843c76b",
    "cms-ncd-150.13-1.0.0": "ab8db4f86ff17606fea0bc3ea2264798dc1b407cd29c4f7c821ebd79207f4f2e",
}


def test_released_hashes_are_pinned() -> None:
    released = _released()
    for key, sha in PINNED.items():
        assert released.get(key) == sha, f"released rule set {key} was changed in place; release a new one"


def test_every_released_entry_is_packaged() -> None:
    packaged = {f"{e.id}-{e.version}" for e in available()}
    assert set(_released()) <= packaged


def test_every_packaged_file_is_a_released_rule_set() -> None:
    for entry in available():
        raw = ruleset_from_text(packaged_text(entry), entry.filename)
        assert (raw.id, raw.version, raw.status) == (entry.id, entry.version, "released")


# --- round trip and rendering ----------------------------------------------------------------------------


def _refs() -> list[str]:
    return [e.ref for e in available()]


@pytest.mark.parametrize("ref", _refs())
def test_resolved_rule_set_round_trips_through_yaml(ref: str) -> None:
    rules = load_ruleset(ref)
    text = yaml.safe_dump(rules.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    again = ruleset_from_text(text)
    assert again == rules
    assert again.model_dump(mode="json") == rules.model_dump(mode="json")


@pytest.mark.parametrize("ref", _refs())
def test_raw_rule_set_round_trips_through_yaml(ref: str) -> None:
    raw = ruleset_from_text(packaged_text(catalog._resolve_ref(ref)))
    text = yaml.safe_dump(raw.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    assert ruleset_from_text(text) == raw


@pytest.mark.parametrize("ref", _refs())
def test_every_statement_placeholder_is_filled(ref: str) -> None:
    rules = load_ruleset(ref)
    for criterion in rules.criteria:
        filled = rules.statement(criterion)
        assert not re.search(r"\{[a-z0-9_]+\}", filled), f"{criterion.id}: {filled}"
        for name in re.findall(r"\{([a-z0-9_]+)\}", criterion.statement):
            assert name in rules.parameters, f"{criterion.id}: undefined placeholder {name}"


def test_statement_formats_numbers_readably() -> None:
    trial = load_ruleset("mild-trial@1.0.0")
    by_id = {c.id: c for c in trial.criteria}
    assert trial.statement(by_id["age_at_least_minimum"]) == "Age 65 or older"
    assert trial.statement(by_id["claudication_duration"]) == "Neurogenic claudication for at least 3 months"
    assert "at least 2.5 mm thick" in trial.statement(by_id["lf_thickness_on_side"])
    assert "3.05 metres" in trial.statement(by_id["can_walk_minimum"])
    textbook = load_ruleset("textbook@1.0.0")
    vascular = next(c for c in textbook.criteria if c.id == "not_vascular_claudication")
    text = textbook.statement(vascular)
    assert "above 0.9 and up to 1.4" in text and "TBI above 0.7" in text


# --- parse errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed", "malformed YAML"),
        ("- just\n- a list\n", "expected a mapping, got list"),
        ("id: x\nversion: 1.0.0\ntitle: t\ndescription: d\nsurprise: 1\n", "surprise"),
        ("id: x\nversion: one\ntitle: t\ndescription: d\n", "version"),
        (
            "id: x\nversion: 1.0.0\ntitle: t\ndescription: d\ncriteria:\n"
            "  - {id: c, kind: inclusion, scope: patient, statement: s, source: s, verification: V,\n"
            "     test: {fact: patient.age, op: approx, value: 1}}\n",
            "unknown op 'approx'",
        ),
        (
            "id: x\nversion: 1.0.0\ntitle: t\ndescription: d\ncriteria:\n"
            "  - {id: c, kind: maybe, scope: patient, statement: s, source: s, verification: V,\n"
            "     test: {fact: patient.age, op: ge, value: 1}}\n",
            "kind",
        ),
    ],
)
def test_bad_rule_set_text_gives_rule_set_error(text: str, message: str) -> None:
    with pytest.raises(RuleSetError) as info:
        ruleset_from_text(text, "demo.yaml")
    assert str(info.value).startswith("demo.yaml: ")
    assert message in str(info.value)


def test_parse_ruleset_rejects_non_mapping() -> None:
    data: Any = ["x"]
    with pytest.raises(RuleSetError, match="expected a mapping"):
        parse_ruleset(data)
