"""The witness over HTTP: ``POST /add-checkpoint``, ``GET /<sha256(origin)>/checkpoint``, ``GET /healthz``.

Bodies are read up to :data:`MAX_REQUEST` bytes (413 beyond) within
:data:`READ_SECONDS` (408 beyond); checking and storing run in a worker
thread so a slow disk does not stop other requests being read.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import Response

from chain_client.tlog.witness import MAX_REQUEST, origin_hash
from witness.service import TEXT, Witness

READ_SECONDS = 10.0


async def _body(request: Request, seconds: float) -> bytes | Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REQUEST:
        return Response(f"body over {MAX_REQUEST} bytes\n", 413, media_type=TEXT)
    data = bytearray()

    async def read() -> None:
        async for chunk in request.stream():
            data.extend(chunk)
            if len(data) > MAX_REQUEST:
                raise OverflowError

    try:
        await asyncio.wait_for(read(), seconds)
    except OverflowError:
        return Response(f"body over {MAX_REQUEST} bytes\n", 413, media_type=TEXT)
    except TimeoutError:
        return Response(f"body not received within {seconds:g} s\n", 408, media_type=TEXT)
    return bytes(data)


def create_app(witness: Witness, read_seconds: float = READ_SECONDS) -> FastAPI:
    """The witness's HTTP application; a request body must arrive within ``read_seconds``."""
    app = FastAPI(title="Lease Chain witness", version="1", docs_url=None, redoc_url=None, openapi_url=None)
    hashes = {origin_hash(origin): origin for origin in witness.logs}

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        """c2sp.org/tlog-witness add-checkpoint."""
        body = await _body(request, read_seconds)
        if isinstance(body, Response):
            return body
        answer = await asyncio.to_thread(witness.add_checkpoint, body)
        return Response(answer.body, answer.status, media_type=answer.media_type)

    @app.get("/{digest}/checkpoint")
    async def checkpoint(digest: str) -> Response:
        """The latest checkpoint this witness cosigned for the log whose origin hashes to ``digest``."""
        origin = hashes.get(digest)
        latest = await asyncio.to_thread(witness.latest, origin) if origin else None
        if latest is None:
            return Response("no checkpoint cosigned for this log\n", 404, media_type=TEXT)
        return Response(latest, media_type=TEXT, headers={"Cache-Control": "no-store"})

    @app.get("/healthz")
    async def healthz() -> Response:
        """Liveness."""
        return Response("ok\n", media_type=TEXT)

    return app
