"""One Jinja2 environment for the web pages, which reuse the report's templates for the assessment body."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment

from lss_pathway.report.html import make_environment


@cache
def environment() -> Environment:
    return make_environment("lss_pathway.web", "lss_pathway.report")
