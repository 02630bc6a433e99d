"""Run the project on other engines: a throw-away local PostgreSQL server, raw-table loading,
and reading the public marts of a finished build from DuckDB, PostgreSQL or Spark.

Used by the three-engine comparison (`python -m custseg.compare_engines`, run by the test
command) and usable on its own:

    python -m custseg.engines load-postgres --raw-path data/demo   # COPY the CSVs into raw.*
    python -m custseg.engines start-postgres --dir /tmp/pg          # prints the PG* variables

Only what a test machine needs: a server bound to 127.0.0.1 with trust authentication, owned by
the `postgres` system user when run as root (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

from custseg.contract import TABLES


class EngineUnavailable(RuntimeError):
    """The engine's binaries or Python packages are not installed on this machine."""


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------
def postgres_bin_dir() -> Path:
    """The directory holding initdb/pg_ctl (Debian keeps them out of PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for found in (shutil.which("initdb"), shutil.which("pg_ctl")):
        if found:
            candidates.insert(0, str(Path(found).resolve().parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise EngineUnavailable(
        "PostgreSQL server binaries not found (initdb, pg_ctl); "
        "install them with: apt-get install -y postgresql"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser is None:
        raise EngineUnavailable("running as root and `runuser` is missing")
    return [runuser, "-u", "postgres", "--", *cmd]


class PostgresServer:
    """A PostgreSQL cluster in `data_dir`, listening on 127.0.0.1:`port` only."""

    def __init__(self, base_dir: Path, port: int | None = None) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.data_dir = self.base_dir / "data"
        self.socket_dir = self.base_dir / "socket"
        self.log_file = self.base_dir / "postgres.log"
        self.port = port or _free_port()
        self.bin_dir = postgres_bin_dir()
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")

    @property
    def env(self) -> dict[str, str]:
        """libpq / profile variables that point a client at this server."""
        return {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": "",
            "PGDATABASE": "postgres",
        }

    def start(self) -> PostgresServer:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base_dir, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        if not (self.data_dir / "PG_VERSION").exists():
            initialised = self._run(
                "initdb", "-U", self.user, "--auth=trust", "--encoding=UTF8", "--locale=C"
            )
            if initialised.returncode != 0:
                raise RuntimeError(
                    f"initdb failed in {self.data_dir}:\n{initialised.stdout}{initialised.stderr}"
                )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c timezone=UTC -c max_connections=20"
        )
        result = self._run(
            "pg_ctl", "-l", str(self.log_file), "-o", options, "-w", "-t", "60", "start"
        )
        if result.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start:\n{result.stdout}{result.stderr}{log}")
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-m", "fast", "stop")

    def _run(self, binary: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`<binary> -D <data_dir> <args>` as the server's user, output captured."""
        command = [str(self.bin_dir / binary), "-D", str(self.data_dir), *args]
        return subprocess.run(_as_server_user(command), capture_output=True, text=True)

    def connect(self):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres")


@contextlib.contextmanager
def postgres_server(base_dir: Path) -> Iterator[PostgresServer]:
    server = PostgresServer(base_dir).start()
    try:
        yield server
    finally:
        server.stop()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_postgres_raw(connection, raw_path: Path, schema: str = "raw") -> dict[str, int]:
    """(Re)create `schema.<table>` for each contract CSV in `raw_path`, every column text, and
    COPY the file in unchanged (validation is staging's job). Returns the row count per table.
    Columns are created from the file's header, so a missing contract column fails in dbt with
    its name, as it does on DuckDB."""
    counts: dict[str, int] = {}
    with connection, connection.cursor() as cur:
        cur.execute(f"create schema if not exists {_quote_ident(schema)}")
        for table in TABLES:
            path = Path(raw_path) / f"{table}.csv"
            if not path.exists():
                raise FileNotFoundError(f"{path}: raw contract file missing")
            with path.open(newline="", encoding="utf-8") as handle:
                header = next(csv.reader(handle))
            qualified = f"{_quote_ident(schema)}.{_quote_ident(table)}"
            cur.execute(f"drop table if exists {qualified}")
            columns = ", ".join(f"{_quote_ident(column)} text" for column in header)
            cur.execute(f"create table {qualified} ({columns})")
            with path.open("rb") as handle:
                cur.copy_expert(
                    f"copy {qualified} from stdin with (format csv, header true)", handle
                )
            cur.execute(f"select count(*) from {qualified}")
            counts[table] = cur.fetchone()[0]
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="custseg engines", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start-postgres", help="start a throw-away server, print its env")
    start.add_argument("--dir", type=Path, required=True)
    stop = sub.add_parser("stop-postgres", help="stop the server in --dir")
    stop.add_argument("--dir", type=Path, required=True)
    load = sub.add_parser("load-postgres", help="COPY raw CSVs into the server named by PG*")
    load.add_argument("--raw-path", type=Path, required=True)
    load.add_argument("--schema", default="raw")
    args = parser.parse_args(argv)
    if args.command == "start-postgres":
        server = PostgresServer(args.dir).start()
        (args.dir / "port").write_text(str(server.port))
        for key, value in server.env.items():
            print(f"export {key}={value}")
        return 0
    if args.command == "stop-postgres":
        server = PostgresServer(args.dir, port=int((args.dir / "port").read_text()))
        server.stop()
        return 0
    import psycopg2

    connection = psycopg2.connect("")  # libpq reads PGHOST, PGPORT, PGUSER, PGDATABASE
    for table, count in load_postgres_raw(connection, args.raw_path, args.schema).items():
        print(f"{args.schema}.{table}: {count} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
