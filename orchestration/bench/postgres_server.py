"""A throwaway PostgreSQL server: Debian's `postgresql` package, its own data directory, loopback only,
password authentication (scram-sha-256), so what runs on it sees what production sees.

`cadence bench --engine postgres` starts one for its scratch warehouses (unless given a server of the
user's with `--postgres`), and so does the test suite: one server per run (the xdist controller,
before any worker starts, or the first test that needs it), every test taking its own database on it.
`.ci/run` installs the package.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ADMIN_USER = "cadence_admin"
# Debian's server binaries live outside PATH, one directory per major version.
_DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"
# A test server holds nothing worth an fsync: durability off makes initdb and every commit fast.
_FAST_UNSAFE = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class PostgresUnavailable(RuntimeError):
    pass


@dataclass
class PostgresServer:
    admin_url: str  # postgresql://cadence_admin:<password>@127.0.0.1:<port>/postgres
    data_dir: Path | None  # None: a server this process did not start
    bindir: Path | None

    @classmethod
    def external(cls, admin_url: str) -> PostgresServer:
        """A server of the user's (an admin URL, e.g. to its `postgres` database): never stopped here."""
        return cls(admin_url=admin_url, data_dir=None, bindir=None)

    def create_database(self, name: str, replace: bool = False) -> str:
        """A new empty database (`replace`: dropped first if it exists); returns its URL."""
        if replace:
            run_sql(self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        run_sql(self.admin_url, f'CREATE DATABASE "{name}"')
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    @property
    def address(self) -> str:
        """host:port (never the user or the password)."""
        parts = urlsplit(self.admin_url)
        return f"{parts.hostname}:{parts.port or 5432}"

    def __str__(self) -> str:
        kind = "a throwaway server" if self.data_dir is not None else "the server"
        return f"{kind} on {self.address}"

    def stop(self) -> None:
        if self.data_dir is None or self.bindir is None:
            return
        _as_server_user([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"])
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def find_bindir() -> Path:
    candidates = sorted(glob.glob(_DEBIAN_BINDIRS), key=lambda path: int(Path(path).parent.name))
    if not candidates:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin): install Debian's `postgresql` "
            "package (.ci/run does) or name a server of yours"
        )
    return Path(candidates[-1])


def start_server() -> PostgresServer:
    """initdb into a new temporary directory and start the server on a free loopback port."""
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix="cadence-pg-"))
    data_dir, password_file = root / "data", root / "password"
    password = secrets.token_urlsafe(16)
    password_file.write_text(password)
    _hand_to_server_user(root, password_file)
    _as_server_user([
        str(bindir / "initdb"), "-D", str(data_dir), "-U", ADMIN_USER, f"--pwfile={password_file}",
        "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
    ])  # fmt: skip
    password_file.unlink()
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {root} {_FAST_UNSAFE}"
    _as_server_user([
        str(bindir / "pg_ctl"), "-D", str(data_dir), "-o", options, "-l", str(root / "server.log"),
        "-w", "start",
    ])  # fmt: skip
    url = f"postgresql://{ADMIN_USER}:{password}@127.0.0.1:{port}/postgres"
    return PostgresServer(admin_url=url, data_dir=data_dir, bindir=bindir)


def run_sql(url: str, sql: str) -> str:
    """One statement through psql (the server's own client: the tests need no driver to set up)."""
    parts = urlsplit(url)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    netloc = f"{parts.username}@{parts.hostname}:{parts.port or 5432}"
    safe_url = urlunsplit(parts._replace(netloc=netloc))  # the password goes by PGPASSWORD, never argv
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    done = subprocess.run(
        [psql, safe_url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise PostgresUnavailable(f"psql failed: {done.stderr.strip()}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _is_root() -> bool:
    return os.geteuid() == 0


def _hand_to_server_user(root: Path, *files: Path) -> None:
    """initdb refuses to run as root: as root, the directory goes to Debian's `postgres` user."""
    if not _is_root():
        return
    server_user = pwd.getpwnam("postgres")
    for path in (root, *files):
        os.chown(path, server_user.pw_uid, server_user.pw_gid)


def _as_server_user(command: list[str]) -> None:
    full = ["runuser", "-u", "postgres", "--", *command] if _is_root() else command
    done = subprocess.run(full, capture_output=True, text=True)
    if done.returncode != 0:
        raise PostgresUnavailable(f"{Path(command[0]).name} failed: {(done.stderr or done.stdout).strip()}")
