"""One construction per test: each sentence is what a radiologist writes; the expectation is its reading."""

from __future__ import annotations

from typing import Any

import pytest

from lss_pathway.nlp import NoteKind, extract


def facts(text: str) -> dict[str, Any]:
    """Record path (short form 'L4-L5.left.foraminal_stenosis') -> value."""
    out: dict[str, Any] = {}
    for path, ev in extract(text).evidence.items():
        short = (
            path.replace("imaging.levels[", "").replace("].sides[", ".").replace("].", ".").replace("]", "")
        )
        out[short] = ev.value
    return out


def notes(text: str) -> set[NoteKind]:
    return {n.kind for n in extract(text).notes}


@pytest.mark.parametrize(
    "header",
    [
        "L4-5:",
        "L4/5:",
        "L4-L5:",
        "L45:",
        "L4/L5",
        "L4 - L5:",
        "L4\u20135:",  # en dash
        "L4-5 level:",
        "LEVEL L4-L5:",
        "At L4-5,",
    ],
)
def test_every_level_header_spelling(header: str) -> None:
    assert facts(f"FINDINGS:\n{header} Severe central canal stenosis.\n") == {
        "L4-L5.central_stenosis": "severe"
    }


@pytest.mark.parametrize("header", ["L5/S1:", "L5-S1 level:", "L5S1:", "Lumbosacral junction:", "At L5-S1,"])
def test_lumbosacral_spellings(header: str) -> None:
    assert facts(f"{header} Mild central stenosis.") == {"L5-S1.central_stenosis": "mild"}


def test_level_inside_prose_and_carried_to_next_sentence() -> None:
    got = facts("At L3-4 there is moderate spinal stenosis. The neural foramina are patent.")
    assert got == {
        "L3-L4.central_stenosis": "moderate",
        "L3-L4.left.foraminal_stenosis": "none",
        "L3-L4.right.foraminal_stenosis": "none",
    }


def test_blank_line_ends_the_level_context() -> None:
    got = facts("At L3-4 there is moderate spinal stenosis.\n\nThe neural foramina are patent.")
    assert got == {"L3-L4.central_stenosis": "moderate"}


@pytest.mark.parametrize(
    "sentence",
    ["L1-2 through L3-4 are unremarkable.", "L1-L2 to L3-L4: normal.", "L1-2 - L3-4: Unremarkable."],
)
def test_level_range_stated_normal(sentence: str) -> None:
    got = facts(sentence)
    for level in ("L1-L2", "L2-L3", "L3-L4"):
        assert got[f"{level}.central_stenosis"] == "none"
        assert got[f"{level}.left.foraminal_stenosis"] == "none"
        assert got[f"{level}.right.lateral_recess_stenosis"] == "none"
        assert got[f"{level}.left.lf_hypertrophy"] is False
    assert not any(k.startswith(("L4-L5", "L5-S1")) for k in got)


@pytest.mark.parametrize(
    "sentence",
    [
        "L3-L4: No canal stenosis.",
        "L3-L4: Without central canal stenosis.",
        "L3-L4: Negative for central canal stenosis.",
        "L3-L4: Central canal stenosis is not seen.",
        "L3-L4: The central canal is patent.",
        "L3-L4: The spinal canal is preserved.",
        "L3-L4: No significant spinal canal narrowing.",
        "L3-L4: No evidence of central canal stenosis.",
        "L3-L4: Patent canal.",
    ],
)
def test_negation_forms_not_confused_by_the_header_colon(sentence: str) -> None:
    assert facts(sentence)["L3-L4.central_stenosis"] == "none"


@pytest.mark.parametrize(
    "sentence",
    [
        "L4-5: Possible mild central canal stenosis.",
        "L4-5: Borderline central canal stenosis.",
        "L4-5: Cannot exclude mild central canal stenosis.",
        "L4-5: Mild central canal stenosis cannot be excluded.",
        "L4-5: Questionable mild central stenosis.",
        "L4-5: No high-grade central canal stenosis.",
    ],
)
def test_hedged_finding_is_unknown_and_noted(sentence: str) -> None:
    assert "L4-L5.central_stenosis" not in facts(sentence)
    assert NoteKind.UNCERTAIN in notes(sentence)


