#!/usr/bin/env python3
"""A component, a client and a subscriber written from docs/protocol.md alone.

No hamon code: raw frames (4-byte big-endian length + one XML document) over
a UNIX socket, built from the document's own examples. Driven by
test/conformance/conformance.test.ts, which starts the monitor and, when this
script prints "RESTART", kills the monitor (-9) and starts a new one, then
answers "GO" on stdin.

    conformance.py SOCKET

Prints one line per check ("ok NAME" / "FAIL NAME: why"), then
"N passed, M failed".
"""
import os, re, select, socket, struct, sys, time

SOCK = sys.argv[1]
BEACON = os.path.join(os.path.dirname(SOCK), "beacons", "pycomp.sock")
passed, failed = 0, 0


def check(name, cond, why=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok", name, flush=True)
    else:
        failed += 1
        print("FAIL", name + ":", why, flush=True)


def frame(xml):
    b = xml.encode()
    return struct.pack(">I", len(b)) + b


class Conn:
    def __init__(self, role=None, hello=True):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(SOCK)
        self.buf = b""
        if hello:
            self.send('<hello version="1" min-version="1" role="%s" agent="conformance.py"/>' % role)
            self.welcome = self.recv()

    def send(self, xml):
        self.s.sendall(frame(xml))

    def recv(self, timeout=5.0):
        """The next whole frame as text, or None on close/timeout."""
        end = time.time() + timeout
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    body, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return body.decode()
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return None
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d

    def until(self, pattern, timeout=5.0, answer_queries=True):
        """Frames until one matches; health queries are answered ok meanwhile."""
        end = time.time() + timeout
        while time.time() < end:
            f = self.recv(end - time.time())
            if f is None:
                return None
            if answer_queries and f.startswith("<query"):
                qid = re.search(r'id="(\d+)"', f).group(1)
                self.send('<reply id="%s" health="ok">fine</reply>' % qid)
            if re.search(pattern, f):
                return f
        return None

    def closed(self, timeout=3.0):
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.s], [], [], end - time.time())
            if r:
                try:
                    if not self.s.recv(65536):
                        return True
                except OSError:
                    return True
        return False

    def close(self):
        self.s.close()


def code(f):
    m = re.search(r'code="(E_[A-Z_]+)"', f or "")
    return m.group(1) if m else None


def client_cmd(verb, target="", cid=1):
    c = Conn("client")
    c.send('<command id="%d" verb="%s" target="%s" kind=""/>' % (cid, verb, target))
    f = c.recv()
    c.close()
    return f


def status_of(name):
    f = client_cmd("show", name)
    m = re.search(r'<component [^>]*name="%s"[^>]*>' % name, f or "") or re.search(r'<component [^>]*name="%s"[^>]*/>' % name, f or "")
    return m.group(0) if m else ""


def attr(el, a):
    m = re.search(r'\b%s="([^"]*)"' % a, el)
    return m.group(1) if m else None


# §4: hello / welcome, E_VERSION, E_STATE for another first message
c = Conn("component")
check("welcome", c.welcome is not None and c.welcome.startswith("<welcome") and attr(c.welcome, "version") == "1", c.welcome)
c.close()
c = Conn(hello=False)
c.send('<hello version="9" min-version="7" role="component" agent="x"/>')
f = c.recv()
check("E_VERSION and close", code(f) == "E_VERSION" and c.closed(), f)
c = Conn(hello=False)
c.send('<report health="ok" reason=""/>')
f = c.recv()
check("E_STATE when the first message is not hello, and close", code(f) == "E_STATE" and c.closed(), f)
c = Conn(hello=False)
c.send('<hello version="1" min-version="1" role="boss" agent="x"/>')
f = c.recv()
check("a bad role is E_INVALID, the connection stays open", code(f) == "E_INVALID" and not c.closed(0.5), f)
c.close()

# §2/§3: E_MALFORMED (stays open), E_TOO_LARGE (closed)
c = Conn("client")
c.send("<command id=\"1\" verb=")
f = c.recv()
check("E_MALFORMED for bad XML", code(f) == "E_MALFORMED", f)
c.s.sendall(struct.pack(">I", 65537))
f = c.recv()
check("E_TOO_LARGE and close", code(f) == "E_TOO_LARGE" and c.closed(), f)

