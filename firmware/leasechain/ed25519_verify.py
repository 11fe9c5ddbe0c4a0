"""Ed25519 verification (RFC 8032 section 5.1.7) and arithmetic on any point.

Kept apart from ed25519.py, which signs: the sensor verifies only during an
over-the-air update check (a release's signature, streamed.py) and drops this
module after it (updater.py), so its code is not on the heap between checks.
Signing without a table (``table=b""``) also uses ``scalar_mul``.
"""

from .ed25519 import _IDENTITY, _M255, Ed25519Error, L, P, _double, base_mul, encode_point
from .sha512 import sha512

# The curve's constant and base point, which only verification (and signing without a table)
# uses: signing multiplies the base point from the table's precomputed multiples.
D = 37095705934669439343138083508754565189542113879843219016388785533085940283555
BASE_Y = 46316835694926478169428394003475163141307993866256225615783033603165251855960
BASE_X = 15112221349535400772501151409588531511454012693041857206046113283949847762202
D2 = (2 * D) % P
SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752
BASE = (BASE_X, BASE_Y, 1, BASE_X * BASE_Y % P)


def _add_cached(pt, ypx, ymx, t2d, z2):
    """pt + Q, with Q given as (Y+X, Y-X, 2dT, 2Z) ("cached" form)."""
    m = _M255
    x1, y1, z1, t1 = pt
    a = (y1 - x1) * ymx
    a = (a & m) + 19 * (a >> 255)
    b = (y1 + x1) * ypx
    b = (b & m) + 19 * (b >> 255)
    c = t1 * t2d
    c = (c & m) + 19 * (c >> 255)
    d = z1 * z2
    d = (d & m) + 19 * (d >> 255)
    e = b - a
    f = d - c
    g = d + c
    h = b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _cached(pt):
    """(Y+X, Y-X, 2dT, 2Z) of a point, the operand form of _add_cached."""
    x, y, z, t = pt
    return ((y + x) % P, (y - x) % P, t * D2 % P, 2 * z % P)


def add(p1, p2):
    """Sum of two points in extended coordinates."""
    ypx, ymx, t2d, z2 = _cached(p2)
    return _add_cached(p1, ypx, ymx, t2d, z2)


def negate(pt):
    """-pt."""
    x, y, z, t = pt
    return (-x % P, y, z, -t % P)


def scalar_mul(k, pt):
    """k * pt for any point and 0 <= k < 2**256, with a fixed 4-bit window."""
    first = _cached(pt)
    cached = [first, first]  # cached[i] = i * pt; index 0 is never used
    acc = pt
    for _ in range(2, 16):
        acc = _add_cached(acc, first[0], first[1], first[2], first[3])
        cached.append(_cached(acc))
    acc = _IDENTITY
    for byte in k.to_bytes(32, "big"):
        for nibble in (byte >> 4, byte & 15):
            acc = _double(_double(_double(_double(acc))))
            if nibble:
                q = cached[nibble]
                acc = _add_cached(acc, q[0], q[1], q[2], q[3])
    return acc


def decode_point(data):
    """Decode a 32-byte point encoding (RFC 8032 section 5.1.3); raise Ed25519Error."""
    if len(data) != 32:
        raise Ed25519Error("point encoding is %d bytes, expected 32" % len(data))
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= _M255
    if y >= P:
        raise Ed25519Error("point encoding is not canonical (y >= p)")
    u = (y * y - 1) % P
    v = (D * y * y + 1) % P
    v3 = v * v * v % P
    x = u * v3 * pow(u * v3 * v3 * v % P, (P - 5) // 8, P) % P
    vx2 = v * x * x % P
    if vx2 == (-u) % P:
        x = x * SQRT_M1 % P
    elif vx2 != u:
        raise Ed25519Error("point encoding is not on the curve")
    if x == 0 and sign:
        raise Ed25519Error("point encoding has x = 0 with the sign bit set")
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def verify(public_key, message, signature, table=None):
    """Whether ``signature`` is a valid signature of ``message`` by ``public_key``.

    Checks S < L, canonical encodings of A, and [S]B == R + [k]A by comparing
    the encoding of [S]B - [k]A with R.
    """

    def digest(big_r):
        return sha512(big_r + bytes(public_key) + bytes(message))

    return verify_digest(public_key, signature, digest, table)


def verify_digest(public_key, signature, digest, table=None):
    """``verify`` with the SHA-512 of R || A || M left to ``digest(R)``, which returns its 64 bytes."""
    if len(signature) != 64 or len(public_key) != 32:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    try:
        a = decode_point(public_key)
    except Ed25519Error:
        return False
    big_r = bytes(signature[:32])
    k = int.from_bytes(digest(big_r), "little") % L
    check = add(base_mul(s, table), scalar_mul(k, negate(a)))
    return encode_point(check) == big_r
