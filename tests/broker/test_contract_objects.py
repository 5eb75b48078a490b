"""The contract's own objects: instrument records, depth padding, capability checks, plugin validation."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from broker.contract import (GTT_STATUSES, AuthAdapter, BrokerPlugin, CapabilityMap, DataAdapter, Depth, DepthLevel,
                             FundsAdapter, Gtt, GttAck, GttAdapter, GttLeg, Instrument, Manifest, MasterContractLoader,
                             Order, OrderAdapter, OrderEvent, Quote, validate_plugin)
from broker.errors import NotSupported


def _plugin(operations: set[str], data: DataAdapter | None = None, **caps) -> BrokerPlugin:  # noqa: ANN003
    return BrokerPlugin(manifest=Manifest(name="demo", display_name="Demo", auth_type="none", live=False),
                        capabilities=CapabilityMap(operations=frozenset(operations), exchanges=frozenset({"NSE"}),
                                                   **caps),
                        auth=AuthAdapter(), orders=OrderAdapter(), data=data or DataAdapter(), funds=FundsAdapter(),
                        master_contract=MasterContractLoader())


class _QuoteOnly(DataAdapter):
    def quote(self, session, instrument):  # noqa: ANN001, ANN201
        return Quote(symbol=instrument.symbol, exchange=instrument.exchange, ltp=1.0)


def test_instrument_record_is_the_api_row_in_contract_order():
    option = Instrument(symbol="NIFTY30DEC2526000CE", brsymbol="NIFTY25D3026000CE", name="NIFTY", exchange="NFO",
                        brexchange="NFO", token="48215", expiry=date(2025, 12, 30), strike=26000, lotsize=75,
                        instrumenttype="CE", raw={"broker": "row"})
    assert option.record() == {"symbol": "NIFTY30DEC2526000CE", "brsymbol": "NIFTY25D3026000CE", "name": "NIFTY",
                               "exchange": "NFO", "brexchange": "NFO", "token": "48215", "expiry": "30-DEC-25",
                               "strike": 26000.0, "lotsize": 75, "instrumenttype": "CE", "tick_size": 0.05}
    assert option == replace(option, raw={"other": "payload"})  # raw never takes part in comparisons


def test_depth_is_padded_or_trimmed_to_five_levels():
    padded = Depth.pad([DepthLevel(10.0, 5, 1)])
    assert len(padded) == 5 and padded[1:] == (DepthLevel(0.0, 0, 0),) * 4
    assert len(Depth.pad([DepthLevel(float(n), 1) for n in range(8)])) == 5


def test_capability_checks_name_the_broker():
    caps = CapabilityMap(operations=frozenset({"quote"}), order_types=frozenset({"MARKET", "LIMIT"}))
    caps.require("quote", "Demo")
    with pytest.raises(NotSupported, match="^margin is not supported by Demo$"):
        caps.require("margin", "Demo")
    with pytest.raises(NotSupported, match="^order type SL-M is not supported by Demo$"):
        caps.require_value("order_types", "SL-M", "Demo")
    assert caps.describe()["order_types"] == ["MARKET", "LIMIT"] and caps.margin_calculator is False


def test_declared_operations_must_be_implemented_but_derived_ones_come_free():
    assert validate_plugin(_plugin({"quote", "quotes"}, _QuoteOnly())) == []
    assert validate_plugin(_plugin({"quote"})) == ["quote is declared but data.quote is not implemented"]
    assert validate_plugin(_plugin({"quotes"})) == ["quotes is declared but data.quotes is not implemented"]
    assert validate_plugin(_plugin({"master_contract"})) == [
        "master_contract is declared but master_contract.download is not implemented"]
    assert "history is declared" in " ".join(validate_plugin(_plugin({"history"})))
    assert "rate_limits" in " ".join(validate_plugin(_plugin(set(), rate_limits={"orders": "lots"})))
    assert validate_plugin(object()) == ["create_plugin() must return a BrokerPlugin, got object"]


class _Gtt(GttAdapter):
    def place_gtt(self, session, request):  # noqa: ANN001, ANN201
        return GttAck(trigger_id="1")

    def modify_gtt(self, session, trigger_id, request):  # noqa: ANN001, ANN201
        return GttAck(trigger_id=trigger_id)

    def cancel_gtt(self, session, trigger_id):  # noqa: ANN001, ANN201
        return GttAck(trigger_id=trigger_id)

    def gtt_book(self, session):  # noqa: ANN001, ANN201
        return []


def test_gtt_defaults_to_not_supported_and_is_declared_all_together():
    plugin = _plugin(set())
    with pytest.raises(NotSupported, match="place gtt is not supported"):
        plugin.gtt.place_gtt(None, None)
    gtt_ops = {"place_gtt", "modify_gtt", "cancel_gtt", "gtt_book"}
    assert validate_plugin(replace(_plugin(gtt_ops), gtt=_Gtt())) == []
    assert validate_plugin(_plugin(gtt_ops)) == [
        f"{op} is declared but gtt.{op} is not implemented" for op in ("place_gtt", "modify_gtt", "cancel_gtt",
                                                                        "gtt_book")]
    assert validate_plugin(replace(_plugin({"place_gtt"}), gtt=_Gtt())) == [
        "GTT operations are declared together; missing: modify_gtt, cancel_gtt, gtt_book"]
    assert validate_plugin(replace(_plugin(set()), gtt=_Gtt())) == [
        "gtt implements place_gtt, modify_gtt, cancel_gtt, gtt_book but the capability map declares no GTT operation"]


def test_order_updates_mode_and_order_feed_agree():
    def feed(session, emit):  # noqa: ANN001, ANN202
        return None

    assert _plugin(set()).capabilities.order_updates == "none"
    assert validate_plugin(replace(_plugin(set(), order_updates="push"), order_feed=feed)) == []
    assert validate_plugin(_plugin(set(), order_updates="push")) == [
        'order_updates is "push" but there is no order_feed factory']
    assert validate_plugin(replace(_plugin(set()), order_feed=feed)) == [
        "order_feed is set but order_updates is 'none' (declare \"push\")"]
    assert validate_plugin(_plugin(set(), order_updates="poll")) == [
        'order_updates is "poll" but order_book is not declared']
    assert validate_plugin(_plugin(set(), order_updates="often")) == [
        "capabilities.order_updates 'often' must be one of push, poll, none"]
    assert _plugin(set(), order_updates="push").capabilities.describe()["order_updates"] == "push"


def test_order_event_from_an_order_book_row_and_gtt_trigger_prices_ascend():
    order = Order(order_id="7", symbol="SBIN", exchange="NSE", action="BUY", quantity=10, product="CNC",
                  pricetype="LIMIT", status="open", price=100.0, filled_quantity=4, average_price=99.5,
                  timestamp="10:00:01")
    event = OrderEvent.from_order(order, strategy="s1")
    assert (event.order_id, event.status, event.filled_quantity, event.pending_quantity, event.average_price,
            event.exchange_timestamp, event.strategy) == ("7", "open", 4, 6, 99.5, "10:00:01", "s1")
    gtt = Gtt(trigger_id="9", symbol="SBIN", exchange="NSE", trigger_type="OCO", status="active", action="SELL",
              quantity=1, product="CNC", legs=(GttLeg(trigger_price=90.0, role="stoploss"),
                                              GttLeg(trigger_price=110.0, role="target")))
    assert gtt.trigger_prices == [90.0, 110.0] and gtt.status in GTT_STATUSES


def test_mcx_quantity_is_units_unless_declared_contracts():
    assert _plugin(set()).capabilities.mcx_quantity == "units"
    assert validate_plugin(_plugin(set(), mcx_quantity="contracts")) == []
    assert _plugin(set(), mcx_quantity="contracts").capabilities.describe()["mcx_quantity"] == "contracts"
    assert validate_plugin(_plugin(set(), mcx_quantity="lots")) == [
        "capabilities.mcx_quantity 'lots' must be one of units, contracts"]
