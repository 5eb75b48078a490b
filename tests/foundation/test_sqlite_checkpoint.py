"""SQLite WAL checkpoints run in the background, never inside a request's commit."""
from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from database import db


def test_commits_never_checkpoint_and_the_background_thread_does(make_app, tmp_path: Path):
    app = make_app()
    database_file = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with app.app_context():
        assert db.session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
        db.session.execute(text("CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)"))
        db.session.commit()
        time.sleep(0.6)   # the table itself reaches the database file
        before = database_file.stat().st_size
        for n in range(40):   # ~40 pages: far below the 1,000 pages of SQLite's own on-commit checkpoint
            db.session.execute(text("INSERT INTO filler (body) VALUES (:body)"), {"body": "x" * 3000})
            db.session.commit()
    # the background thread may copy part of the rows while the inserts still run (seen on a loaded CI
    # machine): wait until all of them reached the database file
    deadline = time.monotonic() + 10
    while database_file.stat().st_size <= before + 40 * 3000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert database_file.stat().st_size > before + 40 * 3000, "the WAL was not copied into the database file"
