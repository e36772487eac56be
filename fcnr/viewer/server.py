"""The viewer's HTTP server: the page in ``static/`` and the JSON API of ``fcnr.viewer.api``.

Standard-library ``ThreadingHTTPServer`` (one thread per connection, HTTP/1.1 keep-alive). It
serves a fixed list of static files and the API, nothing else: no path from a request is ever
joined to a folder. Python's docs call ``http.server`` unfit for production; it binds to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fcnr.viewer import api
from fcnr.viewer.decoding import ImageSource, NoGroundTruth
from fcnr.viewer.run import Run
from render.basics.errors import FCNRError

STATIC = Path(__file__).with_name("static")
# URL path -> (file in static/, content type)
PAGES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/viewer.js": ("viewer.js", "text/javascript; charset=utf-8"),
    "/static/viewer.css": ("viewer.css", "text/css; charset=utf-8"),
}


class ViewerServer(ThreadingHTTPServer):
    """Serves one run; ``source`` decodes its images."""

    daemon_threads = True

    def __init__(self, run: Run, source: ImageSource, host: str = "127.0.0.1", port: int = 8765, quiet: bool = False):
        self.run, self.source, self.quiet = run, source, quiet
        super().__init__((host, port), Handler)

    @property
    def url(self) -> str:
        """Returns the page's address."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def server_close(self) -> None:
        super().server_close()
        self.source.close()


class Handler(BaseHTTPRequestHandler):
    """Answers GET requests for the page, ``/api/meta`` and ``/api/image``."""

    server: ViewerServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm and delayed ACKs each
    # keep-alive response would wait about 40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        try:
            if url.path in PAGES:
                name, content_type = PAGES[url.path]
                self._send(HTTPStatus.OK, (STATIC / name).read_bytes(), content_type)
            elif url.path == "/api/meta":
                self._json(HTTPStatus.OK, api.meta(self.server.run))
            elif url.path == "/api/image":
                self._image(url.query)
            else:
                raise api.RequestError(404, None, f"no such page {url.path!r}; the API has /api/meta and /api/image")
        except api.RequestError as exc:
            self._json(exc.status, exc.body())
        except NoGroundTruth as exc:
            self._json(HTTPStatus.NOT_FOUND, {"error": str(exc), "parameter": "source", "status": 404})
        except FCNRError as exc:
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc), "parameter": None, "status": 500})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page dropped a stale request
        except Exception as exc:  # noqa: BLE001 (any other failure still answers, and the server goes on)
            message = f"{type(exc).__name__}: {exc}"
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": message, "parameter": None, "status": 500})

    def do_POST(self) -> None:
        self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "only GET is served", "parameter": None, "status": 405})

    def _image(self, query: str) -> None:
        run, source = self.server.run, self.server.source
        request = api.parse_image_request(query, run)
        produce = {"decoded": source.decoded, "truth": source.truth, "error": source.error_map}[request.source]
        served = produce(request.mode, request.t, request.view)
        if request.source == "decoded":
            source.prefetch_around(request.mode, request.t, request.view)
        self._send(HTTPStatus.OK, served.png, "image/png", api.image_headers(run, request, served))

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")
