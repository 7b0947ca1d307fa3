"""Reading request bodies with a size limit, without holding more than the limit in memory."""

from __future__ import annotations

from fastapi import Request

from .errors import BadRequest, PayloadTooLarge


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than the limit of {max_bytes} bytes",
                           limit=max_bytes)


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, or PayloadTooLarge (413) as soon as it passes ``max_bytes``; BadRequest when empty.

    A declared Content-Length above the limit is refused before reading anything; a body without one (chunked)
    is refused while streaming, so at most ``max_bytes`` plus one chunk is ever held.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise BadRequest("the Content-Length header is not a number") from None
        if length > max_bytes:
            raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body:
        raise BadRequest("the request body is empty: send the description in the body, with a Content-Type "
                         "that names its format")
    return body
