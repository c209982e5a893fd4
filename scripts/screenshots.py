"""Screenshots of the main screens of a running demo (`make run`), for README.md: docs/*.png.

Usage: python scripts/screenshots.py [BASE_URL] [DB] — headless Chromium driven over the DevTools protocol,
logged in as admin/admin. Each page is given a few seconds to render.
"""

import base64
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8069"
DB = sys.argv[2] if len(sys.argv) > 2 else "medical_expiry_demo"
DOCS = Path(__file__).resolve().parent.parent / "docs"
PORT = 9333


def rpc(path, params, session=None):
    request = urllib.request.Request(
        BASE + path,
        data=json.dumps({"jsonrpc": "2.0", "params": params}).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Cookie": f"session_id={session}"} if session else {}),
        },
    )
    response = urllib.request.urlopen(request)
    cookies = response.headers.get_all("Set-Cookie") or []
    return json.load(response)["result"], next(
        (c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("session_id")), session
    )


def call_kw(session, model, method, *args):
    result, _ = rpc(
        "/web/dataset/call_kw", {"model": model, "method": method, "args": list(args), "kwargs": {}}, session
    )
    return result


def search_id(session, model, domain):
    result = call_kw(session, model, "search", domain)
    return result[0] if result else None


def demo_recall(session, lot):
    """The demo has no recall: open one on a lot, through the wizard, as a quality officer would."""
    wizard = call_kw(
        session,
        "medical.recall.wizard",
        "create",
        {
            "scope": "lots",
            "lot_ids": [(6, 0, [lot])],
            "recall_class": "class_2",
            "source": "manufacturer",
            "reason": "厂家通知：无菌屏障可能受损 / Manufacturer notice: sterile barrier may be damaged",
        },
    )
    return call_kw(session, "medical.recall.wizard", "action_create", [wizard])["res_id"]


def demo_refused_purchase(session):
    """A draft purchase from the demo supplier whose licence lapsed: the form shows the refusal to come."""
    supplier = search_id(
        session, "res.partner", [("qualification_ids.state", "=", "expired"), ("supplier_rank", ">", 0)]
    )
    product = search_id(session, "product.product", [("medical_device_class", "=", "3")])
    return call_kw(
        session,
        "purchase.order",
        "create",
        {"partner_id": supplier, "order_line": [(0, 0, {"product_id": product, "product_qty": 100})]},
    )


class Browser:
    def __init__(self, session, width=1440, height=900):
        self.process = subprocess.Popen(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={tempfile.mkdtemp()}",
                f"--remote-debugging-port={PORT}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _attempt in range(100):
            try:
                tabs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{PORT}/json"))
                break
            except OSError:
                time.sleep(0.2)
        page = next(tab for tab in tabs if tab["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"])
        self.counter = 0
        self.call("Network.enable")
        host = BASE.split("//")[1].split(":")[0]
        self.call("Network.setCookie", name="session_id", value=session, domain=host, path="/")

    def call(self, method, **params):
        self.counter += 1
        self.socket.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.counter:
                return message

    def shot(self, url, name, wait=6):
        self.call("Page.navigate", url=BASE + url)
        time.sleep(wait)
        data = self.call("Page.captureScreenshot", format="png")["result"]["data"]
        (DOCS / name).write_bytes(base64.b64decode(data))
        print("docs/" + name)

    def close(self):
        self.process.terminate()


def main():
    _uid, session = rpc("/web/session/authenticate", {"db": DB, "login": "admin", "password": "admin"})
    lot = search_id(session, "stock.lot", [("expiry_state", "=", "near_expiry")])
    recall = search_id(session, "medical.recall", []) or demo_recall(session, lot)
    picking = search_id(
        session,
        "stock.picking",
        [("picking_type_code", "=", "incoming"), ("product_id.medical_device_class", "!=", False)],
    ) or search_id(session, "stock.picking", [("picking_type_code", "=", "incoming")])
    purchase = search_id(
        session,
        "purchase.order",
        [("state", "=", "draft"), ("partner_id.qualification_ids.state", "=", "expired")],
    ) or demo_refused_purchase(session)
    browser = Browser(session)
    try:
        # The first page compiles the web client's assets: give it time.
        browser.shot("/odoo/action-medical_expiry.action_expiry_workbench", "workbench-kanban.png", wait=20)
        browser.shot(
            "/odoo/action-medical_expiry.action_expiry_workbench?view_type=pivot", "workbench-pivot.png"
        )
        browser.shot(f"/odoo/action-medical_expiry.action_lot_expiry/{lot}", "lot-form.png")
        browser.shot(f"/odoo/action-medical_expiry.action_medical_recall/{recall}", "recall-form.png")
        browser.shot("/odoo/action-medical_expiry.action_medical_qualification", "qualifications.png")
        browser.shot(f"/odoo/action-purchase.purchase_form_action/{purchase}", "purchase-qualification.png")
        if picking:
            # Headless Chromium has no PDF viewer: the voucher's HTML rendering is the same template.
            browser.shot(
                f"/report/html/medical_expiry.report_inbound_voucher/{picking}", "inbound-voucher.png"
            )
    finally:
        browser.close()


if __name__ == "__main__":
    main()
