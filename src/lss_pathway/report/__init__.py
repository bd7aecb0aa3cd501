"""Renderings of an assessment for people: terminal, Markdown, and a one-screen summary."""
