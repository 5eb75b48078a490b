"""Checks that a plugin keeps the contract: used by discovery (a failing plugin is listed as
unavailable with these reasons) and by tests/contract/."""
from __future__ import annotations

import re

from broker.contract.interfaces import (ADAPTER_BASES, OPERATION_ADAPTERS, BrokerPlugin, DataAdapter, GttAdapter,
                                        MasterContractLoader, OrderAdapter)
from broker.contract.manifest import (AUTH_TYPES, GTT_OPERATIONS, INTERVALS, MCX_QUANTITY_MODES, OPERATIONS,
                                      ORDER_UPDATE_MODES, RATE_LIMIT_BUCKETS)
from broker.contract.settings import SettingSpec
from broker.errors import ErrorTable
from utils.constants import EXCHANGES, MODE_LABELS, PRICE_TYPES, PRODUCTS

# Operations with a default built from others: declared is fine when their building blocks are.
DERIVED_OPERATIONS: dict[str, tuple[str, ...]] = {
    "quotes": ("quote",),
    "order_status": ("order_book",),
    "cancel_all_orders": ("order_book", "cancel_order"),
    "open_position": ("positions",),
    "close_all_positions": ("positions", "place_order"),
}
_BASE_METHOD_OWNERS = (OrderAdapter, DataAdapter)


def overrides(adapter: object, base: type, method: str) -> bool:
    """True when `adapter` implements `method` itself instead of inheriting the base default."""
    return getattr(type(adapter), method, None) is not getattr(base, method, None)


def _check_set(problems: list[str], label: str, values, allowed) -> None:  # noqa: ANN001
    unknown = sorted(str(v) for v in values if v not in allowed)
    if unknown:
        problems.append(f"capabilities.{label} has unknown values: {', '.join(unknown)}")


def _check_rate_limits(problems: list[str], budgets: dict[str, str]) -> None:
    from limits import parse

    _check_set(problems, "rate_limits", budgets, RATE_LIMIT_BUCKETS)
    for bucket, text in budgets.items():
        try:
            parse(text)
        except ValueError:
            problems.append(f"capabilities.rate_limits[{bucket!r}] = {text!r} is not a rate such as '10/second'")


def _check_settings(problems: list[str], manifest) -> None:  # noqa: ANN001
    prefix = f"{(manifest.name or '').upper()}_"
    for spec in manifest.settings:
        if not isinstance(spec, SettingSpec):
            problems.append(f"manifest.settings must hold SettingSpec objects, got {type(spec).__name__}")
        elif not spec.name.startswith(prefix) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", spec.name):
            problems.append(f"setting {spec.name!r} must be UPPER_CASE and start with {prefix!r}")
        elif not spec.label:
            problems.append(f"setting {spec.name} needs a label")


