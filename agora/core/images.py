"""Checked image decoding and re-encoding for every upload: type and size limits, decompression
bombs refused, orientation applied, and a fresh file written from pixels alone (no EXIF, GPS, ICC
or text chunks survive)."""

from __future__ import annotations

import io
import warnings

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def open_checked_image(upload: UploadedFile, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """Decode an upload, or raise ValidationError saying what is wrong with it."""
    if upload.size is None or upload.size > max_bytes:
        raise ValidationError(
            _("The image is too large: the limit is %(limit)s.")
            % {"limit": filesizeformat(max_bytes)},
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
                if width * height > max_pixels:
                    raise ValidationError(
                        _("The image has too many pixels (%(w)s×%(h)s).")
                        % {"w": width, "h": height},
                        code="too_many_pixels",
                    )
                image.seek(0)
                image.load()
                image = ImageOps.exif_transpose(image)
                has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
                return image.convert("RGBA" if has_alpha else "RGB")
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


def encode_webp(image: Image.Image, *, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, format="WEBP", quality=quality, method=4)
    return out.getvalue()
