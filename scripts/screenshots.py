"""Screenshots of the main screens of a running demo (`make run`), for README.md: docs/*.png.

Usage: python scripts/screenshots.py [BASE_URL] [DB] [FILE.png ...] — headless Chromium driven over the
DevTools protocol, logged in as admin/admin, who works in the demo distributor in Chinese; the files named
only, if any (e.g. `stock-inspection.png`). Each page shows the demo's own documents (see
medical_expiry/models/medical_expiry_demo*.py) and is given a few seconds to render.
"""

import base64
import json
import os
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


def call_kw(session, model, method, *args, **kwargs):
    result, _ = rpc(
        "/web/dataset/call_kw",
        {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        session,
    )
    return result


def search_id(session, company, model, domain):
    """The first record of ``domain`` in the demo company, as the web client sees it there."""
    result = call_kw(session, model, "search", domain, limit=1, context={"allowed_company_ids": [company]})
    if not result:
        sys.exit(f"screenshots: the demo has no {model} matching {domain}: is {DB} a demo database?")
    return result[0]


class Browser:
    def __init__(self, session, company, width=1440, height=900):
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
            # The web client shows date-times in the browser's time zone: the demo company's.
            env={**os.environ, "TZ": "Asia/Shanghai"},
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
        # The web client opens on the demo company alone, as admin's first login does.
        self.call("Network.setCookie", name="cids", value=str(company), domain=host, path="/")

    def call(self, method, **params):
        self.counter += 1
        self.socket.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.counter:
                return message

    def shot(self, url, name, wait=3, timeout=120):
        """Load ``url``, wait until its view (or report page) is drawn, then ``wait`` more seconds."""
        self.call("Page.navigate", url=BASE + url)
        drawn = "!!document.querySelector('.o_action_manager .o_view_controller, .page')"
        deadline = time.time() + timeout
        while time.time() < deadline:
            time.sleep(1)
            if self.call("Runtime.evaluate", expression=drawn)["result"]["result"].get("value"):
                break
        time.sleep(wait)
        data = self.call("Page.captureScreenshot", format="png")["result"]["data"]
        (DOCS / name).write_bytes(base64.b64decode(data))
        print("docs/" + name)

    def close(self):
        self.process.terminate()


def pages(find):
    """The screens to take, as (file, url), from the demo's own records: README's screens first, then the
    GSP flows met mid-way (first-business approval, stock inspection, outbound double-check, non-conforming
    goods)."""
    lot = find("stock.lot", [("name", "=", "MSK2410B")])
    recall = find("medical.recall", [("state", "=", "in_progress")])
    purchase = find(
        "purchase.order", [("state", "=", "draft"), ("partner_id.qualification_ids.state", "=", "expired")]
    )
    receipt = find(
        "stock.picking",
        [
            ("picking_type_code", "=", "incoming"),
            ("partner_id.supplier_rank", ">", 0),
            ("state", "=", "done"),
        ],
    )
    delivery = find(
        "stock.picking",
        [
            ("picking_type_code", "=", "outgoing"),
            ("state", "=", "assigned"),
            ("move_line_ids.lot_id.name", "=", "MSK2410B"),
        ],
    )
    approval = find(
        "medical.first.business.approval", [("holder", "=", "partner"), ("state", "=", "approved")]
    )
    inspection_under_way = find("medical.stock.inspection", [("state", "=", "in_progress")])
    inspection_closed = find("medical.stock.inspection", [("state", "=", "done")])
    double_check = find("medical.outbound.check", [("state", "=", "checking")])
    destroyed = find("medical.nonconforming", [("state", "=", "done"), ("disposition", "=", "destroy")])
    action = "/odoo/action-medical_expiry."
    # Headless Chromium has no PDF viewer: a report's HTML rendering is the same template as its PDF.
    report = "/report/html/medical_expiry."
    return [
        ("workbench-kanban.png", action + "action_expiry_workbench"),
        ("workbench-pivot.png", action + "action_expiry_workbench?view_type=pivot"),
        ("lot-form.png", f"{action}action_lot_expiry/{lot}"),
        ("delivery-warning.png", f"/odoo/action-stock.action_picking_tree_all/{delivery}"),
        ("recall-form.png", f"{action}action_medical_recall/{recall}"),
        ("qualifications.png", action + "action_medical_qualification"),
        ("purchase-qualification.png", f"/odoo/action-purchase.purchase_form_action/{purchase}"),
        ("audit-log.png", action + "action_medical_audit_log"),
        ("inbound-voucher.png", f"{report}report_inbound_voucher/{receipt}"),
        # The manager's dashboard: charts of the last twelve months (the demo's past year).
        ("dashboard.png", action + "action_expiry_dashboard"),
        ("first-business-approval.png", f"{action}action_medical_first_business_approval/{approval}"),
        ("stock-inspection.png", f"{action}action_medical_stock_inspection/{inspection_under_way}"),
        ("stock-inspection-record.png", f"{report}report_stock_inspection/{inspection_closed}"),
        ("outbound-double-check.png", f"{action}action_medical_outbound_check/{double_check}"),
        ("nonconforming-register.png", action + "action_medical_nonconforming"),
        ("nonconforming-form.png", f"{action}action_medical_nonconforming/{destroyed}"),
        ("destruction-record.png", f"{report}report_nonconforming_destruction/{destroyed}"),
    ]


def main():
    info, session = rpc("/web/session/authenticate", {"db": DB, "login": "admin", "password": "admin"})
    # Admin works in the demo distributor (medical.expiry.demo), in Chinese: every screen shows its data.
    company = info["user_companies"]["current_company"]
    only = set(sys.argv[3:])
    table = pages(lambda model, domain: search_id(session, company, model, domain))
    browser = Browser(session, company)
    try:
        for name, url in table:
            if not only or name in only:
                browser.shot(url, name)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
