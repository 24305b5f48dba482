"""The benchmarks' settings overlay: production settings plus bench.urls (the bare "ceiling" view).

Production settings carry no benchmark hooks; gunicorn under `make bench` runs with
DJANGO_SETTINGS_MODULE=bench.settings instead.
"""

from sijoint_site.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
