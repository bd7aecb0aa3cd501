"""The report figure: what it plots (read back against the example YAML and the packaged thresholds) and
the SVG it makes (well-formed, text kept as text, deterministic, small, safe to draw from threads)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from lss_pathway.assess import Assessment, assess
from lss_pathway.clinical import reference as reference_module
from lss_pathway.domain.parsing import parse_record
from lss_pathway.report import figure as figure_module
from lss_pathway.report.figure import (
    FigureData,
    figure_caption,
    figure_data,
    lf_thresholds,
    stenosis_figure_svg,
)
from lss_pathway.rulesets.catalog import load_ruleset, ruleset_from_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CANDIDATE = EXAMPLES / "01-bilateral-l45-candidate.yaml"
NO_IMAGING = EXAMPLES / "10-imaging-missing.yaml"
REFERENCE_YAML = Path(reference_module.__file__).parent / "data" / "reference-1.1.0.yaml"
SVG_NS = "{http://www.w3.org/2000/svg}"

NO_LF_RULESET = """
id: no-lf
version: 0.1.0
title: No ligamentum flavum criterion
description: A rule set that never looks at LF thickness
status: draft
sources: {src: {citation: "A citation", url: "https://example.org/x"}}
parameters: {min_age: {value: 65, unit: years, source: src, verification: V}}
criteria:
  - id: old_enough
    kind: inclusion
    scope: patient
    statement: Age {min_age} or older
    source: src
    verification: V
    test: {fact: patient.age, op: ge, value: {param: min_age}}
"""

# A literal cut-off under a ``not`` and a parameter used twice: still one line each, stated as required.
NEGATED_LF_RULESET = """
id: negated-lf
version: 0.1.0
title: LF thresholds written unusually
description: Literal and negated LF comparisons
status: draft
sources:
  thin: {citation: "Thin LF study 2020: LF under 3 mm is too thin", url: "https://example.org/thin"}
  thick: {citation: "Thick LF study 2021", url: "https://example.org/thick"}
parameters: {lf_mm: {value: 5, unit: mm, source: thick, verification: R}}
criteria:
  - id: not_too_thin
    kind: inclusion
    scope: level_side
    statement: LF at least 3 mm
    source: thin
    verification: P
    test: {not: {fact: side.lf_thickness_mm, op: lt, value: 3}}
  - id: thick_enough
    kind: inclusion
    scope: level_side
    statement: LF at least {lf_mm} mm
    source: thick
    verification: V
    test: {all: [{fact: side.lf_thickness_mm, op: ge, value: {param: lf_mm}}]}
  - id: thick_enough_again
    kind: indication
    scope: level_side
    statement: LF at least {lf_mm} mm
    source: thick
    verification: V
    test: {any: [{fact: side.lf_hypertrophy, op: eq, value: true},
                 {fact: side.lf_thickness_mm, op: ge, value: {param: lf_mm}}]}
