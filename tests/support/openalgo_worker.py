"""Runs one `openalgo.api` client in the interpreter of a client version's venv, driven over stdin/stdout.

Started by tests/support/openalgo_clients.py with that venv's Python (never imports the project). One
JSON request per line: {"call": "placeorder", "kwargs": {...}} → {"result": ...} or {"error": "..."}.
Keyword values equal to "__callback__" become callbacks that record what they are given; the
"__events__" call returns and clears those records, so feed callbacks (on_order_update, on_data_received)
can be checked from the test. DataFrames come back as {"__dataframe__": <split orient>}.
"""
from __future__ import annotations

import json
import sys
import threading
import traceback

CALLBACK = "__callback__"


def _plain(value):  # noqa: ANN001, ANN202
    if hasattr(value, "to_dict") and hasattr(value, "columns"):   # a pandas DataFrame
        index = value.index
        tz = str(getattr(index, "tz", "") or "")
        return {"__dataframe__": json.loads(value.to_json(orient="split", date_format="iso", date_unit="s")),
                "index_name": index.name, "index_tz": tz}
    return value


def main() -> int:
    import openalgo

    client = None
    events: list[list] = []
    lock = threading.Lock()

    def recorder(name: str):  # noqa: ANN202
        def record(*args):  # noqa: ANN002, ANN202
            with lock:
                events.append([name, *args])
        return record

    print(json.dumps({"ready": getattr(openalgo, "__version__", "")}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        call, kwargs = request["call"], request.get("kwargs", {})
        kwargs = {key: recorder(key) if value == CALLBACK else value for key, value in kwargs.items()}
        try:
            if call == "__init__":
                client = openalgo.api(**kwargs)
                result = None
            elif call == "__events__":
                with lock:
                    result, events[:] = list(events), []
            else:
                result = _plain(getattr(client, call)(*request.get("args", []), **kwargs))
            reply = {"result": result}
        except Exception as exc:  # the test sees the client's own exception text
            reply = {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
        print(json.dumps(reply, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
