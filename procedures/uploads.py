"""Images uploaded from the Markdown editor: checked with Pillow, stripped of metadata, resized.

Only JPEG, PNG and WebP are accepted, judged by the file's content rather than its name or the browser's
claim; SVG (which can carry scripts) never is. EXIF data (camera, GPS location) is dropped by re-encoding
the pixels alone. The stored name carries the image's size (…-1200x800.jpg) so that the Markdown
pipeline can give every <img> its width and height without opening the file.

Every file that cannot be used is a form error (a JSON 400 with the reason), never a server error: the
image is decoded in full while the form is validated, so a truncated or damaged file, a PNG stuffed with
text chunks or a decompression bomb is refused there, before anything is stored. Pillow's pixel limit
(Image.MAX_IMAGE_PIXELS) is set to MAX_PIXELS for the whole process, and its DecompressionBombWarning is an
error, so that no upload decodes into more than about 100 MB.
"""

import io
import logging
import math
import re
import uuid
import warnings

from django import forms
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_WIDTH = 1200
# Pillow keeps RGB and RGBA pixels in 4 bytes each: 24 million pixels (a 6000 x 4000 photo) decode into
# 96 MB. A 154 KB PNG of 6300 x 6300 pixels used to decode into ~490 MB on its way to being stored.
MAX_PIXELS = 24_000_000
UPLOAD_FOLDER = "uploads"
ORIENTATION_TAG = 0x0112

# Process-wide, set once at import (warnings filters are not thread-safe to change per request): Pillow
# warns above MAX_IMAGE_PIXELS and raises only above twice that; here both are refusals.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)

FORMATS_WE_TAKE = "Upload a JPEG, PNG or WebP image."


def too_many_pixels(pixels=None):
    size = f"{pixels:,} pixels" if pixels else "too many pixels"
    return forms.ValidationError(
        f"The image has {size}; the limit is {MAX_PIXELS:,} pixels (for example 6000 × 4000). Resize it and try again."
    )


def draft_size(image):
    """The least size (as stored, before EXIF rotation) that still makes MAX_WIDTH once rotated upright."""
    width, height = image.size
    rotated = image.getexif().get(ORIENTATION_TAG) in (5, 6, 7, 8)  # turned a quarter: width becomes height
    scale = MAX_WIDTH / (height if rotated else width)
    return (math.ceil(width * scale), math.ceil(height * scale)) if scale < 1 else (width, height)


def pixels_from_pillow_message(error):
    """Pillow's bomb messages read "Image size (39690000 pixels) exceeds limit of …"; the count, or None."""
    match = re.search(r"\((\d+) pixels\)", str(error))
    return int(match.group(1)) if match else None


class ImageUploadForm(forms.Form):
    image = forms.FileField(
        error_messages={
            "required": "Choose an image to upload.",
            "empty": "The file you chose is empty (0 bytes). Choose a JPEG, PNG or WebP image.",
        }
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.image_format = None
        self.decoded = None

    def clean_image(self):
        upload = self.cleaned_data["image"]
        if upload.size == 0:  # Django refuses these already; belt and braces for other upload handlers
            raise forms.ValidationError(self.fields["image"].error_messages["empty"])
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"\u201c{upload.name}\u201d is {upload.size / 1048576:.1f} MB; the limit is 5 MB. "
                "Save a smaller copy (for example at a lower quality or size) and try again."
            )
        not_an_image = forms.ValidationError(f"“{upload.name}” is not an image we can use. {FORMATS_WE_TAKE}")
        try:
            with Image.open(upload) as probe:
                image_format = probe.format
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise too_many_pixels(width * height)
                if image_format not in ALLOWED_FORMATS:
                    raise forms.ValidationError(
                        f"{image_format} images are not accepted (\u201c{upload.name}\u201d). "
                        f"{FORMATS_WE_TAKE} (SVG is not allowed.)"
                    )
                probe.verify()
            # Decode every pixel now, so that a file cut short or damaged is refused here and not when saved.
            upload.seek(0)
            decoded = Image.open(upload)
            if image_format == "JPEG":
                # JPEG can decode at 1/2, 1/4 or 1/8 scale: a 24-megapixel photo never needs its full 96 MB.
                decoded.draft(decoded.mode, draft_size(decoded))
            decoded.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise too_many_pixels(pixels_from_pillow_message(error)) from None
        except UnidentifiedImageError:
            raise not_an_image from None
        except ValueError as error:
            # PngImagePlugin: "Decompressed data too large …" (one text chunk), "Too much memory used in text
            # chunks" (many): a PNG that carries megabytes of text is refused rather than read.
            if "text chunk" in str(error) or "MAX_TEXT_CHUNK" in str(error):
                raise forms.ValidationError(
                    f"“{upload.name}” carries too much text (metadata) to be a picture we can use. "
                    "Export it again as a plain PNG or JPEG and try again."
                ) from None
            raise self.damaged(upload, error) from None
        except forms.ValidationError:
            raise
        except Exception as error:  # any other failure to decode an untrusted file is a refusal, not a 500
            raise self.damaged(upload, error) from None
        upload.seek(0)
        self.image_format = image_format
        self.decoded = decoded
        return upload

    @staticmethod
    def damaged(upload, error):
        logger.info("upload refused: %s could not be decoded (%s: %s)", upload.name, type(error).__name__, error)
        return forms.ValidationError(
            f"“{upload.name}” is incomplete or damaged and cannot be read as an image. "
            "Save or export it again and try again."
        )

    def save(self):
        """Store a clean copy: orientation applied, metadata dropped, at most MAX_WIDTH wide. Returns its URL."""
        original = self.decoded
        try:
            image = ImageOps.exif_transpose(original, in_place=True) or original  # no copy of every pixel
            if image.width > MAX_WIDTH:
                image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)), Image.LANCZOS)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode else "RGB")
            if self.image_format == "JPEG" and image.mode not in ("L", "RGB"):
                image = image.convert("RGB")
            # Only the pixels are copied: EXIF, GPS, comments and colour-profile chunks stay behind. The full-size
            # original is closed first when it is no longer needed (a resized image is a new one).
            if image is not original:
                original.close()
            pixels = Image.new(image.mode, image.size)
            pixels.paste(image)
            image.close()
            buffer = io.BytesIO()
            options = {"quality": 85, "optimize": True} if self.image_format in ("JPEG", "WEBP") else {"optimize": True}
            pixels.save(buffer, self.image_format, **options)
        finally:
            original.close()
        name = f"{UPLOAD_FOLDER}/{uuid.uuid4().hex}-{pixels.width}x{pixels.height}.{ALLOWED_FORMATS[self.image_format]}"
        stored = default_storage.save(name, ContentFile(buffer.getvalue()))
        return default_storage.url(stored)
