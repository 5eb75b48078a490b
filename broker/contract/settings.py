"""Settings a broker plugin declares for itself, and how they are read.

A plugin lists its settings in its manifest (`Manifest.settings`), each a `SettingSpec`: a name prefixed
with the broker's name in capitals (ZERODHA_API_KEY, ANGEL_WS_URL, ...), a label and description, whether
it is a secret, its default (base URLs default to the broker's real URL, so tests point a plugin at a
fake server by setting them, never through utils/config.py) and how its text is parsed and validated
(`parse`, one of utils/setting_types.py's parsers, raising ValueError saying what is expected).

The registry resolves them from the same sources as the app's own settings (.env, environment,
overrides; see `Settings.source_values`) and hands the plugin ONLY these values, under their declared
names — never APP_KEY, API_KEY_PEPPER, DATABASE_URL or another broker's settings. `aliases` are older
names still accepted (Zerodha's BROKER_API_KEY); the declared name wins when both are set.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from utils import setting_types

MASK_SET, MASK_EMPTY = "(set)", "(empty)"


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingSpec:
    """A value the plugin needs: a server setting (in Manifest.settings) or a login-form field (in
    Manifest.login_fields, where only name, label, description and secret are used)."""
    name: str
    label: str
    description: str = ""            # what it is and where the user finds it; shown by config check and forms
    secret: bool = False             # masked by config check, redacted from logs
    required: bool = True            # empty → the broker cannot be connected (listed as missing)
    default: str = ""                # used when the setting is not given
    parse: Callable[[str], Any] | None = None   # text → value, ValueError when invalid; None: plain text
    aliases: tuple[str, ...] = ()    # legacy names still read, lowest precedence


@dataclass(frozen=True, slots=True)
class ResolvedSettings:
    values: dict[str, Any]           # declared name → parsed value (what PluginConfig.settings holds)
    problems: list[str]              # invalid values, one sentence each, naming the setting
    missing: list[str]               # required settings that are empty
    given_as: dict[str, str]         # declared name → the name it was read from, when an alias


def _parser(spec: SettingSpec) -> Callable[[str], Any]:
    if spec.parse is not None:
        return spec.parse
    return setting_types.optional_secret if spec.secret else setting_types.text


def _given(spec: SettingSpec, sources: Mapping[str, Any]) -> tuple[str, Any]:
    for name in (spec.name, *spec.aliases):
        value = sources.get(name)
        if value is not None and value != "":
            return name, value
    return spec.name, None


def resolve_settings(specs: Iterable[SettingSpec], sources: Mapping[str, Any]) -> ResolvedSettings:
    """Each declared setting's value from `sources`, parsed; every problem collected, none raised."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    missing: list[str] = []
    given_as: dict[str, str] = {}
    for spec in specs:
        source_name, given = _given(spec, sources)
        if source_name != spec.name:
            given_as[spec.name] = source_name
        if given is not None and not isinstance(given, str):
            values[spec.name] = given          # already typed (tests, programmatic use)
            continue
        text = given if given is not None else spec.default
        try:
            values[spec.name] = _parser(spec)(text) if text.strip() else text.strip()
        except ValueError as exc:             # parsers never echo a secret's value
            problems.append(f"{source_name} {exc}")
            continue
        if spec.required and values[spec.name] in ("", None):
            missing.append(spec.name)
    return ResolvedSettings(values, problems, missing, given_as)


def shown(spec: SettingSpec, value: Any) -> str:
    """A setting's value as `config check` prints it: secrets masked."""
    if spec.secret:
        return MASK_SET if value else MASK_EMPTY
    return str(value) if value not in (None, "") else MASK_EMPTY


def secret_values(specs: Iterable[SettingSpec], values: Mapping[str, Any]) -> list[str]:
    """Values of secret settings, for the log redactor."""
    return [v for s in specs if s.secret for v in [values.get(s.name)] if isinstance(v, str) and len(v) >= 8]