def test_indication_never_yields_findings() -> None:
    text = "HISTORY: Evaluate for severe stenosis at L4-5.\nFINDINGS:\nL3-4: Mild central stenosis.\n"
    assert facts(text) == {"L3-L4.central_stenosis": "mild"}


def test_indication_without_findings_header_ends_at_the_level_lines() -> None:
    text = "INDICATION: Assess for severe canal stenosis at L4-5.\nL4-5: Mild canal stenosis.\n"
    assert facts(text) == {"L4-L5.central_stenosis": "mild"}


@pytest.mark.parametrize(
    ("sentence", "left", "right"),
    [
        ("Mild left and moderate right foraminal stenosis.", "mild", "moderate"),
        ("Moderate right and mild left neural foraminal narrowing.", "mild", "moderate"),
        ("Foraminal narrowing, moderate on the left and mild on the right.", "moderate", "mild"),
        ("Bilateral foraminal stenosis, severe on the right, mild on the left.", "mild", "severe"),
        ("Severe left foraminal stenosis and moderate right.", "severe", "moderate"),
        ("The right foramen is moderately narrowed, the left mildly.", "mild", "moderate"),
        ("Moderate bilateral neural foraminal stenosis.", "moderate", "moderate"),
        ("Moderate neural foraminal stenosis.", "moderate", "moderate"),
        ("Mild left foraminal narrowing; the right neural foramen is patent.", "mild", "none"),
    ],
)
def test_side_grade_binder(sentence: str, left: str, right: str) -> None:
    got = facts(f"L4-5: {sentence}")
    assert got["L4-L5.left.foraminal_stenosis"] == left
    assert got["L4-L5.right.foraminal_stenosis"] == right


def test_left_greater_than_right_leaves_the_lesser_side_unknown() -> None:
    text = "L4-5: Moderate bilateral foraminal stenosis, left greater than right."
    got = facts(text)
    assert got["L4-L5.left.foraminal_stenosis"] == "moderate"
    assert "L4-L5.right.foraminal_stenosis" not in got
    assert NoteKind.LESSER_SIDE in notes(text)


@pytest.mark.parametrize(
    ("words", "grade"),
    [
        ("minimal", "mild"),
        ("slight", "mild"),
        ("marked", "severe"),
        ("high-grade", "severe"),
        ("critical", "severe"),
        ("mild to moderate", "moderate"),
        ("mild-to-moderate", "moderate"),
        ("moderate to severe", "severe"),
        ("moderate-severe", "severe"),
        ("moderately severe", "severe"),
        ("unchanged severe", "severe"),
    ],
)
def test_grade_synonyms_and_ranges(words: str, grade: str) -> None:
    assert facts(f"L4-5: {words} central canal stenosis.")["L4-L5.central_stenosis"] == grade


def test_range_keeps_its_words_in_the_evidence() -> None:
    extraction = extract("L4-5: Moderate to severe central canal stenosis.")
    evidence = extraction.evidence["imaging.levels[L4-L5].central_stenosis"]
    assert "Moderate to severe" in evidence.text
    assert NoteKind.GRADE_RANGE in {n.kind for n in extraction.notes}


@pytest.mark.parametrize(
    ("sentence", "path", "value"),
    [
        ("Dural sac cross-sectional area 62 mm2.", "canal_area_mm2", 62.0),
        ("The thecal sac has a cross-sectional area of 62 mm².", "canal_area_mm2", 62.0),
        ("Dural sac area 0.62 cm2.", "canal_area_mm2", 62.0),
        ("AP dimension of the thecal sac 8 mm.", "ap_diameter_mm", 8.0),
        ("The canal measures 0.9 cm in AP diameter.", "ap_diameter_mm", 9.0),
        ("Grade 1 anterolisthesis of L4 on L5 measuring 4 mm.", "slip_mm", 4.0),
        ("There is a 4 mm anterolisthesis.", "slip_mm", 4.0),
    ],
)
def test_measurements_and_units(sentence: str, path: str, value: float) -> None:
    assert facts(f"L4-5: {sentence}")[f"L4-L5.{path}"] == pytest.approx(value)


