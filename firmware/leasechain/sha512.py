"""SHA-512 (FIPS 180-4) in the Python subset shared by MicroPython and CPython.

Stock MicroPython has no SHA-512, and Ed25519 needs it.  The compression
function is unrolled: under the MicroPython interpreter every operation on a
64-bit word is a heap-allocated big integer, so the code keeps the number of
operations per round as small as it can:

- a rotation reads bits out of ``x * (2**64 + 1)`` (the word next to a copy of
  itself), so one multiplication serves all three rotations of a sigma;
- sums are masked to 64 bits only where a value is shifted later; garbage
  above bit 63 never flows down into the low bits through ``+``, ``^`` or ``&``;
- ``Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c))`` reuses ``a ^ b`` as the next
  round's ``b ^ c``;
- eight rounds are written out per loop pass, so the eight working
  variables never move between names; the sixteen schedule words are a list
  updated in place, eight at a time;
- the round constants are packed bytes, unpacked eight at a time: as ints
  they would stay on the heap as big integers (the module's size on the
  heap is about a third of the sixteen-round version's).
"""

import struct

# The 80 round constants as 640 big-endian bytes, unpacked eight at a time as
# they are used: as Python ints most of them would be heap-allocated big
# integers for the life of the program (every one of them on a 32-bit board).
_K = bytes.fromhex(
    "428a2f98d728ae227137449123ef65cdb5c0fbcfec4d3b2fe9b5dba58189dbbc"
    "3956c25bf348b53859f111f1b605d019923f82a4af194f9bab1c5ed5da6d8118"
    "d807aa98a303024212835b0145706fbe243185be4ee4b28c550c7dc3d5ffb4e2"
    "72be5d74f27b896f80deb1fe3b1696b19bdc06a725c71235c19bf174cf692694"
    "e49b69c19ef14ad2efbe4786384f25e30fc19dc68b8cd5b5240ca1cc77ac9c65"
    "2de92c6f592b02754a7484aa6ea6e4835cb0a9dcbd41fbd476f988da831153b5"
    "983e5152ee66dfaba831c66d2db43210b00327c898fb213fbf597fc7beef0ee4"
    "c6e00bf33da88fc2d5a79147930aa72506ca6351e003826f142929670a0e6e70"
    "27b70a8546d22ffc2e1b21385c26c9264d2c6dfc5ac42aed53380d139d95b3df"
    "650a73548baf63de766a0abb3c77b2a881c2c92e47edaee692722c851482353b"
    "a2bfe8a14cf10364a81a664bbc423001c24b8b70d0f89791c76c51a30654be30"
    "d192e819d6ef5218d69906245565a910f40e35855771202a106aa07032bbd1b8"
    "19a4c116b8d2d0c81e376c085141ab532748774cdf8eeb9934b0bcb5e19b48a8"
    "391c0cb3c5c95a634ed8aa4ae3418acb5b9cca4f7763e373682e6ff3d6b2b8a3"
    "748f82ee5defb2fc78a5636f43172f6084c87814a1f0ab728cc702081a6439ec"
    "90befffa23631e28a4506cebde82bde9bef9a3f7b2c67915c67178f2e372532b"
    "ca273eceea26619cd186b8c721c0c207eada7dd6cde0eb1ef57d4f7fee6ed178"
    "06f067aa72176fba0a637dc5a2c898a6113f9804bef90dae1b710b35131c471b"
    "28db77f523047d8432caab7b40c724933c9ebe0a15c9bebc431d67c49c100d4c"
    "4cc5d4becb3e42b6597f299cfc657e2a5fcb6fab3ad6faec6c44198c4a475817"
)
_IV = (
    0x6A09E667F3BCC908,
    0xBB67AE8584CAA73B,
    0x3C6EF372FE94F82B,
    0xA54FF53A5F1D36F1,
    0x510E527FADE682D1,
    0x9B05688C2B3E6C1F,
    0x1F83D9ABFB41BD6B,
    0x5BE0CD19137E2179,
)
_M = 0xFFFFFFFFFFFFFFFF
_R = 0x10000000000000001  # x * _R puts a copy of the 64-bit x above itself


