"""Reference data of the paper market: which underlyings exist, at what level they trade, how they move.

Facts below were checked against public sources (December 2026, issue 23); each says where it comes
from, and what could not be confirmed is marked UNVERIFIED and kept as it was.

Index derivatives
* NSE lots (circular NSE/FAOP/70616 of October 2025, effective from the January 2026 series; reported
  by brokers' notices and a reference sheet dated 31 October 2026): NIFTY 65, BANKNIFTY 30, FINNIFTY 60,
  MIDCPNIFTY 120 (from 75/35/65/140), NIFTYNXT50 25 (unchanged). The reference sheet is a third-party
  one; no later NSE index-lot circular was found.
* BSE lots: SENSEX 20 and BANKEX 30 (BSE's November 2024 revision under SEBI circular
  SEBI/HO/MRD/TPD-1/P/CIR/2024/132, still listed in the October 2026 reference sheet). SENSEX 50: 60 in
  the November 2024 revision as brokers reported it, but Zerodha's support page on index lot sizes lists
  75 and no BSE notice was found to settle it: UNVERIFIED, kept at 60.
* Expiries since SEBI's 2025 one-weekday-per-exchange rule: NSE on Tuesday (NIFTY weekly every
  Tuesday; every monthly, index and stock, on the month's last Tuesday), BSE on Thursday (SENSEX
  weekly every Thursday; SENSEX, BANKEX and SENSEX 50 monthly on the last Thursday). Only NIFTY and
  SENSEX kept weekly options (SEBI withdrew the others from 20 November 2024). An expiry on a holiday
  moves to the previous trading day.
* Strike spacing of index options (NIFTY 50, BANKNIFTY 100, FINNIFTY 50, MIDCPNIFTY 25, NIFTYNXT50
  100, SENSEX 100, BANKEX 100, SENSEX 50 50): UNVERIFIED against a circular (NSE varies the step with
  the index level and the expiry's distance); kept.

Stock derivatives
* Lots (STOCK_LOTS) follow NSE's half-yearly review effective 29 October 2025 (lots cut from the
  November 2025 expiries, raised or re-based from the January 2026 expiries; as brokers reproduced it): HDFCBANK 1100→550, BAJAJFINSV 500→250,
  BEL 2850→1425, HINDALCO 1400→700, NMDC 13500→6750, EICHERMOT 175→100, RECLTD →1400, RVNL →1525,
  SUZLON →9025. The review left the other listed stocks' lots unchanged, but their values come from
  earlier reviews not re-checked here (BHARTIARTL 475, BHEL 2625 and IOC 4875 match NSE's April 2024
  halving; later reviews were not found): UNVERIFIED. No review after October 2025 was found. A stock
  missing from STOCK_LOTS gets a lot sized like NSE's (about ₹6 lakh, in multiples of 25).
* Strikes: NSE sets a step per stock (strike-scheme circulars of 17 December 2025 and 17 March 2026
  under the F&O consolidated circular NSE/FAOP/67775); STOCK_STRIKE_STEPS only follows their shape by
  price (e.g. ₹50 for a ₹7,600 stock, ₹2.5 for a ₹140 one), so some stocks' steps differ.

Currency (NSE CDS contract specifications for INR pairs)
* USDINR: one contract is USD 1,000, quoted in ₹ per dollar, tick ₹0.0025; futures and monthly options
  expire at 12:30 two working days before the month's last business day, weekly options on Friday.
  Strike step ₹0.25 (NSE IX's INR-pair specification states the same ₹0.25 interval; NSE's own page
  did not show it).
* Quantity units differ between brokers' master contracts: Zerodha's, Angel One's and Dhan's give
  USDINR a lot size of 1 (a quantity counts contracts of USD 1,000), Upstox's gives 1,000 (a quantity
  counts dollars). The paper market counts contracts like the first group, so a script written for
  Zerodha runs unchanged: the lot is 1, `quantity=1` is one contract, and its contract multiplier of
  1,000 (units of the underlying per unit of quantity) turns quantity into money everywhere the
  engine does (value, P&L, margins, charges, expiry settlement): a ₹0.01 move is ₹10 per contract.
* The multiplier of a live broker's CDS / BCD or MCX row (contract size over the broker's lot, and
  which brokers count MCX in contracts) is broker/contract/multiplier.py's rule, with the sources of
  its contract sizes; the paper market's USDINR takes its 1,000 from the same table.

MCX (contract specifications; expiry dates cross-checked against published contract calendars)
* CRUDEOIL: 100 barrels, ₹ per barrel, tick ₹1; the future's last day is the business day before
  NYMEX WTI's, which ends three business days before the 25th (the business day before the 25th when
  that is a holiday): here four trading days before the 25th or the last trading day before it.
  Options (on the future) expire two business days before it; strikes ₹50 apart.
* NATURALGAS: 1,250 mmBtu, tick ₹0.10; the future ends the business day before NYMEX Henry Hub's last
  day (three business days before the month ends): the month's fourth-last trading day. Options expire
  two business days before the future. Strike step ₹5: UNVERIFIED, kept.
* GOLDM: 100 g quoted per 10 g, tick ₹1, the future expires on the 5th; options strikes ₹500 apart
  (MCX widened gold and gold mini option strikes from ₹100 from 30 January 2026).
* SILVERM: 5 kg quoted per kg, tick ₹1, the future expires on the last calendar day of its month.
  Option strike step ₹500: UNVERIFIED (₹250 at the 2021 launch), kept.
* Bullion options expire three business days before the first day of the future's staggered-delivery
  tender period (the last five business days up to its expiry), i.e. seven trading days before the
  future. A third-party notice reports MCX shortening that tender period to three days (date not
  found), which would make it five: UNVERIFIED; seven matches the published 2026 gold mini dates.
* US holidays (which move NYMEX's dates) are not modelled; MCX's own holidays are.

Price levels are round numbers near late-2025 levels; they only anchor the simulation.
"""
from __future__ import annotations

