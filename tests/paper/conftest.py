"""Paper-engine fixtures: a user in a db_app (SQLite and PostgreSQL) and a clock the test moves."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator

import pytest
from flask import Flask

from broker.paper.calendar import IST, is_trading_day
from broker.paper.engine import EngineSettings, PaperEngine
from database import db
from database.users import User
from utils.market_calendar import now_ist

def first_trading_day(start: date) -> date:
    """`start` itself when NSE trades that day, else the next day it does."""
    while not is_trading_day(start):
        start += timedelta(days=1)
    return start


def session_start() -> datetime:
    """10:00 IST of the first NSE trading day from the app's today: inside NSE hours, before the square-off
    time. It follows the app's clock, so ./test.sh's shifted-clock reruns move these tests to other days."""
    return datetime.combine(first_trading_day(now_ist().date()), time(10, 0), IST)


class Clock:
    def __init__(self, at: datetime | None = None):
        self.start = self.at = at or session_start()   # `start`: where the test began

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def make_user(app: Flask, username: str = "trader") -> int:
    with app.app_context():
        user = User(username=username, email=f"{username}@example.com", password_hash="x", is_admin=False)
        db.session.add(user)
        db.session.commit()
        return user.id


@dataclass
class Paper:
    app: Flask
    engine: PaperEngine
    clock: Clock
    user_id: int


def _paper(app: Flask) -> Iterator[Paper]:
    clock = Clock()
    engine = PaperEngine(EngineSettings(), clock=clock)
    user_id = make_user(app)
    with app.app_context():
        yield Paper(app, engine, clock, user_id)


@pytest.fixture
def paper(db_app: Flask) -> Iterator[Paper]:
    """On SQLite and on PostgreSQL."""
    yield from _paper(db_app)


@pytest.fixture
def paper_sqlite(app: Flask) -> Iterator[Paper]:
    """SQLite only: for checks whose storage is already covered by the `paper` tests."""
    yield from _paper(app)


def utc(at: datetime) -> datetime:
    return at.astimezone(timezone.utc)
