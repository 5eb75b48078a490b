"""Strike selection and option-chain labelling over listed strikes (API_CONTRACT.md §8 step 4, §8.4, §8.6).

Pure functions: the options services load the listed strikes for (base, expiry, exchange) from the master
contract and the LTPs from the broker, then call these. Offsets count *listed* strikes: for CE, ITM means
lower strikes and OTM higher ones; for PE the reverse. ATM is the listed strike nearest to the LTP (the
lower one on an exact tie).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from utils.errors import InvalidInput, NotFound

MAX_OFFSET = 50
OFFSET_MESSAGE = "Offset must be ATM, ITM1-ITM50, or OTM1-OTM50"
_OFFSET = re.compile(r"^(ATM)$|^(ITM|OTM)([1-9]\d?)$")


@dataclass(frozen=True)
class Offset:
    label: str        # normalised: ATM, ITM3, OTM12
    moneyness: int    # +n for ITMn, -n for OTMn, 0 for ATM


@dataclass(frozen=True)
class ChainRow:
    strike: float
    ce_label: str
    pe_label: str


def parse_offset(text: str) -> Offset:
    """`atm`, `ITM3`, `otm12` → Offset; anything else is a 400 naming the field `offset`."""
    match = _OFFSET.match(str(text).strip().upper()) if text is not None else None
    if not match or (match[3] and int(match[3]) > MAX_OFFSET):
        raise InvalidInput(OFFSET_MESSAGE, field="offset")
    if match[1]:
        return Offset("ATM", 0)
    n = int(match[3])
    return Offset(f"{match[2]}{n}", n if match[2] == "ITM" else -n)


def listed(strikes: Iterable[float]) -> list[float]:
    return sorted({float(s) for s in strikes})


def atm_index(strikes: list[float], ltp: float) -> int:
    if not strikes:
        raise NotFound("No strikes found for this underlying and expiry")
    return min(range(len(strikes)), key=lambda i: (abs(strikes[i] - ltp), strikes[i]))


def atm_strike(strikes: Iterable[float], ltp: float) -> float:
    ordered = listed(strikes)
    return ordered[atm_index(ordered, ltp)]


def _step(option_type: str, moneyness: int) -> int:
    """Index step from ATM: CE in-the-money is lower strikes, PE in-the-money is higher strikes."""
    kind = str(option_type).upper()
    if kind not in ("CE", "PE"):
        raise InvalidInput("option_type must be CE or PE", field="option_type")
    return -moneyness if kind == "CE" else moneyness


def select_strike(strikes: Iterable[float], ltp: float, offset: str | Offset, option_type: str) -> float:
    """The listed strike `offset` listed strikes away from ATM, for `option_type`."""
    parsed = offset if isinstance(offset, Offset) else parse_offset(offset)
    ordered = listed(strikes)
    index = atm_index(ordered, ltp) + _step(option_type, parsed.moneyness)
    if not 0 <= index < len(ordered):
        raise InvalidInput(f"Offset {parsed.label} is out of range for available strikes. "
                           "Please use a smaller offset.", field="offset")
    return ordered[index]


def select_strike_by_interval(ltp: float, strike_int: float, offset: str | Offset, option_type: str) -> float:
    """Deprecated `strike_int` mode: ATM = round(LTP / strike_int) * strike_int, steps of strike_int."""
    if strike_int <= 0:
        raise InvalidInput("strike_int must be at least 1", field="strike_int")
    parsed = offset if isinstance(offset, Offset) else parse_offset(offset)
    atm = round(ltp / strike_int) * strike_int
    strike = atm + _step(option_type, parsed.moneyness) * strike_int
    if strike <= 0:
        raise InvalidInput(f"Offset {parsed.label} is out of range for available strikes. "
                           "Please use a smaller offset.", field="offset")
    return float(strike)


def chain_rows(strikes: Iterable[float], ltp: float, strike_count: int | None = None) -> list[ChainRow]:
    """Rows of the option chain centred on ATM, ascending, with CE/PE labels (§8.4);
    `strike_count` strikes on each side of ATM (all listed strikes when None)."""
    ordered = listed(strikes)
    centre = atm_index(ordered, ltp)
    low, high = 0, len(ordered)
    if strike_count is not None:
        if not 1 <= strike_count <= 100:
            raise InvalidInput("strike_count must be between 1 and 100", field="strike_count")
        low, high = max(0, centre - strike_count), min(len(ordered), centre + strike_count + 1)
    rows = []
    for index in range(low, high):
        distance = abs(index - centre)
        if distance == 0:
            rows.append(ChainRow(ordered[index], "ATM", "ATM"))
        elif index < centre:
            rows.append(ChainRow(ordered[index], f"ITM{distance}", f"OTM{distance}"))
        else:
            rows.append(ChainRow(ordered[index], f"OTM{distance}", f"ITM{distance}"))
    return rows


def synthetic_future(atm: float, call_ltp: float, put_ltp: float) -> float:
    """Put-call parity forward: ATM strike + CE − PE, rounded to 2 decimals (§8.6; §8.4 forward_price)."""
    return round(float(atm) + float(call_ltp) - float(put_ltp), 2)
