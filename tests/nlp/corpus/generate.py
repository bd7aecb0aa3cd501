"""Seeded variation generator: grows the hand-written corpus to a few hundred reports.

Each report starts as a structured truth (per level: central grade, per-side foraminal and lateral-recess
grades, ligamentum flavum, cause, slip, measurements); the gold is that truth, and the text is rendered from
it in one of several radiologist styles (terse headers with every header spelling, narrative prose,
impression-only, CT myelogram wording) with varied words, sentence order, level order, coordination of
sides, negation forms, hedged findings (gold unknown) and distractors (an indication asking about a
stenosis, incidental findings, a thoracolumbar level). The extractor never produces the gold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tests.nlp.corpus.gold import NORMAL, Report, expand_gold

LEVELS = ("L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")
GRADES = ("none", "mild", "moderate", "severe")
HEADER_STYLES = {
    "L1-L2": ["L1-2", "L1/2", "L1-L2", "L12", "L1/L2"],
    "L2-L3": ["L2-3", "L2/3", "L2-L3", "L23", "L2/L3"],
    "L3-L4": ["L3-4", "L3/4", "L3-L4", "L34", "L3/L4"],
    "L4-L5": ["L4-5", "L4/5", "L4-L5", "L45", "L4/L5"],
    "L5-S1": ["L5-S1", "L5/S1", "L5S1", "L5-S1", "L5/S1"],
}
GRADE_WORDS = {
    "mild": ["mild", "minimal", "slight", "mild"],
    "moderate": ["moderate", "mild to moderate", "mild-to-moderate", "moderate"],
    "severe": [
        "severe",
        "marked",
        "high-grade",
        "moderate to severe",
        "critical",
        "severe",
        "moderate-to-severe",
    ],
}
CENTRAL_NOUNS = [
    "central canal stenosis",
    "spinal canal stenosis",
    "central stenosis",
    "canal stenosis",
    "spinal stenosis",
    "narrowing of the central canal",
    "narrowing of the thecal sac",
]
FORAMEN_NOUNS = [
    "neural foraminal stenosis",
    "foraminal narrowing",
    "neuroforaminal stenosis",
    "neural foraminal narrowing",
    "foraminal stenosis",
]
RECESS_NOUNS = [
    "lateral recess stenosis",
    "subarticular recess narrowing",
    "lateral recess narrowing",
    "subarticular stenosis",
]
LF_BOTH = [
    "ligamentum flavum thickening",
    "thickening of the ligamentum flavum",
    "redundancy of the ligamentum flavum",
    "ligamentum flavum infolding",
    "buckling of the ligamentum flavum",
    "ligamentum flavum hypertrophy",
    "hypertrophied ligamentum flavum",
]
CAUSE_TEXT = {
    "lf_hypertrophy": [
        "due to ligamentum flavum hypertrophy",
        "secondary to ligamentum flavum thickening",
        "caused by redundancy of the ligamentum flavum",
    ],
    "disc": [
        "due to a broad-based disc bulge",
        "secondary to a central disc protrusion",
        "caused by a disc extrusion",
    ],
    "mixed": [
        "from a combination of disc bulge, facet arthropathy and ligamentum flavum thickening",
        "due to disc bulge and ligamentum flavum hypertrophy",
        "secondary to facet hypertrophy and ligamentum flavum infolding",
    ],
}
NORMAL_PHRASES = ["Normal.", "Unremarkable.", "No significant abnormality.", "Within normal limits."]


@dataclass
class LevelTruth:
    normal: bool = False
    central: str | None = None
    foramen: tuple[str | None, str | None] = (None, None)
    recess: tuple[str | None, str | None] = (None, None)
    lf: tuple[bool, bool] | None = None
    cause: str | None = None
    slip: tuple[int | None, float | None] | None = None
    area: float | None = None
    ap: float | None = None
    lf_mm: tuple[float, float] | None = None
    hedge: str | None = None

    def gold(self) -> dict[str, Any]:
        if self.normal:
            return {"normal": True}
        out: dict[str, Any] = {}
        if self.central:
            out["central_stenosis"] = self.central
        for name, pair in (("foraminal_stenosis", self.foramen), ("lateral_recess_stenosis", self.recess)):
            sides = {s: g for s, g in zip(("left", "right"), pair, strict=True) if g is not None}
            if sides:
                out[name] = sides
        if self.lf:
            out["lf_hypertrophy"] = {s: True for s, on in zip(("left", "right"), self.lf, strict=True) if on}
        if self.cause:
            out["dominant_cause"] = self.cause
        if self.slip:
            if self.slip[0] is not None:
                out["meyerding_grade"] = self.slip[0]
            if self.slip[1] is not None:
                out["slip_mm"] = self.slip[1]
        if self.area:
            out["canal_area_mm2"] = self.area
        if self.ap:
            out["ap_diameter_mm"] = self.ap
        if self.lf_mm:
            out["lf_thickness_mm"] = {"left": self.lf_mm[0], "right": self.lf_mm[1]}
        return out


@dataclass
class Truth:
    levels: dict[str, LevelTruth] = field(default_factory=dict)
    alignment_normal: bool = False
    modality: str = "MRI"


def _truth(rng: random.Random) -> Truth:
    truth = Truth(modality=rng.choice(["MRI", "MRI", "MRI", "CT", "CT_myelogram"]))
    worst = rng.choice(["L3-L4", "L4-L5", "L4-L5", "L5-S1"])
    for level in LEVELS:
        lv = LevelTruth()
        if level != worst and rng.random() < 0.4:
            lv.normal = True
            truth.levels[level] = lv
            continue
        weights = (3, 3, 2, 1) if level != worst else (0, 1, 2, 3)
        lv.central = rng.choices(GRADES, weights)[0]
        if rng.random() < 0.15 and lv.central == "none":
            lv.central, lv.hedge = None, "central"
        f = rng.choices(GRADES, (4, 3, 2, 1))[0]
        lv.foramen = (f, f) if rng.random() < 0.5 else (f, rng.choice(GRADES))
        if rng.random() < 0.35:
            r = rng.choices(GRADES[1:], (2, 2, 1))[0]
            lv.recess = (r, r) if rng.random() < 0.5 else (r, rng.choice(GRADES[1:]))
        if lv.central in ("moderate", "severe") and rng.random() < 0.7:
            lv.cause = rng.choice(["lf_hypertrophy", "lf_hypertrophy", "disc", "mixed"])
            if lv.cause in ("lf_hypertrophy", "mixed"):
                lv.lf = (True, True)
        elif rng.random() < 0.25:
            lv.lf = rng.choice([(True, True), (True, False), (False, True)])
        if lv.central in ("moderate", "severe") and rng.random() < 0.3:
            lv.area = float(rng.randrange(35, 95))
        elif lv.central and rng.random() < 0.15:
            lv.ap = float(rng.randrange(6, 13))
        if rng.random() < 0.15 and truth.modality == "MRI":
            lv.lf_mm = (round(rng.uniform(2.5, 6.5), 1), round(rng.uniform(2.5, 6.5), 1))
        if level in ("L3-L4", "L4-L5", "L5-S1") and rng.random() < 0.15:
            lv.slip = rng.choice(
                [(1, None), (1, float(rng.randrange(3, 7))), (2, None), (None, float(rng.randrange(2, 6)))]
            )
        truth.levels[level] = lv
    if not any(lv.slip for lv in truth.levels.values()) and rng.random() < 0.5:
        truth.alignment_normal = True
    return truth


def _g(rng: random.Random, grade: str) -> str:
    return rng.choice(GRADE_WORDS[grade])


def _sided(
    rng: random.Random, pair: tuple[str | None, str | None], nouns: list[str], place: str
) -> list[str]:
    """Sentences for one per-side finding: bilateral, coordinated, split or one side negated."""
    left, right = pair
    noun = rng.choice(nouns)
    if left is None and right is None:
        return []
    if left == right and left is not None:
        if left == "none":
            return [
                rng.choice(
                    [
                        f"No {noun}.",
                        f"The {place} are patent.",
                        f"The {place} are preserved.",
                        f"Negative for {noun}.",
                    ]
                )
            ]
        g = _g(rng, left)
        return [
            rng.choice(
                [
                    f"{g.capitalize()} bilateral {noun}.",
                    f"Bilateral {g} {noun}.",
                    f"{g.capitalize()} {noun} bilaterally.",
                    f"{g.capitalize()} {noun}.",
                ]
            )
        ]
    if "none" in (left, right):
        side, grade = ("left", left) if right == "none" else ("right", right)
        other = "right" if side == "left" else "left"
        assert grade is not None
        singular = place[:-1] if place.endswith("s") else place
        singular = singular.replace("foramina", "foramen").replace("recesse", "recess")
        return [
            rng.choice(
                [
                    f"{_g(rng, grade).capitalize()} {side} {noun}; the {other} {singular} is patent.",
                    f"{_g(rng, grade).capitalize()} {side} {noun}. No {other} {noun}.",
                ]
            )
        ]
    assert left is not None and right is not None
    gl, gr = _g(rng, left), _g(rng, right)
    return [
        rng.choice(
            [
                f"{gl.capitalize()} left and {gr} right {noun}.",
                f"{gr.capitalize()} right and {gl} left {noun}.",
                f"{noun.capitalize()}, {gl} on the left and {gr} on the right.",
                f"{gl.capitalize()} left {noun}. {gr.capitalize()} right {noun}.",
            ]
        )
    ]


def _central(rng: random.Random, lv: LevelTruth, ct_myelo: bool) -> list[str]:
    if lv.hedge == "central":
        return [
            rng.choice(
                [
                    "Borderline central canal stenosis.",
                    "Cannot exclude mild central canal stenosis.",
                    "Questionable mild central stenosis.",
                    "Possible mild spinal canal narrowing.",
                ]
            )
        ]
    if lv.central is None:
        return []
    if lv.central == "none":
        return [
            rng.choice(
                [
                    "No central canal stenosis.",
                    "The central canal is patent.",
                    "No spinal canal stenosis.",
                    "The thecal sac is normal in caliber." if ct_myelo else "No canal stenosis.",
                ]
            )
        ]
    noun = "narrowing of the thecal sac" if ct_myelo and rng.random() < 0.5 else rng.choice(CENTRAL_NOUNS)
    g = _g(rng, lv.central)
    if lv.central == "severe" and rng.random() < 0.2:
        g = "unchanged " + g
    cause = lv.cause
    if cause and rng.random() < 0.4:
        lead = {
            "lf_hypertrophy": "Ligamentum flavum hypertrophy",
            "disc": "A broad-based disc bulge",
            "mixed": "Disc bulge, facet arthropathy and ligamentum flavum thickening",
        }[cause]
        verb = "results" if cause != "mixed" else "result"
        return [f"{lead} {verb} in {g} {noun}."]
    tail = f" {rng.choice(CAUSE_TEXT[cause])}" if cause else ""
    return [f"{g.capitalize()} {noun}{tail}."]


def _level_sentences(rng: random.Random, lv: LevelTruth, ct_myelo: bool, level: str) -> list[str]:
    if lv.normal:
        return [rng.choice(NORMAL_PHRASES)]
    parts: list[list[str]] = [
        _central(rng, lv, ct_myelo),
        _sided(rng, lv.foramen, FORAMEN_NOUNS, "neural foramina"),
        _sided(rng, lv.recess, RECESS_NOUNS, "lateral recesses"),
    ]
    if lv.lf and lv.cause not in ("lf_hypertrophy", "mixed"):
        if lv.lf == (True, True):
            parts.append([f"There is {rng.choice(LF_BOTH)}."])
        else:
            side = "left" if lv.lf[0] else "right"
            parts.append(
                [
                    rng.choice(
                        [
                            f"{side.capitalize()}-sided ligamentum flavum hypertrophy.",
                            f"Thickening of the {side} ligamentum flavum.",
                        ]
                    )
                ]
            )
    measured = [
        (
            lv.area,
            lambda v: [
                f"Dural sac cross-sectional area {v:g} mm2.",
                f"The thecal sac has a cross-sectional area of {v:g} mm².",
                f"Dural sac area {v / 100:g} cm2.",
            ],
        ),
        (
            lv.ap,
            lambda v: [
                f"AP dimension of the thecal sac {v:g} mm.",
                f"The canal measures {v:g} mm in AP diameter.",
            ],
        ),
    ]
    for value, phrasings in measured:
        if value:
            parts.append([rng.choice(phrasings(value))])
    if lv.lf_mm:
        a, b = lv.lf_mm
        parts.append(
            [
                rng.choice(
                    [
                        f"Ligamentum flavum measures {a:g} mm on the left and {b:g} mm on the right.",
                        f"LF thickness: left {a:g} mm, right {b:g} mm.",
                    ]
                )
            ]
        )
    if lv.slip:
        grade, mm = lv.slip
        upper, lower = level.split("-")
        roman = {1: "I", 2: "II"}
        if grade is not None and mm is not None:
            parts.append([f"Grade {grade} anterolisthesis of {upper} on {lower} measuring {mm:g} mm."])
        elif grade is not None:
            parts.append(
                [rng.choice([f"Grade {roman[grade]} spondylolisthesis.", f"Grade {grade} anterolisthesis."])]
            )
        else:
            parts.append([f"There is a {mm:g} mm anterolisthesis."])
    if rng.random() < 0.3:
        parts.insert(
            0,
            [
                rng.choice(
                    [
                        "Mild disc bulge.",
                        "Disc desiccation.",
                        "Mild facet arthropathy.",
                        "Small annular fissure.",
                    ]
                )
            ],
        )
    head, rest = parts[:1], parts[1:]
    rng.shuffle(rest)
    return [s for group in head + rest for s in group]


def _header(rng: random.Random, level: str, style: str) -> str:
    spelled = rng.choice(HEADER_STYLES[level])
    if level == "L5-S1" and rng.random() < 0.15:
        return "Lumbosacral junction:"
    return {"colon": f"{spelled}:", "dash": f"{spelled} -", "level": f"{spelled} level:"}[style]


def _title(truth: Truth) -> str:
    return {
        "MRI": "MRI LUMBAR SPINE WITHOUT CONTRAST",
        "CT": "CT LUMBAR SPINE",
        "CT_myelogram": "CT MYELOGRAM OF THE LUMBAR SPINE",
    }[truth.modality]


def _render(rng: random.Random, truth: Truth) -> str:
    ct_myelo = truth.modality == "CT_myelogram"
    style = rng.choice(["terse", "terse", "narrative", "impression"])
    lines = [_title(truth)]
    if rng.random() < 0.7:
        ask = rng.choice(
            [
                "Evaluate for severe central canal stenosis at L4-5.",
                "Rule out spinal stenosis.",
                "Neurogenic claudication; ? foraminal stenosis L5-S1.",
            ]
        )
        lines.append(f"{rng.choice(['CLINICAL HISTORY', 'HISTORY', 'INDICATION'])}: {ask}")
    lines.append("IMPRESSION:" if style == "impression" else rng.choice(["FINDINGS:", "Findings:"]))
    if truth.alignment_normal:
        lines.append(rng.choice(["Alignment is normal.", "Normal alignment.", "No spondylolisthesis."]))
    if rng.random() < 0.3:
        lines.append("T12-L1: Mild central canal stenosis.")
    order = list(LEVELS) if rng.random() < 0.8 else list(reversed(LEVELS))
    header_style = rng.choice(["colon", "colon", "dash", "level"])
    i = 0
    while i < len(order):
        level = order[i]
        lv = truth.levels[level]
        run = [level]
        while lv.normal and i + len(run) < len(order) and truth.levels[order[i + len(run)]].normal:
            run.append(order[i + len(run)])
        if len(run) > 1 and style == "terse" and order == list(LEVELS):
            word = rng.choice(["through", "to"])
            lines.append(
                f"{rng.choice(HEADER_STYLES[run[0]])} {word} {rng.choice(HEADER_STYLES[run[-1]])}: "
                f"{rng.choice(['Normal.', 'Unremarkable.'])}"
            )
            i += len(run)
            continue
        sentences = _level_sentences(rng, lv, ct_myelo, level)
        spelled = rng.choice(HEADER_STYLES[level])
        if style == "terse":
            lines.append(f"{_header(rng, level, header_style)} {' '.join(sentences)}")
        elif style == "narrative":
            first, *others = sentences
            if lv.normal:
                lines.append(f"The {spelled} level is {rng.choice(['normal', 'unremarkable'])}.")
            else:
                lead = rng.choice([f"At {spelled}, ", f"At the {spelled} level, "])
                lines.append(lead + first[0].lower() + first[1:] + (" " + " ".join(others) if others else ""))
            if rng.random() < 0.5:
                lines.append("")
        else:
            lines.append(f"{len(lines)}. {spelled}: {' '.join(sentences)}")
        i += 1
    if rng.random() < 0.3:
        lines.append(
            rng.choice(
                [
                    "Incidental 1.5 cm left renal cyst.",
                    "Hemangioma in the L3 vertebral body.",
                    "The conus medullaris is unremarkable.",
                ]
            )
        )
    return "\n".join(lines) + "\n"


def generated(count: int = 160, seed: int = 20_261_203) -> list[Report]:
    rng = random.Random(seed)
    reports: list[Report] = []
    for n in range(count):
        truth = _truth(rng)
        text = _render(rng, truth)
        levels = {level: lv.gold() for level, lv in truth.levels.items()}
        if truth.alignment_normal:
            for gold in levels.values():
                gold["meyerding_grade"] = 0
        report_id = f"gen-{n:03d}"
        reports.append(
            Report(report_id, text, expand_gold(report_id, levels), truth.modality, (), "generated")
        )
    return reports


assert NORMAL  # the 'normal' shorthand used by LevelTruth.gold is defined with the scorer
