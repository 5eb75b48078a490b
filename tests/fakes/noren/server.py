"""A fake Noren OMS REST API — the system behind Shoonya (Finvasia) and Flattrade — for tests.

Noren's wire format (public Noren API documentation, Shoonya-Dev/ShoonyaApi-py README): every call is a
POST to `<host>/<Call>` whose body is `jData=<json>` followed by `&jKey=<session token>` for everything
but the login; answers are JSON, failures `{"stat": "Not_Ok", "emsg": "..."}` (HTTP 200 — Noren reports
refusals in the body). The official SDK sends the JSON unencoded; a URL-encoded body is accepted too.

Logins:
- Shoonya's OAuth: the browser goes to `/OAuthlogin/authorize/oauth?client_id=<client id>` and comes back
  to the redirect URL with `?code=<code>`; `GenAcsTok` with `jData={"code", "checksum": SHA-256(client id +
  secret + code)}` answers `access_token` (then sent as `Authorization: Bearer <access_token>` with a
  body of `jData` alone), `refresh_token`, `expires_in` and the WebSocket's `susertoken`.
- Noren `QuickAuth` (what the official SDK speaks): `pwd` = SHA-256 of the password, `appkey` = SHA-256
  of `<uid>|<api secret>`, `factor2` = the TOTP, `vc` = vendor code; answers `susertoken` (sent as jKey).
- Flattrade: the browser goes to `<auth>/?app_key=<key>` and comes back to the redirect URL with
  `?code=<request code>&client=<uid>`; `POST /trade/apitoken` with JSON `{api_key, request_code,
  api_secret: SHA-256(api_key + request_code + secret)}` answers `{"token", "client", "stat": "Ok"}`.

A small order state makes place → book → modify → cancel real: market orders (and marketable limits)
fill at the quote, the rest stay OPEN; fills reach TradeBook and PositionBook and are pushed as `om`
messages on the WebSocket (tests/fakes/noren/feed.py). GetBasketMargin / SpanCalc answer margins computed from the quote (MIS 20 %, the rest in full; SPAN
10 % of the net notional, exposure 3 %); PlaceGTTOrder / ModifyGTTOrder / CancelGTTOrder /
GetPendingGTTOrder keep pending GTTs (`ai_t` LTP_A_O / LTP_B_O, `validity` GTT, trigger `d`). An order
sent with `amo` "Yes" is kept with that flag (the fake's market is always open, so it is matched at
once). Failure modes on demand: `fail_next(status)`,
`expire_token()`, `malformed_next()`, `slow_next(seconds)`, `not_ok_next(emsg)`; `requests` records
every call (path, parsed jData, jKey).
"""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import threading
import time
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import unquote_plus

from flask import Flask, Response, redirect, request
from werkzeug.serving import make_server

from tests.fakes.fixtures import fixture_json, fixture_path
from tests.fakes.recording import Failure
from tests.support.net import free_port

IST = timezone(timedelta(hours=5, minutes=30))
USER_ID = "AB1234"
PASSWORD = "noren-password"
TOTP = "123456"
VENDOR_CODE = "AB1234_U"
API_SECRET = "noren-api-secret"          # Shoonya's app key secret (the OAuth secret code too)
CLIENT_ID = VENDOR_CODE                  # Shoonya's OAuth client id is the API key's `<uid>_U`
OAUTH_CODE = "5b0c7a4e-noren-oauth-code"
FLATTRADE_API_KEY = "flattrade-api-key"
FLATTRADE_API_SECRET = "flattrade-api-secret"
REQUEST_CODE = "flattrade-request-code"
PRODUCTS, SIDES = ("C", "M", "I", "B", "H"), ("B", "S")
PRICE_TYPES, RETENTIONS = ("LMT", "MKT", "SL-LMT", "SL-MKT"), ("DAY", "IOC", "EOS")
EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX")
TPSERIES_INTERVALS = ("1", "3", "5", "10", "15", "30", "60", "120", "240")
SESSION_EXPIRED = "Session Expired :  Invalid Session Key"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class NorenCall:
    """One request as the fake saw it."""
    path: str
    call: str
    jdata: dict[str, Any]
    jkey: str | None
    raw: str
    bearer: str | None = None                # the Authorization header's token (the OAuth API)
    method: str = "POST"


class NorenRefusal(Exception):
    def __init__(self, emsg: str, status: int = 200):
        super().__init__(emsg)
        self.emsg, self.status = emsg, status


def parse_body(raw: str) -> tuple[dict[str, Any], str | None]:
    """`jData=<json>&jKey=<token>` → (jData, jKey); raises NorenRefusal for anything else."""
    if not raw.startswith("jData="):
        raise NorenRefusal("Invalid Input : jData is Missing.")
    jdata, jkey = raw[len("jData="):], None
    if "&jKey=" in jdata:
        jdata, jkey = jdata.rsplit("&jKey=", 1)
    if not jdata.lstrip().startswith("{"):
        jdata = unquote_plus(jdata)
    try:
        values = json.loads(jdata)
    except ValueError:
        raise NorenRefusal("Invalid Input : jData is not valid json") from None
    if not isinstance(values, dict):
        raise NorenRefusal("Invalid Input : jData is not valid json")
    return values, jkey