# §5.3: id 0 refused, unknown verb E_UNKNOWN, unknown element E_UNKNOWN, E_NOT_FOUND
c = Conn("client")
c.send('<command id="0" verb="status" target="" kind=""/>')
f = c.recv()
check("command id 0 is E_INVALID", code(f) == "E_INVALID", f)
c.send('<command id="2" verb="frobnicate" target="" kind=""/>')
f = c.recv()
check("an unsupported verb is E_UNKNOWN", code(f) == "E_UNKNOWN" and attr(f, "id") == "2", f)
c.send('<frobnicate id="3"/>')
f = c.recv()
check("an unknown message is E_UNKNOWN", code(f) == "E_UNKNOWN", f)
c.send('<command id="4" verb="show" target="nobody" kind=""/>')
f = c.recv()
check("E_NOT_FOUND for an unknown component", code(f) == "E_NOT_FOUND" and attr(f, "id") == "4", f)
c.send('<command id="5" verb="status" target="" kind=""/>')
f = c.recv()
check("status result", f is not None and f.startswith('<result id="5"') and "<monitor " in f, f)
c.close()

# §5.1: register with a check whose timeout-ms is "0" (the monitor's default), answer queries
comp = Conn("component")
comp.send('<report health="ok" reason=""/>')
f = comp.recv()
check("report before register is E_STATE", code(f) == "E_STATE", f)
comp.send('<register id="1" name="pycomp" kind="static" plane="control" pid="%d"/>' % os.getpid())
f = comp.recv()
check("register ok", f is not None and f.startswith('<ok id="1"'), f)
comp.close()
comp = Conn("component")
comp.send('<register id="1" kind="static" plane="control" pid="1"/>')
f = comp.recv()
check("register without a name is E_INVALID", code(f) == "E_INVALID", f)
comp.close()

sub = Conn("subscriber")
sub.send('<subscribe id="1"/>')
check("subscribe ok", (sub.recv() or "").startswith('<ok id="1"'))

comp = Conn("component")
comp.send('<register id="1" name="pycomp" kind="static" plane="control" pid="%d">'
          '<check name="health" mode="query" period-ms="200" timeout-ms="0"/></register>' % os.getpid())
f = comp.until(r'^<ok id="1"')
check("register with checks", f is not None, f)
other = Conn("component")
other.send('<register id="1" name="pycomp" kind="static" plane="control" pid="1"/>')
f = other.recv()
check("E_NAME_TAKEN for a name held by a live connection", code(f) == "E_NAME_TAKEN", f)
other.close()
comp.until(r"$^", timeout=1.5)  # answer queries for 1.5 s
failed_checks = []
while True:
    e = sub.recv(0.1)
    if e is None:
        break
    if 'component="pycomp"' in e and ('event="check-failed"' in e or 'event="recover"' in e):
        failed_checks.append(e)
check("timeout-ms=\"0\" means the monitor's default: answered queries never fail", not failed_checks, failed_checks[:1])

# §5.3 since: a subscriber that comes late asks for what was said before it
late = Conn("subscriber")
late.send('<subscribe id="2" since="0"/>')
first = late.recv()
held = []
while True:
    e = late.recv(0.3)
    if e is None:
        break
    held.append(e)
seqs = [int(attr(e, "seq")) for e in held if e.startswith("<event")]
check("subscribe since=\"0\": ok, then the held events in seq order, pycomp's registration among them",
      (first or "").startswith('<ok id="2"') and seqs and seqs == sorted(set(seqs))
      and any('component="pycomp"' in e and 'event="registered"' in e for e in held), (first, held[:2]))
late.close()

# §5.1: a report of degraded is not erased by ok replies
comp.send('<report health="degraded" reason="neighbour flapping"/>')
comp.until(r"$^", timeout=1.0)
st = status_of("pycomp")
check("reported degraded survives ok replies", attr(st, "health") == "degraded" and attr(st, "reason") == "neighbour flapping", st)
comp.send('<report health="ok" reason=""/>')
comp.until(r"$^", timeout=0.5)
st = status_of("pycomp")
check("the next report replaces it", attr(st, "health") == "ok", st)

