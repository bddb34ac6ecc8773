"""Which functions typical checks run, in the order the release link should place them.

Writes mk/link/hot-functions.txt, which mk/link/cc-hot-first hands to lld so that the
code a check runs sits together at the start of .text (why: see that script). Run by
`make hot-functions` after changes that move much code (new dependencies, a new kind
of check); a stale list still works, it only groups less.

How: the release binary (the link script keeps its symbols beside it, OUTPUT.symbols)
runs each check below against local services (an HTTP server; an HTTPS one with a
CA-signed certificate, checked unverified, verified and not trusted; a process holding
an established connection; redis-server, memcached, and RabbitMQ with a real
oslo.messaging RPC server, from `make deps`; TripleO's configuration files for two
services under a HEALTHCHECK_ROOT) under a small ptrace
tracer that puts a breakpoint on the first byte of every function, notes each function
the first time it is entered and lets it run on. Breakpoints rather than single-stepping:
a check enters 300 to 1,000 functions but runs some 300,000 instructions, and each trap
costs a context switch. The checks run on this machine's CPU, so glibc's string functions
are the variants its ifunc resolvers pick; the other CPUs' variants are appended at the
end. Not valgrind's callgrind: its emulated CPU makes glibc pick other variants, and it
missed functions of the static start-up that real runs enter. Not perf: sampling misses
short functions, and virtual machines seldom offer branch tracing. The tracer needs five
ptrace requests, hence ctypes rather than a ptrace library.

Order: functions every profiled check runs first (start-up, argument parsing, output),
then those fewer checks share, grouped by which checks use them, each group in the
order the functions first ran. Rust names are written without their hashes (the same
key the link script computes).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "mk" / "link" / "hot-functions.txt"

sys.path.insert(0, str(Path(__file__).parent))

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_TRACEME, PTRACE_PEEKTEXT, PTRACE_PEEKUSER, PTRACE_POKETEXT, PTRACE_POKEUSER, PTRACE_CONT = 0, 1, 3, 4, 6, 7
PTRACE_SETOPTIONS, PTRACE_O_EXITKILL = 0x4200, 0x100000
RIP_OFFSET = 16 * 8  # struct user_regs_struct: rip is the 17th register (x86_64)
INT3 = 0xCC


def key(name: str) -> str:
    """A symbol's name without the hashes Rust mangling adds and the numbers LTO gives
    its copies of a function (as mk/link/cc-hot-first)."""
    if not name.startswith(("_ZN", "_R")):
        return name
    name = re.sub(r"(\.llvm)?(\.[0-9]+)+$", "", name)
    if name.startswith("_ZN"):
        return re.sub(r"17h[0-9a-f]+E$", "E", name)
    return re.sub(r"Cs[0-9A-Za-z]+_", "C", name)


def symbol_table(binary: Path) -> str:
    """`nm` output for `binary`: the table the link script kept beside a stripped release
    link (deps/openstack_healthcheck-HASH.symbols, for the binary cargo hard-links as
    release/openstack-healthcheck), else the binary's own symbols."""
    for kept in binary.parent.glob("deps/openstack_healthcheck-*.symbols"):
        linked = kept.with_suffix("")
        if linked.exists() and os.path.samefile(linked, binary):
            return kept.read_text()
    return subprocess.run(["nm", "--defined-only", str(binary)], capture_output=True, text=True, check=True).stdout


def symbols(binary: Path) -> tuple[dict[int, list[str]], set[str]]:
    """Function entry addresses (link-time) with their names, and the ifunc names."""
    out = symbol_table(binary)
    funcs: dict[int, list[str]] = {}
    ifuncs: set[str] = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwWiI":
            funcs.setdefault(int(parts[0], 16), []).append(parts[2])
            if parts[1] in "iI":
                ifuncs.add(parts[2])
    if len(funcs) < 1000:
        raise SystemExit(f"{binary}: only {len(funcs)} function symbols: stripped, and no symbol table kept "
                         "beside it (build it with `make build`)")
    return funcs, ifuncs


def _ptrace(request: int, pid: int, addr: int = 0, data: int = 0) -> int:
    return _libc.ptrace(request, pid, addr, data) & 0xFFFFFFFFFFFFFFFF


