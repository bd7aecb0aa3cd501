"""A seeded SYNTHETIC demo cohort (no real patient) as JSON Lines for ``import``, the demo and benchmarks.

Study ids start with ``DEMO-`` so synthetic subjects are never mistaken for real ones.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator

from lss_pathway.clinical.instruments.odi import ODI_SECTION_IDS
from lss_pathway.clinical.outcomes.data import schedule

LEVEL_CHOICES = (("L4-L5",), ("L3-L4", "L4-L5"), ("L4-L5",), ("L5-S1",), ("L2-L3", "L3-L4"))


def _odi(rng: random.Random, percent: float) -> dict[str, int]:
    """Section codes whose total gives roughly ``percent`` ODI."""
    total = max(0, min(50, round(percent / 2)))
    codes = [0] * len(ODI_SECTION_IDS)
    for _ in range(total):
        free = [i for i, c in enumerate(codes) if c < 5]
        codes[rng.choice(free)] += 1
    return dict(zip(ODI_SECTION_IDS, codes, strict=True))


def synthetic_lines(n: int, seed: int = 14, *, start: dt.date = dt.date(2023, 1, 2)) -> Iterator[str]:
    """``n`` synthetic subjects: baseline, index mild, a quarter of follow-ups missing, a few reoperations."""
    rng = random.Random(seed)
    plan = schedule("lss-default")
    for i in range(n):
        index_on = start + dt.timedelta(days=rng.randrange(0, 900))
        baseline_odi = rng.uniform(30, 70)
        baseline_pain = rng.randint(5, 10)
        effect = rng.uniform(-0.1, 0.7)  # relative improvement at its best
        fade = rng.uniform(0.0, 0.0015)  # loss of effect per day
        levels = rng.choice(LEVEL_CHOICES)
        sides = rng.choice((("left", "right"), ("left",), ("right",)))
        procedures = [
            {
                "date": index_on.isoformat(),
                "kind": "mild",
                "levels": [f"{lv} {sd}" for lv in levels for sd in sides],
                "operator": f"op-{rng.randint(1, 4)}",
            }
        ]
        reop_day = rng.randint(120, 700) if rng.random() < 0.08 else None
        if reop_day is not None:
            procedures.append(
                {
                    "date": (index_on + dt.timedelta(days=reop_day)).isoformat(),
                    "kind": "decompression",
                    "levels": [f"{levels[0]} left"],
                }
            )
        follow_ups = [
            {
                "time_point": "baseline",
                "date": (index_on - dt.timedelta(days=rng.randint(1, 30))).isoformat(),
                "responses": {"odi": _odi(rng, baseline_odi), "nprs": {"nprs": baseline_pain}},
            }
        ]
        for tp in plan.follow_ups:
            if rng.random() < 0.25 or (reop_day is not None and tp.target_day > reop_day):
                continue
            day = tp.target_day + rng.randint(-tp.window_before // 2, tp.window_after // 2)
            gain = max(-0.2, effect - fade * day)
            follow_ups.append(
                {
                    "time_point": tp.code,
                    "date": (index_on + dt.timedelta(days=day)).isoformat(),
                    "source": "patient" if rng.random() < 0.9 else "clinician",
                    "responses": {
                        "odi": _odi(rng, baseline_odi * (1 - gain) + rng.gauss(0, 4)),
                        "nprs": {
                            "nprs": max(0, min(10, round(baseline_pain * (1 - gain) + rng.gauss(0, 1))))
                        },
                    },
                }
            )
        yield json.dumps(
            {
                "study_id": f"DEMO-{seed}-{i:06d}",
                "age": rng.randint(55, 95),
                "sex": rng.choice(("female", "male")),
                "procedures": procedures,
                "follow_ups": follow_ups,
            }
        )
