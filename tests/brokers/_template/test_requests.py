"""What the template plugin sends: the documented paths, headers and bodies (checked on the fake's
request log), so a mistake shows as a wrong request, not as a confusing answer."""
from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlparse

from broker.contract import Instrument, ModifyRequest, OrderRequest
from tests.brokers._template.fake import API_KEY, API_SECRET, REQUEST_TOKEN

SBIN = Instrument(symbol="SBIN", brsymbol="SBIN-EQ", name="STATE BANK OF INDIA", exchange="NSE", brexchange="NSE",
                  token="1001")


def test_login_url_carries_the_api_key_and_our_state(plugin, fake):
    url = urlparse(plugin.auth.login_url("s-123"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == fake.login_url
    assert parse_qs(url.query) == {"api_key": [API_KEY], "state": ["s-123"]}


def test_the_session_exchange_sends_the_checksum_never_the_secret(plugin, fake):
    result = plugin.auth.authenticate({"request_token": REQUEST_TOKEN})
    [sent] = fake.requests_to("/session/token", "POST")
    assert sent.form == {"api_key": API_KEY, "request_token": REQUEST_TOKEN,
                         "checksum": hashlib.sha256(f"{API_KEY}{REQUEST_TOKEN}{API_SECRET}".encode()).hexdigest()}
    assert API_SECRET not in str(sent)
    assert result.auth_token == fake.access_token and dict(result.extra) == {"user_name": "Template Trader"}


def test_every_call_carries_the_key_and_the_bearer_token(plugin, fake, session):
    plugin.funds.funds(session)
    [sent] = fake.requests_to("/funds")
    assert sent.headers["X-Api-Key"] == API_KEY and sent.headers["Authorization"] == f"Bearer {fake.access_token}"


def test_orders_are_sent_in_the_brokers_codes(plugin, fake, session):
    ack = plugin.orders.place_order(session, OrderRequest(instrument=SBIN, action="BUY", quantity=3, product="MIS",
                                                          pricetype="SL", price=10.5, trigger_price=10.0))
    plugin.orders.modify_order(session, ModifyRequest(order_id=ack.order_id, instrument=SBIN, action="BUY", quantity=4,
                                                      product="MIS", pricetype="LIMIT", price=9.5))
    placed, modified = fake.requests_to("/orders", "POST")[0].json, fake.requests_to("/orders/", "PUT")[0].json
    assert placed == {"token": "1001", "exchange": "NSE", "side": "BUY", "quantity": 3, "product": "INTRADAY",
                      "order_type": "SL", "price": 10.5, "trigger_price": 10.0}
    assert (modified["order_type"], modified["price"], modified["trigger_price"], modified["quantity"]) == ("LMT", 9.5, 0, 4)


def test_quotes_for_many_instruments_are_one_call(plugin, fake, session):
    infy = Instrument(symbol="INFY", brsymbol="INFY-EQ", name="INFOSYS", exchange="NSE", brexchange="NSE", token="1002")
    quotes = plugin.data.quotes(session, [SBIN, infy])
    assert [q.symbol for q in quotes] == ["SBIN", "INFY"]
    [sent] = fake.requests_to("/quotes")
    assert sent.args == {"tokens": ["1001,1002"]}
