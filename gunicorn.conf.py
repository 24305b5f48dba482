"""gunicorn settings for production, from the environment (see the README's table)."""

import multiprocessing
import os
import re
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Worker recycling is off by default: a recycled worker starts with an empty cache and reloads the ZIP
# code data, which showed up as one-second stalls under load (bench/load.py). Set it to bound a leak.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
# Logs go to stdout/stderr; the access log is one JSON object a line for the log collector.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '{"time":"%(t)s","remote":"%(h)s","method":"%(m)s","path":"%(U)s","query":"%(q)s","status":%(s)s,'
    '"bytes":"%(B)s","duration_ms":%(M)s,"referer":"%(f)s","user_agent":"%(a)s"}'
)
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn 25+ opens a control socket (for `gunicornc`) at one shared path by default ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): a second gunicorn on the same machine replaces it, and whichever stops first
# removes the other's. Ours lives in the app's own run folder (GUNICORN_RUN_DIR, default <repo>/run/),
# named after the address it serves, so that two instances never share one; GUNICORN_CONTROL_SOCKET=0
# turns it off.
run_dir = Path(os.environ.get("GUNICORN_RUN_DIR") or Path(__file__).resolve().parent / "run").resolve()
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "1").strip().lower() in {"0", "false", "no", "off"}
if not control_socket_disable:
    run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
control_socket = str(run_dir / f"gunicorn-{re.sub(r'[^A-Za-z0-9.]+', '-', bind).strip('-')}.ctl")
control_socket_mode = 0o600


def post_worker_init(worker):
    """Load the ZIP code tables before the worker takes requests, not during a patient's first search."""
    from procedures.geo import warm_up

    warm_up()
