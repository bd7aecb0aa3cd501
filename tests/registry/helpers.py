"""Answer sets for registry tests: ODI codes per section and NPRS, built from the packaged item ids."""

from __future__ import annotations

from typing import Any

from lss_pathway.clinical.instruments.odi import ODI_SECTION_IDS


def odi(total: int) -> dict[str, int]:
    """Ten ODI sections whose codes sum to ``total`` (0-50), so the ODI % is ``total * 2``."""
    codes = [min(5, max(0, total - 5 * i)) for i in range(len(ODI_SECTION_IDS))]
    assert sum(codes) == total
    return dict(zip(ODI_SECTION_IDS, codes, strict=True))


def answers(odi_total: int, pain: int) -> dict[str, Any]:
    return {"odi": odi(odi_total), "nprs": {"nprs": pain}}