def validate_plugin(plugin: object, expected_name: str | None = None) -> list[str]:
    """Every way `plugin` breaks the contract, as sentences; empty when it keeps it."""
    if not isinstance(plugin, BrokerPlugin):
        return [f"create_plugin() must return a BrokerPlugin, got {type(plugin).__name__}"]
    problems: list[str] = []
    manifest, caps = plugin.manifest, plugin.capabilities
    if not re.fullmatch(r"[a-z][a-z0-9_]*", manifest.name or ""):
        problems.append(f"manifest.name {manifest.name!r} must be lowercase letters, digits and _")
    if expected_name and manifest.name != expected_name:
        problems.append(f"manifest.name {manifest.name!r} must equal the folder name {expected_name!r}")
    if not manifest.display_name:
        problems.append("manifest.display_name is empty")
    if manifest.auth_type not in AUTH_TYPES:
        problems.append(f"manifest.auth_type {manifest.auth_type!r} must be one of {', '.join(AUTH_TYPES)}")
    _check_set(problems, "operations", caps.operations, OPERATIONS)
    _check_set(problems, "order_types", caps.order_types, PRICE_TYPES)
    _check_set(problems, "products", caps.products, PRODUCTS)
    _check_set(problems, "exchanges", caps.exchanges, EXCHANGES)
    _check_set(problems, "intervals", caps.intervals, INTERVALS)
    _check_set(problems, "streaming_modes", caps.streaming_modes, MODE_LABELS)
    if any(not isinstance(n, int) or n < 1 for n in caps.depth_levels):
        problems.append("capabilities.depth_levels must be positive whole numbers")
    _check_rate_limits(problems, caps.rate_limits)
    if "history" in caps.operations and not caps.intervals:
        problems.append("capabilities.intervals is empty but history is declared")
    if "streaming" in caps.operations and (not callable(plugin.feed) or not caps.streaming_modes):
        problems.append("streaming is declared but there is no feed (BrokerPlugin.feed) or no streaming mode")
    if manifest.live and not isinstance(plugin.error_table, ErrorTable):
        problems.append("a live broker must provide its error table (BrokerPlugin.error_table, a broker.errors.ErrorTable)")
    _check_settings(problems, manifest)
    problems += _order_update_problems(plugin)
    if caps.mcx_quantity not in MCX_QUANTITY_MODES:
        allowed = ", ".join(MCX_QUANTITY_MODES)
        problems.append(f"capabilities.mcx_quantity {caps.mcx_quantity!r} must be one of {allowed}")
    for attribute, base in ADAPTER_BASES.items():
        if not isinstance(getattr(plugin, attribute), base):
            problems.append(f"{attribute} must be an instance of {base.__name__}")
    if problems:
        return problems
    problems += _declared_operations_implemented(plugin)
    problems += _gtt_problems(plugin)
    return problems


def _order_update_problems(plugin: BrokerPlugin) -> list[str]:
    """`order_updates` and the plugin agree: "push" has an order feed, "poll" an order book to diff,
    and an order feed is only given with "push" (it would never run otherwise)."""
    mode, declared = plugin.capabilities.order_updates, plugin.capabilities.operations
    if mode not in ORDER_UPDATE_MODES:
        return [f"capabilities.order_updates {mode!r} must be one of {', '.join(ORDER_UPDATE_MODES)}"]
    if mode == "push" and not callable(plugin.order_feed):
        return ['order_updates is "push" but there is no order_feed factory']
    if mode != "push" and plugin.order_feed is not None:
        return [f'order_feed is set but order_updates is {mode!r} (declare "push")']
    if mode == "poll" and "order_book" not in declared:
        return ['order_updates is "poll" but order_book is not declared']
    return []


def _gtt_problems(plugin: BrokerPlugin) -> list[str]:
    """GTT is all or nothing: the four operations are declared together, and an adapter that implements
    GTT has them declared (else the API would answer 501 for a working adapter)."""
    declared = [op for op in GTT_OPERATIONS if op in plugin.capabilities.operations]
    if declared and len(declared) != len(GTT_OPERATIONS):
        missing = [op for op in GTT_OPERATIONS if op not in declared]
        return [f"GTT operations are declared together; missing: {', '.join(missing)}"]
    implemented = [op for op in GTT_OPERATIONS if overrides(plugin.gtt, GttAdapter, op)]
    if implemented and not declared:
        return [f"gtt implements {', '.join(implemented)} but the capability map declares no GTT operation"]
    return []


def _declared_operations_implemented(plugin: BrokerPlugin) -> list[str]:
    problems = []
    declared = plugin.capabilities.operations
    for operation, attribute in OPERATION_ADAPTERS.items():
        if operation not in declared:
            continue
        adapter = getattr(plugin, attribute)
        if overrides(adapter, ADAPTER_BASES[attribute], operation):
            continue
        missing = [need for need in DERIVED_OPERATIONS.get(operation, (operation,)) if need not in declared]
        if operation not in DERIVED_OPERATIONS or missing:
            problems.append(f"{operation} is declared but {attribute}.{operation} is not implemented")
    if "master_contract" in declared and not overrides(plugin.master_contract, MasterContractLoader, "download"):
        problems.append("master_contract is declared but master_contract.download is not implemented")
    return problems
