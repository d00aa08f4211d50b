#!/usr/bin/env python3
"""Integration tests for nw-proxy: the real binary over real loopback sockets.

usage: proxy_test.py NW_PROXY_BINARY CASE [--seed N]

Every case starts its own servers (in this process, on free ports / temp dirs) and its own
nw-proxy, and bounds every wait. Never vsock: the vsock-proxy form is tested through
--listen-override. Exit 0 = pass, 77 = skipped (printed loudly), anything else = fail.
"""
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
BIN = None
TMP = None
SEED = None


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def ipv6_ok():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


# ---- servers ----------------------------------------------------------------------------

class Server:
    """A listening socket with a handler thread per connection."""

    def __init__(self, kind, handler, host=None, port=0):
        self.kind = kind
        self.handler = handler
        if kind == "unix":
            self.path = tempfile.mktemp(prefix="srv", suffix=".sock", dir=TMP)
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.bind(self.path)
            self.addr = "unix:" + self.path
        else:
            fam = socket.AF_INET6 if kind == "tcp6" else socket.AF_INET
            host = host or ("::1" if kind == "tcp6" else "127.0.0.1")
            self.sock = socket.socket(fam)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.port = self.sock.getsockname()[1]
            self.addr = "tcp:[%s]:%d" % (host, self.port) if kind == "tcp6" else \
                "tcp:%s:%d" % (host, self.port)
        self.sock.listen(512)
        self.sock.settimeout(0.2)
        self.stopped = False
        self.accepted = 0
        self.results = []
        self.t = threading.Thread(target=self._loop, daemon=True)
        self.t.start()

    def _loop(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            c.settimeout(30)
            threading.Thread(target=self._run, args=(c,), daemon=True).start()

    def _run(self, c):
        try:
            r = self.handler(c)
            if r is not None:
                self.results.append(r)
        except OSError as e:
            self.results.append(("error", str(e)))
        finally:
            c.close()

    def close(self):
        self.stopped = True
        self.sock.close()
        self.t.join(2)


def echo_handler(c):
    while True:
        b = c.recv(1 << 16)
        if not b:
            c.shutdown(socket.SHUT_WR)
            return None
        c.sendall(b)


def recv_all(s, limit=1 << 30):
    buf = bytearray()
    while True:
        b = s.recv(1 << 16)
        if not b:
            return bytes(buf)
        buf += b
        check(len(buf) <= limit, "more data than expected")


# ---- the proxy --------------------------------------------------------------------------

class Proxy:
    def __init__(self, args, expect_ready=True, env=None, prefix=None):
        self.logpath = tempfile.mktemp(prefix="proxy", suffix=".log", dir=TMP)
        self.logf = open(self.logpath, "wb")
        cmd = (prefix or []) + [BIN] + args
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.logf, env=env)
        self.listen = []
        if expect_ready:
            self.wait_log(r'( ready |"event":"ready")', 20)
            self.listen = re.findall(r'(?: listen addr=|"event":"listen","addr":")([^" ]+)',
                                     self.log())

    def log(self):
        with open(self.logpath, "r", errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=10, count=1):
        end = time.time() + timeout
        while time.time() < end:
            if len(re.findall(pattern, self.log())) >= count:
                return
            if self.p.poll() is not None:
                fail("nw-proxy exited (%s) waiting for %r:\n%s" % (self.p.returncode, pattern,
                                                                   self.log()))
            time.sleep(0.02)
        fail("timeout waiting for %r in log:\n%s" % (pattern, self.log()))

    def connect(self, i=0):
        return connect_addr(self.listen[i])

    def signal(self, sig):
        self.p.send_signal(sig)

    def stop(self, timeout=20):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            fail("nw-proxy did not exit on SIGTERM:\n" + self.log())
        self.logf.close()
        return rc


def connect_addr(addr, timeout=30):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        s.connect(addr[5:])
        return s
    m = re.match(r"tcp:\[(.*)\]:(\d+)$", addr) or re.match(r"tcp:(.*):(\d+)$", addr)
    s = socket.create_connection((m.group(1), int(m.group(2))), timeout=timeout)
    return s


def listen_spec(kind):
    if kind == "unix":
        return "unix:" + tempfile.mktemp(prefix="px", suffix=".sock", dir=TMP)
    return "tcp:[::1]:0" if kind == "tcp6" else "tcp:127.0.0.1:0"


