"""Every instrument the toolkit knows, in what form it is shipped, and why some are not.

Reads only packaged data, so listing instruments never imports a scorer.
"""

from __future__ import annotations

from dataclasses import dataclass

from lss_pathway.clinical.diagnosis import diagnosis_data
from lss_pathway.clinical.instruments.base import Citation


@dataclass(frozen=True, slots=True)
class InstrumentEntry:
    id: str
    name: str
    kind: str
    shipped: str
    scored_by_command: bool
    source: Citation

    @property
    def is_shipped(self) -> bool:
        return not self.shipped.startswith("NOT shipped")


def instruments() -> list[InstrumentEntry]:
    data = diagnosis_data()
    out = []
    for entry in data["catalogue"]:
        src = data["sources"][entry["source"]]
        out.append(
            InstrumentEntry(
                entry["id"],
                entry["name"],
                entry["kind"],
                entry["shipped"],
                bool(entry["score_command"]),
                Citation(src["citation"], src["url"], entry["verification"]),
            )
        )
    return out
