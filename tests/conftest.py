import shutil
from pathlib import Path

import pytest
import yaml
from django.core.cache import cache

from procedures.content import content_load

# The suite's own small content set. Only tests/test_real_content.py reads the real content/ folder,
# so staff can change the organisation's name, its phone number or the clinics without breaking a test.
TEST_CONTENT_DIR = Path(__file__).resolve().parent / "content"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached fragments must never leak from one test into the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _content_dir_is_the_test_set(settings):
    """Code that falls back to settings.CONTENT_DIR (the outage pages, load_content's default) reads tests/content."""
    settings.CONTENT_DIR = TEST_CONTENT_DIR


@pytest.fixture
def loaded(db):
    """tests/content, loaded as `make run` loads content/."""
    return content_load(TEST_CONTENT_DIR)


@pytest.fixture
def content_dir(tmp_path):
    """A scratch copy of tests/content that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(TEST_CONTENT_DIR, target)
    return target


@pytest.fixture(scope="session")
def content_clinics():
    """tests/content/clinics.yaml as written: the list of clinic entries that tests derive expected values from."""
    return yaml.safe_load((TEST_CONTENT_DIR / "clinics.yaml").read_text(encoding="utf-8"))
