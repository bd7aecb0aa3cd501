"""What the CDS service must remember between requests: token ids (replay) and the cards it issued.

In memory for one process; in one SQLite file (``ServiceSettings.state_path``) when several worker
processes serve the same address, so that a token accepted by one worker is refused by every other and
feedback on a card issued by one worker is accepted by any. Entries expire (tokens when they do, cards
after ``CARD_TTL_SECONDS``) and both stores are bounded. Nothing identifying a patient is kept: a card is
remembered by its random uuid, the service id and its suggestions' uuids.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
import threading
import time
from collections import OrderedDict

CARD_TTL_SECONDS = 7 * 24 * 3600
"""Feedback may come days after a card was shown (the spec sets no limit); a week is kept."""
MAX_REMEMBERED = 50_000
LEEWAY_SECONDS = 30


class MemoryState:
    """One process's token ids and issued cards."""

    def __init__(self, max_entries: int = MAX_REMEMBERED) -> None:
        self._max = max_entries
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []
        self._cards: OrderedDict[str, tuple[str, tuple[str, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def check_and_add(self, issuer: str, jti: str, expires: float, now: float) -> bool:
        """Remember (issuer, jti) until ``expires``; False if it was already remembered (a replay)."""
        key = (issuer, jti)
        with self._lock:
            while self._heap and self._heap[0][0] + LEEWAY_SECONDS < now:
                old, gone = heapq.heappop(self._heap)
                if self._expiry.get(gone) == old:
                    del self._expiry[gone]
            if key in self._expiry:
                return False
            while len(self._expiry) >= self._max and self._heap:
                _, oldest = heapq.heappop(self._heap)
                self._expiry.pop(oldest, None)
            self._expiry[key] = expires
            heapq.heappush(self._heap, (expires, key))
            return True

    def remember_cards(self, service_id: str, cards: list[tuple[str, tuple[str, ...]]]) -> None:
        with self._lock:
            for card, suggestions in cards:
                self._cards[card] = (service_id, suggestions)
            while len(self._cards) > self._max:
                self._cards.popitem(last=False)

    def card(self, card: str) -> tuple[str, tuple[str, ...]] | None:
        with self._lock:
            return self._cards.get(card)


class SqliteState:
    """The same, shared by the worker processes through one SQLite file (WAL, short transactions)."""

    def __init__(self, path: str, max_entries: int = MAX_REMEMBERED) -> None:
        self._path = path
        self._max = max_entries
        self._local = threading.local()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS jti "
                "(issuer TEXT, jti TEXT, expires REAL, PRIMARY KEY (issuer, jti))"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS cards (uuid TEXT PRIMARY KEY, service TEXT, suggestions TEXT, "
                "expires REAL)"
            )

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, timeout=10, isolation_level=None)
            self._local.db = db
        return db

    def check_and_add(self, issuer: str, jti: str, expires: float, now: float) -> bool:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM jti WHERE expires + ? < ?", (LEEWAY_SECONDS, now))
            added = db.execute(
                "INSERT OR IGNORE INTO jti (issuer, jti, expires) VALUES (?, ?, ?)", (issuer, jti, expires)
            ).rowcount
            db.execute(
                "DELETE FROM jti WHERE rowid IN (SELECT rowid FROM jti ORDER BY expires LIMIT "
                "max(0, (SELECT count(*) FROM jti) - ?))",
                (self._max,),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return added == 1

    def remember_cards(self, service_id: str, cards: list[tuple[str, tuple[str, ...]]]) -> None:
        now = time.time()
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM cards WHERE expires < ?", (now,))
            db.executemany(
                "INSERT OR REPLACE INTO cards (uuid, service, suggestions, expires) VALUES (?, ?, ?, ?)",
                [(card, service_id, json.dumps(list(s)), now + CARD_TTL_SECONDS) for card, s in cards],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def card(self, card: str) -> tuple[str, tuple[str, ...]] | None:
        row = (
            self._connect()
            .execute(
                "SELECT service, suggestions FROM cards WHERE uuid = ? AND expires >= ?", (card, time.time())
            )
            .fetchone()
        )
        return None if row is None else (str(row[0]), tuple(json.loads(row[1])))


State = MemoryState | SqliteState
