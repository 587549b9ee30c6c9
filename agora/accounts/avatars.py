"""Avatar images: checked, re-encoded from pixels only (no metadata survives), square and small."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps

from agora.core.images import encode_webp, open_checked_image


def process_avatar(upload: UploadedFile) -> ContentFile:
    """Return a fresh square WebP of the upload, or raise ValidationError saying what is wrong."""
    image = open_checked_image(
        upload, max_bytes=settings.AVATAR_MAX_BYTES, max_pixels=settings.AVATAR_MAX_PIXELS
    )
    size = settings.AVATAR_SIZE
    square = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
    return ContentFile(encode_webp(square), name=f"{secrets.token_hex(8)}.webp")
