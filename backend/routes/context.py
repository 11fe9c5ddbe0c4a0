"""What every route module shares: the ledger's reads, the writer, and the ways of answering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from backend import answers, paging, witnesses
from backend.metrics import Metrics
from backend.reads import Reads
from backend.stream import Stream
from backend.submitter import Submitter
from chain_client.cbor import CBORValue

JSON = "application/json"


def answer(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The JSON of ``model`` as the answer."""
    return Response(model.model_dump_json(), status_code=status, media_type=JSON, headers=headers)


def answer_list(items: Sequence[BaseModel], headers: dict[str, str] | None = None) -> Response:
    """A JSON array of models of one kind (an empty one of any)."""
    body = answers.json_list(type(items[0]), items) if items else b"[]"
    return Response(body, media_type=JSON, headers=headers)


def not_json(media: str, what: str, binary: bool = False) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of an answer that is not JSON: its media type and what it is."""
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    return {200: {"description": what, "content": {media: {"schema": schema}}}}


@dataclass
class Context:
    """The served ledger's reads and writer, with the metrics and witnesses the routes report to."""

    reads: Reads
    metrics: Metrics
    cosigner: witnesses.Cosigner | None = None
    stream: Stream = field(default_factory=Stream)
    writer: Submitter | None = None  # set while the app runs (its lifespan)

    def after(self, listing: str, cursor: str | None) -> CBORValue:
        """The sort key a page resumes after (None: the first page); ``bad_cursor`` if forged."""
        return None if cursor is None else self.reads.cursors.read(listing, cursor)

    def link(self, request: Request, listing: str, last: CBORValue) -> dict[str, str] | None:
        """The ``Link`` header of the next page when ``last`` (the last row's key) is set."""
        return None if last is None else paging.next_link(request, self.reads.cursors.issue(listing, last))

    def page(self, request: Request, model: BaseModel, listing: str, last: CBORValue) -> Response:
        """A page that is one JSON object, with the next page's link."""
        return answer(model, headers=self.link(request, listing, last))

    def page_list(
        self, request: Request, items: Sequence[BaseModel], listing: str, last: CBORValue
    ) -> Response:
        """A page that is a JSON array, with the next page's link."""
        return answer_list(items, headers=self.link(request, listing, last))