def test_a_disc_protrusion_size_is_not_a_canal_measurement() -> None:
    assert facts("L4-5: 3 mm central disc protrusion.") == {}


def test_two_dimensions_without_saying_which_is_ap_are_not_read() -> None:
    assert facts("L4-5: The thecal sac measures 1.0 x 0.8 cm.") == {}


@pytest.mark.parametrize(
    "sentence",
    [
        "Thickening of the ligamentum flavum.",
        "Redundancy of the ligamentum flavum.",
        "Ligamentum flavum infolding.",
        "Buckling of the ligamentum flavum.",
        "Hypertrophied ligamentum flavum.",
        "LF hypertrophy.",
    ],
)
def test_lf_hypertrophy_synonyms_without_side_apply_to_both_sides(sentence: str) -> None:
    extraction = extract(f"L4-5: {sentence}")
    for side in ("left", "right"):
        evidence = extraction.evidence[f"imaging.levels[L4-L5].sides[{side}].lf_hypertrophy"]
        assert evidence.value is True
        assert evidence.derived and "both sides" in evidence.derived


def test_lf_on_one_side_and_its_thickness() -> None:
    got = facts("L4-5: Ligamentum flavum thickening on the left measuring 4.5 mm.")
    assert got == {"L4-L5.left.lf_hypertrophy": True, "L4-L5.left.lf_thickness_mm": 4.5}


def test_lf_thickness_per_side() -> None:
    got = facts("L4-5: LF thickness: left 5.2 mm, right 4.1 mm.")
    assert got == {"L4-L5.left.lf_thickness_mm": 5.2, "L4-L5.right.lf_thickness_mm": 4.1}


@pytest.mark.parametrize(
    ("sentence", "cause"),
    [
        ("Severe central canal stenosis due to ligamentum flavum hypertrophy.", "lf_hypertrophy"),
        ("Severe central canal stenosis secondary to a disc extrusion.", "disc"),
        ("Disc bulge and ligamentum flavum thickening result in severe central canal stenosis.", "mixed"),
        ("Facet hypertrophy causes severe spinal canal stenosis.", "facet"),
    ],
)
def test_dominant_cause(sentence: str, cause: str) -> None:
    assert facts(f"L4-5: {sentence}")["L4-L5.dominant_cause"] == cause


def test_no_cause_without_a_causal_link() -> None:
    assert "L4-L5.dominant_cause" not in facts("L4-5: Disc bulge. Facet arthropathy. Severe canal stenosis.")


@pytest.mark.parametrize(
    ("sentence", "grade"),
    [
        ("Grade 1 anterolisthesis.", 1),
        ("Grade I spondylolisthesis.", 1),
        ("Grade II anterolisthesis.", 2),
        ("Meyerding grade 2 spondylolisthesis.", 2),
        ("No spondylolisthesis.", 0),
    ],
)
def test_spondylolisthesis_grade(sentence: str, grade: int) -> None:
    assert facts(f"L4-5: {sentence}")["L4-L5.meyerding_grade"] == grade


def test_ungraded_slip_is_not_grade_zero_and_its_direction_is_noted() -> None:
    text = "L4-5: There is slight retrolisthesis."
    assert "L4-L5.meyerding_grade" not in facts(text)
    kinds = notes(text)
    assert NoteKind.SLIP_DIRECTION in kinds and NoteKind.UNGRADED in kinds


def test_a_described_level_without_a_slip_mention_has_no_meyerding_grade() -> None:
    assert "L4-L5.meyerding_grade" not in facts("L4-5: Moderate canal stenosis.")


def test_alignment_normal_is_grade_zero_everywhere_but_a_stated_slip_wins() -> None:
    got = facts("FINDINGS: Alignment is normal.\nL4-5: Grade 1 anterolisthesis.")
    assert got["L4-L5.meyerding_grade"] == 1
    assert all(got[f"{lv}.meyerding_grade"] == 0 for lv in ("L1-L2", "L2-L3", "L3-L4", "L5-S1"))


