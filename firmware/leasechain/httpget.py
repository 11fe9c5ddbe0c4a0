"""A bounded HTTP/1.0 GET, for fetching a release from the gateway.

Plain HTTP: the release's signature and hashes, not the channel, make it
trustworthy, and the ESP32 saves the memory of a TLS session.  Every read
waits at most ``timeout_s``, the status line and headers are bounded, and a
body longer than ``limit`` (or than its Content-Length) is refused.
"""

_MAX_LINE = 512
_MAX_HEADERS = 32
_CHUNK = 512


class FetchError(OSError):
    """The server could not be reached or did not answer with the whole body."""


class TooLargeError(FetchError):
    """The server announced a body longer than the limit (or no length at all)."""


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
                raise TooLargeError("no Content-Length")
            return length
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            value = value.strip()
            if not value.isdigit() or int(value) > limit:
                raise TooLargeError("Content-Length %r, at most %d" % (value, limit))
            length = int(value)
    raise FetchError("more than %d header lines" % _MAX_HEADERS)


def _open(url, limit, timeout_s, net):
    host, port, path = split_url(url)
    if net is None:
        import socket as net
    sock = net.socket()
    try:
        sock.settimeout(timeout_s)
        sock.connect(net.getaddrinfo(host, port)[0][-1])
        sock.write(b"GET " + path.encode() + b" HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
        return sock, _length(sock, limit)
    except Exception:
        sock.close()
        raise


def _read_into(sock, view, done, length):
    n = sock.readinto(view)
    if not n:
        raise FetchError("body cut after %d of %d bytes" % (done, length))
    return n


def get(url, sink, limit, timeout_s=10, net=None, buf=None):
    """GET ``url``, handing the body to ``sink(memoryview)`` piece by piece; return its length.

    The pieces are read into ``buf`` (one bytearray, reused), so a download
    allocates nothing per piece on the board's small heap.
    """
    buf = buf or bytearray(_CHUNK)
    try:
        sock, length = _open(url, limit, timeout_s, net)
        try:
            done = 0
            view = memoryview(buf)
            while done < length:
                n = _read_into(sock, view[: min(len(buf), length - done)], done, length)
                sink(view[:n])
                done += n
            return length
        finally:
            sock.close()
    except FetchError:
        raise
    except Exception as exc:  # noqa: BLE001 - OSError, timeouts, DNS failures: all mean "not fetched"
        raise FetchError("GET %s failed: %r" % (url, exc)) from None


def get_bytes(url, limit, timeout_s=10, net=None):
    """The body of ``url`` (at most ``limit`` bytes), in one buffer allocated at its final size."""
    try:
        sock, length = _open(url, limit, timeout_s, net)
        try:
            body = bytearray(length)
            view = memoryview(body)
            done = 0
            while done < length:
                done += _read_into(sock, view[done:], done, length)
            return bytes(body)
        finally:
            sock.close()
    except FetchError:
        raise
    except Exception as exc:  # noqa: BLE001 - as for get()
        raise FetchError("GET %s failed: %r" % (url, exc)) from None