def kinds():
    k = ["tcp4", "unix"]
    if ipv6_ok():
        k.append("tcp6")
    else:
        print("NOTE: IPv6 loopback unavailable; tcp6 legs skipped")
    return k


# ---- transfers --------------------------------------------------------------------------

def echo_roundtrip(addr, size, rng):
    """Send size random bytes, half-close, read the echo; compare SHA-256 both ways."""
    data = rng.randbytes(size)
    s = connect_addr(addr)
    t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
    t.start()
    got = recv_all(s, size)
    t.join()
    s.close()
    check(len(got) == size, "echo returned %d of %d bytes" % (len(got), size))
    check(hashlib.sha256(got).digest() == hashlib.sha256(data).digest(), "echo checksum differs")


def case_transfer():
    """Byte-exact large random streams both ways over every listen x connect kind."""
    rng = random.Random(SEED)
    ks = kinds()
    for sk in ks:
        srv = Server(sk, echo_handler)
        for lk in ks:
            px = Proxy(["--listen", listen_spec(lk), "--connect", srv.addr])
            size = rng.choice([1, 4096, 8 << 20])
            echo_roundtrip(px.listen[0], 8 << 20, rng)
            echo_roundtrip(px.listen[0], size, rng)
            check(px.stop() == 0, "proxy exit status")
            log = px.log()
            check(log.count(" reason=eof") == 2, "two clean closes expected:\n" + log)
            check("up=8388608 down=8388608" in log, "byte counts in close line:\n" + log)
            print("ok transfer %s -> %s" % (lk, sk))
        srv.close()


def sink_handler(c):
    """Read to EOF, answer the digest of what came, then stream 1 MiB of known bytes."""
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.sendall(h.digest() + n.to_bytes(8, "big"))
    c.sendall(random.Random(n).randbytes(1 << 20))
    return n


def case_halfclose():
    """Client half-closes and still receives; server half-closes and still receives."""
    rng = random.Random(SEED)
    # Direction 1: client shuts write first; the server answers after seeing EOF.
    srv = Server("tcp4", sink_handler)
    px = Proxy(["--listen", listen_spec("unix"), "--connect", srv.addr])
    data = rng.randbytes(3 << 20)
    s = px.connect()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = recv_all(s)
    s.close()
    check(got[:32] == hashlib.sha256(data).digest(), "sink saw different bytes")
    check(int.from_bytes(got[32:40], "big") == len(data), "sink byte count")
    check(got[40:] == random.Random(len(data)).randbytes(1 << 20), "stream after half-close")
    srv.close()
    check(px.stop() == 0, "proxy exit")
    print("ok half-close client->server")

    # Direction 2: the server sends and shuts write first, then reads the client's data.
    def server_first(c):
        c.sendall(b"S" * 100000)
        c.shutdown(socket.SHUT_WR)
        return hashlib.sha256(recv_all(c)).digest()

    srv = Server("unix", server_first)
    px = Proxy(["--listen", listen_spec("tcp4"), "--connect", srv.addr])
    s = px.connect()
    first = recv_all(s)  # EOF arrives while our write side is still open
    check(first == b"S" * 100000, "server data before its half-close")
    data = rng.randbytes(2 << 20)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    check(s.recv(1) == b"", "EOF stays EOF")
    s.close()
    end = time.time() + 10
    while not srv.results and time.time() < end:
        time.sleep(0.02)
    check(srv.results == [hashlib.sha256(data).digest()], "server read after its half-close")
    srv.close()
    check(px.stop() == 0, "proxy exit")
    check(" reason=eof" in px.log(), "clean close")
    print("ok half-close server->client")


