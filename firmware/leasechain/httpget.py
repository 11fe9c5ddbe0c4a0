"""A bounded HTTP/1.0 GET, for fetching a release from the gateway.

Plain HTTP: the release's signature and hashes, not the channel, make it
trustworthy, and the ESP32 saves the memory of a TLS session.  Every read
waits at most ``timeout_s``, the status line and headers are bounded, and a
body longer than ``limit`` (or than its Content-Length) is refused.
"""

_MAX_LINE = 512
_MAX_HEADERS = 32
_CHUNK = 1024


class FetchError(OSError):
    """The server could not be reached or did not answer with the whole body."""


def split_url(url):
    """``http://host[:port]/path`` as (host, port, path); raise FetchError otherwise."""
    if not url.startswith("http://"):
        raise FetchError("only http:// URLs are fetched, got %r" % (url,))
    rest = url[7:]
    cut = rest.find("/")
    hostport, path = (rest, "/") if cut < 0 else (rest[:cut], rest[cut:])
    host, port = hostport, 80
    if ":" in hostport:
        host, digits = hostport.rsplit(":", 1)
        if not digits.isdigit():
            raise FetchError("bad port in %r" % (url,))
        port = int(digits)
    if not host:
        raise FetchError("no host in %r" % (url,))
    return host, port, path


def _line(sock):
    line = sock.readline()
    if not line or len(line) > _MAX_LINE or not line.endswith(b"\n"):
        raise FetchError("malformed or cut HTTP header line")
    return line


def _length(sock, limit):
    status = _line(sock).split(None, 2)
    if len(status) < 2 or status[1] != b"200":
        raise FetchError("HTTP status %r" % (b" ".join(status[1:]).strip(),))
    length = None
    for _ in range(_MAX_HEADERS):
        line = _line(sock)
        if line in (b"\r\n", b"\n"):
            if length is None:
                raise FetchError("no Content-Length")
            return length
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            value = value.strip()
            if not value.isdigit() or int(value) > limit:
                raise FetchError("Content-Length %r, at most %d" % (value, limit))
            length = int(value)
    raise FetchError("more than %d header lines" % _MAX_HEADERS)


def get(url, sink, limit, timeout_s=10, net=None):
    """GET ``url``, handing the body to ``sink(chunk)`` piece by piece; return its length."""
    host, port, path = split_url(url)
    if net is None:
        import socket as net
    sock = net.socket()
    try:
        sock.settimeout(timeout_s)
        sock.connect(net.getaddrinfo(host, port)[0][-1])
        sock.write(b"GET " + path.encode() + b" HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
        length = _length(sock, limit)
        left = length
        while left:
            chunk = sock.read(min(_CHUNK, left))
            if not chunk:
                raise FetchError("body cut after %d of %d bytes" % (length - left, length))
            sink(chunk)
            left -= len(chunk)
        return length
    except FetchError:
        raise
    except Exception as exc:  # noqa: BLE001 - OSError, timeouts, DNS failures: all mean "not fetched"
        raise FetchError("GET %s failed: %r" % (url, exc)) from None
    finally:
        sock.close()
