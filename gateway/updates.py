"""The update service: serves one release directory to the site's sensors over HTTP.

``leasechain-device release --out DIR`` writes the directory; sensors whose
``update.url`` points here fetch ``manifest.json``, ``manifest.sig`` and
``files/<sha256>`` (docs/firmware.md, "Updates and rollback").  Nothing else
is answered: no listings, no other paths, and only GET.  The release's
signature, not this service, is what a sensor trusts, so plain HTTP on the
site network is enough.

    python -m gateway.updates --dir /var/lib/leasechain/release [--host 0.0.0.0] [--port 8070]
"""

from __future__ import annotations

import argparse
import http.server
import re
import sys
from pathlib import Path

DEFAULT_PORT = 8070
_PATHS = re.compile(r"^/(manifest\.json|manifest\.sig|files/[0-9a-f]{64})$")


class ReleaseHandler(http.server.BaseHTTPRequestHandler):
    """GET of the release's three kinds of file, from ``server.release_dir``."""

    server_version = "leasechain-updates"

    def do_GET(self) -> None:
        """Answer one file of the release, or 404."""
        match = _PATHS.match(self.path)
        root: Path = getattr(self.server, "release_dir")  # noqa: B009 - set by serve()
        target = root / match.group(1) if match else None
        try:
            data = target.read_bytes() if target is not None else None
        except OSError:
            data = None
        if data is None:
            self.send_error(404, "not part of the release")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.write_body(data)

    def write_body(self, data: bytes) -> None:
        """Send the body (a separate step so a test can cut a transfer short)."""
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: sensors poll every check_s, which would fill a log with nothing new."""


def serve(
    release_dir: Path,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    handler: type[ReleaseHandler] = ReleaseHandler,
) -> http.server.ThreadingHTTPServer:
    """A server for ``release_dir`` bound to (host, port) (port 0: any free one); call serve_forever()."""
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.release_dir = release_dir  # type: ignore[attr-defined]
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    """Serve a release directory until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m gateway.updates", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir", type=Path, required=True, help="release directory (leasechain-device release --out)"
    )
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")  # noqa: S104
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    args = parser.parse_args(argv)
    if not (args.dir / "manifest.json").is_file():
        print(f"python -m gateway.updates: {args.dir} has no manifest.json", file=sys.stderr)
        return 2
    server = serve(args.dir, args.host, args.port)
    print(f"serving release {args.dir} on http://{args.host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