MASTER_EXCHANGES = ("NSE", "BSE", "NFO", "BFO", "CDS", "MCX")
# Flattrade's scrip-master CSVs: (exchange, the instrument kinds the file holds; None: every kind)
INDEX_DERIVATIVES, STOCK_DERIVATIVES = ("FUTIDX", "OPTIDX"), ("FUTSTK", "OPTSTK")
FLATTRADE_FILES = {"NSE_Equity": ("NSE", None), "BSE_Equity": ("BSE", None),
                   "Nfo_Index_Derivatives": ("NFO", INDEX_DERIVATIVES), "Nfo_Equity_Derivatives": ("NFO", STOCK_DERIVATIVES),
                   "Bfo_Index_Derivatives": ("BFO", INDEX_DERIVATIVES), "Bfo_Equity_Derivatives": ("BFO", STOCK_DERIVATIVES),
                   "Currency_Derivatives": ("CDS", None), "Commodity": ("MCX", None)}
FLATTRADE_COLUMNS = "Exchange,Token,Lotsize,Symbol,Tradingsymbol,Instrument,Expiry,Strike,Optiontype"
RECORDED_EXPIRY = "30-JAN-2025"


def next_expiry(today: date) -> date:
    """The last Thursday of next month: the recorded contracts always expire in the future."""
    first = (today.replace(day=1) + timedelta(days=62)).replace(day=1)
    last = first - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 3) % 7)


def symbol_text(exch: str, expiry: date) -> str:
    """The recorded symbol file of `exch` with its contracts moved to `expiry` (header only if none)."""
    try:
        text = fixture_path("noren", f"{exch}_symbols.txt").read_text()
    except FileNotFoundError:
        return "Exchange,Token,LotSize,Symbol,TradingSymbol,Instrument,TickSize,\n"
    return (text.replace(RECORDED_EXPIRY, expiry.strftime("%d-%b-%Y").upper())
            .replace("30JAN25", expiry.strftime("%d%b%y").upper()))


