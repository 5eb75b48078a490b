"""HTTP behaviour every client sees: the JSON error envelope, HTML pages for browsers, health, 413."""
from __future__ import annotations

import socket

import pytest
from flask import Flask
from flask_restx import Namespace, Resource

from tests.support.net import free_port


def test_unknown_api_path_gets_json_404(client):
    response = client.post("/api/v1/nonexistent", json={"apikey": "x"})
    assert response.status_code == 404
    assert response.get_json() == {"status": "error", "message": "Not found", "path": "/api/v1/nonexistent"}


def test_two_megabyte_body_gets_json_413(client):
    response = client.post("/api/v1/placeorder", data=b"{" + b" " * 2_000_000 + b"}",
                           content_type="application/json")
    assert response.status_code == 413
    body = response.get_json()
    assert body["status"] == "error" and "1048576 bytes" in body["message"]


def test_browser_gets_html_error_page_not_json(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html" and b"404" in response.data


def test_wrong_method_on_api_route_gets_json_405(client):
    response = client.delete("/api/v1/swagger.json")
    assert response.status_code == 405
    body = response.get_json()
    assert body["status"] == "error" and "GET" in body["message"]
    assert "GET" in response.headers["Allow"]


@pytest.fixture
def app_with_failing_routes(make_app) -> Flask:
    """An app with extra endpoints that fail, to see what a client gets when code breaks."""
    app = make_app()
    api = app.extensions["openalgo.api"]
    ns = Namespace("testing")

    @ns.route("/explode")
    class Explode(Resource):
        def post(self):
            raise RuntimeError("secret internals: token=abcdef0123456789abcdef0123456789")

    @ns.route("/echo")
    class Echo(Resource):
        def post(self):
            return {"status": "success", "data": ns.payload}

    api.add_namespace(ns, path="/testing")

    @app.post("/api/v1/plain-explode")
    def plain_explode():
        raise ValueError("boom")

    return app


def test_crash_in_api_endpoint_gives_json_500_without_traceback(app_with_failing_routes: Flask, caplog):
    client = app_with_failing_routes.test_client()
    for path in ("/api/v1/testing/explode", "/api/v1/plain-explode"):
        response = client.post(path, json={})
        assert response.status_code == 500
        assert response.get_json() == {"status": "error", "message": "Internal server error"}
        assert b"Traceback" not in response.data and b"internals" not in response.data


def test_non_json_body_gets_json_400(app_with_failing_routes: Flask):
    response = app_with_failing_routes.test_client().post("/api/v1/testing/echo", data="not json",
                                                          content_type="application/json")
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == "error" and body["message"]


def test_swagger_ui_and_spec_are_served_locally(client):
    ui = client.get("/api/docs")
    assert ui.status_code == 200 and b"swagger" in ui.data.lower()
    assert b"https://" not in ui.data  # every asset local: the UI works with no internet
    spec = client.get("/api/v1/swagger.json")
    assert spec.status_code == 200 and spec.get_json()["basePath"] == "/api/v1"


def test_health_reports_each_component(db_app: Flask):
    response = db_app.test_client().get("/health")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "up"
    assert body["database"]["backend"] in ("sqlite", "postgresql")
    assert body["websocket_proxy"]["status"] == "disabled"     # this app runs without a proxy
    assert body["scheduler"] == {"status": "elsewhere"}         # a test app does not run the scheduler
    assert "paper" in body["brokers"]["loaded"] and body["brokers"]["unavailable"] == []


def test_health_is_503_until_the_proxy_accepts_connections(make_app):
    port = free_port()
    app = make_app(WEBSOCKET_PROXY_ENABLED="true", WEBSOCKET_PORT=str(port))
    starting = app.test_client().get("/health")
    assert starting.status_code == 503
    assert starting.get_json()["status"] == "starting" and starting.get_json()["websocket_proxy"]["status"] == "down"
    listener = socket.create_server(("127.0.0.1", port))
    try:
        body = app.test_client().get("/health")
        assert body.status_code == 200
        assert body.get_json()["websocket_proxy"]["status"] == "up" and body.get_json()["status"] == "ok"
    finally:
        listener.close()


def test_health_names_a_broker_plugin_that_failed_to_load_without_saying_why(make_app):
    app = make_app(BROKER_PLUGIN_PACKAGES=("broker", "tests.broker.sample_plugins"), VALID_BROKERS="broken_import")
    response = app.test_client().get("/health")
    assert response.status_code == 200    # REST still serves the brokers that loaded
    body = response.get_json()
    assert body["status"] == "degraded" and body["brokers"]["unavailable"] == ["broken_import"]
    assert "paper" in body["brokers"]["loaded"]
    assert "ModuleNotFoundError" not in response.get_data(as_text=True)   # the reason stays in the log
