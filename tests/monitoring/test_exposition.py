"""`--format prometheus` against real peers: promtool (Prometheus' own linter) accepts every
exposition, the values are the verdict's and the peer's (the HTTP status served, the
certificate's notAfter as openssl reads it), and the exit status stays the engines' 0/1."""

import re

from conftest import free_port, run_check, sh


def promtool_clean(text):
    """`promtool check metrics` on `text`: exit 0 and nothing to say."""
    proc = sh(["promtool", "check", "metrics"], check=False, input=text + "\n")
    assert proc.returncode == 0 and not proc.stdout.strip() and not proc.stderr.strip(), (
        "promtool check metrics: exit %s\n%s%s\non:\n%s" % (proc.returncode, proc.stdout, proc.stderr, text)
    )


def samples(text):
    """{metric name: (labels text, value)} of an exposition with one sample per family."""
    found = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$", line)
        assert m, "not a sample line: %r" % line
        assert m.group(1) not in found, "two samples of %s in one check's output" % m.group(1)
        found[m.group(1)] = (m.group(2) or "", float(m.group(3)))
    return found


def test_healthy_http(binary, http_server):
    code, out = run_check(binary, "--format", "prometheus", "probe", "http", http_server.url)
    assert code == 0, out
    promtool_clean(out)
    got = samples(out)
    assert got["probe_success"] == ('{check="http",target="%s"}' % http_server.url, 1.0)
    assert got["openstack_healthcheck_cannot_tell"][1] == 0.0
    assert got["probe_http_status_code"][1] == 200.0
    assert 0.0 < got["probe_duration_seconds"][1] < 30.0
    assert "probe_ssl_earliest_cert_expiry" not in got


def test_unhealthy_http_status(binary, http_server):
    # http.server answers 404 for a file that is not there: curl --fail's failure.
    code, out = run_check(binary, "--format", "prometheus", "probe", "http", http_server.url + "missing")
    assert code == 1, out
    promtool_clean(out)
    got = samples(out)
    assert got["probe_success"][1] == 0.0
    assert got["probe_http_status_code"][1] == 404.0
    assert got["openstack_healthcheck_cannot_tell"][1] == 0.0


def test_unhealthy_stopped_server(binary, http_server):
    http_server.stop()
    code, out = run_check(binary, "--format", "prometheus", "probe", "tcp", "127.0.0.1:%d" % http_server.port)
    assert code == 1, out
    promtool_clean(out)
    got = samples(out)
    assert got["probe_success"][1] == 0.0
    assert got["openstack_healthcheck_cannot_tell"][1] == 0.0
    assert "probe_http_status_code" not in got


def test_tls_certificate_expiry(binary, tls_server):
    code, out = run_check(binary, "--format", "prometheus", "probe", "http", tls_server.url)
    assert code == 0, out
    promtool_clean(out)
    got = samples(out)
    assert got["probe_ssl_earliest_cert_expiry"][1] == float(tls_server.not_after)
    assert got["probe_http_status_code"][1] == 200.0
    # Verifying against its own certificate as CA fails (it is self-signed as a leaf),
    # and the handshake's certificate still gives its expiry only when it completed.
    code, out = run_check(binary, "--format", "prometheus", "probe", "http", tls_server.url, "--cacert", tls_server.cert)
    assert code == 1, out
    promtool_clean(out)
    assert samples(out)["probe_success"][1] == 0.0


def test_cannot_tell_and_bad_invocation(binary, tmp_path):
    # The heartbeat's database does not answer: the check cannot tell.
    conf = tmp_path / "nova.conf"
    conf.write_text("[database]\nconnection = mysql+pymysql://nova:x@127.0.0.1:%d/nova\n" % free_port())
    code, out = run_check(binary, "--format", "prometheus", "probe", "heartbeat", "--config", str(conf),
                          "--service", "nova-conductor", "--host", "h1")
    assert code == 1, out
    promtool_clean(out)
    got = samples(out)
    assert got["openstack_healthcheck_cannot_tell"][1] == 1.0
    assert got["probe_success"][1] == 0.0
    # So is an address that does not parse.
    code, out = run_check(binary, "--format", "prometheus", "probe", "tcp", "no-port-here")
    assert code == 1, out
    promtool_clean(out)
    got = samples(out)
    assert got["openstack_healthcheck_cannot_tell"][1] == 1.0
    assert got["probe_success"][1] == 0.0
    # A usage error is reported in the format asked for too.
    code, out = run_check(binary, "--format", "prometheus", "probe", "http")
    assert code == 1, out
    promtool_clean(out)
    assert samples(out)["openstack_healthcheck_cannot_tell"][1] == 1.0


def test_labels_escaped(binary, http_server):
    target = http_server.url + 'a"b\\c'
    code, out = run_check(binary, "--format", "prometheus", "probe", "http", target)
    promtool_clean(out)
    assert 'target="%s"' % target.replace("\\", "\\\\").replace('"', '\\"') in out, out


def test_default_output_and_exit_unchanged(binary, http_server):
    code, out = run_check(binary, "probe", "http", http_server.url)
    assert code == 0 and out.startswith("healthy: http %s: HTTP 200" % http_server.url), out
    code, out = run_check(binary, "probe", "tcp", "no-port-here")
    assert code == 1 and out.startswith("unhealthy: tcp no-port-here: "), out
