"""Address checksums: base58check (TRON, BTC legacy), bech32/bech32m (BTC segwit), EIP-55 (ETH).

Hand-written on purpose: each check is a few lines of well-specified arithmetic, and the one
packaged validator (coinaddrvalidator) answers ``valid=True`` for names it does not know and
costs ~220 µs an address. EIP-55 needs Keccak-256, which is *not* ``hashlib.sha3_256``
(different padding), so a small Keccak-f[1600] is included; it only runs on mixed-case ETH
addresses, the only ones that carry a checksum.
"""
from __future__ import annotations

import hashlib

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}
BECH32_ALPHABET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(BECH32_ALPHABET)}


def b58decode(s: str) -> bytes | None:
    """Base58 (Bitcoin alphabet) to bytes; ``None`` if a character is outside the alphabet."""
    n = 0
    for c in s:
        i = _B58_INDEX.get(c)
        if i is None:
            return None
        n = n * 58 + i
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(s) - len(s.lstrip("1"))
    return b"\x00" * pad + body


def base58check_ok(address: str, versions: tuple[int, ...]) -> bool:
    """True when the last 4 bytes are the double-SHA-256 of the rest and the version byte fits."""
    raw = b58decode(address)
    if raw is None or len(raw) != 25 or raw[0] not in versions:
        return False
    payload, check = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == check


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def bech32_ok(address: str) -> bool:
    """BIP-173/BIP-350 checksum (bech32 for witness v0, bech32m for v1+); mixed case fails."""
    if address.lower() != address and address.upper() != address:
        return False
    addr = address.lower()
    pos = addr.rfind("1")
    if pos < 1 or pos + 7 > len(addr) or len(addr) > 90:
        return False
    hrp, data = addr[:pos], addr[pos + 1:]
    try:
        values = [_BECH32_INDEX[c] for c in data]
    except KeyError:
        return False
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    const = _bech32_polymod(expanded + values)
    if not values:
        return False
    witness_version = values[0]
    return const == (1 if witness_version == 0 else 0x2BC830A3)


# --- Keccak-256 (original Keccak padding 0x01, as Ethereum uses) -------------------------
_RC = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
       0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
       0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
       0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
       0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
       0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
_ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
        [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_M64 = (1 << 64) - 1


def _rol(x: int, n: int) -> int:
    return ((x << n) | (x >> (64 - n))) & _M64 if n else x


def _keccak_f(a: list[list[int]]) -> None:
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        for x in range(5):
            for y in range(5):
                a[x][y] ^= d[x]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rol(a[x][y], _ROT[x][y])
        for x in range(5):
            for y in range(5):
                a[x][y] = b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y])
        a[0][0] ^= rc


def keccak256(data: bytes) -> bytes:
    rate = 136
    msg = bytearray(data) + b"\x01"
    msg += b"\x00" * (-len(msg) % rate)
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        _keccak_f(a)
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


def eip55_ok(address: str) -> bool:
    """EIP-55: an all-lower or all-upper hex address carries no checksum and passes; a
    mixed-case one must match the case pattern given by Keccak-256 of its lowercase hex."""
    body = address[2:]
    if body.lower() == body or body.upper() == body:
        return True
    digest = keccak256(body.lower().encode("ascii")).hex()
    for ch, h in zip(body, digest):
        if ch.isalpha() and (ch.isupper() != (int(h, 16) >= 8)):
            return False
    return True