def case_concurrent():
    """Many connections at once, each a random echo exchange, across 2 workers."""
    rng = random.Random(SEED)
    srv = Server("tcp4", echo_handler)
    px = Proxy(["--listen", listen_spec("tcp4"), "--connect", srv.addr, "-w", "2"])
    errors = []
    n = 200
    sizes = [rng.randrange(1, 256 << 10) for _ in range(n)]
    seeds = [rng.getrandbits(64) for _ in range(n)]

    def one(i):
        try:
            echo_roundtrip(px.listen[0], sizes[i], random.Random(seeds[i]))
        except Exception as e:  # noqa: BLE001 - collected and reported
            errors.append("%d: %r" % (i, e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(not errors, "concurrent failures: %s" % errors[:5])
    check(px.stop() == 0, "proxy exit")
    log = px.log()
    check(log.count(" reason=eof") == n, "every connection closed cleanly")
    check(re.search(r"stats accepted=%d connected=%d closed=%d active=0" % (n, n, n), log),
          "final stats line:\n" + log[-2000:])
    srv.close()
    print("ok %d concurrent connections" % n)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def case_backpressure():
    """A reader that stalls: the relay holds a bounded amount, the writer blocks, nothing is
    lost; a reset by the target reaches the client as a reset and is logged as one."""
    gate = threading.Event()
    total = 64 << 20

    def slow_sink(c):
        gate.wait(30)
        h = hashlib.sha256()
        n = 0
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            h.update(b)
            n += len(b)
        c.sendall(h.digest())
        return n

    srv = Server("unix", slow_sink)
    px = Proxy(["--listen", listen_spec("tcp4"), "--connect", srv.addr])
    base = rss_kib(px.p.pid)
    data = random.Random(SEED).randbytes(total)
    s = px.connect()
    sent = [0]

    def writer():
        view = memoryview(data)
        while sent[0] < total:
            sent[0] += s.send(view[sent[0]:sent[0] + (1 << 20)])
        s.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(1.5)
    stalled = sent[0]
    grown = rss_kib(px.p.pid) - base
    check(stalled < total, "the writer should block while the target does not read")
    check(grown < 16 << 10, "relay memory grew by %d KiB while the target stalled" % grown)
    gate.set()
    t.join(60)
    got = recv_all(s)
    s.close()
    check(got == hashlib.sha256(data).digest(), "every byte arrived once the reader resumed")
    check(px.stop() == 0, "proxy exit")
    srv.close()
    print("ok backpressure: %d MiB sent of %d while stalled, relay grew %d KiB" %
          (stalled >> 20, total >> 20, grown))

    def resetter(c):
        c.recv(10)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        c.close()

    srv = Server("tcp4", resetter)
    px = Proxy(["--listen", listen_spec("tcp4"), "--connect", srv.addr])
    s = px.connect()
    s.sendall(b"hello")
    try:
        while s.recv(1 << 16):
            pass
        fail("a reset by the target must reach the client as a reset")
    except ConnectionResetError:
        pass
    s.close()
    px.wait_log(r"reason=reset error=Connection_reset_by_peer", 5)
    check(px.stop() == 0, "proxy exit")
    srv.close()
    print("ok reset relayed")


def case_refused():
    """Target down or missing: that connection closes, the proxy keeps serving."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on port now
    missing = "unix:" + os.path.join(TMP, "missing.sock")
    px = Proxy(["--route", "%s=tcp:127.0.0.1:%d" % (listen_spec("tcp4"), port),
                "--route", "%s=%s" % (listen_spec("unix"), missing)])
    for i in range(2):
        s = px.connect(i)
        try:
            s.sendall(b"hello")  # may already be closed: the failure is immediate
            got = s.recv(10)
        except (BrokenPipeError, ConnectionResetError):
            got = b""
        check(got == b"", "refused target must close the client")
        s.close()
    px.wait_log(r"reason=connect-failed error=Connection_refused", 5)
    px.wait_log(r"reason=connect-failed error=No_such_file_or_directory", 5)
    # The same proxy serves once the target is up.
    srv = Server("tcp4", echo_handler, port=port)
    echo_roundtrip(px.listen[0], 1000, random.Random(SEED))
    srv.close()
    check(px.stop() == 0, "proxy exit")
    print("ok refused / missing target")


def case_limits():
    """Connection limit (clear log line), idle timeout, connect timeout."""
    srv = Server("tcp4", echo_handler)
    px = Proxy(["--listen", listen_spec("tcp4"), "--connect", srv.addr, "--max-conns", "2",
                "--idle-timeout", "1"])
    a, b = px.connect(), px.connect()
    for s in (a, b):
        s.sendall(b"x")
        check(s.recv(1) == b"x", "echo under the limit")
    c = px.connect()
    try:
        check(c.recv(1) == b"", "third connection refused")
    except ConnectionResetError:
        pass
    px.wait_log(r" limit .*max_conns=2", 5)
    # Idle connections are closed after about a second (sweeps run every second); one that
    # trickles small messages stays open.
    stop = threading.Event()
    pings = []

    def ping():
        while not stop.is_set():
            b.sendall(b"p")
            pings.append(b.recv(1))
            time.sleep(0.3)

    t = threading.Thread(target=ping)
    t.start()
    t0 = time.time()
    try:
        check(a.recv(1) == b"", "idle close")
    except ConnectionResetError:
        pass
    check(time.time() - t0 < 4, "idle timeout too slow")
    time.sleep(1.5)
    stop.set()
    t.join(5)
    check(len(pings) >= 5 and all(p == b"p" for p in pings), "active connection kept: %r" % pings)
    px.wait_log(r"reason=idle", 5, 2)
    check(px.stop() == 0, "proxy exit")
    srv.close()
    print("ok limit and idle timeout")


def case_nofile():
    """Out of file descriptors: refuse with a log line, never spin; serve again afterwards."""
    if shutil.which("prlimit") is None:
        print("SKIP: prlimit(1) missing")
        return SKIP
    srv = Server("tcp4", echo_handler)
    px = Proxy(["--listen", listen_spec("tcp4"), "--connect", srv.addr],
               prefix=["prlimit", "--nofile=24:24"])
    held = []
    for _ in range(12):
        s = px.connect()
        held.append(s)
    px.wait_log(r"out_of_file_descriptors", 10)
    for s in held:
        s.close()
    time.sleep(0.5)
    echo_roundtrip(px.listen[0], 100000, random.Random(SEED))
    with open("/proc/%d/stat" % px.p.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    check(cpu < 2.0, "proxy spun on the listener: %.2f CPU seconds" % cpu)
    check(px.stop() == 0, "proxy exit")
    srv.close()
    print("ok descriptor exhaustion refused and recovered")


def case_drain():
    """SIGTERM: open connections keep flowing, new ones fail, exit when they end or at the
    deadline; SIGUSR1 prints counters; JSON logs parse."""
    srv = Server("tcp4", echo_handler)
    px = Proxy(["--listen", listen_spec("tcp4"), "--connect", srv.addr, "--drain-timeout", "20",
                "--log-format", "json"])
    s = px.connect()
    s.sendall(b"before")
    check(s.recv(6) == b"before", "echo")
    px.signal(signal.SIGUSR1)
    px.wait_log(r'"event":"stats"', 5)
    px.signal(signal.SIGTERM)
    px.wait_log(r'"event":"drain"', 5)
    time.sleep(0.3)
    s.sendall(b"during")
    check(s.recv(6) == b"during", "open connection keeps working while draining")
    try:
        connect_addr(px.listen[0], timeout=2).close()
        fail("new connections must be refused while draining")
    except OSError:
        pass
    check(px.p.poll() is None, "still running with an open connection")
    s.shutdown(socket.SHUT_WR)
    check(s.recv(10) == b"", "EOF relayed")
    s.close()
    check(px.stop() == 0, "clean exit after the last connection")
    for line in px.log().splitlines():
        j = json.loads(line)
        check("ts" in j and "event" in j and "level" in j, "json log fields")
    # Deadline: an idle open connection is cut after --drain-timeout.
    px = Proxy(["--listen", listen_spec("tcp4"), "--connect", srv.addr, "--drain-timeout", "1"])
    s = px.connect()
    s.sendall(b"x")
    check(s.recv(1) == b"x", "echo")
    t0 = time.time()
    px.signal(signal.SIGTERM)
    check(px.stop() == 0, "exit at the deadline")
    check(0.8 < time.time() - t0 < 5, "drain deadline respected")
    check("reason=drain-deadline" in px.log(), "drain deadline logged")
    s.close()
    srv.close()
    print("ok drain, stats, json logs")


def write_yaml(text):
    path = tempfile.mktemp(prefix="allow", suffix=".yaml", dir=TMP)
    with open(path, "w") as f:
        f.write(text)
    return path


def expect_closed(s):
    try:
        check(s.recv(1) == b"", "connection must be closed")
    except ConnectionResetError:
        pass
    s.close()


def case_allowlist():
    """vsock-proxy form: allow by name and by address; deny at start and after SIGHUP."""
    srv = Server("tcp4", echo_handler)
    port = srv.port
    yaml_addr = write_yaml("allowlist:\n- {address: 127.0.0.1, port: %d}\n" % port)
    yaml_name = write_yaml("allowlist:\n  - address: localhost\n    port: %d\n" % port)
    yaml_other = write_yaml("allowlist:\n- {address: 127.0.0.1, port: %d}\n" % (port ^ 1))
    over = listen_spec("unix")
    # By address, through a name that resolves to it.
    px = Proxy(["8001", "localhost", str(port), "--config", yaml_addr, "--listen-override", over,
                "-4"])
    echo_roundtrip(px.listen[0], 100000, random.Random(SEED))
    # Reload to a list without the target: new connections are denied with a log line.
    shutil.copy(yaml_other, yaml_addr)
    px.signal(signal.SIGHUP)
    px.wait_log(r" reload config=", 5)
    expect_closed(px.connect())
    px.wait_log(r" deny .*why=target_not_in_the_allowlist", 5)
    # A broken file on reload keeps the previous list.
    with open(yaml_addr, "w") as f:
        f.write("allowlist: [\n")
    px.signal(signal.SIGHUP)
    px.wait_log(r"reload error=NW_ERR_PROXY_CONFIG_YAML", 5)
    check(px.stop() == 0, "proxy exit")
    # By name.
    px = Proxy(["8001", "localhost", str(port), "--config", yaml_name, "--listen-override",
                listen_spec("tcp4")])
    echo_roundtrip(px.listen[0], 100000, random.Random(SEED))
    check(px.stop() == 0, "proxy exit")
    # Not allowlisted at start: refused before listening, as vsock-proxy does.
    px = Proxy(["8001", "127.0.0.1", str(port), "--config", yaml_other, "--listen-override",
                listen_spec("tcp4")], expect_ready=False)
    check(px.p.wait(10) == 2, "exit status 2")
    check("NW_ERR_PROXY_DENIED" in px.log(), "denied at start:\n" + px.log())
    srv.close()
    print("ok allowlist by name, by address, reload")


def case_config_errors():
    """Bad configuration fails at start with a message naming the problem."""
    good = write_yaml("allowlist:\n- {address: localhost, port: 5432}\n")
    cases = [
        (["--listen", "tcp:127.0.0.1", "--connect", "unix:/x"], "NW_ERR_ADDR_SYNTAX", "tcp:127"),
        (["--listen", "tcp:127.0.0.1:70000", "--connect", "unix:/x"], "NW_ERR_ADDR_PORT", ""),
        (["--listen", "vsock:x:1", "--connect", "unix:/x"], "NW_ERR_ADDR_CID", ""),
        (["--bogus"], "NW_ERR_PROXY_USAGE", "--bogus"),
        (["--listen", "unix:/a"], "NW_ERR_PROXY_USAGE", "--connect"),
        ([], "NW_ERR_PROXY_USAGE", "no route"),
        (["--route", "unix:/a"], "NW_ERR_PROXY_USAGE", "LISTEN=CONNECT"),
        (["--route", "unix:/a=unix:/b", "-w", "0"], "NW_ERR_PROXY_NUMBER", "--num_workers"),
        (["8000", "localhost", "99999", "--config", good], "NW_ERR_ADDR_PORT", "remote port"),
        (["8000", "localhost"], "NW_ERR_PROXY_USAGE", "positional"),
        (["8000", "localhost", "5432", "--config", os.path.join(TMP, "nope.yaml")],
         "NW_ERR_PROXY_CONFIG_READ", "nope.yaml"),
        (["8000", "localhost", "5432", "--config", write_yaml("allowlist: [\n")],
         "NW_ERR_PROXY_CONFIG_YAML", "line"),
        (["8000", "localhost", "5432", "--config",
          write_yaml("allowlist:\n- {address: localhost, port: 65536}\n")],
         "NW_ERR_PROXY_ALLOWLIST", "65536"),
        (["8000", "localhost", "5432", "--config", write_yaml("allow:\n- {}\n")],
         "NW_ERR_PROXY_ALLOWLIST", "allowlist"),
        (["8000", "localhost", "5432", "--config",
          write_yaml("allowlist:\n- {adress: localhost, port: 5432}\n")],
         "NW_ERR_PROXY_ALLOWLIST", "adress"),
    ]
    for args, code, word in cases:
        r = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=20)
        check(r.returncode == 2, "%s: exit %d, want 2" % (args, r.returncode))
        check(code in r.stderr and word in r.stderr, "%s: message %r lacks %s/%s" %
              (args, r.stderr, code, word))
    r = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=20)
    check(r.returncode == 0 and "--listen" in r.stdout, "--help")
    print("ok %d configuration errors" % len(cases))


def case_dns():
    """A target name is re-resolved after --dns-ttl-max: run in a private mount namespace with
    our own /etc/hosts (files only, no DNS server is ever asked)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("SKIP: dns case needs root and unshare(1)")
        return SKIP
    r = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10)
    if r.returncode != 0:
        print("SKIP: unshare -m not permitted here: %s" % r.stderr.decode().strip())
        return SKIP
    return subprocess.run(["unshare", "-m", sys.executable, __file__, BIN, "dns_inner", "--seed",
                           str(SEED)], timeout=60).returncode


def case_dns_inner():
    hosts = os.path.join(TMP, "hosts")
    nss = os.path.join(TMP, "nsswitch.conf")
    with open(nss, "w") as f:
        f.write("hosts: files\n")
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n127.0.0.1 db.nw-test.internal\n")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)
    subprocess.run(["mount", "--bind", nss, "/etc/nsswitch.conf"], check=True)

    def ident(tag):
        def h(c):
            c.sendall(tag)
        return h

    a = Server("tcp4", ident(b"A"), host="127.0.0.1")
    b = Server("tcp4", ident(b"B"), host="127.0.0.2", port=a.port)
    target = "tcp:db.nw-test.internal:%d" % a.port
    allow = write_yaml("allowlist:\n- {address: 127.0.0.1, port: %d}\n" % a.port)
    px = Proxy(["--route", "%s=%s" % (listen_spec("tcp4"), target), "--dns-ttl-max", "1"])
    px2 = Proxy(["--route", "%s=%s" % (listen_spec("tcp4"), target), "--dns-ttl-max", "1",
                 "--config", allow])

    def who(p):
        s = p.connect()
        got = recv_all(s, 10)
        s.close()
        return got

    check(who(px) == b"A", "first resolution")
    check(who(px2) == b"A", "allowed by resolved address")
    with open(hosts, "w") as f:  # rewrite in place: the bind mount holds this inode
        f.write("127.0.0.1 localhost\n127.0.0.2 db.nw-test.internal\n")
    check(who(px) == b"A", "cached within the TTL bound")
    time.sleep(1.3)
    check(who(px) == b"B", "re-resolved after expiry")
    check(who(px2) == b"", "new address is outside the allowlist")
    px2.wait_log(r" deny .*resolved=tcp:127.0.0.2:", 5)
    with open(hosts, "w") as f:
        f.write("127.0.0.1 localhost\n")
    time.sleep(1.3)
    check(who(px) == b"", "unresolvable name closes the connection")
    px.wait_log(r"reason=resolve-failed", 5)
    check(px.stop() == 0 and px2.stop() == 0, "proxy exit")
    a.close()
    b.close()
    print("ok DNS change picked up after expiry; allowlist by resolved address")


def case_linkage():
    """DESIGN.md: nw-proxy links no core crypto, aws or attest."""
    needed = subprocess.run(["readelf", "-d", BIN], capture_output=True, text=True,
                            check=True).stdout
    for lib in ["ssl", "crypto", "secp256k1", "nettle", "jansson", "curl", "pq", "cbor",
                "microhttpd"]:
        check(not re.search(r"NEEDED.*lib%s[.-]" % lib, needed), "nw-proxy needs lib%s" % lib)
    syms = subprocess.run(["nm", BIN], capture_output=True, text=True, check=True).stdout
    for pat in [r"\bsecp256k1_", r"\bnettle_", r"\bEVP_", r"\bSSL_", r"\bjson_", r"\bnw_sign",
                r"\bnw_keccak", r"\bnw_kms", r"\bnw_sigv4", r"\bnw_attest"]:
        check(not re.search(pat, syms), "nw-proxy contains symbols matching %s" % pat)
    print("ok nw-proxy links no crypto, aws or attest code")


def main():
    global BIN, TMP, SEED
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    BIN = os.path.abspath(sys.argv[1])
    case = sys.argv[2]
    SEED = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--seed" else \
        random.SystemRandom().getrandbits(32)
    print("seed %d (rerun with --seed %d)" % (SEED, SEED))
    TMP = tempfile.mkdtemp(prefix="nwproxy-")
    try:
        rc = globals()["case_" + case]()
        return rc or 0
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
