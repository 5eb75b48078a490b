"""The contract's own objects: instrument records, depth padding, capability checks, plugin validation."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from broker.contract import (AuthAdapter, BrokerPlugin, CapabilityMap, DataAdapter, Depth, DepthLevel, FundsAdapter,
                             Instrument, Manifest, MasterContractLoader, OrderAdapter, Quote, validate_plugin)
from broker.errors import NotSupported


def _plugin(operations: set[str], data: DataAdapter | None = None, **caps) -> BrokerPlugin:  # noqa: ANN003
    return BrokerPlugin(manifest=Manifest(name="demo", display_name="Demo", auth_type="none"),
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
