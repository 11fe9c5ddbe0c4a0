"""The gateway's local HTTP endpoint: ``/metrics`` for Prometheus, ``/registry`` for lab tools.

``/registry`` is JSON: the ids of the device keys the gateway accepts now, each
with its state, when the registry was last synced from the ledger and how often
it syncs.  The fleet simulator reads it to wait until the gateway knows *its*
devices before it sends (a count of devices cannot say which ones).  Device ids
and states are public on the ledger anyway; like ``/metrics``, keep the port on
localhost or behind the site firewall.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from gateway.registry import Registry
from gateway.threads import Spawn, daemon

# WSGI's (environ, start_response) pair, typed as loosely as wsgiref itself types it.
StartResponse = Callable[..., Any]


def registry_document(registry: Registry, sync_interval: float | None) -> dict[str, Any]:
    """What ``GET /registry`` answers."""
    return {
        "devices": {dev.hex(): entry.state for dev, entry in registry.snapshot().items()},
        "synced_at": registry.synced_at,
        "sync_interval_seconds": sync_interval,
    }


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: ANN401 - the base signature
        """Log nothing: a scrape every few seconds is not news."""


def app(
    metrics: CollectorRegistry, registry: Callable[[], dict[str, Any]]
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI application: ``/registry`` here, everything else to prometheus_client."""
    prometheus = make_wsgi_app(metrics)

    def handle(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/registry":
            body = json.dumps(registry()).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        result: Iterable[bytes] = prometheus(environ, start_response)
        return result

    return handle


def serve(
    host: str,
    port: int,
    metrics: CollectorRegistry,
    registry: Callable[[], dict[str, Any]],
    spawn: Spawn = daemon,
) -> int:
    """Serve both paths from a thread ``spawn`` starts; return the port (``port`` 0 picks a free one)."""
    server = make_server(host, port, app(metrics, registry), _Server, handler_class=_QuietHandler)
    spawn(server.serve_forever, "metrics")
    return int(server.server_address[1])
