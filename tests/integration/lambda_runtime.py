"""The Lambda Runtime API (the documented 2018-06-01 paths) as a small local stand-in, and the
bootstrap process it drives: shared by lambda_it.py (against nw-devaws and an HTTPS stand-in)
and lambda_e2e.py (against the dev stack of scripts/demo)."""
import http.server
import json
import os
import queue
import subprocess
import tempfile
import threading
import time

from devaws_harness import check


class Runtime:
    """The Runtime API: queued events out, answers and errors in, recorded per request id."""

    def __init__(self):
        self.events = queue.Queue()
        self.answers = {}
        self.init_errors = []
        self.cond = threading.Condition()
        rt = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self._reply(404)
                rid, deadline, event = rt.events.get()
                self._reply(200, event, [("Lambda-Runtime-Aws-Request-Id", rid),
                                         ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                                         ("Lambda-Runtime-Invoked-Function-Arn",
                                          "arn:aws:lambda:us-east-1:000000000000:function:nw"),
                                         ("Content-Type", "application/json")])

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                parts = self.path.split("/")
                with rt.cond:
                    if self.path == "/2018-06-01/runtime/init/error":
                        rt.init_errors.append((json.loads(body),
                                               self.headers.get("Lambda-Runtime-Function-Error-Type")))
                    elif len(parts) == 6 and parts[5] in ("response", "error"):
                        rt.answers[parts[4]] = (parts[5], json.loads(body))
                    else:
                        return self._reply(404)
                    rt.cond.notify_all()
                self._reply(202, b'{"status":"OK"}')

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.api = "127.0.0.1:%d" % self.server.server_address[1]
        self.n = 0

    def invoke(self, event, timeout=30, deadline_in_ms=30000):
        self.n += 1
        rid = "8476a536-e9f4-11e8-9739-%012d" % self.n
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        self.events.put((rid, int(time.time() * 1000) + deadline_in_ms, body))
        with self.cond:
            ok = self.cond.wait_for(lambda: rid in self.answers, timeout)
        check(ok, "no answer for %s within %ss" % (rid, timeout))
        return self.answers[rid]

    def close(self):
        self.server.shutdown()


class Bootstrap:
    def __init__(self, argv, env, root=None):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=self.log,
                                     preexec_fn=(lambda: (os.chroot(root), os.chdir("/")))
                                     if root else None)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")