@pytest.mark.parametrize("lead", ["L4-L5:", "L4-5 level:", "At L4-5,"])
def test_no_slip_on_one_levels_line_is_that_level_only(lead: str) -> None:
    """Issue 10: "No spondylolisthesis." on the L4-L5 line said nothing of L1-L2 ... L5-S1."""
    text = (
        "FINDINGS:\n"
        "L2-3: Mild canal stenosis.\n"
        "L3-4: Moderate central canal stenosis.\n"
        f"{lead} Severe central canal stenosis. No spondylolisthesis.\n"
        "L5-S1: Mild disc bulge.\n"
    )
    got = facts(text)
    assert got["L4-L5.meyerding_grade"] == 0
    assert [lv for lv in ("L1-L2", "L2-L3", "L3-L4", "L5-S1") if f"{lv}.meyerding_grade" in got] == []


def test_no_slip_on_a_line_of_its_own_is_still_the_whole_spine() -> None:
    got = facts("FINDINGS:\nL4-5: Grade 1 anterolisthesis.\n\nNo other spondylolisthesis.\n")
    assert got["L4-L5.meyerding_grade"] == 1
    assert all(got[f"{lv}.meyerding_grade"] == 0 for lv in ("L1-L2", "L2-L3", "L3-L4", "L5-S1"))


def test_findings_preferred_over_impression_and_disagreement_reported() -> None:
    text = "FINDINGS:\nL4-5: Moderate canal stenosis.\nIMPRESSION:\nSevere canal stenosis at L4-5.\n"
    extraction = extract(text)
    assert extraction.imaging.levels[0].central_stenosis == "moderate"
    disagreement = [n for n in extraction.notes if n.kind is NoteKind.SECTION_DISAGREEMENT]
    assert disagreement and "FINDINGS used" in disagreement[0].message
    assert disagreement[0].span is not None and disagreement[0].span.section == "impression"


def test_impression_only_report_is_read() -> None:
    assert facts("IMPRESSION:\n1. Severe central canal stenosis at L4-5.") == {
        "L4-L5.central_stenosis": "severe"
    }


def test_thoracolumbar_and_incidental_findings_are_ignored() -> None:
    text = (
        "T12-L1: Severe central canal stenosis.\nC5-6: Moderate foraminal stenosis.\nIncidental renal cyst."
    )
    assert facts(text) == {}


@pytest.mark.parametrize(
    "sentence",
    [
        "Lumbarized S1.",
        "Sacralized L5.",
        "There are 6 lumbar-type vertebrae.",
        "Transitional lumbosacral vertebra.",
    ],
)
def test_transitional_anatomy_is_noted_not_renumbered(sentence: str) -> None:
    text = f"FINDINGS: {sentence}\nL4-5: Severe canal stenosis."
    assert facts(text) == {"L4-L5.central_stenosis": "severe"}
    assert NoteKind.TRANSITIONAL_ANATOMY in notes(text)


def test_post_laminectomy_level_is_noted_with_its_level() -> None:
    extraction = extract("FINDINGS: Postsurgical changes of L4-5 laminectomy.")
    found = [n for n in extraction.notes if n.kind is NoteKind.POST_LAMINECTOMY]
    assert found and found[0].level == "L4-L5"


def test_coordinated_levels_and_elliptical_grade() -> None:
    got = facts("Mild canal stenosis at L2-3 and L3-4, moderate at L4-5.")
    assert got == {
        "L2-L3.central_stenosis": "mild",
        "L3-L4.central_stenosis": "mild",
        "L4-L5.central_stenosis": "moderate",
    }


def test_remaining_levels_normal_applies_only_to_levels_not_described() -> None:
    got = facts("L4-5: Severe canal stenosis.\nThe remaining levels are unremarkable.")
    assert got["L4-L5.central_stenosis"] == "severe"
    assert got["L1-L2.central_stenosis"] == "none" and got["L5-S1.central_stenosis"] == "none"


