"""Loading of YAML data shipped inside the package: the only I/O the core performs."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def packaged_yaml(package: str, name: str) -> Any:
    """Parse a YAML file bundled with ``package``; cached because packaged data never changes at run time."""
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)
