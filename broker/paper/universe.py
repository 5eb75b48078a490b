"""Reference data of the paper market: which underlyings exist, at what level they trade, how they move.

Facts, from the exchanges' public circulars and contract specifications (checked late 2025 / 2026):

* NSE index derivatives (circular NSE/FAOP/70616, October 2025, from the January 2026 series): lots
  NIFTY 65, BANKNIFTY 30, FINNIFTY 60, MIDCPNIFTY 120 (revised from 75/35/65/140), NIFTYNXT50 25
  (unchanged). BSE index derivatives (lot review under SEBI circular SEBI/HO/MRD/TPD-1/P/CIR/2024/132):
  SENSEX 20, BANKEX 30, SENSEX 50 60.
* Expiry days since SEBI's September 2025 rule (one expiry weekday per exchange): NSE contracts expire
  on Tuesday (NIFTY weekly every Tuesday; monthly contracts, index and stock, on the last Tuesday), BSE
  contracts on Thursday (SENSEX weekly every Thursday; SENSEX, BANKEX and SENSEX 50 monthly on the last
  Thursday). Only NIFTY and SENSEX keep weekly options (SEBI withdrew the other weeklies in November
  2024). A holiday moves an expiry to the previous trading day.
* Strike spacing NIFTY 50, BANKNIFTY 100, FINNIFTY 50, MIDCPNIFTY 25, NIFTYNXT50 100, SENSEX 100,
  BANKEX 100, SENSEX 50 50; stock options by price (STOCK_STRIKE_STEPS).
* Currency (NSE CDS, contract specifications of INR pairs): USDINR in units of USD 1,000 (the lot here
  is 1,000: quantities are in dollars), tick ₹0.0025, futures and monthly options expire two working
  days before the last business day of the month, weekly options on Friday, strikes ₹0.25 apart.
* MCX options are on the commodity's future and expire two trading days before it (OPTION_LEAD_DAYS).

Lot sizes of stock derivatives are the ones NSE listed for the late-2025 series where known
(STOCK_LOTS); NSE revises them twice a year, so a stock missing there gets a lot sized like NSE's (a
contract value of about ₹6 lakh, in multiples of 25). Price levels are round numbers near late-2025
levels; they only anchor the simulation.
"""
from __future__ import annotations

from dataclasses import dataclass

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
            "IDFCFIRSTB", "NMDC", "PAYTM", "UNIONBANK")
# Market lots of stock derivatives as NSE listed them for the late-2025 series (see the module docstring).
STOCK_LOTS = {
    "RELIANCE": 500, "SBIN": 750, "TCS": 175, "INFY": 400, "HDFCBANK": 550, "ICICIBANK": 700, "ITC": 1600,
    "LT": 175, "AXISBANK": 625, "KOTAKBANK": 400, "BHARTIARTL": 475, "TATASTEEL": 5500, "WIPRO": 3000,
    "MARUTI": 50, "ULTRACEMCO": 50, "PNB": 8000, "IOC": 4875, "BHEL": 2625, "NHPC": 6400, "IDEA": 71475,
    "YESBANK": 31100, "IRFC": 4250, "SUZLON": 8000,
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
    expiry_day: int        # approximate day of month of expiry (0: last trading day of the month)
    strike_step: float = 0  # options on the future (0: none)


COMMODITIES = (
    CommoditySpec("CRUDEOIL", "CRUDE OIL", 5400, 0.35, 100, 1.0, 19, 50),
    CommoditySpec("NATURALGAS", "NATURAL GAS", 390, 0.55, 1250, 0.1, 26, 5),
    CommoditySpec("GOLDM", "GOLD MINI (per 10 g, lot 100 g)", 125000, 0.16, 10, 1.0, 5, 500),
    CommoditySpec("SILVERM", "SILVER MINI (per kg, lot 5 kg)", 155000, 0.25, 5, 1.0, 0, 500),
)
OPTION_LEAD_DAYS = 2          # MCX options expire this many trading days before their future
COMMODITY_STRIKES_EACH_SIDE = 15


@dataclass(frozen=True)
class CurrencySpec:
    symbol: str
    name: str
    anchor: float
    volatility: float
    lotsize: int           # in units of the base currency (quantities are in dollars)
    tick_size: float
    strike_step: float
    carry: float           # annual forward premium (the interest-rate differential)


CURRENCIES = (CurrencySpec("USDINR", "US DOLLAR - INDIAN RUPEE", 88.5, 0.045, 1000, 0.0025, 0.25, 0.02),)
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
