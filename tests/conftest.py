import shutil

import pytest
from django.conf import settings
from django.core.cache import cache

from procedures.content import content_load


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached fragments must never leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def loaded(db):
    """The real content/ folder, loaded as `make run` loads it."""
    return content_load(settings.CONTENT_DIR)


@pytest.fixture
def content_dir(tmp_path):
    """A scratch copy of content/ that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, target)
    return target
