"""The site served by gunicorn with production settings on 127.0.0.1, for the load and soak benchmarks.

`Server(scratch_dir)` migrates a scratch database (a SQLite file in scratch_dir, or BENCH_DATABASE_URL when
that is set), loads content/ into it, makes sure the collected static files exist, then starts
`gunicorn -c gunicorn.conf.py sijoint_site.wsgi` from the repository root on a free port and waits for
/healthz. Used as a context manager it always stops gunicorn again (SIGTERM, then SIGKILL to its process
group). Settings are production ones (DEBUG off, a random secret key, the whole middleware stack) except:
plain HTTP (no SSL redirect), no access log, WARNING-level logs, rate limits (API and finder searches) no
load test reaches, no REDIS_URL unless the caller passes one (each worker keeps its own local-memory cache,
so nothing lands in a shared Redis), gunicorn's control socket in the scratch folder, and the bench.settings
overlay, whose URLconf (bench.urls) adds /bench/ceiling/. The fault drill passes its own database and Redis
(`database_url=`, `redis_url=`).

Also here: running wrk and reading its figures, and a plain urllib GET (no cookies, no proxy).
"""

import contextlib
import os
import re
import runpy
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from deploy.front import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = REPO_ROOT / ".venv" / "bin"
STATIC_MANIFEST = REPO_ROOT / "staticfiles" / "staticfiles.json"
HOST = "127.0.0.1"
READY_SECONDS = 30
STOP_SECONDS = 10
SETUP_SECONDS = 300
WORKERS = 2  # the benchmark machine has 2 cores, shared with the load generator
THREADS = 1
WRK_INSTALL_HINT = "wrk is not installed; install it with `apt-get install wrk` (Debian/Ubuntu) and run again."


def log(message):
    print(message, file=sys.stderr, flush=True)


def venv_program(name):
    """A program from the virtualenv this Python runs in (or .venv), else from PATH."""
    for directory in (Path(sys.executable).parent, VENV_BIN):
        if (directory / name).exists():
            return str(directory / name)
    return shutil.which(name)


def wrk_program():
    return shutil.which("wrk")


def scratch_database_url(scratch_dir, name):
    """BENCH_DATABASE_URL when set (a database you provide: it is migrated and loaded), else a scratch SQLite file."""
    return os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(scratch_dir) / f'{name}.sqlite3'}"


NO_RATE_LIMIT = "1000000/m"


def site_environment(database_url, port, run_dir=None, redis_url=None):
    """The environment for manage.py and gunicorn: production settings, with the benchmark's exceptions."""
    environment = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    if redis_url:
        environment["REDIS_URL"] = redis_url
    if run_dir:
        environment["GUNICORN_RUN_DIR"] = str(run_dir)
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": f"bench-only-{secrets.token_urlsafe(32)}",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DJANGO_LOG_FORMAT": "plain",
            "SITE_URL": f"http://{HOST}:{port}",
            "API_RATE_LIMIT": NO_RATE_LIMIT,
            "SEARCH_RATE_LIMIT": NO_RATE_LIMIT,
            "GUNICORN_BIND": f"{HOST}:{port}",
            "GUNICORN_WORKERS": str(WORKERS),
            "GUNICORN_THREADS": str(THREADS),
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_LOG_LEVEL": "warning",
            "GUNICORN_GRACEFUL_TIMEOUT": "5",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return environment


def gunicorn_settings(environment):
    """The settings gunicorn.conf.py gives under `environment` (it reads os.environ when run)."""
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(environment)
        return runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def ensure_static_files():
    """Collect the static files (hashed names and manifest, as `make collectstatic` does) if not yet collected."""
    if STATIC_MANIFEST.exists():
        return
    log("bench: staticfiles/staticfiles.json is missing; running collectstatic first ...")
    environment = dict(
        os.environ, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=f"bench-collectstatic-{secrets.token_urlsafe(32)}"
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=REPO_ROOT,
        env=environment,
        check=True,
        timeout=SETUP_SECONDS,
    )


def manage(environment, *arguments):
    subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=REPO_ROOT,
        env=environment,
        check=True,
        timeout=SETUP_SECONDS,
        stdout=subprocess.DEVNULL,
    )


class ServerError(Exception):
    pass