from dataclasses import dataclass

from broker.contract.multiplier import currency_multiplier

# (symbol, name, anchor price) of the NIFTY 50 constituents (late 2025; TMPV is Tata Motors
# Passenger Vehicles after the October 2025 demerger).
NIFTY50 = (
    ("ADANIENT", "ADANI ENTERPRISES", 2400), ("ADANIPORTS", "ADANI PORTS & SEZ", 1480),
    ("APOLLOHOSP", "APOLLO HOSPITALS", 7600), ("ASIANPAINT", "ASIAN PAINTS", 2900),
    ("AXISBANK", "AXIS BANK", 1270), ("BAJAJ-AUTO", "BAJAJ AUTO", 9000),
    ("BAJFINANCE", "BAJAJ FINANCE", 1000), ("BAJAJFINSV", "BAJAJ FINSERV", 2050),
    ("BEL", "BHARAT ELECTRONICS", 410), ("BHARTIARTL", "BHARTI AIRTEL", 2100),
    ("CIPLA", "CIPLA", 1520), ("COALINDIA", "COAL INDIA", 380),
    ("DRREDDY", "DR. REDDY'S LABORATORIES", 1250), ("EICHERMOT", "EICHER MOTORS", 7000),
    ("ETERNAL", "ETERNAL", 300), ("GRASIM", "GRASIM INDUSTRIES", 2750),
    ("HCLTECH", "HCL TECHNOLOGIES", 1620), ("HDFCBANK", "HDFC BANK", 1000),
    ("HDFCLIFE", "HDFC LIFE INSURANCE", 770), ("HINDALCO", "HINDALCO INDUSTRIES", 800),
    ("HINDUNILVR", "HINDUSTAN UNILEVER", 2450), ("ICICIBANK", "ICICI BANK", 1380),
    ("INDIGO", "INTERGLOBE AVIATION", 5800), ("INFY", "INFOSYS", 1550),
    ("ITC", "ITC", 405), ("JIOFIN", "JIO FINANCIAL SERVICES", 300),
    ("JSWSTEEL", "JSW STEEL", 1150), ("KOTAKBANK", "KOTAK MAHINDRA BANK", 2100),
    ("LT", "LARSEN & TOUBRO", 4000), ("M&M", "MAHINDRA & MAHINDRA", 3700),
    ("MARUTI", "MARUTI SUZUKI INDIA", 16000), ("MAXHEALTH", "MAX HEALTHCARE INSTITUTE", 1100),
    ("NESTLEIND", "NESTLE INDIA", 1250), ("NTPC", "NTPC", 330),
    ("ONGC", "OIL & NATURAL GAS CORPORATION", 250), ("POWERGRID", "POWER GRID CORPORATION", 270),
    ("RELIANCE", "RELIANCE INDUSTRIES", 1550), ("SBILIFE", "SBI LIFE INSURANCE", 2000),
    ("SBIN", "STATE BANK OF INDIA", 970), ("SHRIRAMFIN", "SHRIRAM FINANCE", 850),
    ("SUNPHARMA", "SUN PHARMACEUTICAL INDUSTRIES", 1780), ("TATACONSUM", "TATA CONSUMER PRODUCTS", 1150),
    ("TMPV", "TATA MOTORS PASSENGER VEHICLES", 400), ("TATASTEEL", "TATA STEEL", 170),
    ("TCS", "TATA CONSULTANCY SERVICES", 3150), ("TECHM", "TECH MAHINDRA", 1450),
    ("TITAN", "TITAN COMPANY", 3900), ("TRENT", "TRENT", 4300),
    ("ULTRACEMCO", "ULTRATECH CEMENT", 11800), ("WIPRO", "WIPRO", 245),
)
# Liquid NSE stocks beyond the NIFTY 50 that scripts commonly trade (symbol, name, anchor price).
MORE_EQUITIES = (
    ("YESBANK", "YES BANK", 22), ("NHPC", "NHPC", 80), ("BHEL", "BHARAT HEAVY ELECTRICALS", 260),
    ("IRFC", "INDIAN RAILWAY FINANCE CORPORATION", 125), ("IDEA", "VODAFONE IDEA", 10),
    ("SUZLON", "SUZLON ENERGY", 55), ("PNB", "PUNJAB NATIONAL BANK", 120), ("IOC", "INDIAN OIL CORPORATION", 165),
    ("BANKBARODA", "BANK OF BARODA", 280), ("CANBK", "CANARA BANK", 150), ("GAIL", "GAIL (INDIA)", 180),
    ("SAIL", "STEEL AUTHORITY OF INDIA", 130), ("TATAPOWER", "TATA POWER", 390),
    ("RECLTD", "REC", 370), ("PFC", "POWER FINANCE CORPORATION", 380), ("DLF", "DLF", 720),
    ("VEDL", "VEDANTA", 520), ("HAL", "HINDUSTAN AERONAUTICS", 4500), ("IRCTC", "IRCTC", 700),
    ("BPCL", "BHARAT PETROLEUM CORPORATION", 360), ("HINDPETRO", "HINDUSTAN PETROLEUM CORPORATION", 460),
    ("ADANIPOWER", "ADANI POWER", 150), ("IDFCFIRSTB", "IDFC FIRST BANK", 80), ("NMDC", "NMDC", 75),
    ("RVNL", "RAIL VIKAS NIGAM", 330), ("SWIGGY", "SWIGGY", 400), ("PAYTM", "ONE 97 COMMUNICATIONS", 1250),
    ("UNIONBANK", "UNION BANK OF INDIA", 150),
)
BSE_LISTED = ("RELIANCE", "TCS", "HDFCBANK", "INFY", "ICICIBANK", "SBIN", "ITC", "LT")
# Stocks with futures and options on NFO: the NIFTY 50 and these.
MORE_FNO = ("YESBANK", "NHPC", "BHEL", "IRFC", "IDEA", "SUZLON", "PNB", "IOC", "BANKBARODA", "CANBK", "GAIL",
            "SAIL", "TATAPOWER", "RECLTD", "PFC", "DLF", "VEDL", "HAL", "IRCTC", "BPCL", "HINDPETRO",
            "IDFCFIRSTB", "NMDC", "PAYTM", "UNIONBANK", "RVNL")
