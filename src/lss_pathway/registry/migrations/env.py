"""Alembic environment: runs on the engine handed over in ``config.attributes`` (see ``registry.db``)."""

from __future__ import annotations

from alembic import context

from lss_pathway.registry.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
