"""The form's wording now lives in the core (``domain.wording``) so that every rendering shares it."""

from lss_pathway.domain.wording import (
    DRUGS,
    EPIDUROGRAM_LABEL,
    GROUPS,
    LEVEL_COLUMNS,
    OPTION_LABELS,
    PER_LEG,
    PROCEDURES,
    SIDE_COLUMNS,
    STATUS_OPTIONS,
    Column,
    Group,
    ListWording,
    Wording,
)

__all__ = [
    "DRUGS",
    "EPIDUROGRAM_LABEL",
    "GROUPS",
    "LEVEL_COLUMNS",
    "OPTION_LABELS",
    "PER_LEG",
    "PROCEDURES",
    "SIDE_COLUMNS",
    "STATUS_OPTIONS",
    "Column",
    "Group",
    "ListWording",
    "Wording",
]
