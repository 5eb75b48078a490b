"""Plugin discovery: every package under `broker/` (except `contract` and names starting with "_") is
a plugin exposing `create_plugin(config) -> BrokerPlugin`.

A plugin's own settings are declared by its module-level `MANIFEST` (read before `create_plugin`) and
resolved from the app's setting sources (`settings` here: every value read, unparsed); the plugin gets
only those (broker/contract/settings.py). A plugin that fails to import, to build, to keep the contract,
or whose settings are invalid is logged, listed as unavailable with the reason, and skipped: one broken
broker never stops the server. VALID_BROKERS limits which
available plugins users may connect; the paper broker is always allowed. This module knows nothing
of Flask or the database (the app wiring is services/brokers.py).
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from broker.contract import BrokerPlugin, Manifest, PluginConfig, SettingSpec, SymbolLookup, validate_plugin
from broker.contract.settings import resolve_settings, secret_values, shown
from broker.http import BrokerHttp, make_session
from broker.rate_limit import RateLimiter
from utils.clock import system_now
from utils.logging import get_logger, register_secrets

log = get_logger("broker.registry")

ALWAYS_ALLOWED = ("paper",)
# shared code under broker/ that is not a plugin: the contract, and cores several plugins configure
# (broker/noren serves broker/shoonya and broker/flattrade)
NOT_PLUGINS = ("contract", "noren")
AVAILABLE, UNAVAILABLE = "available", "unavailable"


def find_plugin_modules(packages: Iterable[str] = ("broker",)) -> list[tuple[str, str]]:
    """(plugin name, module name) of every plugin folder, found without importing the plugins."""
    found = []
    for package_name in packages:
        package = importlib.import_module(package_name)
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            if info.ispkg and not info.name.startswith("_") and info.name not in NOT_PLUGINS:
                found.append((info.name, f"{package_name}.{info.name}"))
    return found


class UnknownBroker(LookupError):
    """No plugin of that name, or it is unavailable or not allowed here; the message says which."""


@dataclass
class PluginEntry:
    name: str
    module: str
    status: str = UNAVAILABLE
    reason: str = ""
    plugin: BrokerPlugin | None = None
    allowed: bool = False
    missing_settings: list[str] = field(default_factory=list)  # required settings that are empty
    specs: tuple[SettingSpec, ...] = ()                          # the settings its MANIFEST declares
    setting_values: dict[str, Any] = field(default_factory=dict, repr=False)
    setting_problems: list[str] = field(default_factory=list)   # invalid values (the plugin is then unavailable)
    aliases_used: dict[str, str] = field(default_factory=dict)  # declared name → legacy name it was read from
    rate_limiter: RateLimiter | None = None

    @property
    def available(self) -> bool:
        return self.status == AVAILABLE

    @property
    def configured(self) -> bool:
        return not self.missing_settings

    def settings_table(self) -> list[tuple[str, str, str]]:
        """(name, printable value, description) of each declared setting, secrets masked (config check)."""
        rows = []
        for spec in self.specs:
            note = spec.description or spec.label
            if spec.name in self.aliases_used:
                note += f" (read from the legacy name {self.aliases_used[spec.name]})"
            rows.append((spec.name, shown(spec, self.setting_values.get(spec.name)), note))
        return rows

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"name": self.name, "status": self.status, "allowed": self.allowed,
                                "configured": self.configured}
        if self.reason:
            info["reason"] = self.reason
        if self.missing_settings:
            info["missing_settings"] = list(self.missing_settings)
        if self.plugin is not None:
            manifest = self.plugin.manifest
            info.update(display_name=manifest.display_name, auth_type=manifest.auth_type,
                        capabilities=self.plugin.capabilities.describe())
        return info


class BrokerRegistry:
    """The plugins of this process, discovered once at start."""

    def __init__(self, settings: Mapping[str, Any], *, valid_brokers: Iterable[str] = (),
                 rate_limit_storage: str = "memory://",
                 symbols_for: Callable[[str], SymbolLookup | None] | None = None,
                 http_timeout: tuple[float, float] | None = None, http_retries: int | None = None,
                 on_order_update: Callable[[int], None] | None = None,
                 on_order_event: Callable[[str, int, Any], None] | None = None,
                 clock: Callable[[], datetime] = system_now):
        self.settings = dict(settings)
        self.valid_brokers = {name.lower() for name in valid_brokers} | set(ALWAYS_ALLOWED)
        self.rate_limit_storage = rate_limit_storage
        self.symbols_for = symbols_for or (lambda name: None)
        self.http_timeout = http_timeout
        self.http_retries = http_retries
        self.on_order_update = on_order_update
        self.on_order_event = on_order_event   # (broker, user_id, OrderEvent); each plugin gets its own partial
        self.clock = clock
        self.entries: dict[str, PluginEntry] = {}

    # ------------------------------------------------------------------------------ discovery
    def discover(self, packages: Iterable[str] = ("broker",)) -> "BrokerRegistry":
        for name, module_name in find_plugin_modules(packages):
            self.load(name, module_name)
        return self

    def load(self, name: str, module_name: str) -> PluginEntry:
        entry = PluginEntry(name=name, module=module_name, allowed=name in self.valid_brokers)
        self.entries[name] = entry
        try:
            module = importlib.import_module(module_name)
            create = getattr(module, "create_plugin", None)
            if not callable(create):
                return self._reject(entry, "has no create_plugin(config) function")
            declared = getattr(module, "MANIFEST", None)
            entry.specs = tuple(declared.settings) if isinstance(declared, Manifest) else ()
            resolved = resolve_settings(entry.specs, self.settings)
            entry.setting_values, entry.setting_problems = resolved.values, resolved.problems
            entry.missing_settings, entry.aliases_used = resolved.missing, resolved.given_as
            if resolved.problems:
                return self._reject(entry, "invalid settings: " + "; ".join(resolved.problems))
            register_secrets(secret_values(entry.specs, resolved.values))
            config, limiter = self._config_for(name, resolved.values)
            plugin = create(config)
        except Exception as exc:  # any failure inside a plugin is that plugin's problem only
            log.debug("plugin %s failed:\n%s", name, traceback.format_exc())
            return self._reject(entry, f"failed to load: {type(exc).__name__}: {exc}")
        problems = validate_plugin(plugin, expected_name=name)
        if isinstance(plugin, BrokerPlugin) and plugin.manifest.settings != entry.specs:
            problems.append("the module's MANIFEST must be the manifest create_plugin returns (its settings are "
                            "read before the plugin is built)")
        if problems:
            return self._reject(entry, "breaks the contract: " + "; ".join(problems))
        limiter.set_budgets(plugin.capabilities.rate_limits)
        entry.plugin, entry.status, entry.rate_limiter = plugin, AVAILABLE, limiter
        log.debug("broker plugin %s available%s", name, "" if entry.allowed else " (not in VALID_BROKERS)")
        return entry

    def _config_for(self, name: str, settings: Mapping[str, Any]) -> tuple[PluginConfig, RateLimiter]:
        limiter = RateLimiter(name, storage=self.rate_limit_storage)
        session = make_session() if self.http_retries is None else make_session(retries=self.http_retries)
        http_options = {"timeout": self.http_timeout} if self.http_timeout else {}
        http = BrokerHttp(name, session=session, rate_limiter=limiter, **http_options)
        return PluginConfig(settings=dict(settings), http=http, rate_limiter=limiter,
                            symbols=self.symbols_for(name), on_order_update=self.on_order_update,
                            on_order_event=functools.partial(self.on_order_event, name) if self.on_order_event else None,
                            clock=self.clock), limiter

    @staticmethod
    def _reject(entry: PluginEntry, reason: str) -> PluginEntry:
        entry.status, entry.reason = UNAVAILABLE, reason
        log.warning("broker plugin %s is unavailable: %s", entry.name, reason)
        return entry

    # ------------------------------------------------------------------------------ lookups
    def list(self) -> list[PluginEntry]:
        return [self.entries[name] for name in sorted(self.entries)]

    def available(self) -> list[BrokerPlugin]:
        return [e.plugin for e in self.list() if e.available and e.plugin is not None]

    def connectable(self) -> list[str]:
        """Names users may connect: available and allowed by VALID_BROKERS."""
        return [e.name for e in self.list() if e.available and e.allowed]

    def get(self, name: str) -> BrokerPlugin:
        """The plugin, whatever VALID_BROKERS says (for sessions already stored, contract downloads)."""
        entry = self.entries.get(name)
        if entry is None:
            raise UnknownBroker(f"Broker {name!r} is not installed; installed: {', '.join(sorted(self.entries)) or 'none'}")
        if entry.plugin is None:
            raise UnknownBroker(f"Broker {name!r} is unavailable: {entry.reason}")
        return entry.plugin

    def get_connectable(self, name: str) -> BrokerPlugin:
        """The plugin a user may connect now; the error names what to change."""
        plugin = self.get(name)
        entry = self.entries[name]
        if not entry.allowed:
            raise UnknownBroker(f"Broker {name!r} is not enabled on this server; add it to VALID_BROKERS")
        if entry.missing_settings:
            raise UnknownBroker(f"Broker {name!r} needs settings that are empty: {', '.join(entry.missing_settings)}")
        return plugin
