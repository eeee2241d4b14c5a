"""ServerSideProxy: Cloud SQL's server-side proxy, on 127.0.0.1:3307, in front of the real Postgres.

It accepts TLS with the context it is given (LocalCloudSql's: a client certificate signed by the
instance's CA is required) and relays bytes unchanged to Postgres at 127.0.0.1:5432, in one
thread per connection. Reading Postgres's side message by message, it notes each connection's
backend pid (BackendKeyData) and, on request (:meth:`ServerSideProxy.coalesce`), holds one reply
until the next NotificationResponse and writes both at once: one TLS record, the case a plain TCP
socket never shows (bytes read and decrypted before anyone asked, which ``select`` cannot see).
pg8000's SSLRequest (it sends one even on the connector's TLS socket) passes through too; the
local Postgres answers it ``N`` (ssl off) and pg8000 carries on inside the connector's TLS.
"""

from __future__ import annotations

import errno
import fcntl
import select
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROXY_PORT = 3307  # google.cloud.sql.connector.connector.SERVER_PROXY_PORT, not configurable
PORT_LOCK = Path(tempfile.gettempdir()) / "bridge-cloudsql-3307.lock"
_SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")


class PortTaken(Exception):
    """Another program listens on 127.0.0.1:3307."""


@dataclass
class Coalesce:
    """One reply held back until the next notification, then both sent in one TLS write."""

    pid: int
    held: bytearray = field(default_factory=bytearray)
    reply_held: threading.Event = field(default_factory=threading.Event)
    sent: threading.Event = field(default_factory=threading.Event)
    reply_bytes: int = 0  # how much of the record was the reply (the notification follows)
    record: bytes = b""


class ServerSideProxy:
    """Listens on 127.0.0.1:3307 until :meth:`close` (raises :class:`PortTaken` if it cannot)."""

    def __init__(self, tls: ssl.SSLContext, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self._tls, self.upstream = tls, upstream
        self._lock = threading.Lock()
        self.handshakes = 0  # TLS handshakes that presented a valid client certificate
        self._links: list[_Link] = []
        self._coalesce: dict[int, Coalesce] = {}
        self._listener = _bind_proxy_port()
        self._closed = threading.Event()
        self._accepting = threading.Thread(target=self._accept, name="cloudsql-proxy", daemon=True)
        self._accepting.start()

    def close(self) -> None:
        self._closed.set()
        self._accepting.join()
        self._listener.close()
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()

    def coalesce(self, pid: int) -> Coalesce:
        """Hold backend ``pid``'s next reply (through ReadyForQuery) until a notification follows it."""
        hold = Coalesce(pid)
        with self._lock:
            self._coalesce[pid] = hold
        return hold

    def connections(self) -> list[int]:
        """Backend pids of the connections open through the proxy."""
        with self._lock:
            return [link.pid for link in self._links if link.pid is not None and not link.closed]

    def _accept(self) -> None:
        while not self._closed.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if ready:
                raw, _ = self._listener.accept()
                threading.Thread(target=self._serve, args=(raw,), name="cloudsql-link", daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            client = self._tls.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()  # no valid client certificate: refused as the instance refuses it
            return
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):  # as a proxy must: no Nagle delay on relayed small writes
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = _Link(self, client, upstream)
        with self._lock:
            self.handshakes += 1
            self._links.append(link)
        try:
            link.pump()
        except OSError:
            pass  # either side went away (a killed backend resets the upstream socket)
        finally:
            link.close()
            with self._lock:
                self._links.remove(link)

    def _hold_for(self, pid: int | None) -> Coalesce | None:
        with self._lock:
            return self._coalesce.get(pid) if pid is not None else None

    def _release(self, hold: Coalesce) -> None:
        with self._lock:
            if self._coalesce.get(hold.pid) is hold:
                del self._coalesce[hold.pid]


class _Link:
    """One client connection through the proxy: TLS on one side, plain TCP to Postgres on the other."""

    def __init__(self, proxy: ServerSideProxy, client: ssl.SSLSocket, upstream: socket.socket) -> None:
        self.proxy, self.client, self.upstream = proxy, client, upstream
        self.pid: int | None = None
        self.closed = False
        self._first = True
        self._answer_byte = False  # the server's one-byte answer to an SSLRequest comes next
        self._buf = bytearray()

    def close(self) -> None:
        self.closed = True
        for sock in (self.client, self.upstream):
            with suppress(OSError):
                sock.close()

    def pump(self) -> None:
        while not self.closed and not self.proxy._closed.is_set():
            if self.client.pending():
                ready: list[Any] = [self.client]
            else:
                ready, _, _ = select.select([self.client, self.upstream], [], [], 0.05)
            if self.client in ready:
                data = self._read_client()
                if data == b"":
                    return
                if data:
                    if self._first and data[:8] == _SSL_REQUEST:
                        self._answer_byte = True
                    self._first = False
                    self.upstream.sendall(data)
            if self.upstream in ready:
                data = self.upstream.recv(65536)
                if not data:
                    return
                for chunk in self._from_server(data):
                    self.client.sendall(chunk)  # one write of < 16 KiB is one TLS record

    def _read_client(self) -> bytes | None:
        self.client.setblocking(False)
        try:
            return self.client.recv(65536)
        except ssl.SSLWantReadError:
            return None  # a partial record, or a TLS message with no data
        finally:
            self.client.setblocking(True)

    def _from_server(self, data: bytes) -> Iterator[bytes]:
        """Split Postgres's bytes into messages and yield what to write, applying any hold."""
        self._buf += data
        out = bytearray()
        while self._buf:
            if self._answer_byte:
                out += self._buf[:1]
                del self._buf[:1]
                self._answer_byte = False
                continue
            if len(self._buf) < 5:
                break
            size = 1 + int.from_bytes(self._buf[1:5], "big")
            if len(self._buf) < size:
                break
            message = bytes(self._buf[:size])
            del self._buf[:size]
            code = message[:1]
            if code == b"K":  # BackendKeyData: the backend's pid
                self.pid = int.from_bytes(message[5:9], "big")
            hold = self.proxy._hold_for(self.pid)
            if hold is None or (code == b"A" and not hold.held):
                out += message
            elif code == b"A" and hold.reply_held.is_set():
                yield bytes(out)
                out = bytearray()
                hold.reply_bytes = len(hold.held)
                hold.record = bytes(hold.held) + message
                self.proxy._release(hold)
                yield hold.record
                hold.sent.set()
            else:
                hold.held += message
                if code == b"Z":
                    hold.reply_held.set()
        if out:
            yield bytes(out)


def _bind_proxy_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", PROXY_PORT))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortTaken(f"127.0.0.1:{PROXY_PORT} is in use by another program") from exc
        raise
    sock.listen(16)
    return sock


@contextmanager
def proxy_port_lock(wait_s: float = 300.0) -> Iterator[bool]:
    """Hold the machine-wide lock of port 3307 (other test processes wait their turn); False after ``wait_s``."""
    with PORT_LOCK.open("a") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
