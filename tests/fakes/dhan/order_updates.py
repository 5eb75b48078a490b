"""A fake Dhan live order-update stream (wss://api-order-update.dhan.co in production).

DhanHQ v2 "Live Order Update": the client connects and sends `{"LoginReq": {"MsgCode": 42, "ClientId":
..., "Token": ...}, "UserType": "SELF"}`; a wrong client id or token closes the socket (code 4001).
After that every change of one of the user's orders arrives as JSON `{"Type": "order_alert", "Data":
{...}}` with the fields of tests/fixtures/dhan/order_update.json. `publish(order)` (called by the
REST fake for every order it places, modifies, fills or cancels) turns a REST order-book row into
that message. Can be killed and restarted on the same port.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.server import ServerConnection

from tests.fakes.dhan.fixtures import dhan_json
from tests.fakes.dhan.server import ACCESS_TOKEN, CLIENT_ID
from tests.support.net import free_port
from tests.fakes.dhan.sockets import DhanSocketServer

LOGIN_MSG_CODE = 42
_PRODUCT_LETTERS = {"CNC": "C", "INTRADAY": "I", "MARGIN": "M", "MTF": "F", "CO": "V", "BO": "B"}
_ORDER_TYPES = {"LIMIT": "LMT", "MARKET": "MKT", "STOP_LOSS": "SL", "STOP_LOSS_MARKET": "SLM"}
_SEGMENTS = {"NSE_EQ": ("NSE", "E"), "BSE_EQ": ("BSE", "E"), "NSE_FNO": ("NSE", "D"), "BSE_FNO": ("BSE", "D"),
             "MCX_COMM": ("MCX", "M"), "NSE_CURRENCY": ("NSE", "C"), "BSE_CURRENCY": ("BSE", "C")}


def order_alert(order: dict[str, Any]) -> dict[str, Any]:
    """A REST order-book row → the order-update message Dhan pushes for it."""
    data = dhan_json("order_update.json")["Data"]
    exchange, segment = _SEGMENTS.get(order["exchangeSegment"], ("NSE", "E"))
    data.update(Exchange=exchange, Segment=segment, SecurityId=order["securityId"], ClientId=order["dhanClientId"],
                ExchOrderNo=order["exchangeOrderId"], OrderNo=order["orderId"],
                Product=_PRODUCT_LETTERS.get(order["productType"], "I"), ProductName=order["productType"],
                TxnType=order["transactionType"][0], OrderType=_ORDER_TYPES[order["orderType"]],
                Validity=order["validity"], Quantity=order["quantity"], TradedQty=order["filledQty"],
                RemainingQuantity=order["remainingQuantity"], Price=order["price"], TriggerPrice=order["triggerPrice"],
                TradedPrice=order["averageTradedPrice"], AvgTradedPrice=order["averageTradedPrice"],
                OrderDateTime=order["createTime"], LastUpdatedTime=order["updateTime"],
                ExchOrderTime=order["exchangeTime"] or order["createTime"], Symbol=order["tradingSymbol"],
                DisplayName=order["tradingSymbol"], Status=order["orderStatus"],
                ReasonDescription=order["omsErrorDescription"] or order["orderStatus"],
                CorrelationId=order["correlationId"])
    return {"Type": "order_alert", "Data": data}


class OrderUpdateServer(DhanSocketServer):
    def __init__(self, client_id: str = CLIENT_ID, access_token: str = ACCESS_TOKEN, port: int | None = None):
        self.client_id, self.access_token = client_id, access_token
        self.logins: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self._authorised: set[ServerConnection] = set()
        super().__init__(port or free_port(), 0.05)

    async def _handle(self, conn: ServerConnection) -> None:
        self.accepted += 1
        self._live.add(conn)
        try:
            login = json.loads(await asyncio.wait_for(conn.recv(), 10))
            self.logins.append(login)
            request = login.get("LoginReq") or {}
            if (str(request.get("MsgCode")) != str(LOGIN_MSG_CODE) or request.get("ClientId") != self.client_id
                    or request.get("Token") != self.access_token or login.get("UserType") != "SELF"):
                await conn.close(4001, "authorisation failed")
                return
            self._authorised.add(conn)
            async for _ in conn:
                pass
        except Exception:
            pass
        finally:
            self._authorised.discard(conn)
            self._live.discard(conn)

    @property
    def listeners(self) -> int:
        return len(self._authorised)

    def publish(self, order: dict[str, Any]) -> None:
        """Push one order's new state to every authorised connection (from any thread)."""
        message = order_alert(order)
        self.sent.append(message)

        async def go() -> None:
            for conn in list(self._authorised):
                try:
                    await conn.send(json.dumps(message))
                except Exception:
                    pass
        asyncio.run_coroutine_threadsafe(go(), self._loop)