class Server:
    """gunicorn serving the site on a free port of 127.0.0.1 against a freshly loaded scratch database."""

    def __init__(self, scratch_dir, name="bench", *, database_url=None, redis_url=None):
        self.scratch_dir = Path(scratch_dir)
        self.port = free_port()
        self.database_url = database_url or scratch_database_url(scratch_dir, name)
        self.environment = site_environment(
            self.database_url, self.port, run_dir=self.scratch_dir / "run", redis_url=redis_url
        )
        self.log_path = self.scratch_dir / f"{name}-gunicorn.log"
        self.process = None
        self.gunicorn_settings = gunicorn_settings(self.environment)

    def describe(self):
        """How gunicorn runs, in a few words, for the reports."""
        conf = self.gunicorn_settings
        kind = "gthread" if conf["threads"] > 1 else "sync, no keep-alive"
        recycling = (
            f"each recycled after {conf['max_requests']:,} requests (+ up to {conf['max_requests_jitter']})"
            if conf["max_requests"]
            else "never recycled"
        )
        return f"gunicorn {conf['workers']} workers x {conf['threads']} thread ({kind}), {recycling}"

    def url(self, path="/"):
        return f"http://{HOST}:{self.port}{path}"

    def prepare(self):
        ensure_static_files()
        log(f"bench: migrating and loading content into {self.database_url} ...")
        manage(self.environment, "migrate", "--noinput", "-v0")
        manage(self.environment, "load_content")

    def start(self):
        gunicorn = venv_program("gunicorn")
        if gunicorn is None:
            raise ServerError("gunicorn is not installed in the virtualenv (pip install -r requirements.txt).")
        log(f"bench: starting {self.describe()} on {self.url('')} ...")
        with open(self.log_path, "wb") as log_file:
            # Its own session and process group, so that stop() can end the master and its workers together.
            self.process = subprocess.Popen(
                [gunicorn, "-c", "gunicorn.conf.py", "sijoint_site.wsgi"],
                cwd=REPO_ROOT,
                env=self.environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(f"gunicorn exited with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _body = http_get(self.url("/healthz"), timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise ServerError(f"gunicorn did not answer /healthz with 200 within {READY_SECONDS} s:\n{self.log_tail()}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            log("bench: gunicorn did not stop on SIGTERM; killing it")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # its own group: master and any worker left over
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log(f"bench: gunicorn (pid {self.process.pid}) is still running after SIGKILL")

    def worker_pids(self):
        """The pids of gunicorn's workers (the master's children) right now."""
        if self.process is None:
            return []
        return child_pids(self.process.pid)

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no gunicorn log)"

    def __enter__(self):
        try:
            self.prepare()
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()


def child_pids(parent):
    """The pids of a process's children, from /proc."""
    children = []
    for task in Path(f"/proc/{parent}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            children += [int(pid) for pid in task.read_text().split()]
    return sorted(set(children))


# --- Plain HTTP -----------------------------------------------------------------------------------------

# No proxy (whatever http_proxy says) and no cookie jar: every request is an anonymous visitor's.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url, timeout=10):
    """(status, body bytes) of a GET; 4xx and 5xx answers are returned, not raised."""
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "sijoint-bench"})
        with _opener.open(request, timeout=timeout) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- wrk ------------------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    requests_per_second: float
    p50_ms: float | None
    p99_ms: float | None
    non_2xx_3xx: int
    socket_errors: int
    socket_error_detail: str
    socket_errors_by_kind: dict  # connect, read, write, timeout (a response slower than wrk's 2 s timeout)
    output: str

    @property
    def errors(self):
        return self.non_2xx_3xx + self.socket_errors


_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _TIME_UNITS_MS[match.group(2)]


def _count(text):
    """wrk prints large counts as e.g. 1.23k or 4.56M in some places; plain integers elsewhere."""
    match = re.fullmatch(r"([\d.]+)([kMG]?)", text.strip())
    return round(float(match.group(1)) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[match.group(2)])


def parse_wrk(output):
    """Figures from `wrk --latency` output."""

    def percentile(label):
        match = re.search(rf"^\s*{label}%\s+(\S+)\s*$", output, re.MULTILINE)
        return _duration_ms(match.group(1)) if match else None

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ", output, re.MULTILINE)
    non_2xx = re.search(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", output, re.MULTILINE)
    sockets = re.search(r"^\s*Socket errors:\s+(.*)$", output, re.MULTILINE)
    by_kind = {kind: int(count) for kind, count in re.findall(r"(\w+) (\d+)", sockets.group(1))} if sockets else {}
    if rate is None or total is None:
        raise ValueError(f"could not read wrk's output:\n{output}")
    return WrkResult(
        requests=int(total.group(1)),
        requests_per_second=float(rate.group(1)),
        p50_ms=percentile("50"),
        p99_ms=percentile("99"),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(by_kind.values()),
        socket_error_detail=sockets.group(1).strip() if sockets else "none",
        socket_errors_by_kind=by_kind,
        output=output,
    )


def wrk_command(url, *, threads, connections, seconds, script=None):
    command = [wrk_program(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", str(script)]
    return [*command, url]


def run_wrk(url, *, threads, connections, seconds, script=None):
    """Run wrk to completion (bounded) and return its parsed figures."""
    completed = subprocess.run(
        wrk_command(url, threads=threads, connections=connections, seconds=seconds, script=script),
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk exited with status {completed.returncode}:\n{completed.stdout}{completed.stderr}")
    return parse_wrk(completed.stdout)
