"""A minimal asyncio HTTP/1.1 client for bench/onsale.py (JSON in, JSON out, one connection per
request, which is what gunicorn's sync workers give anyway: they close after every response).

Why not requests/httpx: on a 2-core machine the driver shares the CPU with the server, the
database and Celery, and a request through this costs the driver a fraction of what a
requests.Session in a thread does, so more of the machine goes to the platform being measured."""

import asyncio
import json


class Response:
    __slots__ = ("body", "status")

    def __init__(self, status: int, body: bytes):
        self.status = status
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else None


def _dechunk(body: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = body.index(b"\r\n", pos)
        size = int(body[pos:end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


async def request(host: str, port: int, method: str, path: str, *, body=None,
                  raw: bytes | None = None, headers: dict | None = None,
                  timeout: float = 120.0) -> Response:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
             f"Content-Length: {len(data)}"]
    if data:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + data

    async def go() -> Response:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(payload)
            raw_response = await reader.read(-1)  # the server closes after the response
        finally:
            writer.close()
        head, _, rest = raw_response.partition(b"\r\n\r\n")
        status_line, *header_lines = head.split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        if any(h.lower().startswith(b"transfer-encoding:") and b"chunked" in h.lower()
               for h in header_lines):
            rest = _dechunk(rest)
        return Response(status, rest)

    return await asyncio.wait_for(go(), timeout)