def test_evidence_span_points_at_the_words() -> None:
    text = "FINDINGS:\nL4-5: Severe left lateral recess stenosis."
    evidence = extract(text).evidence["imaging.levels[L4-L5].sides[left].lateral_recess_stenosis"]
    assert text[evidence.span.start : evidence.span.end] == evidence.text
    assert "Severe left lateral recess" in evidence.text
    assert evidence.span.section == "findings" and evidence.rule_id == "loc.recess"
    assert evidence.span.sentence.startswith("L4-5")


def test_modality_and_date() -> None:
    extraction = extract("CT MYELOGRAM LUMBAR SPINE\nDATE: 2024-05-06\nFINDINGS:\nL4-5: Mild canal stenosis.")
    assert extraction.imaging.modality == "CT_myelogram"
    assert str(extraction.imaging.date) == "2024-05-06"


def test_thecal_sac_effacement_is_not_graded_stenosis() -> None:
    got = facts(
        "L2-3: Disc bulge with mild effacement of the ventral thecal sac. No significant canal stenosis."
    )
    assert got == {"L2-L3.central_stenosis": "none"}


def test_not_compromising_negates_the_places_after_it() -> None:
    got = facts("L5-S1: Small protrusion, not compromising the canal or lateral recesses.")
    assert got["L5-S1.central_stenosis"] == "none"
    assert got["L5-S1.left.lateral_recess_stenosis"] == "none"


def test_an_alignment_label_does_not_carry_its_level_to_otherwise_normal() -> None:
    got = facts("FINDINGS:\nAlignment: Trace anterolisthesis of L4 on L5. Otherwise normal.\n")
    assert not any(k.startswith("L4-L5") and "stenosis" in k for k in got)


def test_thoracolumbar_range_keeps_its_lumbar_part() -> None:
    got = facts("T12/L1 to L2/3: No canal or foraminal stenosis.")
    assert got["L1-L2.central_stenosis"] == "none" and got["L2-L3.central_stenosis"] == "none"


def test_a_side_fragment_after_a_semicolon_continues_the_place() -> None:
    got = facts("L3-4: Mild right neural foraminal narrowing; left is patent.")
    assert got == {"L3-L4.right.foraminal_stenosis": "mild", "L3-L4.left.foraminal_stenosis": "none"}


def test_places_joined_by_and_share_the_grade() -> None:
    got = facts("L3-4: Severe stenosis of the spinal canal and bilateral lateral recesses.")
    assert got["L3-L4.central_stenosis"] == "severe"
    assert got["L3-L4.left.lateral_recess_stenosis"] == got["L3-L4.right.lateral_recess_stenosis"] == "severe"


def test_an_ungraded_finding_is_not_overwritten_by_otherwise_normal() -> None:
    got = facts("L4-5: Bilateral subarticular narrowing. Otherwise normal.")
    assert "L4-L5.left.lateral_recess_stenosis" not in got
    assert got["L4-L5.central_stenosis"] == "none"


def test_remaining_levels_clause_after_a_comma_keeps_the_level_clause() -> None:
    got = facts(
        "Severe canal stenosis at L4-5 and mild foraminal narrowing, the remaining levels are unremarkable."
    )
    assert got["L4-L5.central_stenosis"] == "severe"
    assert got["L4-L5.left.foraminal_stenosis"] == "mild"
    assert got["L3-L4.central_stenosis"] == "none"


# --- constructions added from the blind DEV corpus (issue 15) --------------------------------------------


def test_a_table_cell_reads_as_its_columns_place_and_side() -> None:
    found = facts(
        "FINDINGS:\nLevel | Canal | Right foramen | Left foramen\nL4-5 | severe | normal | mild\n"
        "Other: facet effusions.\n"
    )
    assert found["L4-L5.central_stenosis"] == "severe"
    assert found["L4-L5.right.foraminal_stenosis"] == "none"
    assert found["L4-L5.left.foraminal_stenosis"] == "mild"
    assert "L4-L5.left.lateral_recess_stenosis" not in found  # no column for it: not 'normal'


