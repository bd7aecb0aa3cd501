"""A registry writer run as a subprocess by the crash test: prints ``ACK <study id>`` after each commit.

Usage: python writer.py DB_URL COUNT. Each subject is enrolled, treated and followed up (three
transactions); the ack follows the last commit, so every acked subject must survive a SIGKILL.
"""

from __future__ import annotations

import datetime as dt
import sys

from tests.registry.helpers import answers

from lss_pathway.registry.db import make_engine
from lss_pathway.registry.store import Registry

WHO = {"actor": "writer", "reason": "crash test"}


def main(url: str, count: int) -> None:
    reg = Registry(make_engine(url))
    day0 = dt.date(2025, 5, 5)
    print("READY", flush=True)
    for i in range(count):
        sid = reg.enrol(study_id=f"K{i:05d}", age=60 + i % 30, **WHO)
        reg.add_procedure(sid, performed_on=day0, levels=[("L4-L5", "left")], **WHO)
        reg.add_follow_up(
            sid, "3m", collected_on=day0 + dt.timedelta(days=90), responses=answers(i % 50, i % 11), **WHO
        )
        print(f"ACK {sid}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
