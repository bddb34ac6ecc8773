"""The host agent's metrics on real Docker containers, read by the real tools: the agent
(`agent --once --textfile`) checks a container whose service answers and one whose service
is not there (both named by the label openstack.healthcheck.check, kolla's healthcheck_curl)
and one whose health test is left to Docker; `promtool check metrics` accepts its textfile
and its /metrics endpoint; node_exporter's textfile collector serves the per-container
series with the right values; a Prometheus server scraping both a running agent's endpoint
(`--interval 1 --metrics-listen`) and node_exporter serving that agent's textfile finds
probe_success 1 and 0 from each, and the shipped alert rule `OpenStackContainerUnhealthy`
goes pending for the unhealthy container only (once per job).

Needs root (the agent enters the containers' namespaces) and a Docker engine
(tests/setup/dockerd.sh starts one); fails when either is missing.
"""

import json
import os
import shutil
import socket
import tempfile
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import accepts, free_port, sh, wait_for
from test_exposition import promtool_clean

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE_DOCKERFILE = os.path.join(REPO, "tests", "containers", "image", "Dockerfile")
RULES = os.path.join(REPO, "packaging", "monitoring", "prometheus", "openstack-healthcheck.rules.yml")
BUSYBOX = "/bin/busybox"
RUN_ID = "metrics-%d" % os.getpid()
LABEL = "openstack-healthcheck.test=%s" % RUN_ID
IMAGE = "ohc-metrics-test:%s" % RUN_ID
SERVICE_PORT = 8080


class Containers(object):
    """The three containers of the tests, by name."""

    def __init__(self):
        self.healthy = "ohc-%s-up" % RUN_ID
        self.unhealthy = "ohc-%s-down" % RUN_ID
        self.foreign = "ohc-%s-foreign" % RUN_ID


def run_container(name, command, labels=()):
    args = ["docker", "run", "-d", "--label", LABEL, "--name", name]
    for label in labels:
        args += ["--label", label]
    sh(args + [IMAGE, "sh", "-c", command])


@pytest.fixture(scope="module")
def containers():
    if os.geteuid() != 0:
        pytest.fail("the agent needs root (CAP_SYS_PTRACE, CAP_SYS_ADMIN): run `make test-monitoring` as root")
    sh(["bash", os.path.join(REPO, "tests", "setup", "dockerd.sh")])
    if not os.access(BUSYBOX, os.X_OK):
        pytest.fail("%s missing: install busybox-static (tests/setup/packages/85-monitoring.txt)" % BUSYBOX)
    context = tempfile.mkdtemp(prefix="ohc-metrics-image-")
    try:
        shutil.copy(IMAGE_DOCKERFILE, context)
        shutil.copy(BUSYBOX, os.path.join(context, "busybox"))
        sh(["docker", "build", "-q", "--label", LABEL, "-t", IMAGE, context], env=dict(os.environ, DOCKER_BUILDKIT="0"))
    finally:
        shutil.rmtree(context)
    names = Containers()
    check = ["openstack.healthcheck.check=healthcheck_curl",
             "openstack.healthcheck.args=http://127.0.0.1:%d/" % SERVICE_PORT]
    try:
        # busybox httpd serves /tmp in the container's own network namespace.
        run_container(names.healthy, "echo ok >/tmp/index.html && exec httpd -f -p %d -h /tmp" % SERVICE_PORT, check)
        # The same check, nothing listening.
        run_container(names.unhealthy, "exec sleep 3600", check)
        # No label, no health test: left to Docker, not ours.
        run_container(names.foreign, "exec sleep 3600")
        wait_for("httpd in %s" % names.healthy, lambda: sh(
            ["docker", "exec", names.healthy, "wget", "-q", "-O", "-", "http://127.0.0.1:%d/" % SERVICE_PORT],
            check=False).stdout.strip() == "ok")
        yield names
    finally:
        ids = sh(["docker", "ps", "-aq", "--filter", "label=" + LABEL], check=False).stdout.split()
        if ids:
            sh(["docker", "rm", "-f"] + ids, check=False)
        sh(["docker", "rmi", "-f", IMAGE], check=False)


