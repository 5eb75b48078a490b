"""The broker plugin contract: typed objects, the manifest and capability map, the adapter interfaces.

A plugin lives in `broker/<name>/` and exposes `create_plugin(config: PluginConfig) -> BrokerPlugin`;
see broker/_template/ for a commented skeleton and README.md ("Broker plugins") for the walk-through.
"""
from broker.contract.interfaces import (ADAPTER_BASES, OPERATION_ADAPTERS, AuthAdapter, AuthResult, BrokerPlugin,
                                        BrokerSession, DataAdapter, FundsAdapter, MasterContractLoader,
                                        OrderAdapter, PluginConfig, StreamingAdapter, StreamingFactory,
                                        SymbolLookup)
from broker.contract.manifest import (AUTH_TYPES, INTERVALS, OPERATIONS, AuthType, CapabilityMap, Manifest,
                                      SettingSpec)
from broker.contract.models import (DEPTH_LEVELS, Candle, CandleSeries, Depth, DepthLevel, Funds, HistoryRequest,
                                    Holding, Instrument, Margin, MarginLeg, ModifyRequest, Order, OrderAck,
                                    OrderRequest, Position, Quote, Tick, Trade)
from broker.contract.validation import validate_plugin

__all__ = [
    "ADAPTER_BASES", "AUTH_TYPES", "DEPTH_LEVELS", "INTERVALS", "OPERATIONS", "OPERATION_ADAPTERS",
    "AuthAdapter", "AuthResult", "AuthType", "BrokerPlugin", "BrokerSession", "Candle", "CandleSeries",
    "CapabilityMap", "DataAdapter", "Depth", "DepthLevel", "Funds", "FundsAdapter", "HistoryRequest",
    "Holding", "Instrument", "Manifest", "Margin", "MarginLeg", "MasterContractLoader", "ModifyRequest",
    "Order", "OrderAck", "OrderAdapter", "OrderRequest", "PluginConfig", "Position", "Quote", "SettingSpec",
    "StreamingAdapter", "StreamingFactory", "SymbolLookup", "Tick", "Trade", "validate_plugin",
]
