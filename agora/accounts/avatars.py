"""Avatar images: checked, re-encoded from pixels only (no metadata survives), square and small."""

from __future__ import annotations

import io
import secrets
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def process_avatar(upload: UploadedFile) -> ContentFile:
    """Return a fresh WebP of the upload, or raise ValidationError saying what is wrong."""
    if upload.size is None or upload.size > settings.AVATAR_MAX_BYTES:
        raise ValidationError(
            _("The image is too large: the limit is %(limit)s.")
            % {"limit": filesizeformat(settings.AVATAR_MAX_BYTES)},
            code="too_large",
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format not in ALLOWED_FORMATS:
                    raise ValidationError(
                        _("Upload a JPEG, PNG, GIF or WebP image."), code="bad_format"
                    )
                width, height = image.size
                if width * height > settings.AVATAR_MAX_PIXELS:
                    raise ValidationError(
                        _("The image has too many pixels (%(w)s×%(h)s).")
                        % {"w": width, "h": height},
                        code="too_many_pixels",
                    )
                image.seek(0)
                image.load()
                image = ImageOps.exif_transpose(image)
                has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
                image = image.convert("RGBA" if has_alpha else "RGB")
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("The image is too large to open safely."), code="too_many_pixels"
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(
            _("The file is not a valid image or is damaged."), code="invalid"
        ) from exc

    size = settings.AVATAR_SIZE
    square = ImageOps.fit(image, (size, size), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # Saved from pixels alone: no EXIF, GPS, ICC or text chunks are carried over.
    square.save(out, format="WEBP", quality=85, method=4)
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.webp")