def _compress(st, block, offset):
    """Return the state after absorbing the 128-byte block at ``block[offset:]``."""
    m = _M
    r = _R
    unpack = struct.unpack_from
    w = list(unpack(">16Q", block, offset))
    a, b, c, d, e, f, g, h = st
    p = b ^ c
    for t in range(0, 80, 8):
        if t >= 16:
            # The next eight schedule words, in place of the ones 16 rounds back.
            for j in range(t, t + 8):
                x = w[(j - 15) & 15]
                y = w[(j - 2) & 15]
                u = x * r
                v = y * r
                s = j & 15
                x = w[s] + ((u >> 1) ^ (u >> 8) ^ (x >> 7)) + w[(j - 7) & 15]
                w[s] = (x + ((v >> 19) ^ (v >> 61) ^ (y >> 6))) & m
        i = t & 15
        k0, k1, k2, k3, k4, k5, k6, k7 = unpack(">8Q", _K, t * 8)
        x = e * r
        x = h + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (g ^ (e & (f ^ g))) + k0 + w[i]
        d = (d + x) & m
        q = a ^ b
        h = a * r
        h = (x + ((h >> 28) ^ (h >> 34) ^ (h >> 39)) + (b ^ (q & p))) & m
        x = d * r
        x = g + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (f ^ (d & (e ^ f))) + k1 + w[i + 1]
        c = (c + x) & m
        p = h ^ a
        g = h * r
        g = (x + ((g >> 28) ^ (g >> 34) ^ (g >> 39)) + (a ^ (p & q))) & m
        x = c * r
        x = f + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (e ^ (c & (d ^ e))) + k2 + w[i + 2]
        b = (b + x) & m
        q = g ^ h
        f = g * r
        f = (x + ((f >> 28) ^ (f >> 34) ^ (f >> 39)) + (h ^ (q & p))) & m
        x = b * r
        x = e + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (d ^ (b & (c ^ d))) + k3 + w[i + 3]
        a = (a + x) & m
        p = f ^ g
        e = f * r
        e = (x + ((e >> 28) ^ (e >> 34) ^ (e >> 39)) + (g ^ (p & q))) & m
        x = a * r
        x = d + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (c ^ (a & (b ^ c))) + k4 + w[i + 4]
        h = (h + x) & m
        q = e ^ f
        d = e * r
        d = (x + ((d >> 28) ^ (d >> 34) ^ (d >> 39)) + (f ^ (q & p))) & m
        x = h * r
        x = c + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (b ^ (h & (a ^ b))) + k5 + w[i + 5]
        g = (g + x) & m
        p = d ^ e
        c = d * r
        c = (x + ((c >> 28) ^ (c >> 34) ^ (c >> 39)) + (e ^ (p & q))) & m
        x = g * r
        x = b + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (a ^ (g & (h ^ a))) + k6 + w[i + 6]
        f = (f + x) & m
        q = c ^ d
        b = c * r
        b = (x + ((b >> 28) ^ (b >> 34) ^ (b >> 39)) + (d ^ (q & p))) & m
        x = f * r
        x = a + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (h ^ (f & (g ^ h))) + k7 + w[i + 7]
        e = (e + x) & m
        p = b ^ c
        a = b * r
        a = (x + ((a >> 28) ^ (a >> 34) ^ (a >> 39)) + (c ^ (p & q))) & m

    return (
        (st[0] + a) & m,
        (st[1] + b) & m,
        (st[2] + c) & m,
        (st[3] + d) & m,
        (st[4] + e) & m,
        (st[5] + f) & m,
        (st[6] + g) & m,
        (st[7] + h) & m,
    )


def sha512(data):
    """SHA-512 digest (64 bytes) of ``data``."""
    n = len(data)
    # Padding: 0x80, zeros, then the bit length as a 128-bit big-endian number.
    padded = bytes(data) + b"\x80" + bytes((111 - n) % 128) + struct.pack(">QQ", n >> 61, (n << 3) & _M)
    st = _IV
    for offset in range(0, len(padded), 128):
        st = _compress(st, padded, offset)
    return struct.pack(">8Q", *st)
