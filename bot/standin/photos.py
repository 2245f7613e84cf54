"""What Telegram checks of an uploaded photo (sendPhoto), with its own error descriptions.

Bot API: "The photo must be at most 10 MB in size. The photo's width and height must not exceed 10000 in
total. Width and height ratio must be at most 20." Anything that is not an image is refused too.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from bot.standin.errors import bad_request

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SIDES = 10_000  # width + height
MAX_RATIO = 20.0

TOO_BIG = "PHOTO_SAVE_FILE_INVALID"
BAD_DIMENSIONS = "PHOTO_INVALID_DIMENSIONS"
NOT_AN_IMAGE = "IMAGE_PROCESS_FAILED"


def photo_size(data: bytes) -> tuple[int, int]:
    """(width, height) of an uploaded photo Telegram would take; else the 400 it answers."""
    if len(data) > MAX_PHOTO_BYTES:
        raise bad_request(TOO_BIG)
    try:
        # Image.open reads the header only: the size without decoding every pixel.
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        raise bad_request(NOT_AN_IMAGE) from None
    check_dimensions(width, height)
    return width, height


def check_dimensions(width: int, height: int) -> None:
    if width <= 0 or height <= 0 or width + height > MAX_SIDES or max(width, height) / min(width, height) > MAX_RATIO:
        raise bad_request(BAD_DIMENSIONS)
