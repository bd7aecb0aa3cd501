"""The composition root of the HTTP service: the one place that wires the edges together.

The edges (``api``, ``web``, ``registry``, ``nlp``, ``imaging``) depend on the core, not on each other;
this package mounts them side by side in one application, and holds the endpoints that join two of them
(report text read by the ``nlp`` edge over the API; label maps measured by the ``imaging`` edge).
``tests/test_architecture.py`` lets only this package and the CLI import across edges.
"""
