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
- sixteen rounds are written out per loop pass, so the eight working
  variables and the sixteen schedule words never move between names.
"""

import struct

_K = (
    0x428A2F98D728AE22,
    0x7137449123EF65CD,
    0xB5C0FBCFEC4D3B2F,
    0xE9B5DBA58189DBBC,
    0x3956C25BF348B538,
    0x59F111F1B605D019,
    0x923F82A4AF194F9B,
    0xAB1C5ED5DA6D8118,
    0xD807AA98A3030242,
    0x12835B0145706FBE,
    0x243185BE4EE4B28C,
    0x550C7DC3D5FFB4E2,
    0x72BE5D74F27B896F,
    0x80DEB1FE3B1696B1,
    0x9BDC06A725C71235,
    0xC19BF174CF692694,
    0xE49B69C19EF14AD2,
    0xEFBE4786384F25E3,
    0x0FC19DC68B8CD5B5,
    0x240CA1CC77AC9C65,
    0x2DE92C6F592B0275,
    0x4A7484AA6EA6E483,
    0x5CB0A9DCBD41FBD4,
    0x76F988DA831153B5,
    0x983E5152EE66DFAB,
    0xA831C66D2DB43210,
    0xB00327C898FB213F,
    0xBF597FC7BEEF0EE4,
    0xC6E00BF33DA88FC2,
    0xD5A79147930AA725,
    0x06CA6351E003826F,
    0x142929670A0E6E70,
    0x27B70A8546D22FFC,
    0x2E1B21385C26C926,
    0x4D2C6DFC5AC42AED,
    0x53380D139D95B3DF,
    0x650A73548BAF63DE,
    0x766A0ABB3C77B2A8,
    0x81C2C92E47EDAEE6,
    0x92722C851482353B,
    0xA2BFE8A14CF10364,
    0xA81A664BBC423001,
    0xC24B8B70D0F89791,
    0xC76C51A30654BE30,
    0xD192E819D6EF5218,
    0xD69906245565A910,
    0xF40E35855771202A,
    0x106AA07032BBD1B8,
    0x19A4C116B8D2D0C8,
    0x1E376C085141AB53,
    0x2748774CDF8EEB99,
    0x34B0BCB5E19B48A8,
    0x391C0CB3C5C95A63,
    0x4ED8AA4AE3418ACB,
    0x5B9CCA4F7763E373,
    0x682E6FF3D6B2B8A3,
    0x748F82EE5DEFB2FC,
    0x78A5636F43172F60,
    0x84C87814A1F0AB72,
    0x8CC702081A6439EC,
    0x90BEFFFA23631E28,
    0xA4506CEBDE82BDE9,
    0xBEF9A3F7B2C67915,
    0xC67178F2E372532B,
    0xCA273ECEEA26619C,
    0xD186B8C721C0C207,
    0xEADA7DD6CDE0EB1E,
    0xF57D4F7FEE6ED178,
    0x06F067AA72176FBA,
    0x0A637DC5A2C898A6,
    0x113F9804BEF90DAE,
    0x1B710B35131C471B,
    0x28DB77F523047D84,
    0x32CAAB7B40C72493,
    0x3C9EBE0A15C9BEBC,
    0x431D67C49C100D4C,
    0x4CC5D4BECB3E42B6,
    0x597F299CFC657E2A,
    0x5FCB6FAB3AD6FAEC,
    0x6C44198C4A475817,
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
    k = _K
    w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15 = struct.unpack_from(
        ">16Q", block, offset
    )
    a, b, c, d, e, f, g, h = st
    p = b ^ c
    x = e * r
    x = h + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (g ^ (e & (f ^ g))) + k[0] + w0
    d = (d + x) & m
    q = a ^ b
    h = a * r
    h = (x + ((h >> 28) ^ (h >> 34) ^ (h >> 39)) + (b ^ (q & p))) & m
    x = d * r
    x = g + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (f ^ (d & (e ^ f))) + k[1] + w1
    c = (c + x) & m
    p = h ^ a
    g = h * r
    g = (x + ((g >> 28) ^ (g >> 34) ^ (g >> 39)) + (a ^ (p & q))) & m
    x = c * r
    x = f + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (e ^ (c & (d ^ e))) + k[2] + w2
    b = (b + x) & m
    q = g ^ h
    f = g * r
    f = (x + ((f >> 28) ^ (f >> 34) ^ (f >> 39)) + (h ^ (q & p))) & m
    x = b * r
    x = e + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (d ^ (b & (c ^ d))) + k[3] + w3
    a = (a + x) & m
    p = f ^ g
    e = f * r
    e = (x + ((e >> 28) ^ (e >> 34) ^ (e >> 39)) + (g ^ (p & q))) & m
    x = a * r
    x = d + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (c ^ (a & (b ^ c))) + k[4] + w4
    h = (h + x) & m
    q = e ^ f
    d = e * r
    d = (x + ((d >> 28) ^ (d >> 34) ^ (d >> 39)) + (f ^ (q & p))) & m
    x = h * r
    x = c + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (b ^ (h & (a ^ b))) + k[5] + w5
    g = (g + x) & m
    p = d ^ e
    c = d * r
    c = (x + ((c >> 28) ^ (c >> 34) ^ (c >> 39)) + (e ^ (p & q))) & m
    x = g * r
    x = b + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (a ^ (g & (h ^ a))) + k[6] + w6
    f = (f + x) & m
    q = c ^ d
    b = c * r
    b = (x + ((b >> 28) ^ (b >> 34) ^ (b >> 39)) + (d ^ (q & p))) & m
    x = f * r
    x = a + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (h ^ (f & (g ^ h))) + k[7] + w7
    e = (e + x) & m
    p = b ^ c
    a = b * r
    a = (x + ((a >> 28) ^ (a >> 34) ^ (a >> 39)) + (c ^ (p & q))) & m
    x = e * r
    x = h + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (g ^ (e & (f ^ g))) + k[8] + w8
    d = (d + x) & m
    q = a ^ b
    h = a * r
    h = (x + ((h >> 28) ^ (h >> 34) ^ (h >> 39)) + (b ^ (q & p))) & m
    x = d * r
    x = g + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (f ^ (d & (e ^ f))) + k[9] + w9
    c = (c + x) & m
    p = h ^ a
    g = h * r
    g = (x + ((g >> 28) ^ (g >> 34) ^ (g >> 39)) + (a ^ (p & q))) & m
    x = c * r
    x = f + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (e ^ (c & (d ^ e))) + k[10] + w10
    b = (b + x) & m
    q = g ^ h
    f = g * r
    f = (x + ((f >> 28) ^ (f >> 34) ^ (f >> 39)) + (h ^ (q & p))) & m
    x = b * r
    x = e + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (d ^ (b & (c ^ d))) + k[11] + w11
    a = (a + x) & m
    p = f ^ g
    e = f * r
    e = (x + ((e >> 28) ^ (e >> 34) ^ (e >> 39)) + (g ^ (p & q))) & m
    x = a * r
    x = d + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (c ^ (a & (b ^ c))) + k[12] + w12
    h = (h + x) & m
    q = e ^ f
    d = e * r
    d = (x + ((d >> 28) ^ (d >> 34) ^ (d >> 39)) + (f ^ (q & p))) & m
    x = h * r
    x = c + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (b ^ (h & (a ^ b))) + k[13] + w13
    g = (g + x) & m
    p = d ^ e
    c = d * r
    c = (x + ((c >> 28) ^ (c >> 34) ^ (c >> 39)) + (e ^ (p & q))) & m
    x = g * r
    x = b + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (a ^ (g & (h ^ a))) + k[14] + w14
    f = (f + x) & m
    q = c ^ d
    b = c * r
    b = (x + ((b >> 28) ^ (b >> 34) ^ (b >> 39)) + (d ^ (q & p))) & m
    x = f * r
    x = a + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (h ^ (f & (g ^ h))) + k[15] + w15
    e = (e + x) & m
    p = b ^ c
    a = b * r
    a = (x + ((a >> 28) ^ (a >> 34) ^ (a >> 39)) + (c ^ (p & q))) & m
    for t in range(16, 80, 16):
        x = w1 * r
        y = w14 * r
        w0 = (w0 + ((x >> 1) ^ (x >> 8) ^ (w1 >> 7)) + w9 + ((y >> 19) ^ (y >> 61) ^ (w14 >> 6))) & m
        x = e * r
        x = h + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (g ^ (e & (f ^ g))) + k[t] + w0
        d = (d + x) & m
        q = a ^ b
        h = a * r
        h = (x + ((h >> 28) ^ (h >> 34) ^ (h >> 39)) + (b ^ (q & p))) & m
        x = w2 * r
        y = w15 * r
        w1 = (w1 + ((x >> 1) ^ (x >> 8) ^ (w2 >> 7)) + w10 + ((y >> 19) ^ (y >> 61) ^ (w15 >> 6))) & m
        x = d * r
        x = g + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (f ^ (d & (e ^ f))) + k[t + 1] + w1
        c = (c + x) & m
        p = h ^ a
        g = h * r
        g = (x + ((g >> 28) ^ (g >> 34) ^ (g >> 39)) + (a ^ (p & q))) & m
        x = w3 * r
        y = w0 * r
        w2 = (w2 + ((x >> 1) ^ (x >> 8) ^ (w3 >> 7)) + w11 + ((y >> 19) ^ (y >> 61) ^ (w0 >> 6))) & m
        x = c * r
        x = f + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (e ^ (c & (d ^ e))) + k[t + 2] + w2
        b = (b + x) & m
        q = g ^ h
        f = g * r
        f = (x + ((f >> 28) ^ (f >> 34) ^ (f >> 39)) + (h ^ (q & p))) & m
        x = w4 * r
        y = w1 * r
        w3 = (w3 + ((x >> 1) ^ (x >> 8) ^ (w4 >> 7)) + w12 + ((y >> 19) ^ (y >> 61) ^ (w1 >> 6))) & m
        x = b * r
        x = e + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (d ^ (b & (c ^ d))) + k[t + 3] + w3
        a = (a + x) & m
        p = f ^ g
        e = f * r
        e = (x + ((e >> 28) ^ (e >> 34) ^ (e >> 39)) + (g ^ (p & q))) & m
        x = w5 * r
        y = w2 * r
        w4 = (w4 + ((x >> 1) ^ (x >> 8) ^ (w5 >> 7)) + w13 + ((y >> 19) ^ (y >> 61) ^ (w2 >> 6))) & m
        x = a * r
        x = d + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (c ^ (a & (b ^ c))) + k[t + 4] + w4
        h = (h + x) & m
        q = e ^ f
        d = e * r
        d = (x + ((d >> 28) ^ (d >> 34) ^ (d >> 39)) + (f ^ (q & p))) & m
        x = w6 * r
        y = w3 * r
        w5 = (w5 + ((x >> 1) ^ (x >> 8) ^ (w6 >> 7)) + w14 + ((y >> 19) ^ (y >> 61) ^ (w3 >> 6))) & m
        x = h * r
        x = c + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (b ^ (h & (a ^ b))) + k[t + 5] + w5
        g = (g + x) & m
        p = d ^ e
        c = d * r
        c = (x + ((c >> 28) ^ (c >> 34) ^ (c >> 39)) + (e ^ (p & q))) & m
        x = w7 * r
        y = w4 * r
        w6 = (w6 + ((x >> 1) ^ (x >> 8) ^ (w7 >> 7)) + w15 + ((y >> 19) ^ (y >> 61) ^ (w4 >> 6))) & m
        x = g * r
        x = b + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (a ^ (g & (h ^ a))) + k[t + 6] + w6
        f = (f + x) & m
        q = c ^ d
        b = c * r
        b = (x + ((b >> 28) ^ (b >> 34) ^ (b >> 39)) + (d ^ (q & p))) & m
        x = w8 * r
        y = w5 * r
        w7 = (w7 + ((x >> 1) ^ (x >> 8) ^ (w8 >> 7)) + w0 + ((y >> 19) ^ (y >> 61) ^ (w5 >> 6))) & m
        x = f * r
        x = a + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (h ^ (f & (g ^ h))) + k[t + 7] + w7
        e = (e + x) & m
        p = b ^ c
        a = b * r
        a = (x + ((a >> 28) ^ (a >> 34) ^ (a >> 39)) + (c ^ (p & q))) & m
        x = w9 * r
        y = w6 * r
        w8 = (w8 + ((x >> 1) ^ (x >> 8) ^ (w9 >> 7)) + w1 + ((y >> 19) ^ (y >> 61) ^ (w6 >> 6))) & m
        x = e * r
        x = h + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (g ^ (e & (f ^ g))) + k[t + 8] + w8
        d = (d + x) & m
        q = a ^ b
        h = a * r
        h = (x + ((h >> 28) ^ (h >> 34) ^ (h >> 39)) + (b ^ (q & p))) & m
        x = w10 * r
        y = w7 * r
        w9 = (w9 + ((x >> 1) ^ (x >> 8) ^ (w10 >> 7)) + w2 + ((y >> 19) ^ (y >> 61) ^ (w7 >> 6))) & m
        x = d * r
        x = g + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (f ^ (d & (e ^ f))) + k[t + 9] + w9
        c = (c + x) & m
        p = h ^ a
        g = h * r
        g = (x + ((g >> 28) ^ (g >> 34) ^ (g >> 39)) + (a ^ (p & q))) & m
        x = w11 * r
        y = w8 * r
        w10 = (w10 + ((x >> 1) ^ (x >> 8) ^ (w11 >> 7)) + w3 + ((y >> 19) ^ (y >> 61) ^ (w8 >> 6))) & m
        x = c * r
        x = f + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (e ^ (c & (d ^ e))) + k[t + 10] + w10
        b = (b + x) & m
        q = g ^ h
        f = g * r
        f = (x + ((f >> 28) ^ (f >> 34) ^ (f >> 39)) + (h ^ (q & p))) & m
        x = w12 * r
        y = w9 * r
        w11 = (w11 + ((x >> 1) ^ (x >> 8) ^ (w12 >> 7)) + w4 + ((y >> 19) ^ (y >> 61) ^ (w9 >> 6))) & m
        x = b * r
        x = e + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (d ^ (b & (c ^ d))) + k[t + 11] + w11
        a = (a + x) & m
        p = f ^ g
        e = f * r
        e = (x + ((e >> 28) ^ (e >> 34) ^ (e >> 39)) + (g ^ (p & q))) & m
        x = w13 * r
        y = w10 * r
        w12 = (w12 + ((x >> 1) ^ (x >> 8) ^ (w13 >> 7)) + w5 + ((y >> 19) ^ (y >> 61) ^ (w10 >> 6))) & m
        x = a * r
        x = d + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (c ^ (a & (b ^ c))) + k[t + 12] + w12
        h = (h + x) & m
        q = e ^ f
        d = e * r
        d = (x + ((d >> 28) ^ (d >> 34) ^ (d >> 39)) + (f ^ (q & p))) & m
        x = w14 * r
        y = w11 * r
        w13 = (w13 + ((x >> 1) ^ (x >> 8) ^ (w14 >> 7)) + w6 + ((y >> 19) ^ (y >> 61) ^ (w11 >> 6))) & m
        x = h * r
        x = c + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (b ^ (h & (a ^ b))) + k[t + 13] + w13
        g = (g + x) & m
        p = d ^ e
        c = d * r
        c = (x + ((c >> 28) ^ (c >> 34) ^ (c >> 39)) + (e ^ (p & q))) & m
        x = w15 * r
        y = w12 * r
        w14 = (w14 + ((x >> 1) ^ (x >> 8) ^ (w15 >> 7)) + w7 + ((y >> 19) ^ (y >> 61) ^ (w12 >> 6))) & m
        x = g * r
        x = b + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (a ^ (g & (h ^ a))) + k[t + 14] + w14
        f = (f + x) & m
        q = c ^ d
        b = c * r
        b = (x + ((b >> 28) ^ (b >> 34) ^ (b >> 39)) + (d ^ (q & p))) & m
        x = w0 * r
        y = w13 * r
        w15 = (w15 + ((x >> 1) ^ (x >> 8) ^ (w0 >> 7)) + w8 + ((y >> 19) ^ (y >> 61) ^ (w13 >> 6))) & m
        x = f * r
        x = a + ((x >> 14) ^ (x >> 18) ^ (x >> 41)) + (h ^ (f & (g ^ h))) + k[t + 15] + w15
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
