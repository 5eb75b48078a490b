"""The fake Noren OMS answers the failures a plugin must survive, in Noren's own shapes."""
from __future__ import annotations

import json

import pytest
import requests

from tests.fakes.noren.server import USER_ID


def call(noren, name: str, jdata: dict, jkey: str | None = None, timeout: float = 5) -> requests.Response:
    body = "jData=" + json.dumps(jdata) + (f"&jKey={jkey}" if jkey else "")
    return requests.post(f"{noren.api_url}{name}", data=body, timeout=timeout)


@pytest.fixture
def token(noren):
    return noren.open_session()


def test_url_encoded_and_raw_bodies_are_both_read(noren, token):
    raw = call(noren, "Limits", {"uid": USER_ID, "actid": USER_ID}, token)
    encoded = requests.post(f"{noren.api_url}Limits", timeout=5,
                            data={"jData": json.dumps({"uid": USER_ID, "actid": USER_ID}), "jKey": token})
    assert raw.json()["stat"] == encoded.json()["stat"] == "Ok"


def test_missing_or_broken_jdata_is_not_ok(noren, token):
    assert call(noren, "Limits", {}, token).json()["emsg"] == "Invalid Input : Invalid uid"
    broken = requests.post(f"{noren.api_url}Limits", data="jData={oops&jKey=" + token, timeout=5).json()
    assert broken == {"stat": "Not_Ok", "emsg": "Invalid Input : jData is not valid json"}
    assert requests.post(f"{noren.api_url}Limits", data="x=1", timeout=5).json()["stat"] == "Not_Ok"


def test_expired_session_throttling_server_errors_malformed_and_slow(noren, token):
    noren.fail_next(429, "Too many requests")
    throttled = call(noren, "OrderBook", {"uid": USER_ID}, token)
    assert throttled.status_code == 429 and throttled.json()["emsg"] == "Too many requests"
    noren.fail_next(502, paths=("GetQuotes",))
    assert call(noren, "Limits", {"uid": USER_ID}, token).status_code == 200      # only GetQuotes fails
    assert call(noren, "GetQuotes", {"uid": USER_ID, "exch": "NSE", "token": "22"}, token).status_code == 502
    noren.malformed_next()
    assert call(noren, "Limits", {"uid": USER_ID}, token).text.startswith("<html>")
    noren.slow_next(1.0)
    with pytest.raises(requests.Timeout):
        call(noren, "Limits", {"uid": USER_ID}, token, timeout=0.3)
    noren.not_ok_next("RMS:Margin Exceeds")
    assert call(noren, "Limits", {"uid": USER_ID}, token).json()["emsg"] == "RMS:Margin Exceeds"
    noren.expire_token()
    assert call(noren, "Limits", {"uid": USER_ID}, token).json()["emsg"].startswith("Session Expired")


def test_empty_books_answer_no_data_like_noren(noren, token):
    assert call(noren, "TradeBook", {"uid": USER_ID, "actid": USER_ID}, token).json() == \
        {"stat": "Not_Ok", "emsg": "no data"}


def test_symbol_files_are_zipped_text_and_flattrade_csv(noren):
    import io
    import zipfile
    archive = zipfile.ZipFile(io.BytesIO(requests.get(f"{noren.url}/NFO_symbols.txt.zip", timeout=5).content))
    text = archive.read("NFO_symbols.txt").decode()
    assert text.splitlines()[0].startswith("Exchange,Token,LotSize,Symbol,TradingSymbol,Expiry,Instrument")
    csv = requests.get(f"{noren.url}/scripmaster/NSE_Equity.csv", timeout=5).text.splitlines()
    assert csv[0] == "Exchange,Token,Lotsize,Symbol,Tradingsymbol,Instrument,Expiry,Strike,Optiontype"
    assert any(",ACC-EQ," in line for line in csv)
    index = requests.get(f"{noren.url}/scripmaster/Nfo_Index_Derivatives.csv", timeout=5).text.splitlines()
    assert any(line.endswith(",OPTIDX," + noren.expiry.strftime("%d-%b-%Y").upper() + ",23000,CE") for line in index)
    stocks = requests.get(f"{noren.url}/scripmaster/Nfo_Equity_Derivatives.csv", timeout=5).text.splitlines()
    assert stocks[1:] == [",,,,,,,,"]            # the recorded NFO rows are index derivatives
