"""One Jinja2 environment for the web pages, which reuse the report's templates for the assessment body."""

from __future__ import annotations

from functools import cache

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from lss_pathway.report.html import add_filters


@cache
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [PackageLoader("lss_pathway.web", "templates"), PackageLoader("lss_pathway.report", "templates")]
        ),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return add_filters(env)
