"""An example merchant integration of the ODR portal's REST API (docs/api.md), in plain Python.

It lists the complaints the merchant has not acknowledged yet, and for each one acknowledges it,
posts a message to the consumer and offers a refund of the amount claimed. It uses nothing but
the documented API (/api/docs/) and the standard library. ``verify_signature`` is what a
receiver of the portal's webhooks checks each request with, and ``delivery_is_new`` how it drops
a second copy of a delivery (at least once, docs/webhooks.md).

    python docs/api-client-example.py --base-url https://odr.example.cn --token odr_...
    ODR_API_TOKEN=odr_... python docs/api-client-example.py --dry-run

The token is a merchant owner's "read and act" token (merchant portal, "API tokens").
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta

# How far a webhook's signed timestamp may be from this machine's clock (docs/webhooks.md).
WEBHOOK_TOLERANCE_SECONDS = 300


def verify_signature(secret: str, header: str, body: bytes, now: float | None = None) -> bool:
    """Return whether a webhook's X-ODR-Signature ``header`` signs ``body``, the raw request
    body, with the webhook's ``secret`` (docs/webhooks.md). Call it before parsing the JSON."""
    fields = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > WEBHOOK_TOLERANCE_SECONDS:
        return False
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def delivery_is_new(seen: set[str], body: bytes) -> bool:
    """Return whether a verified webhook delivery is one this receiver has not handled yet, and
    remember it. The portal delivers at least once: the same event can arrive again (a retry
    after a lost answer, an owner's redelivery), always with the same ``id`` (docs/webhooks.md,
    "Delivery guarantees"). Keep ``seen`` where it outlives a restart (a table with a unique
    column) in a real receiver."""
    event_id = json.loads(body)["id"]
    if event_id in seen:
        return False
    seen.add(event_id)
    return True


class ApiError(Exception):
    """An error answer of the API: ``{"code": ..., "message": ..., "field": ...}``."""

    def __init__(self, status: int, body: dict):
        self.status = status
        self.code = body.get("code", "")
        self.field = body.get("field")
        super().__init__(f"{status} {self.code}: {body.get('message', '')}")


class OdrClient:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path_or_url: str, body: dict | None = None) -> dict:
        url = path_or_url if "://" in path_or_url else self.base_url + path_or_url
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read() or b"{}")
            except ValueError:
                answer = {"code": "http_error", "message": str(error)}
            raise ApiError(error.code, answer) from None

    def get(self, path: str, **params) -> dict:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        return self.request("GET", path + (f"?{query}" if query else ""))

    def post(self, path: str, body: dict | None = None) -> dict:
        return self.request("POST", path, body or {})

    def pages(self, path: str, **params):
        """Every row of a list, following each page's ``next``."""
        page = self.get(path, **params)
        while True:
            yield from page["results"]
            if not page["next"]:
                return
            page = self.request("GET", page["next"])

    def act(self, number: str, action: str, body: dict | None = None) -> dict:
        return self.post(f"/api/v1/cases/{number}/actions/{action}/", body)


def new_cases(client: OdrClient) -> list[dict]:
    """The complaints not acknowledged yet, the most urgent first."""
    return list(client.pages("/api/v1/merchant/inbox/", unacknowledged="true"))


def handle(client: OdrClient, row: dict, fulfil_by: date) -> str:
    """Acknowledge one new complaint, write to the consumer and offer a refund."""
    number = row["number"]
    client.act(number, "acknowledge")
    client.act(
        number,
        "post_message",
        {"body": f"您好，我们已收到您的投诉（{number}），正在核实处理。"},
    )
    case = client.get(f"/api/v1/cases/{number}/")
    if "make_offer" not in case["available_actions"]:
        return f"{number}: acknowledged, no offer possible now ({case['status']})"
    amount = case["amount_claimed"] or "0.00"
    offer = client.act(
        number,
        "make_offer",
        {
            "remedy": "refund",
            "amount": amount,
            "fulfil_by": fulfil_by.isoformat(),
            "text": f"全额退款 {amount} 元，{fulfil_by.isoformat()} 前退回原支付账户。",
        },
    )
    made = offer["created"]["id"]
    return f"{number}: acknowledged, message posted, refund of {amount} offered (offer {made})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base-url", default=os.environ.get("ODR_API_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--token", default=os.environ.get("ODR_API_TOKEN", ""))
    parser.add_argument(
        "--fulfil-by",
        type=date.fromisoformat,
        default=date.today() + timedelta(days=7),
        help="The date by which refunds are promised (default: in 7 days).",
    )
    parser.add_argument("--dry-run", action="store_true", help="Only list the new complaints.")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give a token with --token or ODR_API_TOKEN")
    client = OdrClient(args.base_url, args.token)
    me = client.get("/api/v1/me/")
    print(f"Signed in as {me['name']} ({me['merchant']['name'] if me['merchant'] else '-'})")
    rows = new_cases(client)
    print(f"{len(rows)} new complaint(s)")
    failed = 0
    for row in rows:
        if args.dry_run:
            print(f"{row['number']}: {row['subject']} (due {row['merchant_due_at']})")
            continue
        try:
            print(handle(client, row, args.fulfil_by))
        except ApiError as error:
            failed += 1
            print(f"{row['number']}: refused: {error}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