def trace(binary: Path, funcs: dict[int, list[str]], argv: list[str], env: dict) -> tuple[list[int], int]:
    """Run argv (whose executable is `binary`, maybe through a symlink) and return the
    link-time addresses of the functions it entered, in first-entry order, and its exit code."""
    pid = os.fork()
    if pid == 0:
        try:
            devnull = os.open(os.devnull, os.O_RDWR)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            _libc.ptrace(PTRACE_TRACEME, 0, None, None)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    os.waitpid(pid, 0)  # stopped at the exec, before the first instruction
    _libc.ptrace(PTRACE_SETOPTIONS, pid, None, PTRACE_O_EXITKILL)
    real = str(binary.resolve())
    base = next(int(line.split("-")[0], 16) for line in open(f"/proc/{pid}/maps")
                if line.rstrip().endswith(real) and line.split()[2] == "00000000")
    saved: dict[int, int] = {}
    for addr in funcs:
        at = base + addr
        word = _ptrace(PTRACE_PEEKTEXT, pid, at)
        saved[at] = word & 0xFF
        _ptrace(PTRACE_POKETEXT, pid, at, (word & ~0xFF) | INT3)
    entered: list[int] = []
    deliver = 0
    while True:
        _libc.ptrace(PTRACE_CONT, pid, None, deliver)
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            return entered, os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
        sig = os.WSTOPSIG(status)
        at = _ptrace(PTRACE_PEEKUSER, pid, RIP_OFFSET) - 1
        if sig == signal.SIGTRAP and at in saved:
            word = _ptrace(PTRACE_PEEKTEXT, pid, at)
            _ptrace(PTRACE_POKETEXT, pid, at, (word & ~0xFF) | saved.pop(at))
            _ptrace(PTRACE_POKEUSER, pid, RIP_OFFSET, at)
            entered.append(at - base)
            deliver = 0
        else:
            deliver = sig


