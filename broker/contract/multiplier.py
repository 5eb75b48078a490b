"""Contract multipliers: how many units of the quoted price one unit of a broker's quantity is.

Money is quantity x multiplier x price. For most instruments the multiplier is 1 (a share, a NIFTY
option: the quantity already counts units). Currency derivatives and, at some brokers, MCX contracts
are counted in exchange contracts instead, and a broker's trade and position books carry no
multiplier, so whoever turns their quantities into money (the sandbox engine on a live market, the
live `pnl/symbols` report, the dashboard's P&L curve) derives it from the master-contract row here.

Currency (NSE CDS contract specifications for INR pairs; BSE's BCD lists the same sizes)
* One contract of an INR pair is CURRENCY_CONTRACT_UNITS in units of the price it is quoted in:
  USDINR, EURINR and GBPINR 1,000 units of the base currency quoted per unit; JPYINR 100,000 yen
  quoted per 100 yen, i.e. 1,000 price units.
* Quantity units differ between brokers' master contracts: Zerodha's, Angel One's and Dhan's give
  USDINR a lot size of 1 (a quantity counts contracts of USD 1,000), Upstox's gives 1,000 (a quantity
  counts dollars). The multiplier of a CDS / BCD row is therefore the contract size over the broker's
  lot: 1,000 for a lot of 1, 1 for Upstox's 1,000 (currency_multiplier). Evidence in the recorded
  broker files (tests/fixtures): Angel One's and Dhan's master contracts list USDINR with lot 1,
  Upstox's with 1,000; Zerodha's trade book shows a USDINR future traded in quantity 1 (its recorded
  instrument dump has no CDS rows).

MCX
* Angel One's, Dhan's and Upstox's recorded master contracts count units of the quoted price
  (CRUDEOIL lot 100 barrels, GOLDM 10), so their multiplier is 1. Zerodha counts MCX in contracts: Kite
  lists MCX with lot 1, and its recorded positions show LEADMINI quantity 1 with Kite's position
  multiplier 1,000. A lot of 1 alone does not tell (some brokers list lot 1 yet count units), so a
  broker plugin declares it (CapabilityMap.mcx_quantity = "contracts", Zerodha only) and only then is
  the multiplier MCX_CONTRACT_UNITS over the broker's lot (mcx_multiplier); a commodity missing from
  the table stays at 1.
* The table's sizes (price units per contract) come from published lot-size lists, not MCX's own
  contract-specification pages (not reachable here): Zerodha's support list of MCX option contracts
  (COPPER 2,500 kg, CRUDEOIL 100 bbl, CRUDEOILM 10, GOLD 1 kg, GOLDM 100 g, NATURALGAS 1,250 mmBtu,
  NATGASMINI 250, SILVER 30 kg, SILVERM 5 kg, ZINC 5 t), Dhan's commodity lot-size page (the same
  values), launch notes of CRUDEOILM (10 bbl, ₹ per barrel) and NATGASMINI (250 mmBtu), and a 2023 list
  of MCX multipliers (all sixteen, including SILVERMIC 1, ALUMINIUM / LEAD 5,000, ALUMINI / LEADMINI /
  ZINCMINI 1,000). GOLD and GOLDM are quoted per 10 g, so 1 kg is 100 price units and 100 g is 10.
  SILVERMIC and the base-metal minis were confirmed by that one third-party list only: UNVERIFIED
  against MCX.
"""
from __future__ import annotations

from broker.contract.manifest import CapabilityMap
from broker.contract.models import Instrument
from utils.symbols import parse_derivative

CURRENCY_EXCHANGES = ("CDS", "BCD")
# One contract of NSE's (and BSE's) INR currency pairs, in units of the price it is quoted in (module
# docstring): USD / EUR / GBP 1,000 quoted per unit; JPY 100,000 quoted per 100 yen.
CURRENCY_CONTRACT_UNITS = {"USDINR": 1000, "EURINR": 1000, "GBPINR": 1000, "JPYINR": 1000}
# One MCX futures contract in units of the price it is quoted in (module docstring): CRUDEOIL is 100
# barrels quoted per barrel, GOLD 1 kg quoted per 10 g (100), GOLDM 100 g (10), metals per kg.
MCX_CONTRACT_UNITS = {"CRUDEOIL": 100, "CRUDEOILM": 10, "NATURALGAS": 1250, "NATGASMINI": 250, "GOLD": 100,
                      "GOLDM": 10, "SILVER": 30, "SILVERM": 5, "SILVERMIC": 1, "COPPER": 2500, "ZINC": 5000,
                      "LEAD": 5000, "ALUMINIUM": 5000, "ZINCMINI": 1000, "LEADMINI": 1000, "ALUMINI": 1000}


def counts_mcx_contracts(capabilities: CapabilityMap) -> bool:
    """Whether the broker declares that quantity 1 on MCX is one exchange contract (its lot alone does not say)."""
    return capabilities.mcx_quantity == "contracts"


def contract_multiplier(row: Instrument, mcx_contracts: bool = False) -> float:
    """Units of the underlying per unit of quantity of a master-contract row. A CDS / BCD contract's
    multiplier is the exchange's contract size over the broker's lot (currency_multiplier). MCX
    likewise, but only for a broker that declares it counts MCX in contracts (`mcx_contracts`:
    CapabilityMap.mcx_quantity == "contracts"): a lot of 1 alone does not say so. Everything else: 1."""
    if row.exchange in CURRENCY_EXCHANGES:
        return currency_multiplier(_base(row), int(row.lotsize or 1))
    if row.exchange == "MCX" and mcx_contracts:
        return mcx_multiplier(_base(row), int(row.lotsize or 1))
    return 1.0


def currency_multiplier(base: str, lotsize: int) -> float:
    """Price units per unit of quantity of a currency contract whose master-contract lot is `lotsize`:
    the contract size over the lot when the lot divides it (a broker counting contracts lists 1, one
    counting units of the currency lists the contract size), else 1 (a pair not listed here)."""
    return _units_per_quantity(CURRENCY_CONTRACT_UNITS.get(base.upper()), lotsize)


def mcx_multiplier(base: str, lotsize: int) -> float:
    """Price units per unit of quantity of an MCX contract at a broker that counts MCX in contracts
    (CapabilityMap.mcx_quantity == "contracts"): the contract size over the broker's lot, else 1 (a
    commodity not in MCX_CONTRACT_UNITS)."""
    return _units_per_quantity(MCX_CONTRACT_UNITS.get(base.upper()), lotsize)


def _units_per_quantity(units: int | None, lotsize: int) -> float:
    if not units or lotsize <= 0 or units % lotsize:
        return 1.0
    return float(units // lotsize)


def _base(row: Instrument) -> str:
    """The underlying of a derivative row (USDINR, CRUDEOIL), from its symbol, else the row's name."""
    parsed = parse_derivative(row.symbol)
    return parsed.base if parsed is not None else (row.name or "")
