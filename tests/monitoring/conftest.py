"""Real peers for the monitoring tests: the binary under test, local servers (plain HTTP and
TLS with a certificate made for the test) on free loopback ports, and process handling for
the monitoring daemons (Nagios Core, Prometheus, node_exporter) the tests start.

Every process started here is stopped at the end of its test.
"""

import os
import signal
import socket
import subprocess
import time

import pytest


def free_port():
    """A TCP port nothing listens on now (the kernel's pick on loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout=20.0, interval=0.1):
    """Poll `predicate` until it returns a true value; fail the test naming `what` if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def sh(args, check=True, **kwargs):
    """Run a command, failing the test with its output when it fails."""
    proc = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if check and proc.returncode != 0:
        pytest.fail("%s failed (exit %s):\n%s%s" % (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
    return proc


class Daemon(object):
    """A process started by a test, stopped (SIGTERM, then SIGKILL) when the test ends."""

    def __init__(self, name, args, log_path, **kwargs):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, **kwargs)

    def running(self):
        return self.proc.poll() is None

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.running():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture
def daemons():
    """Start daemons with `daemons.start(name, args, log_path)`; all are stopped afterwards."""

    class Daemons(list):
        def start(self, name, args, log_path, **kwargs):
            daemon = Daemon(name, args, log_path, **kwargs)
            self.append(daemon)
            return daemon

    started = Daemons()
    yield started
    for daemon in reversed(started):
        daemon.stop()


@pytest.fixture(scope="session")
def binary():
    """The release binary that `make build` made (the Makefile exports its path as BIN)."""
    path = os.environ.get("BIN", "")
    if not (path and os.access(path, os.X_OK)):
        pytest.fail("BIN=%r is not an executable: run through `make test-monitoring`" % path)
    return path


def run_check(binary, *args, env=None):
    """Run the binary with `args`: (exit status, stdout)."""
    full_env = dict(os.environ)
    full_env.pop("HEALTHCHECK_FORMAT", None)
    full_env.update(env or {})
    proc = subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=30, env=full_env)
    return proc.returncode, proc.stdout


class HttpServer(object):
    """Python's http.server on a free loopback port, serving an empty directory."""

    def __init__(self, daemons, directory):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d/" % self.port
        self.daemon = daemons.start(
            "http.server",
            ["/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(directory), str(self.port)],
            str(directory) + ".log",
        )
        wait_for("http.server on port %d" % self.port, lambda: accepts(self.port))

    def stop(self):
        self.daemon.stop()
        wait_for("http.server on port %d to stop" % self.port, lambda: not accepts(self.port))


@pytest.fixture
def http_server(daemons, tmp_path):
    served = tmp_path / "www"
    served.mkdir()
    return HttpServer(daemons, served)


class TlsServer(object):
    """`openssl s_server -www` on a free loopback port with a self-signed certificate valid
    for `days`; `not_after` is its expiry in seconds since the epoch, as openssl reads it."""

    def __init__(self, daemons, directory, days=30):
        self.cert = str(directory / "server.pem")
        key = str(directory / "server.key")
        sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", self.cert, "-days", str(days), "-subj", "/CN=localhost"])
        end = sh(["openssl", "x509", "-in", self.cert, "-noout", "-enddate"]).stdout.strip()
        stamp = end.split("=", 1)[1]
        self.not_after = int(sh(["date", "-u", "-d", stamp, "+%s"]).stdout.strip())
        self.port = free_port()
        self.url = "https://127.0.0.1:%d/" % self.port
        daemons.start(
            "openssl s_server",
            ["openssl", "s_server", "-quiet", "-www", "-accept", "127.0.0.1:%d" % self.port, "-cert", self.cert, "-key", key],
            str(directory / "s_server.log"),
        )
        wait_for("openssl s_server on port %d" % self.port, lambda: accepts(self.port))


@pytest.fixture
def tls_server(daemons, tmp_path):
    directory = tmp_path / "tls"
    directory.mkdir()
    return TlsServer(daemons, directory)