class RpcService:
    """RabbitMQ (its own epmd, the user from a definitions file) and a real oslo.messaging
    RPC server on it (tests/rpc/oslo_rpc_server.py, Debian's python3-oslo.messaging), on
    loopback and free ports in `tmp`, as bench/rpc.sh starts them: `config` is the
    nova.conf both read, `password` a file with the broker password, `port` the broker's."""

    def __init__(self, tmp: Path, binary: Path):
        import json
        import secrets

        self.groups: list[int] = []
        mq = tmp / "mq"
        for d in ("home", "mnesia", "log"):
            (mq / d).mkdir(parents=True)
        secret = secrets.token_hex(12)
        self.password = tmp / "mq.pw"
        self.password.write_text(secret)
        (mq / "definitions.json").write_text(json.dumps({
            "users": [{"name": "nova", "password": secret, "tags": ""}], "vhosts": [{"name": "/"}],
            "permissions": [{"user": "nova", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}]}))
        (mq / "rabbitmq.conf").write_text(f"load_definitions = {mq / 'definitions.json'}\n")
        (mq / "enabled_plugins").write_text("[].\n")
        os.chmod(tmp, 0o755)
        subprocess.run(["chown", "-R", "rabbitmq:", str(mq)], check=True)
        self.port, epmd, dist = _free_port(), _free_port(), _free_port()
        env = dict(os.environ, HOME=str(mq / "home"), ERL_EPMD_PORT=str(epmd),
                   RABBITMQ_NODENAME=f"ohc-hot-{os.getpid()}@localhost", RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
                   RABBITMQ_NODE_PORT=str(self.port), RABBITMQ_DIST_PORT=str(dist),
                   RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
                   RABBITMQ_MNESIA_BASE=str(mq / "mnesia"), RABBITMQ_LOG_BASE=str(mq / "log"),
                   RABBITMQ_CONFIG_FILE=str(mq / "rabbitmq.conf"),
                   RABBITMQ_FEATURE_FLAGS_FILE=str(mq / "feature_flags"),
                   RABBITMQ_ENABLED_PLUGINS_FILE=str(mq / "enabled_plugins"))
        as_rabbitmq = ["setpriv", "--reuid", "rabbitmq", "--regid", "rabbitmq", "--clear-groups"]
        self._start([*as_rabbitmq, "epmd", "-port", str(epmd), "-address", "127.0.0.1"], env)
        self._start([*as_rabbitmq, "/usr/lib/rabbitmq/bin/rabbitmq-server"], env)
        login = [str(binary), "probe", "amqp", f"127.0.0.1:{self.port}", "--user", "nova",
                 "--password-file", str(self.password)]
        _wait_until(login, 120, "RabbitMQ")
        self.config = tmp / "nova.conf"
        self.config.write_text(f"[DEFAULT]\ntransport_url = rabbit://nova:{secret}@127.0.0.1:{self.port}/\n"
                               "host = bench\n")
        self._start(["/usr/bin/python3", str(ROOT / "tests/rpc/oslo_rpc_server.py"), "--config-file",
                     str(self.config), "--topic", "conductor", "--service-name", "nova-conductor"], None)
        _wait_until([str(binary), "probe", "rpc", "--config", str(self.config), "--topic", "conductor"], 60,
                    "the oslo.messaging RPC server")

    def _start(self, cmd: list[str], env: dict | None) -> None:
        proc = subprocess.Popen(cmd, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.groups.append(proc.pid)

    def close(self) -> None:
        for group in self.groups:
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _wait_until(cmd: list[str], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} not healthy after {seconds:.0f} s: {' '.join(cmd)}")
        time.sleep(0.5)


def start_kv_servers(tmp: Path) -> tuple[list[subprocess.Popen], int, int, Path]:
    """redis-server (with a password) and memcached on free loopback ports: their ports,
    and the file with redis's password."""
    redis_port, memcached_port = _free_port(), _free_port()
    password = tmp / "redis.pw"
    password.write_text("hot-functions")
    procs = [
        subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", str(tmp), "--requirepass", password.read_text()],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen(["memcached", "-l", "127.0.0.1", "-p", str(memcached_port), "-U", "0",
                          *(["-u", "root"] if os.geteuid() == 0 else [])],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    for port in (redis_port, memcached_port):
        _wait_for(port)
    return procs, redis_port, memcached_port, password


def _wait_for(port: int) -> None:
    import socket

    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on 127.0.0.1:{port} after 10 s")
            time.sleep(0.05)


def tripleo_root(tmp: Path, binary: Path, http_port: int, memcached_port: int) -> tuple[Path, Path]:
    """A HEALTHCHECK_ROOT with keystone's vhost and memcached's sysconfig, and TripleO's
    /openstack/healthcheck linked to the keystone name: (root, that link)."""
    root = tmp / "root"
    vhost = root / "etc/httpd/conf.d/10-keystone_wsgi.conf"
    vhost.parent.mkdir(parents=True)
    vhost.write_text(f"<VirtualHost 127.0.0.1:{http_port}>\n  ServerName 127.0.0.1\n  SSLEngine off\n"
                     f"  WSGIScriptAlias / \"/var/www/cgi-bin/keystone/keystone\"\n</VirtualHost>\n")
    sysconfig = root / "etc/sysconfig/memcached"
    sysconfig.parent.mkdir(parents=True)
    sysconfig.write_text(f'PORT="{memcached_port}"\nOPTIONS="-l 127.0.0.1 -U 0"\n')
    (tmp / "names").mkdir()
    (tmp / "names" / "keystone").symlink_to(binary)
    (tmp / "openstack").mkdir()
    (tmp / "openstack" / "healthcheck").symlink_to(tmp / "names" / "keystone")
    return root, tmp / "openstack" / "healthcheck"


def checks(host, tls, kv: tuple, rpc: RpcService, tripleo: tuple, links: Path,
           binary: Path) -> list[tuple[str, list[str], dict, int]]:
    """The profiled checks, most important first: (name, argv, extra env, expected exit)."""
    http = f"http://127.0.0.1:{host.http_port}/"
    agent = ["ohc-bench-agent", str(host.agent_port)]
    closed = _free_port()
    _, redis_port, memcached_port, redis_password = kv
    root, openstack_healthcheck = tripleo
    https = f"https://127.0.0.1:{tls.port}/"
    return [
        ("kolla healthcheck_curl, HTTP", [str(links / "healthcheck_curl"), http], {}, 0),
        ("kolla healthcheck_port", [str(links / "healthcheck_port"), *agent], {}, 0),
        ("probe port (TripleO healthcheck_port)", [str(binary), "probe", "port", *agent], {}, 0),
        ("probe tcp", [str(binary), "probe", "tcp", f"127.0.0.1:{host.http_port}"], {}, 0),
        ("TripleO keystone, /openstack/healthcheck", [str(openstack_healthcheck)], {"HEALTHCHECK_ROOT": str(root)}, 0),
        ("TripleO memcached", [str(binary), "memcached"], {"HEALTHCHECK_ROOT": str(root)}, 0),
        ("kolla healthcheck_curl, HTTPS", [str(links / "healthcheck_curl"), https], {}, 0),
        ("kolla healthcheck_port, first run", [str(links / "healthcheck_port"), *agent], {"HEALTHCHECK_NO_HINTS": "1"}, 0),
        ("kolla healthcheck_listen", [str(links / "healthcheck_listen"), *agent], {}, 0),
        ("kolla healthcheck_curl, HTTP 404", [str(links / "healthcheck_curl"), http + "missing"], {}, 1),
        ("probe tcp, refused", [str(binary), "probe", "tcp", f"127.0.0.1:{closed}"], {}, 1),
        ("--version", [str(binary), "--version"], {}, 0),
        ("probe http, HTTPS", [str(binary), "probe", "http", https], {}, 0),
        ("probe http, HTTPS verified against --cacert",
         [str(binary), "probe", "http", "--verify", "--cacert", str(tls.ca), https], {}, 0),
        ("probe http, HTTPS verified against the system CA bundle",
         [str(binary), "probe", "http", "--verify", https], {"SSL_CERT_FILE": str(tls.bundle)}, 0),
        ("probe http, HTTPS not trusted by the system CA bundle", [str(binary), "probe", "http", "--verify", https], {}, 1),
        ("probe redis", [str(binary), "probe", "redis", f"127.0.0.1:{redis_port}",
                         "--password-file", str(redis_password)], {}, 0),
        ("probe memcached", [str(binary), "probe", "memcached", f"127.0.0.1:{memcached_port}"], {}, 0),
        ("probe amqp, login", [str(binary), "probe", "amqp", f"127.0.0.1:{rpc.port}", "--user", "nova",
                               "--password-file", str(rpc.password)], {}, 0),
        ("probe rpc", [str(binary), "probe", "rpc", "--config", str(rpc.config), "--topic", "conductor"], {}, 0),
    ]


def _free_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def order(profiles: list[list[int]]) -> list[int]:
    """Functions every check runs first; then by how many checks run them, grouped by
    which ones, each group in first-entry order."""
    count: dict[int, int] = {}
    users: dict[int, tuple[int, ...]] = {}
    first: dict[int, tuple[int, int]] = {}
    for i, prof in enumerate(profiles):
        for j, addr in enumerate(prof):
            count[addr] = count.get(addr, 0) + 1
            users[addr] = users.get(addr, ()) + (i,)
            first.setdefault(addr, (i, j))
    return sorted(count, key=lambda a: (-count[a], users[a], first[a]))


def other_cpu_variants(names: list[str], funcs: dict[int, list[str]], ifuncs: set[str]) -> list[str]:
    """glibc's alternatives of the ifunc variants that ran (e.g. __strlen_evex and
    __strlen_sse2 next to the __strlen_avx2 this CPU picked)."""
    all_names = sorted({n for ns in funcs.values() for n in ns})
    ran = set(names)
    extra: list[str] = []
    for ifunc in sorted(ifuncs):
        prefix = f"__{ifunc}_"
        family = [n for n in all_names if n.startswith(prefix)]
        if any(n in ran for n in family):
            extra += [n for n in family if n not in ran]
    return extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", type=Path, required=True, help="the release binary (make's BIN)")
    ap.add_argument("--write", action="store_true", help=f"write {LIST.relative_to(ROOT)}")
    a = ap.parse_args()
    binary = a.binary.resolve()
    funcs, ifuncs = symbols(binary)
    os.environ["BIN"] = str(binary)  # engine.py's default binary: this one
    from engine import Host, TlsServer  # noqa: E402 (the benchmark's HTTP(S) servers and agent process)

    profiles: list[list[int]] = []
    with tempfile.TemporaryDirectory(prefix="ohc-hot-") as t:
        tmp = Path(t)
        links = tmp / "bin"
        links.mkdir()
        for name in ("healthcheck_curl", "healthcheck_port", "healthcheck_listen"):
            (links / name).symlink_to(binary)
        state = tmp / "state"
        host = Host(tmp)
        kv = tls = rpc = None
        try:
            tls = TlsServer(tmp, host.www)
            kv = start_kv_servers(tmp)
            rpc = RpcService(tmp, binary)
            tripleo = tripleo_root(tmp, binary, host.http_port, kv[2])
            for name, argv, extra, expect in checks(host, tls, kv, rpc, tripleo, links, binary):
                env = dict(os.environ, HEALTHCHECK_TIMEOUT="600", HEALTHCHECK_STATE_DIR=str(state), **extra)
                # Once untraced first: the port check's hint then exists, as in every later run.
                subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                t0 = time.monotonic()
                entered, code = trace(binary, funcs, argv, env)
                if code != expect:
                    raise SystemExit(f"{name}: exit {code} under the tracer, expected {expect}")
                print(f"{name}: {len(entered)} functions ({time.monotonic() - t0:.1f} s)", file=sys.stderr)
                profiles.append(entered)
        finally:
            host.close()
            if tls:
                tls.close()
            if rpc:
                rpc.close()
            for proc in kv[0] if kv else []:
                proc.kill()
                proc.wait()
    names: list[str] = []
    for addr in order(profiles):
        names += funcs[addr]
    names += other_cpu_variants(names, funcs, ifuncs)
    keys = list(dict.fromkeys(key(n) for n in names))
    header = (
        "# Functions typical checks run, in the order the release link places them first in .text\n"
        "# (mk/link/cc-hot-first). Generated by `make hot-functions` (bench/hot_functions.py): do not edit.\n"
    )
    text = header + "".join(k + "\n" for k in keys)
    if a.write:
        LIST.write_text(text)
        print(f"{LIST.relative_to(ROOT)}: {len(keys)} names from {len(profiles)} checks", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
