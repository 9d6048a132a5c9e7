"""Answering with a declared shape: msgspec encodes it straight to bytes."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from starlette.responses import Response

from community.api.shapes import Shape

_encoder = msgspec.json.Encoder()


def encode(shape: Shape) -> bytes:
    return _encoder.encode(shape)


class ShapeResponse(Response):
    """A JSON response whose body is a declared shape."""

    media_type = "application/json"

    def __init__(
        self, shape: Shape, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(_encoder.encode(shape), status_code, headers)
