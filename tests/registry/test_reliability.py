"""Crash and concurrency on both engines: acknowledged writes survive SIGKILL; racing writers never
duplicate a follow-up, every conflict is a clean 409-style error, and updates are never lost."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, func, select, text
from tests.registry.helpers import answers

from lss_pathway.registry.bulk import import_lines
from lss_pathway.registry.errors import Conflict
from lss_pathway.registry.models import AuditEntry, FollowUp, QuestionnaireResponse, Subject
from lss_pathway.registry.store import Registry

ROOT = Path(__file__).parents[2]
ACKS_BEFORE_KILL = 25


def _run_in_threads(worker: Callable[[int], None], count: int) -> list[BaseException]:
    """Run ``worker(k)`` for k in 0..count-1 at once; every exception raised is returned."""
    failures: list[BaseException] = []

    def guarded(k: int) -> None:
        try:
            worker(k)
        except BaseException as exc:  # any error fails the calling test
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return failures


def _integrity(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        else:
            assert conn.execute(text("SELECT count(*) FROM pg_catalog.pg_class")).scalar()
        # Atomicity: no follow-up without its questionnaire or its audit entry, nor the other way round.
        orphans = conn.execute(
            select(func.count())
            .select_from(FollowUp)
            .where(
                ~select(QuestionnaireResponse.id)
                .where(QuestionnaireResponse.follow_up_pk == FollowUp.id)
                .exists()
            )
        ).scalar()
        assert orphans == 0
        follow_ups = conn.execute(select(func.count()).select_from(FollowUp)).scalar()
        audited = conn.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "follow_ups")
        ).scalar()
        assert follow_ups == audited


def _acks_then(url: str, crash: Callable[[subprocess.Popen[str]], None]) -> list[str]:
    """Run the writer against ``url``; after ``ACKS_BEFORE_KILL`` acknowledged subjects, ``crash`` it."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "registry" / "writer.py"), url, "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    acked: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith("ACK "):
                acked.append(line.split()[1])
                if len(acked) >= ACKS_BEFORE_KILL:
                    crash(proc)  # mid-stream: the next subject is being written
                    break
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert len(acked) == ACKS_BEFORE_KILL, proc.stderr.read() if proc.stderr else ""
    return acked


def test_acknowledged_writes_survive_sigkill(registry: Registry, registry_url: str) -> None:
    acked = _acks_then(registry_url, lambda proc: proc.send_signal(signal.SIGKILL))
    registry.engine.dispose()  # reopen, as a restarted server would
    with registry.sessions() as session:
        present = set(session.scalars(select(Subject.study_id)))
        scored = set(
            session.scalars(select(Subject.study_id).join(FollowUp, FollowUp.subject_pk == Subject.id))
        )
    assert set(acked) <= present and set(acked) <= scored
    _integrity(registry.engine)


def _treated_cohort(registry: Registry, n: int) -> list[str]:
    lines = [
        json.dumps(
            {"study_id": f"C{i:03d}", "procedures": [{"date": "2025-01-10", "levels": ["L4-L5 left"]}]}
        )
        for i in range(n)
    ]
    return list(import_lines(registry.engine, lines, actor="setup", reason="concurrency").study_ids)


def test_racing_writers_never_duplicate_a_follow_up(registry: Registry) -> None:
    """8 writers x 200 attempts on the same 200 (subject, time point) slots: each written exactly once."""
    subjects = _treated_cohort(registry, 50)
    points = {"6w": 42, "3m": 91, "6m": 182, "12m": 365}
    slots = [(sid, tp) for sid in subjects for tp in points]
    won: list[list[tuple[str, str]]] = [[] for _ in range(8)]
    conflicts = [0] * 8

    def writer(k: int) -> None:
        order = slots[:]
        random.Random(k).shuffle(order)
        for sid, tp in order:
            try:
                registry.add_follow_up(
                    sid,
                    tp,
                    collected_on=dt.date(2025, 1, 10) + dt.timedelta(days=points[tp]),
                    responses=answers(k, k),
                    actor=f"writer-{k}",
                    reason="race",
                )
                won[k].append((sid, tp))
            except Conflict as exc:
                assert "already has" in exc.message and exc.status == 409
                conflicts[k] += 1

    assert _run_in_threads(writer, 8) == []
    acknowledged = [slot for k in won for slot in k]
    assert sorted(acknowledged) == sorted(slots)  # each slot won exactly once, none lost
    assert sum(conflicts) == 8 * len(slots) - len(slots)
    with registry.sessions() as session:
        stored = session.execute(
            select(Subject.study_id, func.count())
            .join(FollowUp, FollowUp.subject_pk == Subject.id)
            .group_by(Subject.study_id)
        ).all()
        assert dict(stored) == dict.fromkeys(subjects, len(points))
        winners = dict(
            session.execute(
                select(AuditEntry.entity_key, AuditEntry.actor).where(AuditEntry.entity == "follow_ups")
            ).all()
        )
    assert len(winners) == len(slots)
    for k, slots_won in enumerate(won):  # the audit names the writer that was acknowledged
        assert all(winners[f"{sid}/{tp}"] == f"writer-{k}" for sid, tp in slots_won)
    _integrity(registry.engine)


def test_concurrent_corrections_lose_no_update(registry: Registry) -> None:
    """Concurrent edits of one follow-up: each audit entry's "before" is the previous entry's "after"."""
    (sid,) = _treated_cohort(registry, 1)
    registry.add_follow_up(
        sid, "3m", collected_on=dt.date(2025, 4, 12), responses=answers(5, 2), actor="a", reason="setup"
    )

    def editor(k: int) -> None:
        for j in range(15):
            registry.correct_score_source(
                sid, "3m", ("patient", "clinician")[(k + j) % 2], actor=f"e{k}", reason="race"
            )

    assert _run_in_threads(editor, 6) == []
    edits = [e for e in registry.audit_trail(f"{sid}/3m") if e["action"] == "update"]
    assert len(edits) == 6 * 15
    previous = "patient"
    for entry in edits:
        assert entry["before"]["source"] == previous
        previous = entry["after"]["source"]
    with registry.sessions() as session:
        assert session.scalar(select(FollowUp.source)) == previous


def test_acknowledged_writes_survive_a_sigkilled_postgresql_server() -> None:
    """The database server itself is killed mid-stream (fsync on, as in production) and restarted."""
    import pytest
    from tests.registry import pg_server
    from tests.registry.conftest import _initialise

    from lss_pathway.registry.db import make_engine

    try:
        server = pg_server.start(durable=True)
    except pg_server.Unavailable as exc:
        pytest.skip(f"PostgreSQL half skipped: {exc}")
    try:
        url = server.create_database("crash")
        _initialise(url)
        acked = _acks_then(url, lambda _proc: server.kill_and_restart())
        log = (server.folder / "server.log").read_text(errors="replace")
        assert "automatic recovery in progress" in log  # it was a crash, and the restart replayed the WAL
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                present = set(conn.scalars(select(Subject.study_id)))
                scored = set(
                    conn.scalars(select(Subject.study_id).join(FollowUp, FollowUp.subject_pk == Subject.id))
                )
            assert set(acked) <= present and set(acked) <= scored
            _integrity(engine)
        finally:
            engine.dispose()
    finally:
        server.stop()
