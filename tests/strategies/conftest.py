"""Fixtures for strategy tests: an app with a paper-connected user whose alert queue the test drains."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from services import strategies, strategy_worker
from tests.api.conftest import Account, make_account
from tests.security.conftest import FAST_HASHER


@dataclass
class Trader(Account):
    def strategy(self, mode: str = "LONG", *maps: str, **fields: Any):
        with self.app.app_context():
            specs = maps or ("NSE:SBIN:10:MIS",)
            fields.setdefault("intraday", "start_time" in fields)  # positional unless a window is given
            created = strategies.create(self.user_id, name=fields.pop("name", f"s-{mode.lower()}"), mode=mode,
                                        mappings=[strategies.parse_map_spec(m) for m in specs], **fields)
            return created.id, strategies.webhook_id_of(created)

    def webhook(self, webhook_id: str, path: str = "strategy", **body: Any):
        return self.client.post(f"/{path}/webhook/{webhook_id}", json=body)

    def drain(self) -> int:
        return strategy_worker.drain(self.app)

    def position(self, symbol: str = "SBIN", exchange: str = "NSE", product: str = "MIS") -> int:
        answer = self.post("openposition", strategy="t", symbol=symbol, exchange=exchange, product=product)
        assert answer.status_code == 200, answer.get_json()
        return int(answer.get_json()["quantity"])

    def orders(self) -> list[dict[str, Any]]:
        return self.post("orderbook").get_json()["data"]["orders"]


@pytest.fixture
def strategy_app(make_app, database_url: str, tmp_path) -> Flask:
    """On SQLite and on PostgreSQL; the alert queue runs only when the test drains it."""
    return make_app(PASSWORD_HASHER=FAST_HASHER, ORDER_RATE_LIMIT="1000 per second", API_RATE_LIMIT="1000 per second",
                    WEBHOOK_RATE_LIMIT="1000 per minute", STRATEGY_WORKER=False, DATABASE_URL=database_url,
                    STRATEGY_DIR=str(tmp_path / "hosted"),
                    LOGS_DATABASE_URL=database_url)


@pytest.fixture
def trader(strategy_app: Flask) -> Trader:
    account = make_account(strategy_app)
    return Trader(account.app, account.client, account.user_id, account.key)