def http_get(url, timeout=5):
    """(status, headers, body text) of a GET, error statuses included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def sample_lines(text):
    return set(line for line in text.splitlines() if line and not line.startswith("#"))


def expected_series(names, sorted_labels):
    """The lines the agent's round must have for the three containers; node_exporter and
    Prometheus order labels by name, the agent writes container, runtime, check."""

    def labels(container, check=None):
        pairs = [("container", container), ("runtime", "docker")]
        if check:
            pairs.append(("check", check))
        if sorted_labels:
            pairs.sort()
        return "{%s}" % ",".join('%s="%s"' % p for p in pairs)

    curl = "healthcheck_curl"
    return [
        "openstack_healthcheck_container_checked%s 1" % labels(names.healthy),
        "openstack_healthcheck_container_checked%s 1" % labels(names.unhealthy),
        "openstack_healthcheck_container_checked%s 0" % labels(names.foreign),
        "probe_success%s 1" % labels(names.healthy, curl),
        "probe_success%s 0" % labels(names.unhealthy, curl),
        "openstack_healthcheck_cannot_tell%s 0" % labels(names.healthy, curl),
        "openstack_healthcheck_cannot_tell%s 0" % labels(names.unhealthy, curl),
    ]


def assert_round(text, names, sorted_labels=False):
    lines = sample_lines(text)
    for line in expected_series(names, sorted_labels):
        assert line in lines, "%s not in:\n%s" % (line, text)
    # Not ours: no verdict series.
    assert not any(l.startswith("probe_success{") and names.foreign in l for l in lines), text
    # Both checked containers have a duration.
    for name in (names.healthy, names.unhealthy):
        assert any(l.startswith("probe_duration_seconds{") and '"%s"' % name in l for l in lines), text


def start_node_exporter(daemons, directory, tmp_path):
    """node_exporter with only its textfile collector, on `directory`; its port once it accepts."""
    port = free_port()
    daemons.start("node_exporter", [
        "prometheus-node-exporter", "--collector.disable-defaults", "--collector.textfile",
        "--collector.textfile.directory=%s" % directory, "--web.listen-address=127.0.0.1:%d" % port,
    ], str(tmp_path / "node_exporter.log"))
    wait_for("node_exporter on port %d" % port, lambda: accepts(port))
    return port


def test_textfile_read_by_node_exporter(binary, containers, daemons, tmp_path):
    directory = tmp_path / "textfile"
    directory.mkdir()
    textfile = directory / "openstack-healthcheck.prom"
    proc = sh([binary, "agent", "--once", "--interval", "20", "--state-file", str(tmp_path / "agent.json"),
               "--textfile", str(textfile)])
    assert proc.stdout.startswith("agent: "), proc.stdout
    text = textfile.read_text()
    promtool_clean(text.rstrip("\n"))
    assert_round(text, containers)
    # Only the textfile: the temporary file was renamed over it.
    assert [p.name for p in directory.iterdir()] == ["openstack-healthcheck.prom"]
    # The state file agrees.
    state = dict((c["name"], c) for c in json.loads((tmp_path / "agent.json").read_text())["containers"])
    assert state[containers.healthy]["healthy"] is True and state[containers.healthy]["cannot_tell"] is False
    assert state[containers.unhealthy]["healthy"] is False
    assert state[containers.foreign]["healthy"] is None

    port = start_node_exporter(daemons, directory, tmp_path)
    status, _, body = http_get("http://127.0.0.1:%d/metrics" % port)
    assert status == 200
    lines = sample_lines(body)
    assert "node_textfile_scrape_error 0" in lines, body
    assert_round(body, containers, sorted_labels=True)


def test_a_bad_textfile_name_is_refused(binary, tmp_path):
    proc = sh([binary, "agent", "--once", "--state-file", str(tmp_path / "agent.json"),
               "--textfile", str(tmp_path / "metrics.txt")], check=False)
    assert proc.returncode == 1 and "*.prom" in proc.stdout, proc


def raw_request(port, data):
    """Send `data` as is; the answer's status line ('' when closed unanswered)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        answer = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return answer.split(b"\r\n", 1)[0].decode("latin-1")


def prometheus_query(port, query):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": query}))
    status, _, body = http_get(url)
    assert status == 200, body
    doc = json.loads(body)
    assert doc["status"] == "success", body
    return doc["data"]["result"]


def one_value(port, query):
    result = prometheus_query(port, query)
    return result[0]["value"][1] if len(result) == 1 else None


