"""Throwaway PostgreSQL and Redis servers for the suite.

When TEST_DATABASE_URL / TEST_REDIS_URL are set they are used instead (the
database URL must be a role that can create roles and databases).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise RuntimeError(
        "PostgreSQL is not installed: run `apt-get install -y postgresql` or set TEST_DATABASE_URL"
    )


class PostgresServer:
    """A private cluster in a temporary folder, run as the ``postgres`` user
    (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="baton-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.user = "postgres" if _user_exists("postgres") else None

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if os.geteuid() == 0 and self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> str:
        if os.geteuid() == 0 and self.user:
            shutil.chown(self.dir, self.user)
        self._run(
            _pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        self.pg_ctl("start")
        return self.url

    def pg_ctl(self, action: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200"
        if action == "stop":
            self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        else:
            self._run(
                _pg_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                opts,
                "-l",
                str(self.dir / "log"),
                "-w",
                action,
            )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self.pg_ctl("stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="baton-redis-"))
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "Redis is not installed: run `apt-get install -y redis-server` or set TEST_REDIS_URL"
            )
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self.url

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class DatabaseUrls:
    admin: str
    owner: str
    app: str
    service: str
    name: str


def _with(url: str, user: str, dbname: str) -> str:
    from sqlalchemy.engine import make_url

    return (
        make_url(url)
        .set(username=user, password=user, database=dbname)
        .render_as_string(hide_password=False)
    )


def create_database(admin_url: str, template: str | None = None) -> DatabaseUrls:
    """Roles as production has them: an owner that runs migrations, an app role
    and a service role that own nothing and cannot bypass row-level security.

    ``template``: the name of a migrated database to copy (fast: no migrations
    to run); nothing may be connected to it meanwhile."""
    name = f"baton_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for role, extra in (
            ("baton_owner", ""),
            ("baton_app", " NOBYPASSRLS"),
            ("baton_service", " NOBYPASSRLS"),
        ):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}'{extra}")
        copy = f" TEMPLATE {template}" if template else ""
        conn.execute(f"CREATE DATABASE {name} OWNER baton_owner{copy}")
    return DatabaseUrls(
        admin=_admin_on(admin_url, name),
        owner=_with(admin_url, "baton_owner", name),
        app=_with(admin_url, "baton_app", name),
        service=_with(admin_url, "baton_service", name),
        name=name,
    )


def _admin_on(url: str, dbname: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=dbname).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