# Market lots of stock derivatives (see the module docstring): the first group as NSE's October 2025
# review set them, the rest from earlier reviews (UNVERIFIED).
STOCK_LOTS = {
    "HDFCBANK": 550, "BAJAJFINSV": 250, "BEL": 1425, "HINDALCO": 700, "NMDC": 6750, "EICHERMOT": 100,
    "RECLTD": 1400, "RVNL": 1525, "SUZLON": 9025,
    "RELIANCE": 500, "SBIN": 750, "TCS": 175, "INFY": 400, "ICICIBANK": 700, "ITC": 1600, "LT": 175,
    "AXISBANK": 625, "KOTAKBANK": 400, "BHARTIARTL": 475, "TATASTEEL": 5500, "WIPRO": 3000, "MARUTI": 50,
    "ULTRACEMCO": 50, "PNB": 8000, "IOC": 4875, "BHEL": 2625, "NHPC": 6400, "IDEA": 71475, "YESBANK": 31100,
    "IRFC": 4250,
}
STOCK_CONTRACT_VALUE = 600_000      # ₹: the size NSE's stock lots work out to (₹5-10 lakh)
# (price up to, strike step) for stock options, following the shape of NSE's strike scheme
STOCK_STRIKE_STEPS = ((50, 0.5), (100, 1.0), (250, 2.5), (500, 5.0), (2500, 10.0), (5000, 20.0),
                      (10000, 50.0), (float("inf"), 100.0))