def test_endpoint_scraped_by_prometheus(binary, containers, daemons, tmp_path):
    agent_port = free_port()
    # The same agent also writes its textfile, which node_exporter serves to Prometheus.
    textfile_dir = tmp_path / "textfile"
    textfile_dir.mkdir()
    agent = daemons.start("agent", [
        binary, "agent", "--interval", "1", "--state-file", str(tmp_path / "agent.json"),
        "--metrics-listen", "127.0.0.1:%d" % agent_port,
        "--textfile", str(textfile_dir / "openstack-healthcheck.prom"),
    ], str(tmp_path / "agent.log"))
    metrics_url = "http://127.0.0.1:%d/metrics" % agent_port

    def first_round():
        assert agent.running(), agent.output()
        if not accepts(agent_port):
            return None
        status, headers, body = http_get(metrics_url)
        return (status, headers, body) if status == 200 else None

    status, headers, body = wait_for("the agent's first round at %s" % metrics_url, first_round, timeout=60)
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    promtool_clean(body.rstrip("\n"))
    assert_round(body, containers)
    # Elsewhere and garbage: answered, and the agent goes on.
    assert http_get("http://127.0.0.1:%d/" % agent_port)[0] == 404
    assert raw_request(agent_port, b"\x16\x03\x01\x00\xff garbage\r\n\r\n").startswith("HTTP/1.1 400 ")
    assert raw_request(agent_port, b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n") in ("", "HTTP/1.1 431 Request Header Fields Too Large")
    assert raw_request(agent_port, b"DELETE /metrics HTTP/1.1\r\n\r\n").startswith("HTTP/1.1 405 ")
    assert agent.running(), agent.output()
    assert http_get(metrics_url)[0] == 200

    node_port = start_node_exporter(daemons, textfile_dir, tmp_path)

    # A Prometheus server scraping the agent and node_exporter every second, with the shipped
    # alert rules.
    prom_port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  evaluation_interval: 1s\n"
        "rule_files:\n"
        "  - %s\n"
        "scrape_configs:\n"
        "  - job_name: openstack-healthcheck-agent\n"
        "    static_configs:\n"
        "      - targets: ['127.0.0.1:%d']\n"
        "  - job_name: node\n"
        "    static_configs:\n"
        "      - targets: ['127.0.0.1:%d']\n" % (RULES, agent_port, node_port)
    )
    sh(["promtool", "check", "config", str(config)])
    prometheus = daemons.start("prometheus", [
        "prometheus", "--config.file=%s" % config, "--storage.tsdb.path=%s" % (tmp_path / "tsdb"),
        "--web.listen-address=127.0.0.1:%d" % prom_port,
    ], str(tmp_path / "prometheus.log"))
    wait_for("prometheus on port %d" % prom_port, lambda: accepts(prom_port) or not prometheus.running())
    assert prometheus.running(), prometheus.output()
    # It listens before its storage is open, answering 503 until then: wait for /-/ready.
    ready_url = "http://127.0.0.1:%d/-/ready" % prom_port
    wait_for("prometheus ready at %s" % ready_url,
             lambda: http_get(ready_url)[0] == 200 or not prometheus.running(), timeout=60, interval=0.5)
    assert prometheus.running(), prometheus.output()

    def query(job, container, want):
        series = 'probe_success{job="%s",container="%s",check="healthcheck_curl"}' % (job, container)
        return lambda: one_value(prom_port, series) == want

    for job in ("openstack-healthcheck-agent", "node"):
        wait_for("probe_success 1 for %s from job %s in Prometheus" % (containers.healthy, job),
                 query(job, containers.healthy, "1"), timeout=60, interval=0.5)
        wait_for("probe_success 0 for %s from job %s in Prometheus" % (containers.unhealthy, job),
                 query(job, containers.unhealthy, "0"), timeout=60, interval=0.5)
        assert one_value(prom_port, 'up{job="%s"}' % job) == "1"
        assert one_value(prom_port, 'openstack_healthcheck_container_checked{job="%s",container="%s"}'
                         % (job, containers.foreign)) == "0"
    assert one_value(prom_port, 'node_textfile_scrape_error{job="node"}') == "0"

    # The shipped alert: pending (for 5m) for the unhealthy container, not for the others.
    def pending():
        status, _, body = http_get("http://127.0.0.1:%d/api/v1/alerts" % prom_port)
        assert status == 200, body
        alerts = json.loads(body)["data"]["alerts"]
        mine = [a for a in alerts if a["labels"].get("alertname") == "OpenStackContainerUnhealthy"
                and a["labels"].get("container", "").startswith("ohc-%s-" % RUN_ID)]
        return mine if len(mine) >= 2 else None

    alerts = wait_for("OpenStackContainerUnhealthy pending", pending, timeout=30, interval=0.5)
    # One per job that carries the series (the endpoint, and the textfile through node_exporter).
    assert sorted((a["labels"]["container"], a["labels"]["job"], a["state"]) for a in alerts) == [
        (containers.unhealthy, "node", "pending"),
        (containers.unhealthy, "openstack-healthcheck-agent", "pending"),
    ], alerts
    assert agent.running(), agent.output()
