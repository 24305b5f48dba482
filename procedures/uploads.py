"""Images uploaded from the Markdown editor: checked with Pillow, stripped of metadata, resized.

Only JPEG, PNG and WebP are accepted, judged by the file's content rather than its name or the browser's
claim; SVG (which can carry scripts) never is. EXIF data (camera, GPS location) is dropped by re-encoding
the pixels alone. The stored name carries the image's size (…-1200x800.jpg) so that the Markdown
pipeline can give every <img> its width and height without opening the file.
"""

import io
import uuid

from django import forms
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_WIDTH = 1200
MAX_PIXELS = 40_000_000  # refuses decompression bombs before decoding them
UPLOAD_FOLDER = "uploads"


class ImageUploadForm(forms.Form):
    image = forms.FileField()

    def clean_image(self):
        upload = self.cleaned_data["image"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"The image is {upload.size / 1048576:.1f} MB; the limit is 5 MB.")
        try:
            with Image.open(upload) as probe:
                image_format = probe.format
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise forms.ValidationError("The image has too many pixels. Resize it and try again.")
                probe.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
            raise forms.ValidationError(
                "This file is not an image we can use. Upload a JPEG, PNG or WebP image."
            ) from None
        if image_format not in ALLOWED_FORMATS:
            raise forms.ValidationError(
                f"{image_format} images are not accepted. Upload a JPEG, PNG or WebP image (SVG is not allowed)."
            )
        upload.seek(0)
        self.image_format = image_format
        return upload

    def save(self):
        """Store a clean copy: orientation applied, metadata dropped, at most MAX_WIDTH wide. Returns its URL."""
        upload = self.cleaned_data["image"]
        with Image.open(upload) as original:
            image = ImageOps.exif_transpose(original)
            if image.width > MAX_WIDTH:
                image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)), Image.LANCZOS)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode else "RGB")
            if self.image_format == "JPEG" and image.mode != "L":
                image = image.convert("RGB")
            # Only the pixels are copied: EXIF, GPS, comments and colour-profile chunks stay behind.
            pixels = Image.frombytes(image.mode, image.size, image.tobytes())
            buffer = io.BytesIO()
            options = {"quality": 85, "optimize": True} if self.image_format in ("JPEG", "WEBP") else {"optimize": True}
            pixels.save(buffer, self.image_format, **options)
        name = f"{UPLOAD_FOLDER}/{uuid.uuid4().hex}-{pixels.width}x{pixels.height}.{ALLOWED_FORMATS[self.image_format]}"
        stored = default_storage.save(name, ContentFile(buffer.getvalue()))
        return default_storage.url(stored)
