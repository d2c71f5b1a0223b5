"""One shell per user and data folder: a second launch hands its arguments to the first and exits.

The first shell listens on a QLocalServer (a Unix socket / Windows named pipe). A later launch
connects, sends its request as one JSON line (`{"open": [absolute paths], "theme": ..., ...}`), waits
for the first shell's `{"ok": true}` reply and exits 0; the first shell raises its window and acts on
the request (`SingleInstance.request_received`). A later launch whose stdin is a pipe also relays its
A2UI lines to the first shell (`relay_lines`), printing each line's VALIDATION_FAILED reply to stderr,
so agents need not know whether a shell was already running.

Start-up is serialised by a QLockFile, so two shells launched at once cannot both become the first;
a stale socket left by a crashed shell is removed before listening.
"""
from __future__ import annotations

import getpass
import hashlib
import json
from typing import Callable, Iterable

from PySide6.QtCore import QDir, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from shell import APP_NAME

CONNECT_MS = 3000
REPLY_MS = 15000


def server_name(key: str) -> str:
    """A socket name unique to this user and `key` (the journal folder): short, no path characters."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no passwd entry
        user = "user"
    digest = hashlib.sha1(f"{user}\0{key}".encode()).hexdigest()[:16]
    return f"{APP_NAME}-{digest}"


def _read_line(sock: QLocalSocket, timeout_ms: int) -> bytes | None:
    while not sock.canReadLine():
        if sock.state() != QLocalSocket.ConnectedState and not sock.bytesAvailable():
            return None
        if not sock.waitForReadyRead(timeout_ms):
            return None
    return bytes(sock.readLine())


class Client:
    """A connection to a running shell (blocking; used before any event loop runs)."""

    def __init__(self, sock: QLocalSocket):
        self.sock = sock

    def call(self, request: dict) -> dict | None:
        """Send one request line, wait for its reply line. None when the shell went away."""
        self.sock.write(json.dumps(request, ensure_ascii=False).encode("utf-8") + b"\n")
        if not self.sock.waitForBytesWritten(REPLY_MS):
            return None
        line = _read_line(self.sock, REPLY_MS)
        try:
            return json.loads(line) if line else None
        except ValueError:
            return None

    def close(self) -> None:
        self.sock.disconnectFromServer()
        if self.sock.state() != QLocalSocket.UnconnectedState:
            self.sock.waitForDisconnected(500)


def connect(name: str, timeout_ms: int = CONNECT_MS) -> Client | None:
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return None
    return Client(sock)


def relay_lines(client: Client, lines: Iterable[str], errors: Callable[[str], None]) -> int:
    """Forward A2UI lines to the running shell; report its rejections. Returns how many were rejected."""
    rejected = 0
    for line in lines:
        if not line.strip():
            continue
        reply = client.call({"a2ui": line})
        if reply is None:
            errors(json.dumps({"error": {"code": "SHELL_GONE", "message": "the running shell closed the connection"}}))
            return rejected + 1
        if reply.get("error"):
            rejected += 1
            errors(json.dumps(reply["error"], ensure_ascii=False))
    return rejected


class SingleInstance(QObject):
    """The first shell's listening end. `request_received(dict, reply)` is emitted for each request;
    call `reply(dict)` with the answer (the connection gets `{"ok": true}` if the slot does not)."""

    request_received = Signal(dict, object)

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.UserAccessOption)
        self.server.newConnection.connect(self._on_connection)
        self._lock = QLockFile(QDir.temp().filePath(f"{name}.lock"))
        self._lock.setStaleLockTime(0)

    def claim(self, request: dict) -> Client | bool:
        """Become the first shell (True), or hand `request` to the running one and return its
        Client (still connected, for `relay_lines`). False when neither works (see `error`)."""
        self.error = ""
        if not self._lock.tryLock(3000):
            self.error = f"another neuralos is starting up (lock {self._lock.fileName()})"
            return False
        try:
            client = connect(self.name)
            if client is not None:
                reply = client.call(request)
                if reply is not None and reply.get("ok"):
                    return client
                client.close()
                # Someone is listening: never take its name over (that would make two first shells).
                self.error = f"the running neuralos ({self.name}) accepted the request but did not answer"
                return False
            if self.server.listen(self.name):
                return True
            # Nobody answered, yet the name is taken: a socket left behind by a crashed shell.
            QLocalServer.removeServer(self.name)
            if self.server.listen(self.name):
                return True
            self.error = f"cannot listen on {self.name!r}: {self.server.errorString()}"
            return False
        finally:
            self._lock.unlock()

    def close(self) -> None:
        self.server.close()

    # -- serving ----------------------------------------------------------------------------------
    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            sock.readyRead.connect(lambda s=sock: self._on_ready(s))
            sock.disconnected.connect(sock.deleteLater)
            if sock.bytesAvailable():
                self._on_ready(sock)

    def _on_ready(self, sock: QLocalSocket) -> None:
        while sock.canReadLine():
            line = bytes(sock.readLine())
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ValueError("a request is a JSON object")
            except ValueError as e:
                self._send(sock, {"error": {"code": "BAD_REQUEST", "message": str(e)}})
                continue
            answered = []
            self.request_received.emit(request, lambda reply: answered.append(reply))
            self._send(sock, answered[0] if answered else {"ok": True})

    @staticmethod
    def _send(sock: QLocalSocket, reply: dict) -> None:
        sock.write(json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n")
        sock.flush()
