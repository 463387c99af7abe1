"""Length-prefixed JSON frames: the host's on file descriptor 3, ours on 4 (see src/worker/protocol.ts,
which also says why two one-way channels).

A frame is a 4-byte unsigned big-endian body length followed by one UTF-8 JSON object.
"""
from __future__ import annotations

import json
import os
import select
import struct
import sys
import threading
from typing import Any, Callable, Dict, Optional

#: The host's frames are read from this file descriptor (REQUEST_FD in protocol.ts).
REQUEST_FD = 3
#: Replies are written to this one (REPLY_FD in protocol.ts).
REPLY_FD = 4

_LENGTH = struct.Struct(">I")
# Large enough that a typical run message (a list of paths) arrives in one read() system call.
_READ_BUFFER_BYTES = 1 << 16
_encode_json = json.JSONEncoder(separators=(",", ":")).encode
_decode_json = json.JSONDecoder().decode


class ProtocolError(Exception):
    """The byte stream from the host is not a sequence of whole frames of JSON objects."""


class Channel:
    """The worker's ends of the protocol channels.

    The main thread reads and writes frames itself: no thread hand-off per message. The host's
    death while the main thread is busy in user code is caught by a watcher thread that sleeps in
    poll() until the socket hangs up (Linux POLLRDHUP; elsewhere the worker notices at its next read).
    `on_host_gone` must not return (it calls os._exit).
    """

    def __init__(self, request_fd: int, reply_fd: int, on_host_gone: Callable[[], None]) -> None:
        self._fd = request_fd
        self._reply_fd = reply_fd
        # The channels must not leak into the user's subprocesses: a grandchild holding them open would
        # hide this worker's death from the host.
        os.set_inheritable(request_fd, False)
        os.set_inheritable(reply_fd, False)
        self._reader = open(request_fd, "rb", buffering=_READ_BUFFER_BYTES, closefd=False)
        self._on_host_gone = on_host_gone
        self._state_lock = threading.Lock()
        self._busy = False
        self._hung_up = False
        if hasattr(select, "POLLRDHUP") and hasattr(select, "poll"):
            threading.Thread(target=self._watch_hang_up, name="parajob-hang-up-watcher", daemon=True).start()

    def receive(self) -> Dict[str, Any]:
        """Blocks until the next host message (a decoded JSON object); ends the worker at end of file.

        Raises ProtocolError for a torn frame or a body that is not a JSON object.
        """
        header = self._reader.read(4)
        if len(header) < 4:
            if header:
                raise ProtocolError("end of stream inside a frame header")
            self._on_host_gone()
        (length,) = _LENGTH.unpack(header)
        body = self._reader.read(length)
        if len(body) < length:
            raise ProtocolError(f"end of stream inside a {length}-byte frame")
        try:
            message = _decode_json(body.decode("utf-8"))
        except ValueError as error:
            raise ProtocolError(f"a frame body is not UTF-8 JSON: {error}") from error
        if not isinstance(message, dict):
            raise ProtocolError(f"a frame body is a JSON {type(message).__name__}, expected an object")
        return message

    def send(self, message: Dict[str, Any]) -> None:
        """Writes one message as one frame, before returning (the host tells which run a dead worker
        was in by which results arrived); a vanished host ends the worker."""
        body = _encode_json(message).encode("utf-8")
        frame = memoryview(_LENGTH.pack(len(body)) + body)
        try:
            while frame:
                written = os.write(self._reply_fd, frame)
                frame = frame[written:]
        except (BrokenPipeError, ConnectionResetError):
            self._on_host_gone()

    def begin_busy(self) -> None:
        """Marks the start of user code that may run long: a hang-up from now on ends the worker."""
        with self._state_lock:
            if self._hung_up:
                # The host is gone; nobody would read what this work produces.
                self._on_host_gone()
            self._busy = True

    def end_busy(self) -> None:
        """Marks the end of that user code: a hang-up is now left to the next receive()."""
        with self._state_lock:
            self._busy = False

    def _watch_hang_up(self) -> None:
        poller = select.poll()
        # No POLLIN in the mask: incoming frames must not wake this thread, only a hang-up.
        poller.register(self._fd, select.POLLRDHUP)
        while True:
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            except OSError as error:
                print(f"parajob worker: cannot watch the request channel: {error!r}", file=sys.stderr, flush=True)
                return
            if any(mask & select.POLLNVAL for _, mask in events):
                return
            break
        with self._state_lock:
            self._hung_up = True
            if self._busy:
                self._on_host_gone()
        # Idle: frames the host sent before hanging up (a shutdown) are still to be read and answered,
        # and receive() ends the worker at their end.
