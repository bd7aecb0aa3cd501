"""A throwaway PostgreSQL server for tests and benchmarks: initdb in a temporary folder, loopback only.

PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` user (``runuser``);
otherwise as the current user. ``start()`` raises ``Unavailable`` with the reason when it cannot.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class Unavailable(RuntimeError):
    """PostgreSQL binaries are missing or the server did not start: the PostgreSQL half skips."""


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if not candidates:
        raise Unavailable(
            "PostgreSQL binaries (pg_ctl, initdb) not found: install postgresql to run this half"
        )
    return Path(candidates[0]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PgServer:
    folder: Path
    port: int
    as_user: list[str]
    bin_dir: Path
    options: str = ""
    stopped: bool = field(default=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str) -> None:
        import psycopg

        conninfo = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(statement.encode())

    def create_database(self, name: str) -> str:
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def create_schema(self, name: str) -> str:
        """An empty schema, and a URL whose connections see only it (cheaper than a database per test)."""
        self.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url()}?options=-csearch_path%3D{name}"

    def drop_schema(self, name: str) -> None:
        self.execute(f'DROP SCHEMA "{name}" CASCADE')

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def kill_and_restart(self) -> None:
        """SIGKILL the postmaster (a crash: no shutdown checkpoint), then start it again on the same port;
        the restart replays the write-ahead log, as after a real crash."""
        pid = int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # Backends outlive a killed postmaster for a moment; pg_ctl start waits until the old ones are gone.
        self.pg_ctl("-o", self.options, "-l", str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        try:
            self.pg_ctl("-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start(*, durable: bool = False) -> PgServer:
    """Start a server; ``durable`` keeps fsync on (benchmarks), tests run with it off."""
    bin_dir = _bin_dir()
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="lss-registry-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise Unavailable("running as root and `runuser` is missing: cannot start PostgreSQL as postgres")
        shutil.chown(folder, user="postgres")
        as_user = [runuser, "-u", "postgres", "--"]
    try:
        subprocess.run(
            [
                *as_user,
                str(bin_dir / "initdb"),
                "-D",
                str(folder / "data"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        detail = (
            exc.stderr.decode(errors="replace") if isinstance(exc, subprocess.CalledProcessError) else exc
        )
        raise Unavailable(f"initdb failed: {detail}") from exc
    server = PgServer(folder, _free_port(), as_user, bin_dir)
    # fsync off: the tests kill clients, not the server or the machine, and the disk is shared.
    options = f"-c listen_addresses=127.0.0.1 -p {server.port} -k {folder} -c max_connections=60"
    if not durable:
        options += " -c fsync=off -c full_page_writes=off"
    server.options = options
    try:
        server.pg_ctl("-o", options, "-l", str(folder / "server.log"), "-w", "start")
    except subprocess.CalledProcessError as exc:
        log = (folder / "server.log").read_text(errors="replace") if (folder / "server.log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise Unavailable(f"PostgreSQL did not start: {exc.stderr.decode(errors='replace')} {log}") from exc
    atexit.register(server.stop)
    return server
