"""`flask calendar import/show` and the §10.2/§10.3 response builders."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from services import market_calendar as service
from utils.errors import InvalidInput
from utils.market_calendar import DATA_FILE, MarketCalendar

HEADER = "date,exchange,holiday_type,description,open_windows\n"


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "holidays.csv"
    shutil.copy(DATA_FILE, path)
    return path


@pytest.fixture
def cal_app(make_app, calendar_file: Path) -> Flask:
    return make_app(MARKET_CALENDAR_FILE=str(calendar_file))


def run(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["calendar", *args])


def test_import_adds_rows_and_keeps_the_rest(cal_app: Flask, calendar_file: Path, tmp_path: Path):
    before = calendar_file.read_text()
    source = tmp_path / "muhurat.csv"
    source.write_text(HEADER + "2026-11-08,NSE,SPECIAL_SESSION,Muhurat Trading,18:00-19:00\n"
                               "2027-01-26,nse,trading_holiday,Republic Day,\n")
    result = run(cal_app, "import", "--file", str(source))
    assert result.exit_code == 0, result.output
    assert "1 added, 1 replaced" in result.output
    after = calendar_file.read_text()
    assert after.startswith("# Exchange holidays")                    # comment header kept
    assert "2027-01-26,NSE,TRADING_HOLIDAY,Republic Day," in after
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    windows = MarketCalendar(calendar_file).sessions("NSE", date(2026, 11, 8))
    assert [(s.hour, s.minute, e.hour, e.minute) for s, e in windows] == [(18, 0, 19, 0)]


@pytest.mark.parametrize("body, fragment", [
    ("2026-13-01,NSE,TRADING_HOLIDAY,X,\n", "line 2: field 'date': '2026-13-01'"),
    ("2026-05-01,NASDAQ,TRADING_HOLIDAY,X,\n", "line 2: field 'exchange': 'NASDAQ'"),
    ("2026-05-01,NSE,HOLIDAY,X,\n", "line 2: field 'holiday_type': 'HOLIDAY'"),
    ("2026-05-01,NSE,TRADING_HOLIDAY,,\n", "line 2: field 'description'"),
    ("2026-05-01,MCX,TRADING_HOLIDAY,X,25:00-26:00\n", "line 2: field 'open_windows'"),
    ("2026-05-01,MCX,TRADING_HOLIDAY,X,19:00-17:00\n", "ends before it starts"),
    ("2026-05-01,NSE,SETTLEMENT_HOLIDAY,X,09:15-15:30\n", "must be empty for a SETTLEMENT_HOLIDAY"),
    ("2026-05-01,NSE,TRADING_HOLIDAY,X\n", "line 2: has 4 fields"),
    ("2026-05-01,NSE,TRADING_HOLIDAY,X,\n2026-05-01,NSE,TRADING_HOLIDAY,Y,\n", "line 3: 2026-05-01 NSE is already given on line 2"),
])
def test_bad_file_is_rejected_naming_line_and_field_and_nothing_changes(
        cal_app: Flask, calendar_file: Path, tmp_path: Path, body: str, fragment: str):
    before = calendar_file.read_bytes()
    source = tmp_path / "bad.csv"
    source.write_text(HEADER + "2026-06-01,NSE,TRADING_HOLIDAY,Fine row,\n" + body
                      if "already given" not in fragment else HEADER + body)
    result = run(cal_app, "import", "--file", str(source))
    assert result.exit_code != 0
    expected = fragment if "already given" in fragment else fragment.replace("line 2", "line 3")
    assert expected in result.output, result.output
    assert "nothing was changed" in result.output
    assert calendar_file.read_bytes() == before
    assert not list(calendar_file.parent.glob(".calendar-*"))


def test_wrong_header_is_rejected(cal_app: Flask, tmp_path: Path):
    source = tmp_path / "bad.csv"
    source.write_text("day,exchange\n2026-01-01,NSE\n")
    result = run(cal_app, "import", "--file", str(source))
    assert result.exit_code != 0 and "expected: date,exchange,holiday_type,description,open_windows" in result.output


def test_show_lists_a_year(cal_app: Flask):
    result = run(cal_app, "show", "--year", "2026")
    assert result.exit_code == 0
    assert "2026-03-03  TRADING_HOLIDAY     Holi" in result.output
    assert "open:   MCX  17:00-23:55" in result.output
    empty = run(cal_app, "show", "--year", "2027")
    assert "No holidays or special sessions stored for 2027" in empty.output
    assert run(cal_app, "show", "--year", "1999").exit_code != 0


def test_holidays_response_shape(cal_app: Flask):
    body = service.holidays_response(cal_app, 2026)
    assert body["status"] == "success" and body["year"] == 2026 and body["timezone"] == "Asia/Kolkata"
    assert body["data"][0]["date"].startswith("2026-")
    assert service.holidays_response(cal_app, "2026")["year"] == 2026
    assert service.holidays_response(cal_app)["year"] >= 2026


@pytest.mark.parametrize("value", [2019, 2051, "abc", 2026.5, True, "20.26"])
def test_holidays_bad_year(cal_app: Flask, value):
    with pytest.raises(InvalidInput) as info:
        service.holidays_response(cal_app, value)
    assert info.value.field == "year" and isinstance(info.value, InvalidInput)


def test_timings_response_and_errors(cal_app: Flask):
    body = service.timings_response(cal_app, "2025-12-30")
    assert body["status"] == "success" and body["data"][0]["exchange"] == "NSE"
    for bad in ("30-12-2025", "2025-02-30", "", None, 20251230, "2025-1-5"):
        with pytest.raises(InvalidInput, match="Invalid date format. Use YYYY-MM-DD"):
            service.timings_response(cal_app, bad)
    with pytest.raises(InvalidInput, match="between 2020-01-01 and 2050-12-31"):
        service.timings_response(cal_app, "2019-12-31")


def test_spreadsheet_csv_with_bom_and_crlf_is_accepted(cal_app: Flask, calendar_file: Path, tmp_path: Path):
    source = tmp_path / "excel.csv"
    text = "\ufeff" + HEADER + "2027-03-22,MCX,TRADING_HOLIDAY,Holi,17:00-close\n"
    source.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    result = run(cal_app, "import", "--file", str(source))
    assert result.exit_code == 0, result.output
    assert "2027-03-22,MCX,TRADING_HOLIDAY,Holi,17:00-close" in calendar_file.read_text()


def test_import_refuses_to_overwrite_an_invalid_stored_file(cal_app: Flask, calendar_file: Path, tmp_path: Path):
    calendar_file.write_text(HEADER + "not-a-date,NSE,TRADING_HOLIDAY,X,\n")
    source = tmp_path / "ok.csv"
    source.write_text(HEADER + "2027-01-26,NSE,TRADING_HOLIDAY,Republic Day,\n")
    result = run(cal_app, "import", "--file", str(source))
    assert result.exit_code != 0 and "stored calendar" in result.output and "line 2" in result.output
    assert "not-a-date" in calendar_file.read_text()
