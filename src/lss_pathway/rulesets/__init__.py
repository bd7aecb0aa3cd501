"""Packaged, versioned rule sets and the tools that list, resolve and lint them."""

from lss_pathway.rulesets.catalog import DEFAULT_RULESET, available, load_ruleset

__all__ = ["DEFAULT_RULESET", "available", "load_ruleset"]
