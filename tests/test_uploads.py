"""The staff image upload never answers 500: every file it cannot use is a form error, a JSON 400 with a reason.

Each hostile or broken file is built in memory (Pillow and bytes) and posted to /markdownx/upload/ as a
signed-in superuser, as the Markdown editor does. Nothing may be stored for any of them.
"""

import io
import struct
import subprocess
import sys
import zlib

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from PIL import Image

from procedures import uploads

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/markdownx/upload/"


@pytest.fixture
def staff_client(client):
    user = User.objects.create_superuser("uploader", "uploader@example.org", "a-long-uploader-password")
    client.force_login(user)
    return client


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def named(data, name):
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def small_png(size=(10, 10)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def png_with_chunks(chunks):
    """A valid small PNG with extra chunks between its header (IHDR) and its pixel data."""
    raw = small_png()
    header_end = 8 + 4 + 4 + 13 + 4  # signature, then IHDR's length, type, 13 bytes of data and CRC
    return raw[:header_end] + b"".join(chunks) + raw[header_end:]


def zipped_text_chunk(keyword, text_bytes):
    """A zTXt chunk: a few KB in the file, text_bytes once decompressed."""
    return png_chunk(b"zTXt", keyword + b"\x00\x00" + zlib.compress(b"a" * text_bytes, 9))


def huge_text_chunk_png():
    return png_with_chunks([zipped_text_chunk(b"Comment", 50_000_000)])


def many_text_chunks_png():
    # Each decompresses to just under Pillow's per-chunk limit; together they pass its 64 MB text budget.
    return png_with_chunks([zipped_text_chunk(b"k%d" % number, 1_000_000) for number in range(80)])


def truncated_jpeg():
    buffer = io.BytesIO()
    Image.effect_noise((800, 600), 60).convert("RGB").save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    return data[: len(data) // 2]


def png_with_garbage_pixels():
    """A PNG whose header is right but whose pixel data (IDAT) is not compressed image data at all."""
    raw = small_png()
    start = raw.index(b"IDAT") - 4
    length = struct.unpack(">I", raw[start : start + 4])[0]
    garbage = b"this is not zlib data" * 4
    return raw[:start] + png_chunk(b"IDAT", garbage) + raw[start + 12 + length :]


def decompression_bomb_png():
    """6300 x 6300 pixels in a few KB: ~160 MB once decoded, far more once converted and resized."""
    buffer = io.BytesIO()
    Image.new("1", (6300, 6300)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def post(client, upload):
    return client.post(UPLOAD_URL, {"image": upload}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")


def assert_refused(response, media_root, message):
    assert response.status_code == 400, response.content[:300]
    errors = response.json()["image"]
    assert any(message in error for error in errors), errors
    assert not media_root.exists() or not any(path.is_file() for path in media_root.rglob("*")), "nothing stored"


def test_png_with_a_huge_text_chunk_is_refused(staff_client, media_root):
    upload = named(huge_text_chunk_png(), "huge-text.png")
    assert upload.getbuffer().nbytes < uploads.MAX_UPLOAD_BYTES
    assert_refused(post(staff_client, upload), media_root, "too much text")


def test_png_with_many_text_chunks_is_refused(staff_client, media_root):
    upload = named(many_text_chunks_png(), "many-texts.png")
    assert upload.getbuffer().nbytes < uploads.MAX_UPLOAD_BYTES
    assert_refused(post(staff_client, upload), media_root, "too much text")


def test_truncated_jpeg_is_refused(staff_client, media_root):
    assert_refused(post(staff_client, named(truncated_jpeg(), "cut-short.jpg")), media_root, "incomplete or damaged")


def test_png_with_garbage_pixel_data_is_refused(staff_client, media_root):
    response = post(staff_client, named(png_with_garbage_pixels(), "garbage.png"))
    assert_refused(response, media_root, "incomplete or damaged")


def test_non_image_is_refused_with_the_formats_we_take(staff_client, media_root):
    upload = named(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", "leaflet.png")
    response = post(staff_client, upload)
    assert_refused(response, media_root, "not an image we can use")
    assert_refused(response, media_root, "“leaflet.png”")


def test_empty_file_is_refused(staff_client, media_root):
    assert_refused(post(staff_client, named(b"", "empty.jpg")), media_root, "is empty (0 bytes)")


@pytest.mark.parametrize(
    "warning_filter",
    [
        # As served: the warning is an error (procedures/uploads.py sets it for the process).
        pytest.param("error", marks=pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")),
        # Should anything reset the warning filters, the form's own pixel check still refuses the image.
        pytest.param("ignore", marks=pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")),
    ],
)
def test_decompression_bomb_is_refused_with_the_pixel_limit(staff_client, media_root, warning_filter):
    upload = named(decompression_bomb_png(), "bomb.png")
    assert upload.getbuffer().nbytes < 200_000
    response = post(staff_client, upload)
    assert_refused(response, media_root, f"the limit is {uploads.MAX_PIXELS:,} pixels")
    assert_refused(response, media_root, "39,690,000 pixels")


def test_pixel_limit_keeps_a_decode_under_about_100_mb():
    # Pillow keeps RGB and RGBA pixels in 4 bytes each.
    assert uploads.MAX_PIXELS * 4 <= 100_000_000
    assert Image.MAX_IMAGE_PIXELS == uploads.MAX_PIXELS


def test_decompression_bomb_warning_is_an_error_in_a_served_process(tmp_path):
    """pytest resets warning filters around each test, so the process-wide filter is checked in a fresh Python."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(decompression_bomb_png())
    script = (
        "import sys\n"
        "from PIL import Image\n"
        "import procedures.uploads\n"
        "try:\n"
        f"    Image.open({str(bomb)!r})\n"
        "except Image.DecompressionBombWarning as error:\n"
        "    print('refused:', error)\n"
        "    sys.exit(0)\n"
        "sys.exit('opened without an error')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "39690000 pixels" in completed.stdout


def test_image_just_under_the_limit_is_still_accepted(staff_client, media_root, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 600 * 400)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 600 * 400)
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), (10, 20, 30)).save(buffer, "JPEG")
    response = post(staff_client, named(buffer.getvalue(), "ok.jpg"))
    assert response.status_code == 200, response.content
    assert "-600x400.jpg)" in response.json()["image_code"]


@pytest.mark.parametrize(("orientation", "stored_size"), [(1, "1200x800"), (6, "1200x1800")])
def test_large_jpeg_is_decoded_small_and_stored_upright(staff_client, media_root, orientation, stored_size):
    """JPEG photos decode at a reduced scale (draft), never below what the stored width needs, rotation included."""
    exif = Image.Exif()
    exif[0x0112] = orientation  # 6: the camera was turned a quarter; upright, the photo is 1600 x 2400
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((2400, 1600)).convert("RGB").save(buffer, "JPEG", exif=exif.tobytes())
    response = post(staff_client, named(buffer.getvalue(), "photo.jpg"))
    assert response.status_code == 200, response.content
    assert f"-{stored_size}.jpg)" in response.json()["image_code"]
    stored = next(media_root.rglob("*.jpg"))
    with Image.open(stored) as saved:
        assert f"{saved.width}x{saved.height}" == stored_size
        assert not saved.getexif()


# --- The messages the editor shows beside the text (static/admin/js/section-checks.js shows them as sent) -------


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"Notes from the clinic meeting.\n", "notes.txt", ["“notes.txt” is not an image we can use", "JPEG, PNG"]),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "logo.svg", ["“logo.svg” is not an image", "JPEG, PNG"]),
        ("gif", "moving.gif", ["GIF images are not accepted (“moving.gif”)", "JPEG, PNG or WebP"]),
    ],
)
def test_a_refusal_names_the_file_and_says_what_to_upload_instead(staff_client, media_root, data, name, says):
    if data == "gif":
        buffer = io.BytesIO()
        Image.new("P", (4, 4)).save(buffer, "GIF")
        data = buffer.getvalue()
    response = post(staff_client, named(data, name))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    [message] = response.json()["image"]
    for words in says:
        assert words in message
    assert "Invalid response" not in message


def test_a_file_over_the_size_limit_is_named_with_its_size_and_what_to_do(staff_client, media_root):
    too_big = small_png() + b"\0" * int(5.2 * 1048576)
    response = post(staff_client, named(too_big, "scan.png"))
    assert response.status_code == 400
    [message] = response.json()["image"]
    assert message.startswith("“scan.png” is 5.2 MB; the limit is 5 MB. Save a smaller copy")


def test_a_request_without_a_file_asks_for_one(staff_client, media_root):
    response = staff_client.post(UPLOAD_URL, {}, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 400
    assert response.json()["image"] == ["Choose an image to upload."]