def test_a_label_names_the_place_of_its_line() -> None:
    found = facts("Canal stenosis: none at L1-2; mild at L3-4; severe at L4-5.\n")
    assert found["L1-L2.central_stenosis"] == "none"
    assert found["L3-L4.central_stenosis"] == "mild"
    assert found["L4-L5.central_stenosis"] == "severe"


def test_a_resolved_finding_is_none_whatever_grade_it_had() -> None:
    found = facts("L5-S1: Previously noted mild left foraminal narrowing has resolved.")
    assert found["L5-S1.left.foraminal_stenosis"] == "none"


def test_a_grade_in_a_comparison_with_a_prior_is_not_a_second_grade() -> None:
    assert (
        facts("L3-4: Moderate canal stenosis, less severe than on the prior CT.")["L3-L4.central_stenosis"]
        == "moderate"
    )


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("L3-4 and above: No significant stenosis.", ("L1-L2", "L2-L3", "L3-L4")),
        ("L4-5 and below: No significant stenosis.", ("L4-L5", "L5-S1")),
    ],
)
def test_an_open_range_of_levels(text: str, levels: tuple[str, ...]) -> None:
    found = facts(text)
    assert {k.split(".")[0] for k in found if k.endswith("central_stenosis")} == set(levels)


def test_a_level_stated_patent_has_open_canal_and_foramina_only() -> None:
    found = facts("L5-S1 is patent.")
    assert found["L5-S1.central_stenosis"] == "none"
    assert found["L5-S1.left.foraminal_stenosis"] == "none"
    assert "L5-S1.left.lateral_recess_stenosis" not in found


def test_graded_sac_effacement_is_stenosis_but_ventral_contact_is_not() -> None:
    assert facts("L4-5: Severe thecal sac effacement.")["L4-L5.central_stenosis"] == "severe"
    assert "L3-L4.central_stenosis" not in facts("L3-4: Mild effacement of the ventral thecal sac.")
    assert "L3-L4.central_stenosis" not in facts("L3-4: Disc bulge mildly indents the thecal sac.")


@pytest.mark.parametrize(
    "text",
    [
        "L3-4: Mild to moderate central stenosis is suspected.",
        "L2-3: Mild narrowing of the thecal sac without stenosis.",
        "L4-5: There may be mild canal stenosis.",
    ],
)
def test_hedged_or_self_contradicting_canal_stays_unknown(text: str) -> None:
    assert not any(k.endswith("central_stenosis") for k in facts(text))


def test_a_grade_before_a_narrowing_verb_qualifies_the_place_before_it() -> None:
    found = facts("L4/5: The lateral recesses are severely narrowed and the L5 nerve roots are compressed.")
    assert found["L4-L5.left.lateral_recess_stenosis"] == "severe"
    assert found["L4-L5.right.lateral_recess_stenosis"] == "severe"


def test_other_foramina_are_those_not_described() -> None:
    found = facts("Foramina: Moderate bilateral L4-5 foraminal stenosis. Other foramina are patent.")
    assert found["L4-L5.left.foraminal_stenosis"] == "moderate"
    assert found["L2-L3.left.foraminal_stenosis"] == "none"


def test_a_cause_needs_a_link_between_it_and_the_stenosis() -> None:
    linked = facts("L4-5: Disc bulge and facet hypertrophy result in moderate canal stenosis.")
    assert linked["L4-L5.dominant_cause"] == "mixed"
    unlinked = facts("L4/5 - disc bulge with facet hypertrophy, severe canal stenosis.")
    assert "L4-L5.dominant_cause" not in unlinked


def test_a_structure_called_normal_is_not_the_level() -> None:
    assert not any(k.startswith("L5-S1") for k in facts("L5-S1: Unremarkable disc. Facets normal."))


def test_a_mild_greater_side_makes_a_narrowed_lesser_side_mild() -> None:
    found = facts("L4-5: The neural foramina are mildly narrowed, left greater than right.")
    assert found["L4-L5.left.foraminal_stenosis"] == "mild"
    assert found["L4-L5.right.foraminal_stenosis"] == "mild"
    moderate = facts("L4-5: Left greater than right foraminal stenosis, moderate on the left.")
    assert "L4-L5.right.foraminal_stenosis" not in moderate
