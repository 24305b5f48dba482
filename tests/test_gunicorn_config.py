"""gunicorn.conf.py: the control socket lives in the app's own run folder, one per instance (or is off).

gunicorn 25+ opens a control socket for `gunicornc` at one shared default path ($XDG_RUNTIME_DIR/gunicorn.ctl
or ~/.gunicorn/gunicorn.ctl), so two instances on one machine replace and then remove each other's socket.
"""

import os
import runpy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from bench.server import free_port

CONF = Path(settings.BASE_DIR) / "gunicorn.conf.py"
STUB_APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def load_conf(monkeypatch, **environment):
    """gunicorn.conf.py's settings as gunicorn reads them, under the given environment variables."""
    for name in ("GUNICORN_RUN_DIR", "GUNICORN_CONTROL_SOCKET", "GUNICORN_BIND", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_control_socket_is_in_the_run_dir_named_after_the_address(monkeypatch, tmp_path):
    run_dir = tmp_path / "run-here"
    conf = load_conf(monkeypatch, GUNICORN_RUN_DIR=str(run_dir), GUNICORN_BIND="127.0.0.1:8123")
    assert conf["control_socket"] == str(run_dir / "gunicorn-127.0.0.1-8123.ctl")
    assert conf["control_socket_disable"] is False
    assert conf["control_socket_mode"] == 0o600
    assert run_dir.is_dir(), "the run folder is created when missing"
    assert run_dir.stat().st_mode & 0o077 == 0, "only the app's user may enter it"


def test_control_socket_defaults_to_the_repositorys_run_folder(monkeypatch):
    conf = load_conf(monkeypatch, GUNICORN_CONTROL_SOCKET="0")  # off, so that the test creates no folder
    assert conf["control_socket_disable"] is True
    assert conf["control_socket"] == str(Path(settings.BASE_DIR).resolve() / "run" / "gunicorn-0.0.0.0-8000.ctl")
    assert ".gunicorn" not in conf["control_socket"]


def test_two_instances_get_two_sockets(monkeypatch, tmp_path):
    first = load_conf(monkeypatch, GUNICORN_RUN_DIR=str(tmp_path), GUNICORN_BIND="127.0.0.1:8001")
    second = load_conf(monkeypatch, GUNICORN_RUN_DIR=str(tmp_path), GUNICORN_BIND="127.0.0.1:8002")
    assert first["control_socket"] != second["control_socket"]


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.skipif(shutil.which("gunicorn", path=str(Path(sys.executable).parent)) is None, reason="no gunicorn")
def test_two_gunicorns_on_one_machine_keep_their_own_sockets(tmp_path):
    (tmp_path / "stub_app.py").write_text(STUB_APP)
    run_dir = tmp_path / "run"
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    processes = []
    try:
        for port in (free_port(), free_port()):
            environment = dict(
                os.environ,
                GUNICORN_RUN_DIR=str(run_dir),
                GUNICORN_BIND=f"127.0.0.1:{port}",
                GUNICORN_WORKERS="1",
                GUNICORN_ACCESS_LOG="",
                GUNICORN_LOG_LEVEL="warning",
            )
            log = open(tmp_path / f"gunicorn-{port}.log", "wb")  # noqa: SIM115 - closed with the process
            process = subprocess.Popen(
                [gunicorn, "-c", str(CONF), "--pythonpath", str(tmp_path), "stub_app:app"],
                cwd=settings.BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            processes.append((process, run_dir / f"gunicorn-127.0.0.1-{port}.ctl", log))
        for _process, socket_path, _log in processes:
            assert wait_for(socket_path.is_socket, 30), f"{socket_path} never appeared"
        # The first one stops: its own socket goes, the second's stays.
        (first, first_socket, _), (second, second_socket, _) = processes
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        assert wait_for(lambda: not first_socket.exists(), 10)
        assert second_socket.is_socket(), "the second instance's socket survives the first one stopping"
        assert second.poll() is None
    finally:
        for process, _socket_path, log in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
            log.close()
