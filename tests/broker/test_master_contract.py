"""Master contract: staged, validated, swapped atomically; a failed download keeps the previous one."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Iterator

import pytest

from broker.contract import Instrument
from broker.errors import NetworkError, NotSupported
from services import master_contract
from services.brokers import registry
from services.instrument_cache import InstrumentCache, cache_for
from tests.contract.plugins.fakebroker import instruments as fake_instruments


def _fake(app):  # noqa: ANN001, ANN202
    return registry(app).get("fakebroker")


def _equities(count: int, prefix: str = "S") -> list[Instrument]:
    return [Instrument(symbol=f"{prefix}{n}", brsymbol=f"{prefix}{n}-EQ", name=f"{prefix}{n}", exchange="NSE",
                       brexchange="NSE", token=str(10_000 + n)) for n in range(count)]


def _download(app, rows=None, force=True):  # noqa: ANN001, ANN202
    plugin = _fake(app)
    plugin.master_contract.rows = rows
    return master_contract.download("fakebroker", plugin, force=force)


def test_download_loads_the_unified_table_and_lookups_find_rows(fake_app):
    with fake_app.app_context():
        result = _download(fake_app, rows=None)
        assert result.state == "success" and result.rows == len(fake_instruments())
        status = master_contract.status("fakebroker")
        assert status["state"] == "success" and status["rows"] == result.rows and status["version"] == 1
        assert status["last_success_at"] and status["duration_seconds"] is not None and status["error"] == ""
        lookup = cache_for("fakebroker")
        sbin = lookup.by_symbol("SBIN", "NSE")
        assert sbin.brsymbol == "SBIN-EQ" and lookup.by_brsymbol("SBIN-EQ", "NSE") == sbin
        assert lookup.by_token(sbin.token) == sbin == lookup.by_token(sbin.token, "NSE")
        option = lookup.by_symbol("NIFTY31JAN3025000CE", "NFO")
        assert option.expiry == date(2030, 1, 31) and option.strike == 25000 and option.lotsize == 75
        assert option.record()["expiry"] == "31-JAN-30"
        assert lookup.by_symbol("NOSUCH", "NSE") is None


def test_at_most_one_download_a_day_unless_forced(fake_app):
    with fake_app.app_context():
        assert _download(fake_app, force=False).state == "success"
        skipped = _download(fake_app, force=False)
        assert skipped.state == "skipped" and "--force" in skipped.message
        assert _download(fake_app, force=True).state == "success"
        assert master_contract.status("fakebroker")["version"] == 2


def test_download_failing_halfway_keeps_the_previous_contract(fake_app):
    def broken() -> Iterator[Instrument]:
        yield from _equities(25_000, "NEW")  # more than one batch already staged
        raise NetworkError("connection reset by the broker")

    with fake_app.app_context():
        _download(fake_app, rows=lambda: iter(_equities(50)))
        result = _download(fake_app, rows=broken)
        assert result.state == "error" and "connection reset" in result.message
        status = master_contract.status("fakebroker")
        assert status["state"] == "error" and "connection reset" in status["error"]
        assert status["rows"] == 50 and status["version"] == 1
        lookup = cache_for("fakebroker")
        assert lookup.by_symbol("S7", "NSE") is not None and lookup.by_symbol("NEW7", "NSE") is None


@pytest.mark.parametrize(("rows", "reason"), [
    (lambda: iter([]), "no instruments"),
    (lambda: iter(_equities(40) + _equities(1)), "duplicate (symbol, exchange)"),
    (lambda: iter(_equities(40) + [replace(_equities(1, "X")[0], token="10000")]), "duplicate (exchange, token)"),
    (lambda: iter([replace(_equities(1)[0], token="")]), "row 0: required column token is empty"),
    (lambda: iter([replace(_equities(1)[0], exchange="NYSE")]), "exchange 'NYSE'"),
    (lambda: iter(_equities(10)), "fewer than half"),
])
def test_invalid_lists_are_rejected_with_the_reason(fake_app, rows, reason):
    with fake_app.app_context():
        _download(fake_app, rows=lambda: iter(_equities(40)))
        result = _download(fake_app, rows=rows)
        assert result.state == "error" and reason in result.message
        assert master_contract.status("fakebroker")["rows"] == 40
        assert cache_for("fakebroker").by_symbol("S39", "NSE") is not None


def test_lookup_cache_of_another_process_refreshes_when_a_new_contract_lands(make_app, fake_settings):
    worker, downloader = make_app(**fake_settings), make_app(**fake_settings)
    with downloader.app_context():
        _download(downloader, rows=lambda: iter(_equities(5, "OLD")))
    with worker.app_context():
        cache = InstrumentCache("fakebroker", check_every=0)
        assert cache.by_symbol("OLD1", "NSE") is not None and cache.by_symbol("NEW1", "NSE") is None
    with downloader.app_context():
        _download(downloader, rows=lambda: iter(_equities(5, "NEW")))
    with worker.app_context():
        assert cache.by_symbol("NEW1", "NSE") is not None and cache.by_symbol("OLD1", "NSE") is None


def test_a_running_download_is_not_started_twice(fake_app):
    with fake_app.app_context():
        assert master_contract._claim("fakebroker") is True
        result = _download(fake_app)
        assert result.state == "busy"


def test_broker_without_master_contract_says_not_supported(fake_app):
    plugin = _fake(fake_app)
    no_contract = replace(plugin, capabilities=replace(plugin.capabilities, operations=frozenset({"quote"})))
    with fake_app.app_context(), pytest.raises(NotSupported, match="master contract is not supported by Fake Broker"):
        master_contract.download("fakebroker", no_contract)


def test_background_download_reports_through_the_status(fake_app):
    plugin = _fake(fake_app)
    plugin.master_contract.rows = lambda: iter(_equities(30))
    master_contract.download_in_background(fake_app, "fakebroker", plugin).join(timeout=30)
    with fake_app.app_context():
        assert master_contract.status("fakebroker")["state"] == "success"
        assert master_contract.status("fakebroker")["rows"] == 30
