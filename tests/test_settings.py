"""Settings come from the environment and refuse to run production without a real secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_django(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_django({"DJANGO_DEBUG": "0"}, "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_production_refuses_the_development_key():
    result = run_django({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "django-insecure-abc"}, "check")
    assert result.returncode != 0
    assert "development key" in result.stderr


def test_debug_mode_runs_without_a_secret_key():
    result = run_django({"DJANGO_DEBUG": "1"}, "check")
    assert result.returncode == 0, result.stderr


def test_a_nonsense_boolean_is_refused_clearly():
    result = run_django({"DJANGO_DEBUG": "maybe"}, "check")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be" in result.stderr
