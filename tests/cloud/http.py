"""A real HTTP server on loopback serving a WSGI app from a thread (used by every local stand-in)."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server


class LocalHttpServer:
    """Serves ``app`` on ``127.0.0.1`` at a free port until :meth:`close`."""

    def __init__(self, app: Any) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
