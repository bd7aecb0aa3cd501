"""The outcomes registry edge: procedures and follow-ups in SQLite or PostgreSQL (SQLAlchemy 2, Alembic).

Needs the ``registry`` extra. Analyses are the core's (``clinical.outcomes``); this package stores, checks,
audits and exports. Importing the package itself loads no database library.
"""