# §5.1 confirm for an undeclared check; error-report above max_recommend
comp.send('<confirm check="nosuch" result="ok" reason=""/>')
f = comp.until(r"<error")
check("confirm of an undeclared check is E_NOT_FOUND", code(f) == "E_NOT_FOUND", f)
comp.send('<error-report level="reboot-system" reason="table corrupt"/>')
f = comp.until(r"<error")
check("an error-report above max_recommend gets an unsolicited E_DENIED id 0", code(f) == "E_DENIED" and attr(f, "id") == "0", f)
comp.close()

# §5.2 a component that does not answer: the relayed query times out
quiet = Conn("component")
quiet.send('<register id="1" name="quiet" kind="static" plane="control" pid="1"/>')
quiet.recv()
cl = Conn("client")
cl.send('<command id="9" verb="query" target="quiet" kind="health"/>')
f = None
end = time.time() + 8
while time.time() < end and f is None:
    f = cl.recv(0.2)
check("a relayed query nobody answers is E_TIMEOUT", code(f) == "E_TIMEOUT", f)
cl.close()
quiet.close()

# §2 deadlines: no hello within 5 s is E_TIMEOUT
silent = Conn(hello=False)
f = silent.recv(8)
check("no hello within the deadline: E_TIMEOUT and close", code(f) == "E_TIMEOUT" and silent.closed(), f)

# Rate limit (the test's config: max_messages_per_second = 20, burst 40)
fl = Conn("component")
fl.send('<register id="1" name="flood" kind="static" plane="control" pid="1"/>')
fl.recv()
for i in range(100):
    try:
        fl.send('<report health="ok" reason="%d"/>' % i)
    except OSError:
        break
f = fl.until(r"<error", answer_queries=False)
check("flooding is E_LIMIT and the connection is closed", code(f) == "E_LIMIT" and fl.closed(), f)

# Policy: a client cannot register (E_STATE by role), a dynamic component deregisters cleanly
cl = Conn("client")
cl.send('<register id="1" name="x" kind="static" plane="control" pid="1"/>')
f = cl.recv()
check("a client cannot register (E_STATE)", code(f) == "E_STATE", f)
cl.close()

dyn = Conn("component")
dyn.send('<register id="1" name="dyn" kind="dynamic" plane="control" pid="1"/>')
f = dyn.until(r'^<ok id="1"')
check("a declared dynamic component registering is activated", f is not None and attr(status_of("dyn"), "state") == "up", status_of("dyn"))
dyn.send('<deregister id="2" reason="deactivated by the routing suite"/>')
f = dyn.until(r'^<ok id="2"')
check("deregister ok", f is not None, f)
dyn.close()

# §6.1 beacons: accept and close at once, nothing more
os.makedirs(os.path.dirname(BEACON), exist_ok=True)
try:
    os.unlink(BEACON)
except FileNotFoundError:
    pass
beacon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
beacon.bind(BEACON)
beacon.listen(8)
comp = Conn("component")
comp.send('<register id="1" name="pycomp" kind="static" plane="control" pid="%d"/>' % os.getpid())
comp.until(r'^<ok id="1"')

for round_ in (1, 2):
    comp.close()
    print("RESTART", flush=True)
    sys.stdin.readline()  # GO: a new monitor is listening
    r, _, _ = select.select([beacon], [], [], 10)
    called = bool(r)
    if r:
        a, _ = beacon.accept()
        a.close()  # accept and close, nothing more (§6.1)
    check("round %d: the new monitor called the beacon" % round_, called)
    check("round %d: the beacon was not removed as stale" % round_, os.path.exists(BEACON))
    comp = Conn("component")
    comp.send('<register id="1" name="pycomp" kind="static" plane="control" pid="%d"/>' % os.getpid())
    check("round %d: re-registered" % round_, comp.until(r'^<ok id="1"') is not None)
    if round_ == 1:
        time.sleep(1.5)  # past the re-registration window (1 s in the test's config)
        st = status_of("dyn")
        check("a clean deregistration survives a monitor restart", attr(st, "state") == "stopped", st)

comp.send('<deregister id="2" reason="done"/>')
comp.until(r'^<ok id="2"')
comp.close()
beacon.close()
os.unlink(BEACON)
print("%d passed, %d failed" % (passed, failed), flush=True)
