"""Page sizes for the printable report; a module of its own so the CLI can offer them without Jinja2."""

from __future__ import annotations

from enum import StrEnum


class Paper(StrEnum):
    A4 = "A4"
    LETTER = "letter"