STOCK_STRIKES_EACH_SIDE = 10
STOCK_OPTION_VOLATILITY = 0.28
EQUITY_VOLATILITY = 0.24  # annualised


@dataclass(frozen=True)
class IndexSpec:
    symbol: str
    brsymbol: str          # the exchange's display name, e.g. "NIFTY 50"
    exchange: str          # NSE_INDEX / BSE_INDEX
    anchor: float
    volatility: float      # annualised; also the ATM implied volatility of its options
    derivatives_exchange: str = ""
    lotsize: int = 0       # 0: no derivatives
    strike_step: float = 0
    weekly_weekday: int | None = None    # 0 = Monday ... ; None: no weekly options
    monthly_weekday: int = 1             # last such weekday of the month
    has_options: bool = False


INDICES = (
    IndexSpec("NIFTY", "NIFTY 50", "NSE_INDEX", 26000, 0.13, "NFO", 65, 50, 1, 1, True),
    IndexSpec("BANKNIFTY", "NIFTY BANK", "NSE_INDEX", 59000, 0.15, "NFO", 30, 100, None, 1, True),
    IndexSpec("FINNIFTY", "NIFTY FIN SERVICE", "NSE_INDEX", 27500, 0.15, "NFO", 60, 50, None, 1, True),
    IndexSpec("MIDCPNIFTY", "NIFTY MID SELECT", "NSE_INDEX", 13500, 0.17, "NFO", 120, 25, None, 1, True),
    IndexSpec("NIFTYNXT50", "NIFTY NEXT 50", "NSE_INDEX", 69500, 0.16, "NFO", 25, 100, None, 1, True),
    IndexSpec("SENSEX", "SENSEX", "BSE_INDEX", 85000, 0.13, "BFO", 20, 100, 3, 3, True),
    IndexSpec("BANKEX", "BANKEX", "BSE_INDEX", 64000, 0.15, "BFO", 30, 100, None, 3, True),
    IndexSpec("SENSEX50", "SENSEX50", "BSE_INDEX", 27000, 0.13, "BFO", 60, 50, None, 3, True),
    IndexSpec("INDIAVIX", "INDIA VIX", "NSE_INDEX", 12, 0.9),
)


