"""Reference data of the paper market: which underlyings exist, at what level they trade, how they move.

Facts (checked late 2025 / 2026): NSE index derivative lot sizes from the January 2026 series are
NIFTY 65, BANKNIFTY 30, FINNIFTY 60, MIDCPNIFTY 120 (NSE circular of October 2025, revised from
75/35/65/140); SENSEX 20 and BANKEX 30 on BSE. Strike spacing NIFTY 50, BANKNIFTY 100, SENSEX 100.
NIFTY weekly options expire on Tuesday and monthly contracts on the last Tuesday of the month; SENSEX
weekly on Thursday and monthly on the last Thursday; BANKNIFTY has monthly contracts only. Price
levels are round numbers near late-2025 levels; they only anchor the simulation.
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
BSE_LISTED = ("RELIANCE", "TCS", "HDFCBANK", "INFY", "ICICIBANK", "SBIN", "ITC", "LT")
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
    IndexSpec("FINNIFTY", "NIFTY FIN SERVICE", "NSE_INDEX", 27500, 0.15, "NFO", 60, 50, None, 1),
    IndexSpec("MIDCPNIFTY", "NIFTY MID SELECT", "NSE_INDEX", 13500, 0.17, "NFO", 120, 25, None, 1),
    IndexSpec("SENSEX", "SENSEX", "BSE_INDEX", 85000, 0.13, "BFO", 20, 100, 3, 3, True),
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


COMMODITIES = (
    CommoditySpec("CRUDEOIL", "CRUDE OIL", 5400, 0.35, 100, 1.0, 19),
    CommoditySpec("NATURALGAS", "NATURAL GAS", 390, 0.55, 1250, 0.1, 26),
    CommoditySpec("GOLDM", "GOLD MINI (per 10 g, lot 100 g)", 125000, 0.16, 10, 1.0, 5),
    CommoditySpec("SILVERM", "SILVER MINI (per kg, lot 5 kg)", 155000, 0.25, 5, 1.0, 0),
)

# Option chains: strikes on each side of the day's at-the-money strike (so 2 * 25 + 1 = 51 strikes).
STRIKES_EACH_SIDE = 25
# Risk-free rate of the cost-of-carry forward (futures) and of Black-76 discounting.
RISK_FREE_RATE = 0.065


def index_spec(symbol: str) -> IndexSpec | None:
    return next((spec for spec in INDICES if spec.symbol == symbol), None)


def commodity_spec(symbol: str) -> CommoditySpec | None:
    return next((spec for spec in COMMODITIES if spec.symbol == symbol), None)


def equity_tick_size(price: float) -> float:
    """NSE cash tick: 0.01 below ₹250, else 0.05 (the finer 2025 bands are not modelled)."""
    return 0.01 if price < 250 else 0.05
