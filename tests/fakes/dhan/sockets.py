"""The two Dhan WebSocket fakes share this: the generic fake feed's event-loop machinery, served on
127.0.0.1 with each fake's own connection handler."""
from __future__ import annotations

from websockets.asyncio.server import serve

from tests.websocket_proxy.fake_broker import FakeBrokerServer


class DhanSocketServer(FakeBrokerServer):
    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        async def go() -> None:
            self._server = await serve(self._handle, "127.0.0.1", self.port)
        self._call(go())
