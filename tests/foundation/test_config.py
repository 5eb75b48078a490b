"""Configuration: one reader, every problem reported at once, placeholders refused, sample in step."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRETS
from utils.config import PROJECT_ROOT, ConfigError, load_settings, setting_specs


def test_missing_app_key_and_bad_database_url_are_reported_together():
    with pytest.raises(ConfigError) as caught:
        load_settings({"API_KEY_PEPPER": TEST_SECRETS["API_KEY_PEPPER"], "DATABASE_URL": "mysql//nope"},
                      env_file=None, environ={})
    text = str(caught.value)
    assert "APP_KEY is missing" in text
    assert "DATABASE_URL" in text and "postgresql://" in text
    assert len(caught.value.problems) == 2


def test_every_invalid_setting_is_listed_with_what_is_expected():
    with pytest.raises(ConfigError) as caught:
        load_settings({**TEST_SECRETS, "FLASK_PORT": "http", "FLASK_DEBUG": "maybe", "LOG_LEVEL": "loud",
                       "API_RATE_LIMIT": "lots", "SESSION_EXPIRY_TIME": "25:00"}, env_file=None, environ={})
    problems = "\n".join(caught.value.problems)
    assert "FLASK_PORT must be a whole number between 1 and 65535" in problems
    assert "FLASK_DEBUG must be true or false" in problems
    assert "LOG_LEVEL must be one of DEBUG, INFO" in problems
    assert "API_RATE_LIMIT must be a rate limit" in problems
    assert "SESSION_EXPIRY_TIME must be a time of day as HH:MM" in problems


def test_sample_placeholder_secrets_are_refused():
    placeholder = "change-me-to-a-random-64-character-hex-string"
    with pytest.raises(ConfigError) as caught:
        load_settings({"APP_KEY": placeholder, "API_KEY_PEPPER": "short"}, env_file=None, environ={})
    problems = "\n".join(caught.value.problems)
    assert "APP_KEY still has the placeholder value" in problems
    assert "API_KEY_PEPPER is too short" in problems
    assert placeholder not in str(caught.value).replace("APP_KEY still has", "")  # never echo a secret


def test_environment_overrides_env_file_and_overrides_win(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"APP_KEY='{TEST_SECRETS['APP_KEY']}'\nAPI_KEY_PEPPER='{TEST_SECRETS['API_KEY_PEPPER']}'\n"
                        "FLASK_PORT=6000\nLOG_LEVEL=DEBUG\n")
    settings = load_settings(env_file=env_file, environ={"FLASK_PORT": "7000"})
    assert settings.FLASK_PORT == 7000 and settings.LOG_LEVEL == "DEBUG"
    assert load_settings({"FLASK_PORT": "8000"}, env_file=env_file, environ={"FLASK_PORT": "7000"}).FLASK_PORT == 8000


def test_postgres_urls_use_psycopg3():
    settings = load_settings({**TEST_SECRETS, "DATABASE_URL": "postgres://u:p@db.example:5432/oa"},
                             env_file=None, environ={})
    assert settings.DATABASE_URL == "postgresql+psycopg://u:p@db.example:5432/oa"


def _plugin_settings() -> list:
    """Every setting each broker shipped under broker/ declares in its MANIFEST."""
    import importlib

    from broker.registry import find_plugin_modules

    return [spec for _, module in find_plugin_modules(("broker",))
            for spec in importlib.import_module(module).MANIFEST.settings]


def test_env_sample_documents_every_setting_with_a_comment():
    lines = (PROJECT_ROOT / ".env.sample").read_text().splitlines()
    documented = {}
    for index, line in enumerate(lines):
        match = re.match(r"^([A-Z][A-Z0-9_]*)=", line)
        if match:
            documented[match[1]] = lines[index - 1].startswith("# ")
    names = [name for name, *_ in setting_specs()] + [spec.name for spec in _plugin_settings()]
    assert sorted(documented) == sorted(names)
    assert all(documented.values()), [n for n, ok in documented.items() if not ok]


def test_env_sample_defaults_match_the_code():
    from dotenv import dotenv_values

    sample = dotenv_values(PROJECT_ROOT / ".env.sample")
    for name, default, _, _ in setting_specs():
        if default is not None:
            assert sample[name] == default, name
    for spec in _plugin_settings():
        assert sample[spec.name] == spec.default, spec.name


def test_no_broker_setting_or_test_url_is_an_app_setting():
    app_settings = {name for name, *_ in setting_specs()}
    assert not app_settings & {spec.name for spec in _plugin_settings()}
    assert not {"BROKER_API_KEY", "BROKER_API_SECRET", "REDIRECT_URL"} & app_settings
    assert not [name for name in app_settings if name.startswith(("ZERODHA_", "PAPER_"))]


def _run(args: list[str], env_file: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"APP_KEY", "API_KEY_PEPPER", "DATABASE_URL"}}
    # the flask command loads the project .env itself unless told not to
    env.update({"OPENALGO_ENV_FILE": str(env_file), "NO_COLOR": "1", "FLASK_SKIP_DOTENV": "1", **(extra_env or {})})
    return subprocess.run(args, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_server_refuses_to_start_on_invalid_config(tmp_path: Path):
    env_file = tmp_path / "bad.env"
    env_file.write_text(f"API_KEY_PEPPER='{TEST_SECRETS['API_KEY_PEPPER']}'\nDATABASE_URL='oracle://x/y'\n")
    result = _run([sys.executable, "app.py"], env_file)
    assert result.returncode != 0
    assert "APP_KEY is missing" in result.stderr and "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_check_command(tmp_path: Path):
    flask = str(Path(sys.executable).parent / "flask")
    good = tmp_path / "good.env"
    good.write_text(f"APP_KEY='{TEST_SECRETS['APP_KEY']}'\nAPI_KEY_PEPPER='{TEST_SECRETS['API_KEY_PEPPER']}'\n"
                    f"DATABASE_URL='sqlite:///{tmp_path}/c.db'\nLOGS_DATABASE_URL='sqlite:///{tmp_path}/l.db'\n")
    ok = _run([flask, "--app", "app", "config", "check"], good)
    assert ok.returncode == 0, ok.stderr
    assert "Configuration OK" in ok.stdout
    assert TEST_SECRETS["APP_KEY"] not in ok.stdout + ok.stderr
    assert re.search(r"APP_KEY\s+\(set\)", ok.stdout)
    # each installed broker's own settings are listed too, secrets masked, base URLs with their defaults
    assert "# broker zerodha" in ok.stdout and "# broker paper" in ok.stdout
    assert re.search(r"ZERODHA_API_KEY\s+\(empty\)", ok.stdout)
    assert re.search(r"ZERODHA_TICKER_URL\s+wss://ws.kite.trade", ok.stdout)

    legacy = tmp_path / "legacy.env"
    legacy.write_text(good.read_text() + "BROKER_API_KEY='kite-key-from-the-old-name'\nZERODHA_API_URL='not a url'\n")
    checked = _run([flask, "--app", "app", "config", "check"], legacy)
    assert checked.returncode == 2   # zerodha is not enabled, so the app starts, but the check fails
    assert re.search(r"ZERODHA_API_KEY\s+\(set\).*legacy name BROKER_API_KEY", checked.stdout)
    assert "kite-key-from-the-old-name" not in checked.stdout + checked.stderr
    assert "ZERODHA_API_URL must be an http:// or https:// URL" in checked.stderr

    bad = tmp_path / "bad.env"
    bad.write_text("FLASK_PORT=99999\n")
    failed = _run([flask, "--app", "app", "config", "check"], bad)
    assert failed.returncode == 2
    assert "APP_KEY is missing" in failed.stderr and "FLASK_PORT must be between 1 and 65535" in failed.stderr
