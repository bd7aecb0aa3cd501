"""The report as PDF, via WeasyPrint. Nothing is fetched: the HTML is self-contained by construction."""

from __future__ import annotations

from lss_pathway.assess import Assessment
from lss_pathway.report.html import render_report_html
from lss_pathway.report.paper import Paper


class ExternalResourceRefused(ValueError):
    """The report asked for something other than inline data (a URL, a file): refused, never fetched."""


def html_to_pdf(html: str) -> bytes:
    """Render, allowing only inline ``data:`` resources; anything else stops the rendering.

    By default WeasyPrint turns a failed fetch into a logged warning; a report that silently lost an image
    or its styles must not reach the clinician, so failures are fatal here.
    """
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True, allow_redirects=False)
    try:
        document = HTML(string=html, url_fetcher=fetcher, base_url="data:,")
        # PDF/UA: tagged structure, title and language, so screen readers can read the report too.
        pdf: bytes = document.write_pdf(pdf_variant="pdf/ua-1")
    except FatalURLFetchingError as exc:
        raise ExternalResourceRefused(f"the report refers to an external resource: {exc}") from None
    return pdf


def render_report_pdf(a: Assessment, paper: Paper = Paper.A4) -> bytes:
    return html_to_pdf(render_report_html(a, paper))
