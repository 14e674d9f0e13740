"""Checks (and where possible starts) what the tests need from the machine.

Outside CI a missing prerequisite is announced loudly and its tests skip; with CI=true it
fails the run, so a green CI never hides a skipped database test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PG_URL = os.environ.get("AUDITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_ready() -> str | None:
    """None when PostgreSQL answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(PG_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def try_start_postgres() -> None:
    """This machine kind starts PostgreSQL before the session; restart it if it stopped."""
    if shutil.which("pg_ctlcluster") and os.path.isdir("/etc/postgresql"):
        for version in os.listdir("/etc/postgresql"):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                check=False,
                capture_output=True,
            )


REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)
"""The brokers the fleet tests run real Celery workers against (system services here)."""


def redis_ready() -> str | None:
    """None when Redis answers PING at 127.0.0.1:6379, else why not."""
    import socket

    try:
        with socket.create_connection(REDIS, timeout=5) as conn:
            conn.sendall(b"PING\r\n")
            answer = conn.recv(64)
    except OSError as exc:
        return f"Redis at {REDIS[0]}:{REDIS[1]}: {exc}"
    return None if answer.startswith(b"+PONG") else f"Redis answered {answer[:40]!r} to PING"


def rabbitmq_ready() -> str | None:
    """None when an AMQP 0-9-1 server greets at 127.0.0.1:5672 (Connection.Start), else why."""
    import socket

    try:
        with socket.create_connection(RABBITMQ, timeout=5) as conn:
            conn.sendall(b"AMQP\x00\x00\x09\x01")
            answer = conn.recv(64)
    except OSError as exc:
        return f"RabbitMQ at {RABBITMQ[0]}:{RABBITMQ[1]}: {exc}"
    # A method frame (type 1) on channel 0: the server's Connection.Start.
    return None if answer[:3] == b"\x01\x00\x00" else f"no AMQP greeting ({answer[:8]!r})"


def try_start_service(name: str) -> None:
    """This machine kind runs the brokers as system services: start one that stopped."""
    if os.geteuid() == 0 and shutil.which("service"):
        subprocess.run(["service", name, "start"], check=False, capture_output=True)


def graphviz_ready() -> str | None:
    """None when Graphviz's `dot` runs, else why not (the DOT export tests need it)."""
    if shutil.which("dot") is None:
        return "`dot` not on PATH (Debian package graphviz)"
    ran = subprocess.run(["dot", "-V"], check=False, capture_output=True, text=True)
    return None if ran.returncode == 0 else (ran.stderr.strip() or "`dot -V` failed")


def try_install_graphviz() -> None:
    """As root on Debian, install the graphviz package (quietly; a failure is reported by
    the check that follows)."""
    _apt_install("graphviz")


CHROMIUM = "/usr/bin/chromium"


def chromium_ready() -> str | None:
    """None when Debian's chromium runs, else why not (the HTML report's browser tests)."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not found (Debian package chromium)"
    ran = subprocess.run([CHROMIUM, "--version"], check=False, capture_output=True, text=True)
    return None if ran.returncode == 0 else (ran.stderr.strip() or "`chromium --version` failed")


def try_install_chromium() -> None:
    """As root on Debian, install the chromium package (a failure is reported by the check
    that follows). Playwright drives this browser; it never downloads its own."""
    _apt_install("chromium")


def tmux_ready() -> str | None:
    """None when tmux runs, else why not (the terminal screen-capture tests drive a real
    terminal through it: `new-session -x 80`, `capture-pane`)."""
    if shutil.which("tmux") is None:
        return "`tmux` not on PATH (Debian package tmux)"
    ran = subprocess.run(["tmux", "-V"], check=False, capture_output=True, text=True)
    return None if ran.returncode == 0 else (ran.stderr.strip() or "`tmux -V` failed")


def try_install_tmux() -> None:
    """As root on Debian, install the tmux package."""
    _apt_install("tmux")


IMAGE_TOOLS = {"umoci": "umoci", "skopeo": "skopeo", "rpm": "rpm", "rpmbuild": "rpm"}
"""Command -> Debian package: the image tests build real OCI layouts, docker-save archives
and rpm databases with them (no container engine needed)."""


def image_tools_ready() -> str | None:
    """None when umoci, skopeo, rpm and rpmbuild are on PATH, else which are missing."""
    missing = [tool for tool in IMAGE_TOOLS if shutil.which(tool) is None]
    if not missing:
        return None
    packages = sorted({IMAGE_TOOLS[tool] for tool in missing})
    return f"{', '.join(missing)} not on PATH (Debian packages {' '.join(packages)})"


def try_install_image_tools() -> None:
    """As root on Debian, install the image tools' packages."""
    for package in sorted(set(IMAGE_TOOLS.values())):
        if any(shutil.which(t) is None for t, p in IMAGE_TOOLS.items() if p == package):
            _apt_install(package)


def _apt_install(package: str) -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return
    for argv in (
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
    ):
        ran = subprocess.run(argv, check=False, capture_output=True)
        if argv[1] == "install" and ran.returncode == 0:
            return


def _missing(what: str, problem: str, skipped: str) -> int:
    banner = "!" * 72
    print(f"{banner}\nprereqs: {what} ({problem})", file=sys.stderr)
    if os.environ.get("CI") == "true":
        print(f"prereqs: CI=true, so this fails the run\n{banner}", file=sys.stderr)
        return 1
    print(f"prereqs: {skipped} will be SKIPPED\n{banner}", file=sys.stderr)
    return 0


def main() -> int:
    """Exit 1 only under CI=true with something missing."""
    status = 0
    problem = postgres_ready()
    if problem is not None:
        try_start_postgres()
        problem = postgres_ready()
    if problem is None:
        print("prereqs: PostgreSQL at 127.0.0.1:5432 answers")
    else:
        status |= _missing("PostgreSQL unreachable", problem, "the PostgreSQL store tests")
    for name, service, ready in (
        ("Redis", "redis-server", redis_ready),
        ("RabbitMQ", "rabbitmq-server", rabbitmq_ready),
    ):
        problem = ready()
        if problem is not None:
            try_start_service(service)
            problem = ready()
        if problem is None:
            print(f"prereqs: {name} answers")
        else:
            status |= _missing(f"{name} unreachable", problem, "the fleet (Celery worker) tests")
    problem = graphviz_ready()
    if problem is not None:
        try_install_graphviz()
        problem = graphviz_ready()
    if problem is None:
        print("prereqs: Graphviz dot runs")
    else:
        status |= _missing("Graphviz missing", problem, "the DOT export tests")
    problem = chromium_ready()
    if problem is not None:
        try_install_chromium()
        problem = chromium_ready()
    if problem is None:
        print("prereqs: chromium runs")
    else:
        status |= _missing("chromium missing", problem, "the HTML report browser tests")
    problem = tmux_ready()
    if problem is not None:
        try_install_tmux()
        problem = tmux_ready()
    if problem is None:
        print("prereqs: tmux runs")
    else:
        status |= _missing("tmux missing", problem, "the terminal screen-capture tests")
    problem = image_tools_ready()
    if problem is not None:
        try_install_image_tools()
        problem = image_tools_ready()
    if problem is None:
        print("prereqs: umoci, skopeo and rpm run")
    else:
        status |= _missing("image tools missing", problem, "the container image tests")
    return status


if __name__ == "__main__":
    sys.exit(main())
