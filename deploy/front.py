"""The production layout on one machine without Docker: gunicorn with production settings behind nginx
running the project's own deploy/nginx.conf.

`make serve-production` runs `python -m deploy.front` (in the foreground; Ctrl-C or SIGTERM stops
everything it started). The benchmarks and tests use `ProductionLayout` the same way.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = REPO_ROOT / "deploy" / "nginx.conf"
PROXY_SETTINGS = REPO_ROOT / "deploy" / "nginx-proxy.conf"
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


def render_template(text, values):
    """Fill in ${NAME} as the nginx image's envsubst does; nginx's own $variables are left alone."""

    def value(match):
        name = match.group(1)
        if name not in values:
            raise KeyError(f"deploy/nginx.conf needs {name}")
        return str(values[name])

    return _PLACEHOLDER.sub(value, text)


def nginx_program():
    return shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx") or None


def main_config(run_dir, server_config):
    """A whole nginx.conf for a foreground nginx whose files all live in run_dir."""
    temp = run_dir / "tmp"
    user = "user root root;  # started by root on a development machine\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 2;\npid {run_dir / 'nginx.pid'};\nerror_log {run_dir / 'nginx-error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        "    access_log off;\n"
        "    sendfile on;\n"
        "    keepalive_timeout 65;\n"
        f"    client_body_temp_path {temp / 'body'};\n"
        f"    proxy_temp_path {temp / 'proxy'};\n"
        f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
        f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"    scgi_temp_path {temp / 'scgi'};\n"
        f"    include {server_config};\n"
        "}\n"
    )


def write_nginx_config(run_dir, *, front_port, app_port, static_root, media_root):
    """Render deploy/nginx.conf for this machine into run_dir; the path of the whole nginx.conf."""
    run_dir = Path(run_dir)
    for folder in ("cache", "tmp"):
        (run_dir / folder).mkdir(parents=True, exist_ok=True)
    server_config = run_dir / "sijoint.conf"
    server_config.write_text(
        render_template(
            TEMPLATE.read_text(),
            {
                "FRONT_PORT": f"127.0.0.1:{front_port}",
                "APP_UPSTREAM": f"127.0.0.1:{app_port}",
                "RESOLVER": "127.0.0.1",
                "CACHE_DIR": run_dir / "cache",
                "STATIC_ROOT": Path(static_root),
                "MEDIA_ROOT": Path(media_root),
                "PROXY_SETTINGS": PROXY_SETTINGS,
            },
        )
    )
    main = run_dir / "nginx.conf"
    main.write_text(main_config(run_dir, server_config))
    return main


def nginx_test(config_path):
    """`nginx -t` on a whole config: (ok, what nginx said)."""
    result = subprocess.run([nginx_program(), "-t", "-c", str(config_path)], capture_output=True, text=True)
    return result.returncode == 0, result.stderr


def wait_for(url, *, seconds=30, accept=(200,)):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status in accept:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ProductionLayout:
    """gunicorn (production settings) behind nginx (deploy/nginx.conf), both on loopback, in run_dir."""

    def __init__(self, run_dir, *, front_port=8080, app_port=8001, environment=None, workers=None, log=print):
        self.run_dir = Path(run_dir)
        self.front_port, self.app_port = front_port, app_port
        self.environment = environment or {}
        self.workers = workers
        self.log = log
        self.gunicorn = self.nginx = None
        self._secret = None

    @property
    def front_url(self):
        return f"http://127.0.0.1:{self.front_port}"

    @property
    def app_url(self):
        return f"http://127.0.0.1:{self.app_port}"

    def django_environment(self):
        """Production settings: DEBUG off, a real secret, behind our own front server, on plain HTTP here."""
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "sijoint_site.settings", **self.environment}
        if not environment.get("DJANGO_SECRET_KEY"):
            if self._secret is None:
                self._secret = secrets.token_urlsafe(50)
                self.log("serve-production: DJANGO_SECRET_KEY is not set; using a random one for this run only")
            environment["DJANGO_SECRET_KEY"] = self._secret
        environment.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")  # plain HTTP on this machine
        environment.setdefault("DJANGO_BEHIND_PROXY", "1")
        environment.setdefault("SITE_URL", self.front_url)
        environment.pop("DJANGO_DEBUG", None)
        return environment

    def manage(self, *arguments):
        subprocess.run(
            [sys.executable, "manage.py", *arguments], cwd=REPO_ROOT, env=self.django_environment(), check=True
        )

    def prepare(self):
        """Migrate, load content/, collect static files and write the front's 503 page."""
        self.manage("migrate", "--noinput", "-v0")
        self.manage("load_content")
        self.manage("collectstatic", "--noinput", "-v0")
        self.manage("outage_page")

    def start(self):
        if nginx_program() is None:
            raise RuntimeError("nginx is not installed (Debian: apt-get install nginx)")
        environment = self.django_environment()
        static_root = REPO_ROOT / "staticfiles"
        media_root = Path(environment.get("DJANGO_MEDIA_ROOT", REPO_ROOT / "media"))
        media_root.mkdir(parents=True, exist_ok=True)
        config = write_nginx_config(
            self.run_dir,
            front_port=self.front_port,
            app_port=self.app_port,
            static_root=static_root,
            media_root=media_root,
        )
        ok, said = nginx_test(config)
        if not ok:
            raise RuntimeError(f"nginx refused the configuration:\n{said}")
        environment["GUNICORN_BIND"] = f"127.0.0.1:{self.app_port}"
        environment.setdefault("GUNICORN_RUN_DIR", str(self.run_dir))
        if self.workers:
            environment["GUNICORN_WORKERS"] = str(self.workers)
        self.gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "sijoint_site.wsgi"],
            cwd=REPO_ROOT,
            env=environment,
            start_new_session=True,
        )
        self.start_nginx(config)
        if not wait_for(f"{self.app_url}/healthz", accept=(200,)):
            self.stop()
            raise RuntimeError("gunicorn did not answer /healthz within 30 s")
        self.log(f"serve-production: {self.front_url} (nginx) -> {self.app_url} (gunicorn, production settings)")
        return self

    def start_nginx(self, config=None):
        config = config or self.run_dir / "nginx.conf"
        self.nginx = subprocess.Popen([nginx_program(), "-c", str(config), "-g", "daemon off;"], start_new_session=True)
        if not wait_for(f"{self.front_url}/robots.txt", seconds=15, accept=(200, 503)):
            raise RuntimeError("nginx did not answer within 15 s")

    def stop_gunicorn(self):
        _stop(self.gunicorn)
        self.gunicorn = None

    def stop(self):
        _stop(self.nginx)
        _stop(self.gunicorn)
        self.nginx = self.gunicorn = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _stop(process):
    """SIGTERM to the process group, then SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def serve():
    """`make serve-production`: in the foreground until Ctrl-C or SIGTERM, then stop everything."""
    layout = ProductionLayout(
        REPO_ROOT / "run" / "serve-production",
        front_port=int(os.environ.get("FRONT_PORT", "8080")),
        app_port=int(os.environ.get("APP_PORT", "8001")),
    )
    layout.prepare()
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    layout.start()
    print(f"serve-production: open {layout.front_url}/ ; Ctrl-C stops nginx and gunicorn", flush=True)
    try:
        while not stopping:
            if layout.gunicorn.poll() is not None or layout.nginx.poll() is not None:
                print("serve-production: gunicorn or nginx stopped; stopping the other", file=sys.stderr)
                return 1
            time.sleep(0.5)
    finally:
        layout.stop()
        print("serve-production: stopped nginx and gunicorn", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(serve())
