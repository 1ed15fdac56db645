"""The host side of the host-device link: frames with CRC-32 and sequence numbers,
request/response with timeouts, retries and resynchronisation, over a pyserial URL (UART,
`socket://` to QEMU), `exec:` pipes (host board) or `semihost:` files (GVSoC).

    from qlr.link import Link
    with Link.open("socket://127.0.0.1:4321") as link:
        print(link.info())
        link.mem_write("L2", 0, b"hello")
        assert link.mem_read("L2", 0, 5) == b"hello"

The wire format is in docs/link-protocol.md; firmware/link/ is the C twin.
"""

from qlr.link.errors import LinkClosed, LinkDeviceError, LinkError, LinkProtocolError, LinkReset, LinkTimeout
from qlr.link.frame import MAX_PAYLOAD, Command, Decoder, Frame, Status, encode_frame
from qlr.link.link import Link, MemLevel, open_device_link, parse_level
from qlr.link.transport import ExecTransport, SemihostTransport, SerialTransport, Transport, open_transport

__all__ = [
    "Command", "Decoder", "ExecTransport", "Frame", "Link", "LinkClosed", "LinkDeviceError",
    "LinkError", "LinkProtocolError", "LinkReset", "LinkTimeout", "MAX_PAYLOAD", "MemLevel", "SemihostTransport",
    "SerialTransport", "Status", "Transport", "encode_frame", "open_device_link", "open_transport", "parse_level",
]