"""


def _assessment(path: Path, rules: Any = "textbook") -> Assessment:
    return assess(parse_record(path.read_text(encoding="utf-8"), "yaml"), rules)


def _texts(svg: str) -> list[str]:
    """What the SVG draws as text (not its metadata), one entry per <text> element."""
    root = ET.fromstring(svg)
    return ["".join(node.itertext()) for node in root.iter(f"{SVG_NS}text")]


@pytest.fixture(scope="module")
def candidate() -> Assessment:
    return _assessment(CANDIDATE)


@pytest.fixture(scope="module")
def candidate_svg(candidate: Assessment) -> str:
    return stenosis_figure_svg(candidate)


# --- data -------------------------------------------------------------------------------------------------


def test_measurements_come_from_the_record(candidate: Assessment) -> None:
    imaging = yaml.safe_load(CANDIDATE.read_text(encoding="utf-8"))["imaging"]["levels"]
    by_level = {entry["level"]: entry for entry in imaging}
    data = figure_data(candidate)
    assert data.levels == ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
    for i, level in enumerate(data.levels):
        entry = by_level.get(level)
        assert data.canal_area_mm2[i] == (None if entry is None else entry["canal_area_mm2"])
        sides = {} if entry is None else {s["side"]: s["lf_thickness_mm"] for s in entry["sides"]}
        assert data.lf_thickness_mm["left"][i] == sides.get("left")
        assert data.lf_thickness_mm["right"][i] == sides.get("right")
    l45 = data.levels.index("L4-L5")
    assert (
        data.canal_area_mm2[l45],
        data.lf_thickness_mm["left"][l45],
        data.lf_thickness_mm["right"][l45],
    ) == (
        by_level["L4-L5"]["canal_area_mm2"],
        by_level["L4-L5"]["sides"][0]["lf_thickness_mm"],
        by_level["L4-L5"]["sides"][1]["lf_thickness_mm"],
    )
    assert data.canal_area_mm2[0] is None and data.lf_thickness_mm["left"][0] is None
    assert not data.empty


def test_area_thresholds_are_the_references_with_source_and_tag(candidate: Assessment) -> None:
    ref = yaml.safe_load(REFERENCE_YAML.read_text(encoding="utf-8"))
    bands = ref["stenosis"]
    thresholds = {t.value: t for t in figure_data(candidate).area_thresholds}
    relative, absolute = bands["relative_below_mm2"], bands["absolute_below_mm2"]
    assert set(thresholds) == {relative["value"], absolute["value"]}
    for band, meaning in ((relative, "relative"), (absolute, "absolute")):
        t = thresholds[band["value"]]
        assert t.label == f"{meaning} stenosis < {band['value']:g} mm²"
        assert t.verification == band["verification"]
        assert ref["sources"][band["source"]]["citation"].startswith(t.source)


@pytest.mark.parametrize(
    ("ruleset", "param", "op"),
    [
        ("textbook", "lf_hypertrophy_mm", ">"),  # 1.1.0: "thicker than 4 mm", as its statement says
        ("textbook@1.0.0", "lf_hypertrophy_mm", "≥"),
        ("mild-trial", "lf_min_thickness_mm", "≥"),
    ],
)
def test_lf_threshold_is_the_rule_sets_parameter(ruleset: str, param: str, op: str) -> None:
    rules = load_ruleset(ruleset)
    (t,) = figure_data(_assessment(CANDIDATE, ruleset)).lf_thresholds
    assert t.value == rules.param_value(param)
    assert t.verification == rules.parameters[param].verification.value
    assert t.label == f"{rules.ref}: {op} {rules.param_value(param):g} mm"


def test_lf_threshold_follows_the_rule_set() -> None:
    textbook = load_ruleset("textbook").param_value("lf_hypertrophy_mm")
    trial = load_ruleset("mild-trial").param_value("lf_min_thickness_mm")
    assert textbook != trial
    values = {
        rs: figure_data(_assessment(CANDIDATE, rs)).lf_thresholds[0].value
        for rs in ("textbook", "mild-trial")
    }
    assert values == {"textbook": textbook, "mild-trial": trial}


def test_lf_thresholds_are_found_however_the_test_is_written() -> None:
    found = lf_thresholds(ruleset_from_text(NEGATED_LF_RULESET))
    assert [(t.value, t.label, t.source, t.verification) for t in found] == [
        (3.0, "negated-lf@0.1.0: ≥ 3 mm", "Thin LF study 2020", "P"),
        (5.0, "negated-lf@0.1.0: ≥ 5 mm", "Thick LF study 2021", "R"),
    ]


# --- SVG --------------------------------------------------------------------------------------------------


def test_svg_is_well_formed_small_and_keeps_text_as_text(candidate: Assessment, candidate_svg: str) -> None:
    assert len(candidate_svg.encode("utf-8")) < 100_000
    texts = _texts(candidate_svg)
    data = figure_data(candidate)
    for t in (*data.area_thresholds, *data.lf_thresholds):
        assert t.label in texts
    assert "relative stenosis < 100 mm²" in texts and "absolute stenosis < 75 mm²" in texts
    assert "textbook@1.2.0: > 4 mm" in texts
    assert {"68", "6.1", "5.8", "L4-L5"} <= set(texts)
    assert "DejaVu Sans" in candidate_svg  # the last font in the list, installed everywhere we render


def test_unmeasured_levels_are_marked_not_drawn_as_zero(candidate_svg: str) -> None:
    texts = _texts(candidate_svg)
    # L1-L2 and L2-L3 have no imaging, in both panels; "not measured" is drawn on two lines.
    assert texts.count("not") == 4 and texts.count("measured") == 4


def test_a_missing_side_is_marked_and_bars_are_only_the_measured_values() -> None:
    data = yaml.safe_load(CANDIDATE.read_text(encoding="utf-8"))
    del data["imaging"]["levels"][0]["sides"][1]["lf_thickness_mm"]
    del data["imaging"]["levels"][2]["canal_area_mm2"]
    a = assess(parse_record(yaml.safe_dump(data), "yaml"), "textbook")
    fd = figure_data(a)
    assert "n/m" in _texts(stenosis_figure_svg(a))
    with figure_module._style():
        fig = figure_module._draw(fd, a.rules.ref)
    from matplotlib.patches import Rectangle

    canal, lf = fig.axes
    heights = sorted(p.get_height() for p in canal.patches if isinstance(p, Rectangle))
    assert heights == sorted(v for v in fd.canal_area_mm2 if v is not None)
    lf_measured = [v for series in fd.lf_thickness_mm.values() for v in series if v is not None]
    assert sorted(p.get_height() for p in lf.patches if isinstance(p, Rectangle)) == sorted(lf_measured)
    assert len(canal.patches) + len(lf.patches) == len(heights) + len(lf_measured)
    assert "(right not measured)" in figure_caption(fd)


def test_svg_is_byte_identical_across_calls(candidate: Assessment, candidate_svg: str) -> None:
    assert stenosis_figure_svg(candidate, cached=False) == candidate_svg
    assert "<dc:date>" not in candidate_svg


def test_svg_is_identical_when_drawn_from_many_threads(candidate: Assessment, candidate_svg: str) -> None:
    import matplotlib

    before = dict(matplotlib.rcParams)
    trial = _assessment(CANDIDATE, "mild-trial")
    trial_svg = stenosis_figure_svg(trial, cached=False)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(partial(stenosis_figure_svg, cached=False), [candidate, trial] * 4))
    assert results == [candidate_svg, trial_svg] * 4
    assert dict(matplotlib.rcParams) == before  # no settings leak out of a render


def test_no_imaging_renders_a_message() -> None:
    a = _assessment(NO_IMAGING)
    data = figure_data(a)
    assert data.empty
    svg = stenosis_figure_svg(a)
    assert any("no imaging measurements" in t.lower() for t in _texts(svg))
    assert "no imaging measurements" in figure_caption(data).lower()


def test_rule_set_without_lf_criterion_says_so() -> None:
    rules = ruleset_from_text(NO_LF_RULESET)
    a = _assessment(CANDIDATE, rules)
    data = figure_data(a)
    assert data.lf_thresholds == ()
    assert len(data.area_thresholds) == 2
    text = " ".join(_texts(stenosis_figure_svg(a)))
    assert "no-lf@0.1.0 has no ligamentum flavum" in text
    assert "no ligamentum flavum thickness criterion" in figure_caption(data)


def test_caption_names_thresholds_sources_and_tags(candidate: Assessment) -> None:
    data = figure_data(candidate)
    caption = figure_caption(data)
    for t in (*data.area_thresholds, *data.lf_thresholds):
        assert t.label in caption and t.source in caption and f"[{t.verification}]" in caption
    assert "L4-L5 68" in caption and "L4-L5 6.1/5.8" in caption
    first, second = caption.split(". Ligamentum flavum thickness")  # two sentences, one per panel
    assert first.startswith("Dural sac cross-sectional area") and second.endswith(".")


def test_empty_means_nothing_measured() -> None:
    levels = ("L1-L2", "L2-L3")
    blank = FigureData(levels, (None, None), {"left": (None, None), "right": (None, None)}, (), ())
    assert blank.empty
    assert not FigureData(levels, (None, None), {"left": (None, 3.0), "right": (None, None)}, (), ()).empty


def test_importing_the_module_does_not_import_matplotlib() -> None:
    code = "import sys, lss_pathway.report.figure; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_changed_measurement_is_drawn_anew_not_served_from_the_cache(candidate: Assessment) -> None:
    first = stenosis_figure_svg(candidate)
    record = candidate.record
    levels = [
        lv.model_copy(update={"canal_area_mm2": 91.0}) if lv.level.value == "L4-L5" else lv
        for lv in record.imaging.levels
    ]
    changed = record.model_copy(update={"imaging": record.imaging.model_copy(update={"levels": levels})})
    again = stenosis_figure_svg(assess(changed, candidate.rules))
    assert again != first
    assert ">91<" in again and ">91<" not in first
    assert stenosis_figure_svg(candidate) == first
