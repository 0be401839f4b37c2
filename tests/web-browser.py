#!/usr/bin/python3
"""Drives a headless Chromium through cell web's page, as a person would.

    web-browser.py URL CONTAINER-ID PROFILE-DIR [SCREENSHOT.png]

Chromium runs with a private profile in PROFILE-DIR and speaks the DevTools
protocol over a pipe (--remote-debugging-pipe: JSON messages ended by a NUL
byte, Chromium reading fd 3 and writing fd 4), which Python's standard
library is enough for. The script loads URL (cell web's address with its
#token=...), reads the rendered page, clicks with the mouse, and prints
what it saw, one fact per line:

    listed NAME            the container's row, with its name as shown
    cpu-graph PIXELS       the height of the row's CPU line above zero
    detail ID12            the container's panel, opened by a click on its row
    addresses TEXT         the panel's line of addresses and published ports
    clicked pause          a mouse click on the panel's pause button
    page-state paused      the state the page shows after it

The caller checks the kernel (the freezer) itself. Chromium and all its
processes are gone when this returns: it is closed, then its process group
is killed.
"""
import base64
import json
import os
import signal
import subprocess
import sys
import time

TIMEOUT = 40  # seconds for each thing awaited on the page


class Browser:
    def __init__(self, profile):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds_3_and_4():
            # high numbers first, so that neither dup2 clobbers the other
            a, b = os.dup(to_chrome_r) + 100, os.dup(from_chrome_w) + 100
            os.dup2(to_chrome_r, a)
            os.dup2(from_chrome_w, b)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--disable-gpu", "--no-sandbox",
             "--remote-debugging-pipe", "--user-data-dir=" + profile,
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-sync", "--mute-audio",
             "--window-size=1200,1500", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, close_fds=False, preexec_fn=fds_3_and_4,
            start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:  # events come between: only the answer counts
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.from_chrome, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def evaluate(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, what, expr, ok=lambda v: bool(v)):
        end = time.monotonic() + TIMEOUT
        while time.monotonic() < end:
            v = self.evaluate(expr)
            if ok(v):
                return v
            time.sleep(0.25)
        raise RuntimeError(f"the page never showed {what} (last: {v!r})")

    def click(self, selector):
        """A left click of the mouse at the middle of SELECTOR's box."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        if box is None:
            raise RuntimeError(f"no {selector} on the page")
        x, y = box
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent",
                      {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        # its zygote and renderers are in its process group
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)


def main():
    url, cid, profile = sys.argv[1:4]
    shot = sys.argv[4] if len(sys.argv) > 4 else None
    row = f'tr.container[data-id="{cid}"]'
    b = Browser(profile)
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        b.session = b.send("Target.attachToTarget",
                           {"targetId": target, "flatten": True})["sessionId"]
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": 1200, "height": 1500, "deviceScaleFactor": 1, "mobile": False})
        b.send("Page.navigate", {"url": url})

        name = b.wait_for("the container's row",
                          f"document.querySelector('{row} td')?.textContent")
        print("listed", name, flush=True)
        # the row's CPU line: the highest point above the bottom of its box
        height = b.wait_for(
            "a CPU graph above zero",
            f"(() => {{ const s = document.querySelector('{row} svg.cpu');"
            " const p = s && s.querySelector('polyline');"
            " if (!p) return 0; const h = s.viewBox.baseVal.height;"
            " return Math.max(0, ...p.getAttribute('points').split(' ')"
            ".map(xy => h - parseFloat(xy.split(',')[1]))); })()",
            lambda v: v is not None and v > 1)
        print(f"cpu-graph {height:.1f}", flush=True)

        b.click(f"{row} td")
        shown = b.wait_for("the container's panel",
                           "document.getElementById('detail').hidden ? ''"
                           " : document.getElementById('d-id').textContent")
        print("detail", shown, flush=True)
        addresses = b.wait_for("the panel's addresses",
                               "document.getElementById('d-addr').textContent")
        print("addresses", addresses, flush=True)
        if shot:
            # the panel filled: its CPU chart, processes and picture
            b.wait_for("the panel's chart, processes and picture",
                       "document.querySelectorAll('#d-cpu-chart polyline').length > 0"
                       " && document.querySelector('#d-procs li') !== null"
                       " && (document.querySelector('#graph img')?.complete"
                       " || document.querySelector('#graph pre') !== null)")
            time.sleep(2)  # a few more samples in the charts
            png = b.send("Page.captureScreenshot",
                         {"format": "png", "captureBeyondViewport": True})["data"]
            with open(shot, "wb") as f:
                f.write(base64.b64decode(png))

        b.click('#actions button[data-action="pause"]')
        print("clicked pause", flush=True)
        state = b.wait_for("the paused state",
                           f"document.querySelector('{row} td:nth-child(3)')?.textContent",
                           lambda v: v == "paused")
        print("page-state", state, flush=True)
    finally:
        b.close()


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        print("web-browser:", e, file=sys.stderr)
        sys.exit(1)
