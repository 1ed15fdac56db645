"""Link errors. All are QlrError, so the CLI prints them as one line."""

from __future__ import annotations

from qlr.errors import QlrError


class LinkError(QlrError):
    """Something went wrong on the link (opening it, talking over it)."""


class LinkClosed(LinkError):
    """The other end closed the channel (process exited, socket disconnected)."""


class LinkTimeout(LinkError):
    """No matching response within the timeout, after all retries."""


class LinkProtocolError(LinkError):
    """The device answered, but not as the protocol says (short payload, wrong echo)."""


class LinkDeviceError(LinkError):
    """The device answered a request with an error status."""

    def __init__(self, command: str, status: int, status_name: str, message: str) -> None:
        self.command = command
        self.status = status
        self.status_name = status_name
        self.device_message = message
        detail = f": {message}" if message else ""
        super().__init__(f"device refused {command} with {status_name} ({status}){detail}")


class LinkReset(LinkError):
    """The device rebooted (its boot identifier in INFO changed) while the host was talking to it:
    whatever state it held is gone."""

    def __init__(self, message: str, before: int, after: int) -> None:
        self.before = before
        self.after = after
        super().__init__(message)
