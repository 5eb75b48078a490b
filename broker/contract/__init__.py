"""The broker plugin contract: typed objects, the manifest and capability map, the adapter interfaces.

A plugin lives in `broker/<name>/` and exposes `create_plugin(config: PluginConfig) -> BrokerPlugin`;
see broker/_template/ for a commented skeleton and README.md ("Broker plugins") for the walk-through.
"""
from broker.contract.interfaces import (ADAPTER_BASES, OPERATION_ADAPTERS, AuthAdapter, AuthResult, BrokerPlugin,
                                        BrokerSession, DataAdapter, FeedFactory, FundsAdapter, GttAdapter,
                                        MasterContractLoader, OrderAdapter, OrderEmit, OrderFeed, OrderFeedFactory,
                                        PluginConfig, SymbolLookup)
from broker.contract.manifest import (AUTH_TYPES, GTT_OPERATIONS, INTERVALS, OPERATIONS, ORDER_UPDATE_MODES, AuthType,
                                      CapabilityMap, Manifest, OrderUpdates)
from broker.contract.settings import SettingSpec, resolve_settings
from broker.contract.models import (DEPTH_LEVELS, GTT_STATUSES, Candle, CandleSeries, Depth, DepthLevel, Funds, Gtt,
                                    GttAck, GttLeg, GttRequest, HistoryRequest, Holding, Instrument, Margin,
                                    MarginLeg, ModifyRequest, Order, OrderAck, OrderEvent, OrderRequest, Position,
                                    Quote, Trade)
from broker.contract.validation import validate_plugin

__all__ = [
    "ADAPTER_BASES", "AUTH_TYPES", "DEPTH_LEVELS", "GTT_OPERATIONS", "GTT_STATUSES", "INTERVALS", "OPERATIONS",
    "OPERATION_ADAPTERS", "ORDER_UPDATE_MODES",
    "AuthAdapter", "AuthResult", "AuthType", "BrokerPlugin", "BrokerSession", "Candle", "CandleSeries",
    "CapabilityMap", "DataAdapter", "Depth", "DepthLevel", "FeedFactory", "Funds", "FundsAdapter", "Gtt", "GttAck",
    "GttAdapter", "GttLeg", "GttRequest", "HistoryRequest",
    "Holding", "Instrument", "Manifest", "Margin", "MarginLeg", "MasterContractLoader", "ModifyRequest",
    "Order", "OrderAck", "OrderAdapter", "OrderEmit", "OrderEvent", "OrderFeed", "OrderFeedFactory",
    "OrderRequest", "OrderUpdates", "PluginConfig", "Position", "Quote", "SettingSpec",
    "SymbolLookup", "Trade", "resolve_settings", "validate_plugin",
]
