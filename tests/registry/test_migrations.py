"""Migrations on both engines: from empty to head, from the previous revision with data in it, and down."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, inspect, text
from tests.registry.helpers import answers

from lss_pathway.registry.db import current_revision, downgrade, head_revision, upgrade
from lss_pathway.registry.models import Base
from lss_pathway.registry.store import Registry

WHO = {"actor": "tester", "reason": "migration test"}


def test_upgrade_from_empty_builds_every_model_table(engine: Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine) == "0002"
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_upgrade_from_previous_revision_keeps_data(engine: Engine) -> None:
    upgrade(engine, "0001")
    assert "access_tokens" not in inspect(engine).get_table_names()
    # Data written by 0001-era code: the store's tables minus access tokens.
    reg = Registry(engine)
    reg.install_schedules()
    sid = reg.enrol(age=70, **WHO)
    reg.add_procedure(sid, performed_on=dt.date(2025, 1, 10), levels=[("L3-L4", "right")], **WHO)
    reg.add_follow_up(sid, "3m", collected_on=dt.date(2025, 4, 12), responses=answers(12, 4), **WHO)
    upgrade(engine)
    assert current_revision(engine) == "0002"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM follow_ups")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM access_tokens")).scalar() == 0
    assert next(e["key"] for e in reg.audit_trail(sid)) == sid


def test_downgrade_to_base_and_up_again(engine: Engine) -> None:
    upgrade(engine)
    downgrade(engine, "0001")
    assert "access_tokens" not in inspect(engine).get_table_names()
    downgrade(engine, "base")
    assert not set(Base.metadata.tables) & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == "0002"
