"""Crypto wallet addresses by shape and alphabet, kept as written, with their checksum verdict.

Shapes: TRON ``T`` + 33 base58 (USDT-TRC20, the smugglers' currency of choice), BTC legacy
``1``/``3`` + 25-34 base58, BTC segwit ``bc1`` bech32, ETH/ERC-20 ``0x`` + 40 hex. A failed
checksum is evidence (a typo, an invented address, deliberate mangling), never a reason to drop
the address, so each address comes back with ``checksum_ok``.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .checksums import base58check_ok, bech32_ok, eip55_ok

_B58 = "1-9A-HJ-NP-Za-km-z"
WALLET_RE = re.compile(
    rf"(?<![0-9A-Za-z])(?:"
    rf"(?P<tron>T[{_B58}]{{33}})"
    rf"|(?P<eth>0x[0-9a-fA-F]{{40}})"
    rf"|(?P<bech>(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{{11,71}})"
    rf"|(?P<btc>[13][{_B58}]{{25,34}})"
    rf")(?![0-9A-Za-z])")
_HAS_DIGIT_AND_UPPER = re.compile(r"\d.*[A-Z]|[A-Z].*\d")


class Wallet(NamedTuple):
    address: str
    kind: str          # tron | btc | eth
    start: int
    end: int
    checksum_ok: bool


def find_wallets(text: str) -> list[Wallet]:
    out = []
    for m in WALLET_RE.finditer(text):
        kind = m.lastgroup
        addr = m.group()
        if kind == "tron":
            ok = base58check_ok(addr, (0x41,))
        elif kind == "eth":
            ok = eip55_ok(addr)
        elif kind == "bech":
            kind, ok = "btc", bech32_ok(addr)
        else:
            # A legacy BTC shape is also the shape of long ordinary tokens; keep it only when it
            # mixes digits and capitals like a real base58 string, or when its checksum holds.
            ok = base58check_ok(addr, (0x00, 0x05))
            if not ok and not _HAS_DIGIT_AND_UPPER.search(addr):
                continue
        out.append(Wallet(addr, kind, m.start(), m.end(), ok))
    return out
