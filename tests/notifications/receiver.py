"""A webhook receiver for the tests: an HTTP server on 127.0.0.1, in a thread, that checks the
signature of every request as an integration would (docs/webhooks.md)."""

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from merchants.webhooks import SIGNATURE_HEADER, webhook_signature_verify


class WebhookReceiver:
    """Answer 200 to every request whose signature is good (400 otherwise), or 500 to the first
    request of each event when ``fail_first`` is set, or 500 always when ``failing``.

    ``secret`` is set once the endpoint is registered; ``clock`` is the clock the sender signs
    with (a worker process runs on the real clock, the test's own relay on the frozen one).
    """

    def __init__(self, *, fail_first: bool = False, clock: Callable[[], float] = time.time):
        self.secret = ""
        self.fail_first = fail_first
        self.failing = False
        self.clock = clock
        # Called with the request's number (from 0) before it is answered, when set.
        self.on_request: Callable[[int], None] | None = None
        self.lock = threading.Lock()
        self.requests: list[dict] = []
        self.accepted: Counter = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/odr/hook?source=test"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                verified = webhook_signature_verify(
                    receiver.secret,
                    self.headers.get(SIGNATURE_HEADER, ""),
                    body,
                    now=receiver.clock(),
                )
                payload = json.loads(body) if verified else {}
                if receiver.on_request is not None:
                    receiver.on_request(len(receiver.requests))
                with receiver.lock:
                    seen = [r for r in receiver.requests if r["id"] == payload.get("id")]
                    receiver.requests.append(
                        {
                            "id": payload.get("id"),
                            "type": payload.get("type"),
                            "path": self.path,
                            "event_header": self.headers.get("X-ODR-Event"),
                            "verified": verified,
                        }
                    )
                    if not verified:
                        status = 400
                    elif receiver.failing or (receiver.fail_first and not seen):
                        status = 500
                    else:
                        status = 200
                        receiver.accepted[payload["id"]] += 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        return Handler

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