@dataclass(frozen=True)
class CommoditySpec:
    symbol: str
    name: str
    anchor: float
    volatility: float
    lotsize: int           # in price units: CRUDEOIL is quoted per barrel and trades 100 barrels
    tick_size: float
    # The future expires `expiry_lead_days` trading days before the month's `expiry_day` (0: its last
    # day), or on the trading day before that day when it is a holiday (see the module docstring).
    expiry_day: int
    expiry_lead_days: int
    strike_step: float = 0  # options on the future (0: none)
    option_lead_days: int = 0   # trading days the options expire before their future


COMMODITIES = (
    CommoditySpec("CRUDEOIL", "CRUDE OIL", 5400, 0.35, 100, 1.0, 25, 4, 50, 2),
    CommoditySpec("NATURALGAS", "NATURAL GAS", 390, 0.55, 1250, 0.1, 0, 3, 5, 2),
    CommoditySpec("GOLDM", "GOLD MINI (per 10 g, lot 100 g)", 125000, 0.16, 10, 1.0, 5, 0, 500, 7),
    CommoditySpec("SILVERM", "SILVER MINI (per kg, lot 5 kg)", 155000, 0.25, 5, 1.0, 0, 0, 500, 7),
)
COMMODITY_STRIKES_EACH_SIDE = 15


@dataclass(frozen=True)
class CurrencySpec:
    symbol: str
    name: str
    anchor: float
    volatility: float
    lotsize: int           # in contracts, as Zerodha's master contract counts them (module docstring)
    tick_size: float
    strike_step: float
    carry: float           # annual forward premium (the interest-rate differential)

    @property
    def multiplier(self) -> float:
        """Price units per contract (USDINR: USD 1,000 quoted per dollar)."""
        return currency_multiplier(self.symbol, self.lotsize)


CURRENCIES = (CurrencySpec("USDINR", "US DOLLAR - INDIAN RUPEE", 88.5, 0.045, 1, 0.0025, 0.25, 0.02),)
CURRENCY_EXCHANGE = "CDS"
CURRENCY_STRIKES_EACH_SIDE = 15
CURRENCY_WEEKLY_WEEKDAY = 4   # Friday

# Option chains: strikes on each side of the day's at-the-money strike (so 2 * 25 + 1 = 51 strikes).
STRIKES_EACH_SIDE = 25
# Risk-free rate of the cost-of-carry forward (futures) and of Black-76 discounting.
RISK_FREE_RATE = 0.065


def index_spec(symbol: str) -> IndexSpec | None:
    return next((spec for spec in INDICES if spec.symbol == symbol), None)


def commodity_spec(symbol: str) -> CommoditySpec | None:
    return next((spec for spec in COMMODITIES if spec.symbol == symbol), None)


def currency_spec(symbol: str) -> CurrencySpec | None:
    return next((spec for spec in CURRENCIES if spec.symbol == symbol), None)


def equity_level(symbol: str) -> float | None:
    """The anchor price of an NSE stock of the universe."""
    return next((float(level) for name, _, level in NIFTY50 + MORE_EQUITIES if name == symbol), None)


def fno_stocks() -> tuple[str, ...]:
    return tuple(symbol for symbol, _, _ in NIFTY50) + MORE_FNO


def stock_lot(symbol: str, level: float) -> int:
    """The market lot of a stock's derivatives (STOCK_LOTS, else sized like NSE's)."""
    if symbol in STOCK_LOTS:
        return STOCK_LOTS[symbol]
    return max(25, int(-(-STOCK_CONTRACT_VALUE / level // 25)) * 25)


def stock_strike_step(level: float) -> float:
    return next(step for limit, step in STOCK_STRIKE_STEPS if level <= limit)


def equity_tick_size(price: float) -> float:
    """NSE cash tick: 0.01 below ₹250, else 0.05 (the finer 2025 bands are not modelled)."""
    return 0.01 if price < 250 else 0.05