def _instruments(expiry: date) -> dict[tuple[str, str], dict[str, str]]:
    """(exch, token) → symbol-file row, from the recorded symbol files."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for exch in MASTER_EXCHANGES:
        lines = symbol_text(exch, expiry).splitlines()
        header = [h for h in lines[0].split(",") if h]
        for line in lines[1:]:
            row = dict(zip(header, line.split(",")))
            rows[(row["Exchange"], row["Token"])] = row
    return rows


class NorenServer:
    """See the module docstring. `with NorenServer() as fake: fake.url, fake.settings("shoonya")`."""

    def __init__(self, port: int = 0, feed: Any = None, redirect_url: str = ""):
        self.expiry = next_expiry(datetime.now(IST).date())
        self.instruments = _instruments(self.expiry)
        self.redirect_url = redirect_url          # Flattrade's: registered with the API key
        self.by_symbol = {(exch, row["TradingSymbol"]): token for (exch, token), row in self.instruments.items()}
        recorded = fixture_json("noren", "quote.json")
        self.prices = {key: float(recorded["lp"]) if key == ("NSE", "22") else 100.0 + int(key[1]) % 900
                       for key in self.instruments}
        self.session_token = "noren-session-" + sha256(USER_ID)[:16]
        self.access_token = "noren-access-" + sha256(CLIENT_ID)[:16]     # GenAcsTok's, for the Bearer header
        self.token_valid = False
        self.feed = feed                          # NorenFeedServer, told of order changes
        self.calls: list[NorenCall] = []
        self.orders: dict[str, dict[str, Any]] = {}         # norenordno → the order as it is now
        self.histories: dict[str, list[dict[str, Any]]] = {}  # norenordno → its states, newest first
        self.trades: list[dict[str, Any]] = []
        self.gtts: dict[str, dict[str, Any]] = {}           # al_id → the pending GTT as GetPendingGTTOrder lists it
        self._failures: list[Failure] = []
        self._not_ok: list[str] = []
        self._malformed = 0
        self._slow: list[float] = []
        self._ids = itertools.count(int(datetime.now(IST).strftime("%y%m%d")) * 10**8 + 1)
        self._fills = itertools.count(3680800)
        self._lock = threading.Lock()
        self.port = port or free_port()
        self._http = make_server("127.0.0.1", self.port, self._app(), threaded=True)
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    # ------------------------------------------------------------------ running
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The REST base URL the SDK and the plugins take (Shoonya's is …/NorenWClientTP/)."""
        return f"{self.url}/NorenWClientTP/"

    def settings(self, broker: str) -> dict[str, str]:
        """The settings pointing the `shoonya` or `flattrade` plugin at this fake."""
        if broker == "shoonya":
            return {"SHOONYA_CLIENT_ID": CLIENT_ID, "SHOONYA_API_SECRET": API_SECRET,
                    "SHOONYA_API_URL": f"{self.url}/NorenWClientAPI",
                    "SHOONYA_LOGIN_URL": f"{self.url}/OAuthlogin/authorize/oauth",
                    "SHOONYA_WS_URL": self.feed.url if self.feed else "", "SHOONYA_MASTER_URL": self.url}
        return {"FLATTRADE_API_KEY": FLATTRADE_API_KEY, "FLATTRADE_API_SECRET": FLATTRADE_API_SECRET,
                "FLATTRADE_API_URL": f"{self.url}/PiConnectTP", "FLATTRADE_WS_URL": self.feed.url if self.feed else "",
                "FLATTRADE_LOGIN_URL": f"{self.url}/auth/", "FLATTRADE_TOKEN_URL": f"{self.url}/trade/apitoken",
                "FLATTRADE_MASTER_URL": f"{self.url}/scripmaster"}

    def start(self) -> "NorenServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._thread.join(5)

    def __enter__(self) -> "NorenServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ failure modes
    def fail_next(self, status: int, message: str = "Simulated failure", times: int = 1,
                  paths: tuple[str, ...] = ()) -> None:
        self._failures.append(Failure(status, None, message, times, paths))

    def not_ok_next(self, emsg: str) -> None:
        """The next call is refused in Noren's way: HTTP 200, stat Not_Ok, this emsg."""
        self._not_ok.append(emsg)

    def expire_token(self) -> None:
        self.token_valid = False
        if self.feed is not None:
            self.feed.valid_tokens.discard(self.session_token)

    def malformed_next(self, times: int = 1) -> None:
        self._malformed += times

    def slow_next(self, seconds: float, times: int = 1) -> None:
        self._slow += [seconds] * times

    @property
    def requests(self) -> list[NorenCall]:
        """Every REST call (method and path), as tests/support/acceptance.py reads a fake."""
        return self.calls

    def calls_to(self, call: str) -> list[NorenCall]:
        return [c for c in self.calls if c.call == call]

    def open_session(self) -> str:
        """A fresh session (what a successful login does); the WebSocket accepts it too."""
        self.token_valid = True
        if self.feed is not None:
            self.feed.valid_tokens.add(self.session_token)
        return self.session_token

    # ------------------------------------------------------------------ market
    def quote(self, exch: str, token: str) -> dict[str, Any]:
        row = self.instruments[(exch, token)]
        lp = self.prices[(exch, token)]
        tick = float(row.get("TickSize") or 0.05)
        answer = dict(fixture_json("noren", "quote.json"))
        answer.update(exch=exch, token=token, tsym=row["TradingSymbol"], symname=row["Symbol"],
                      ls=row["LotSize"], ti=row["TickSize"], lp=f"{lp:.2f}", c=f"{lp * 0.99:.2f}",
                      o=f"{lp * 0.995:.2f}", h=f"{lp * 1.01:.2f}", l=f"{lp * 0.985:.2f}", ap=f"{lp:.2f}",
                      uc=f"{lp * 1.2:.2f}", lc=f"{lp * 0.8:.2f}", request_time=datetime.now(IST).strftime(
                          "%H:%M:%S %d-%m-%Y"))
        for level in range(1, 6):
            answer[f"bp{level}"] = f"{lp - tick * level:.2f}"
            answer[f"sp{level}"] = f"{lp + tick * level:.2f}"
        return answer

    def _key(self, exch: str, tsym: str) -> tuple[str, str]:
        token = self.by_symbol.get((exch, unquote_plus(tsym)))
        if token is None:
            raise NorenRefusal("Invalid Input : Invalid Trading Symbol")
        return exch, token

    # ------------------------------------------------------------------ orders
    def _place(self, v: dict[str, Any]) -> dict[str, Any]:
        missing = [f for f in ("uid", "actid", "exch", "tsym", "qty", "prc", "prd", "trantype", "prctyp", "ret")
                   if f not in v]
        if missing:
            raise NorenRefusal(f"Invalid Input : {missing[0]} is Missing.")
        if v["exch"] not in EXCHANGES:
            raise NorenRefusal("Invalid Input : Invalid Exchange")
        for field, allowed in (("prd", PRODUCTS), ("trantype", SIDES), ("prctyp", PRICE_TYPES),
                               ("ret", RETENTIONS)):
            if v[field] not in allowed:
                raise NorenRefusal(f"Invalid Input : Invalid {field}")
        exch, token = self._key(v["exch"], v["tsym"])
        row = self.instruments[(exch, token)]
        try:
            qty, prc = int(v["qty"]), float(v["prc"] or 0)
        except ValueError:
            raise NorenRefusal("Invalid Input : Invalid Quantity") from None
        if qty <= 0 or qty % int(row["LotSize"]):
            raise NorenRefusal("Invalid Input : Quantity should be multiple of lot size")
        if v["prctyp"] == "LMT" and prc <= 0:
            raise NorenRefusal("Invalid Input : Invalid Price")
        if v["prctyp"].startswith("SL") and float(v.get("trgprc") or 0) <= 0:
            raise NorenRefusal("Invalid Input : Invalid Trigger Price")
        now = datetime.now(IST)
        order = {"stat": "Ok", "norenordno": str(next(self._ids)), "uid": v["uid"], "actid": v["actid"],
                 "exch": exch, "tsym": row["TradingSymbol"], "qty": str(qty), "ordenttm": str(int(now.timestamp())),
                 "trantype": v["trantype"], "prctyp": v["prctyp"], "ret": v["ret"], "token": token,
                 "mult": "1", "prcftr": "1.000000", "pp": "2", "ls": row["LotSize"], "ti": row["TickSize"],
                 "prc": f"{prc:.2f}", "rprc": f"{prc:.2f}", "dscqty": str(v.get("dscqty") or "0"),
                 "prd": v["prd"], "status": "PENDING", "remarks": v.get("remarks") or "",
                 "amo": v.get("amo") or "NO", "norentm": now.strftime("%H:%M:%S %d-%m-%Y"),
                 "exch_tm": now.strftime("%d-%m-%Y %H:%M:%S"), "exchordid": str(next(self._ids) + 10**15),
                 "rqty": str(qty), "fillshares": "0"}
        if v["prctyp"].startswith("SL"):
            order["trgprc"] = order["rtrgprc"] = f"{float(v['trgprc']):.2f}"
        self.orders[order["norenordno"]], self.histories[order["norenordno"]] = order, []
        self._match(order)
        return order

    def _match(self, order: dict[str, Any]) -> None:
        """Open the order, or fill it at the quote when it is marketable (market orders always are)."""
        lp = self.prices[(order["exch"], order["token"])]
        price = float(order["prc"])
        marketable = order["prctyp"] == "MKT" or (
            order["prctyp"] == "LMT" and (price >= lp if order["trantype"] == "B" else price <= lp))
        if order["prctyp"].startswith("SL"):
            self._record(order, status="TRIGGER_PENDING", rpt="New")
        elif not marketable:
            self._record(order, status="OPEN", rpt="New")
        else:
            self._fill(order, lp)

    def _fill(self, order: dict[str, Any], price: float) -> None:
        now = datetime.now(IST)
        qty = order["qty"]
        self.trades.insert(0, {"stat": "Ok", "norenordno": order["norenordno"], "uid": order["uid"],
                               "actid": order["actid"], "exch": order["exch"], "prctyp": order["prctyp"],
                               "ret": order["ret"], "prd": order["prd"], "flid": str(next(self._fills)),
                               "fltm": now.strftime("%d-%m-%Y %H:%M:%S"), "trantype": order["trantype"],
                               "tsym": order["tsym"], "qty": qty, "token": order["token"], "fillshares": qty,
                               "flqty": qty, "pp": order["pp"], "ls": order["ls"], "ti": order["ti"],
                               "prc": order["prc"], "flprc": f"{price:.2f}", "norentm": order["norentm"],
                               "exch_tm": now.strftime("%d-%m-%Y %H:%M:%S"), "exchordid": order["exchordid"]})
        self._record(order, status="COMPLETE", rpt="Fill", fillshares=qty, avgprc=f"{price:.2f}",
                     flqty=qty, flprc=f"{price:.2f}", fltm=now.strftime("%d-%m-%Y %H:%M:%S"))

    def _record(self, order: dict[str, Any], rpt: str, **changes: Any) -> None:
        order.update(changes)
        order["norentm"] = datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y")
        self.histories[order["norenordno"]].insert(0, dict(order))
        if self.feed is not None:
            self.feed.publish_order(order, rpt)

    def _modify(self, v: dict[str, Any]) -> dict[str, Any]:
        order = self._open_order(v.get("norenordno"), "Rejected : ORA:Order not found")
        if "exch" not in v or "tsym" not in v or unquote_plus(v["tsym"]) != order["tsym"]:
            raise NorenRefusal("Invalid Input : tsym is Missing.")
        prctyp = v.get("prctyp", order["prctyp"])
        if prctyp not in PRICE_TYPES:
            raise NorenRefusal("Invalid Input : Invalid prctyp")
        order.update(qty=str(v.get("qty", order["qty"])), prc=f"{float(v.get('prc', order['prc'])):.2f}",
                     prctyp=prctyp)
        if prctyp.startswith("SL"):
            order["trgprc"] = f"{float(v.get('trgprc') or order.get('trgprc') or 0):.2f}"
        self._record(order, status="PENDING", rpt="Replaced")
        self._match(order)
        return {"request_time": order["norentm"], "stat": "Ok", "result": order["norenordno"]}

    def _cancel(self, v: dict[str, Any]) -> dict[str, Any]:
        order = self._open_order(v.get("norenordno"), "Rejected : ORA:Order not found to Cancel")
        self._record(order, status="CANCELED", rpt="Canceled", cancelqty=order["qty"])
        return {"request_time": order["norentm"], "stat": "Ok", "result": order["norenordno"]}

    def _open_order(self, number: Any, emsg: str) -> dict[str, Any]:
        order = self.orders.get(str(number))
        if order is None or order["status"] not in ("OPEN", "PENDING", "TRIGGER_PENDING"):
            raise NorenRefusal(emsg)
        return order

    def positions(self) -> list[dict[str, Any]]:
        book: dict[tuple[str, str, str], dict[str, Any]] = {}
        for trade in reversed(self.trades):
            key = (trade["exch"], trade["token"], trade["prd"])
            p = book.setdefault(key, {"buy": [0, 0.0], "sell": [0, 0.0], "trade": trade})
            side = p["buy"] if trade["trantype"] == "B" else p["sell"]
            side[0] += int(trade["flqty"])
            side[1] += int(trade["flqty"]) * float(trade["flprc"])
        rows = []
        for (exch, token, prd), p in book.items():
            (bq, ba), (sq, sa), t = p["buy"], p["sell"], p["trade"]
            net = bq - sq
            lp = self.prices[(exch, token)]
            avg = (ba / bq if net > 0 else sa / sq) if net else 0.0
            matched = min(bq, sq)
            rpnl = matched * ((sa / sq if sq else 0) - (ba / bq if bq else 0))
            rows.append({"stat": "Ok", "uid": t["uid"], "actid": t["actid"], "exch": exch, "tsym": t["tsym"],
                         "prd": prd, "token": token, "pp": "2", "ls": t["ls"], "ti": t["ti"], "mult": "1",
                         "prcftr": "1.000000", "daybuyqty": str(bq), "daysellqty": str(sq),
                         "daybuyamt": f"{ba:.2f}", "daybuyavgprc": f"{ba / bq if bq else 0:.2f}",
                         "daysellamt": f"{sa:.2f}", "daysellavgprc": f"{sa / sq if sq else 0:.2f}",
                         "cfbuyqty": "0", "cfsellqty": "0", "netqty": str(net), "netavgprc": f"{avg:.2f}",
                         "lp": f"{lp:.2f}", "rpnl": f"{rpnl:.2f}", "urmtom": f"{net * (lp - avg):.2f}"})
        return rows

    # ------------------------------------------------------------------ history
    def candles(self, exch: str, token: str, start: float, end: float, minutes: int) -> list[dict[str, Any]]:
        """Candles of `minutes` inside 09:15–15:30 IST of each weekday in [start, end], newest first."""
        base = self.prices[(exch, token)]
        out: list[dict[str, Any]] = []
        day = datetime.fromtimestamp(start, IST).replace(hour=0, minute=0, second=0, microsecond=0)
        while day.timestamp() <= end:
            if day.weekday() < 5:
                at, close = day.replace(hour=9, minute=15), day.replace(hour=15, minute=30)
                while at < close:
                    t = at.timestamp()
                    if start <= t <= end:
                        o = round(base + (int(t) // 60 % 17) * 0.05, 2)
                        out.append({"stat": "Ok", "time": at.strftime("%d-%m-%Y %H:%M:%S"), "ssboe": str(int(t)),
                                    "into": f"{o:.2f}", "inth": f"{o + 0.5:.2f}", "intl": f"{o - 0.5:.2f}",
                                    "intc": f"{o + 0.1:.2f}", "intvwap": f"{o:.2f}", "intv": "1200",
                                    "intoi": "0", "v": "980515", "oi": "0"})
                    at += timedelta(minutes=minutes)
            day += timedelta(days=1)
        return list(reversed(out))

    def daily(self, exch: str, tsym: str, start: float, end: float) -> list[str]:
        exch, token = self._key(exch, tsym)
        base = self.prices[(exch, token)]
        days = []
        day = datetime.fromtimestamp(start, IST).replace(hour=0, minute=0, second=0, microsecond=0)
        while day.timestamp() <= end:
            if day.weekday() < 5:
                o = round(base + day.day * 0.05, 2)
                days.append(json.dumps({"time": day.strftime("%d-%b-%Y").upper(), "into": f"{o:.2f}",
                                        "inth": f"{o + 5:.2f}", "intl": f"{o - 5:.2f}", "intc": f"{o + 1:.2f}",
                                        "ssboe": str(int(day.timestamp())), "intv": "412335.00"}))
            day += timedelta(days=1)
        return list(reversed(days))

    # ------------------------------------------------------------------ symbol files
    def symbol_zip(self, exch: str) -> bytes:
        """Shoonya's `<EXCH>_symbols.txt.zip`: one text file of comma-separated rows."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{exch}_symbols.txt", symbol_text(exch, self.expiry))
        return buffer.getvalue()

    def flattrade_csv(self, name: str) -> str:
        """Flattrade's master CSV `name`: the same instruments in its nine columns (futures with an empty
        strike and Optiontype XX; no tick size), and the empty rows its files end with."""
        exch, kinds = FLATTRADE_FILES[name]
        lines = [FLATTRADE_COLUMNS]
        for (e, token), row in sorted(self.instruments.items()):
            if e == exch and (kinds is None or row["Instrument"] in kinds):
                strike = row.get("StrikePrice", "") if row.get("OptionType") in ("CE", "PE") else ""
                lines.append(",".join([e, token, row["LotSize"], row["Symbol"], row["TradingSymbol"], row["Instrument"],
                                       row.get("Expiry", ""), strike, row.get("OptionType", "")]))
        return "\n".join(lines + [",,,,,,,,"]) + "\n"

    # ------------------------------------------------------------------ the app
    def _app(self) -> Flask:
        app = Flask("noren-fake")

        def answer(body: Any, status: int = 200) -> Response:
            return Response(json.dumps(body), status=status, content_type="application/json")

        @app.get("/<exch>_symbols.txt.zip")
        def symbol_file(exch: str) -> Response:
            if exch not in MASTER_EXCHANGES:
                return Response("not found", status=404)
            return Response(self.symbol_zip(exch), content_type="application/zip")

        @app.get("/scripmaster/<name>.csv")
        def flattrade_master(name: str) -> Response:
            if name not in FLATTRADE_FILES:
                return Response("not found", status=404)
            return Response(self.flattrade_csv(name), content_type="text/csv")

        def signed_in(key: str, expected: str, query: str) -> Response:
            # the user signs in on the broker's login page; the fake signs them in at once
            if request.args.get(key) != expected:
                return Response(f"Invalid {key}", status=400)
            target = self.redirect_url or request.args.get("redirect_url") or "/"
            return redirect(f"{target}?{query}")

        @app.get("/auth/")
        def flattrade_login_page() -> Response:
            return signed_in("app_key", FLATTRADE_API_KEY, f"code={REQUEST_CODE}&client={USER_ID}")

        @app.get("/OAuthlogin/authorize/oauth")
        def shoonya_login_page() -> Response:
            return signed_in("client_id", CLIENT_ID, f"code={OAUTH_CODE}")

        @app.post("/trade/apitoken")
        def flattrade_token() -> Response:
            body = request.get_json(silent=True) or {}
            expected = sha256(f"{FLATTRADE_API_KEY}{REQUEST_CODE}{FLATTRADE_API_SECRET}")
            if (body.get("api_key") != FLATTRADE_API_KEY or body.get("request_code") != REQUEST_CODE
                    or body.get("api_secret") != expected):
                return answer({"token": "", "client": "", "stat": "Not_Ok", "emsg": "Invalid API key or secret"})
            return answer({"token": self.open_session(), "client": USER_ID, "stat": "Ok", "emsg": ""})

        @app.post("/<path:prefix>/<call>")
        def noren(prefix: str, call: str) -> Response:
            raw = request.get_data(as_text=True)
            header = request.headers.get("Authorization", "")
            bearer = header[len("Bearer "):] if header.startswith("Bearer ") else None
            try:
                values, jkey = parse_body(raw)
            except NorenRefusal as refusal:
                self.calls.append(NorenCall(request.path, call, {}, None, raw, bearer))
                return answer({"stat": "Not_Ok", "emsg": refusal.emsg}, refusal.status)
            self.calls.append(NorenCall(request.path, call, values, jkey, raw, bearer))
            if self._slow:
                time.sleep(self._slow.pop(0))
            for failure in self._failures:
                if failure.claims(call):
                    return answer({"stat": "Not_Ok", "emsg": failure.message}, failure.status)
            if self._malformed:
                self._malformed -= 1
                return Response("<html>502 Bad Gateway</html>", status=200, content_type="text/html")
            if self._not_ok:
                return answer({"stat": "Not_Ok", "emsg": self._not_ok.pop(0)})
            handler = self._handlers().get(call)
            if handler is None:
                return answer({"stat": "Not_Ok", "emsg": f"Invalid Input : {call} not found"}, 404)
            login = call in ("QuickAuth", "GenAcsTok")
            if not login and not self._authorized(jkey, bearer):
                return answer(fixture_json("noren", "session_expired.json"))
            # SpanCalc takes only `actid` and `pos` (the documented fields; the SDK sends no uid)
            if not login and values.get("uid", USER_ID if call == "SpanCalc" else None) != USER_ID:
                return answer({"stat": "Not_Ok", "emsg": "Invalid Input : Invalid uid"})
            try:
                with self._lock:
                    return answer(handler(values))
            except NorenRefusal as refusal:
                return answer({"stat": "Not_Ok", "emsg": refusal.emsg,
                               "request_time": datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y")}, refusal.status)

        return app

    def _authorized(self, jkey: str | None, bearer: str | None) -> bool:
        """A live session presented either way: the QuickAuth token as jKey, or GenAcsTok's as Bearer."""
        return self.token_valid and (jkey == self.session_token or bearer == self.access_token)

    def _handlers(self) -> dict[str, Callable[[dict[str, Any]], Any]]:
        return {"QuickAuth": self._login, "GenAcsTok": self._oauth_token, "Logout": self._logout, "PlaceOrder": self._place_answer,
                "ModifyOrder": self._modify, "CancelOrder": self._cancel, "OrderBook": self._order_book,
                "SingleOrdHist": self._history, "TradeBook": lambda v: self._list(self.trades),
                "PositionBook": lambda v: self._list(self.positions()),
                "Holdings": lambda v: fixture_json("noren", "holdings.json"),
                "Limits": lambda v: fixture_json("noren", "limits.json"), "GetQuotes": self._quotes,
                "TPSeries": self._tpseries, "EODChartData": self._eod, "SearchScrip": self._search,
                "GetBasketMargin": self._basket_margin, "SpanCalc": self._span_calc,
                "PlaceGTTOrder": self._place_gtt, "ModifyGTTOrder": self._modify_gtt,
                "CancelGTTOrder": self._cancel_gtt, "GetPendingGTTOrder": lambda v: self._list(list(self.gtts.values()))}

    def _login(self, v: dict[str, Any]) -> dict[str, Any]:
        if (v.get("uid") != USER_ID or v.get("pwd") != sha256(PASSWORD) or v.get("factor2") != TOTP
                or v.get("vc") != VENDOR_CODE or v.get("appkey") != sha256(f"{USER_ID}|{API_SECRET}")):
            return fixture_json("noren", "login_failed.json")
        answer = fixture_json("noren", "login.json")
        answer.update(susertoken=self.open_session(), actid=USER_ID,
                      request_time=datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y"))
        return answer

    def _oauth_token(self, v: dict[str, Any]) -> dict[str, Any]:
        if v.get("code") != OAUTH_CODE or v.get("checksum") != sha256(f"{CLIENT_ID}{API_SECRET}{OAUTH_CODE}"):
            return fixture_json("noren", "genacstok_failed.json")
        answer = fixture_json("noren", "genacstok.json")
        answer.update(susertoken=self.open_session(), access_token=self.access_token, uid=USER_ID, actid=USER_ID,
                      USERID=USER_ID, expires_in=str(int(time.time()) + 20 * 3600),
                      request_time=datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y"))
        return answer

    def _logout(self, v: dict[str, Any]) -> dict[str, Any]:
        self.expire_token()
        return {"stat": "Ok", "request_time": datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y")}

    def _place_answer(self, v: dict[str, Any]) -> dict[str, Any]:
        order = self._place(v)
        return {"request_time": order["norentm"], "stat": "Ok", "norenordno": order["norenordno"]}

    @staticmethod
    def _list(rows: list[dict[str, Any]]) -> Any:
        # Noren answers an empty book with Not_Ok "no data", not with []
        return rows if rows else {"stat": "Not_Ok", "emsg": "no data"}

    def _order_book(self, v: dict[str, Any]) -> Any:
        return self._list(sorted(self.orders.values(), key=lambda o: o["norenordno"], reverse=True)
                          + fixture_json("noren", "orders.json"))

    def _history(self, v: dict[str, Any]) -> Any:
        history = self.histories.get(str(v.get("norenordno")))
        if not history:
            raise NorenRefusal("Error Occurred : 5 \"no data\"")
        return history

    def _quotes(self, v: dict[str, Any]) -> dict[str, Any]:
        key = (v.get("exch", ""), str(v.get("token", "")))
        if key not in self.instruments:
            raise NorenRefusal("Error Occurred : 5 \"no data\"")
        return self.quote(*key)

    def _tpseries(self, v: dict[str, Any]) -> Any:
        key = (v.get("exch", ""), str(v.get("token", "")))
        if key not in self.instruments:
            raise NorenRefusal("Error Occurred : 5 \"no data\"")
        interval = str(v.get("intrv") or "1")
        if interval not in TPSERIES_INTERVALS:
            raise NorenRefusal("Invalid Input : Invalid intrv")
        try:
            start, end = float(v["st"]), float(v.get("et") or time.time())
        except (KeyError, ValueError):
            raise NorenRefusal("Invalid Input : st is Missing.") from None
        return self._list(self.candles(key[0], key[1], start, end, int(interval)))

    def _eod(self, v: dict[str, Any]) -> Any:
        exch, _, tsym = str(v.get("sym", "")).partition(":")
        try:
            start, end = float(v["from"]), float(v["to"])
        except (KeyError, ValueError):
            raise NorenRefusal("Invalid Input : from is Missing.") from None
        return self._list(self.daily(exch, tsym, start, end))   # type: ignore[arg-type]

    # ------------------------------------------------------------------ margins and GTTs
    def _leg_margin(self, leg: dict[str, Any]) -> float:
        missing = [f for f in ("exch", "tsym", "qty", "prc", "prd", "trantype", "prctyp") if f not in leg]
        if missing:
            raise NorenRefusal(f"Invalid Input : {missing[0]} is Missing.")
        key = self._key(leg["exch"], leg["tsym"])
        price = float(leg["prc"] or 0) or self.prices[key]
        return int(leg["qty"]) * price * (0.2 if leg["prd"] == "I" else 1.0)

    def _basket_margin(self, v: dict[str, Any]) -> dict[str, Any]:
        legs = [v, *(v.get("basketlists") or [])]
        total = sum(self._leg_margin(leg) for leg in legs)
        answer = fixture_json("noren", "basket_margin.json")
        answer.update(marginused=f"{total:.2f}", marginusedtrade=f"{self._leg_margin(v):.2f}",
                      request_time=datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y"))
        return answer

    def _span_calc(self, v: dict[str, Any]) -> dict[str, Any]:
        if "actid" not in v or not isinstance(v.get("pos"), list) or not v["pos"]:
            raise NorenRefusal("Invalid Input : pos is Missing.")
        notional = 0.0
        for p in v["pos"]:
            missing = [f for f in ("exch", "instname", "symname", "exd", "buyqty", "sellqty", "netqty") if f not in p]
            if missing:
                raise NorenRefusal(f"Invalid Input : {missing[0]} is Missing.")
            row = next((r for (e, _), r in self.instruments.items() if e == p["exch"] and r["Symbol"] == p["symname"]
                        and r.get("Expiry", "").upper() == p["exd"] and r["Instrument"] == p["instname"]), None)
            if row is None:
                raise NorenRefusal("Invalid Input : Invalid Contract")
            notional += abs(int(p["netqty"])) * self.prices[(p["exch"], row["Token"])]
        answer = fixture_json("noren", "span_calc.json")
        answer.update(span=f"{notional * 0.1:.2f}", expo=f"{notional * 0.03:.2f}", span_trade=f"{notional * 0.1:.2f}",
                      expo_trade=f"{notional * 0.03:.2f}")
        return answer

    def _gtt_row(self, v: dict[str, Any], al_id: str) -> dict[str, Any]:
        missing = [f for f in ("tsym", "exch", "ai_t", "validity", "d", "trantype", "prctyp", "prd", "ret", "actid",
                               "qty", "prc") if f not in v]
        if missing:
            raise NorenRefusal(f"Invalid Input : {missing[0]} is Missing.")
        if v["ai_t"] not in ("LTP_A_O", "LTP_B_O") or v["validity"] not in ("GTT", "DAY"):
            raise NorenRefusal("Invalid Input : Invalid ai_t")
        exch, token = self._key(v["exch"], v["tsym"])
        return {"stat": "Ok", "ai_t": v["ai_t"], "al_id": al_id, "tsym": self.instruments[(exch, token)]["TradingSymbol"],
                "exch": exch, "token": token, "remarks": v.get("remarks", ""), "validity": v["validity"],
                "actid": v["actid"], "trantype": v["trantype"], "prctyp": v["prctyp"], "qty": str(v["qty"]),
                "prc": f"{float(v['prc'] or 0):.2f}", "prd": v["prd"], "ret": v["ret"], "ordersource": "API",
                "d": f"{float(v['d']):.2f}"}

    def _place_gtt(self, v: dict[str, Any]) -> dict[str, Any]:
        al_id = str(next(self._ids))
        self.gtts[al_id] = self._gtt_row(v, al_id)
        return {"request_time": datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y"), "stat": "OI created", "al_id": al_id}

    def _modify_gtt(self, v: dict[str, Any]) -> dict[str, Any]:
        al_id = str(v.get("al_id") or "")
        if al_id not in self.gtts:
            raise NorenRefusal("Invalid Input : Invalid Alert Id")
        self.gtts[al_id] = self._gtt_row(v, al_id)
        return {"request_time": datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y"), "stat": "Oi Replaced", "al_id": al_id}

    def _cancel_gtt(self, v: dict[str, Any]) -> dict[str, Any]:
        al_id = str(v.get("al_id") or "")
        if self.gtts.pop(al_id, None) is None:
            raise NorenRefusal("Invalid Input : Invalid Alert Id")
        return {"request_time": datetime.now(IST).strftime("%H:%M:%S %d-%m-%Y"), "stat": "Oi delete success",
                "al_id": al_id}

    def _search(self, v: dict[str, Any]) -> dict[str, Any]:
        text = unquote_plus(str(v.get("stext", ""))).upper()
        found = [{"exch": e, "token": t, "tsym": row["TradingSymbol"], "pp": "2", "ti": row["TickSize"],
                  "ls": row["LotSize"]}
                 for (e, t), row in self.instruments.items()
                 if e == v.get("exch", e) and text and text in row["TradingSymbol"].upper()]
        if not found:
            raise NorenRefusal("No Data :  ")
        return {"stat": "Ok", "values": found}
