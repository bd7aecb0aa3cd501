"""The antithrombotic vocabulary, so that a misspelt agent is an input error rather than a silent unknown."""

from __future__ import annotations

from functools import cache

from lss_pathway.domain.packaged import packaged_yaml


@cache
def antithrombotic_agents() -> dict[str, dict[str, str]]:
    data = packaged_yaml("lss_pathway.domain", "data/antithrombotics.yaml")
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data["agents"].items()}


@cache
def agent_aliases() -> dict[str, str]:
    """Brand names and abbreviations clinics write, each mapped to the one agent it names."""
    data = packaged_yaml("lss_pathway.domain", "data/antithrombotics.yaml")
    agents = antithrombotic_agents()
    aliases = {str(k): str(v) for k, v in (data.get("aliases") or {}).items()}
    unknown = sorted(f"{k} -> {v}" for k, v in aliases.items() if v not in agents or k in agents)
    if unknown:
        raise ValueError(f"antithrombotic aliases must name a listed agent and not shadow one: {unknown}")
    return aliases


def agent_class(agent: str) -> str:
    return antithrombotic_agents()[agent]["class"]


def agent_label(agent: str) -> str:
    return antithrombotic_agents()[agent]["label"]
