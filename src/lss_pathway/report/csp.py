"""The Content-Security-Policy of every page that shows an assessment or a registry view.

One policy for all of them, kept beside the renderings it fits: the clinic pages and the registry pages use
only same-origin files (figures and plots as ``data:`` images), and the standalone printable report inlines
its styles and loads nothing at all.
"""

from __future__ import annotations

PAGE_CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'"
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"
