# Copyright (c) openstack-healthcheck developers
# SPDX-License-Identifier: Apache-2.0
"""The real kolla-build (kolla 23.0.0, --template-only) renders override files patched by
playbooks/kolla_overrides.yml (the real playbook, through ansible-playbook), and the
Dockerfiles carry the install step, the right /openstack/healthcheck link and HEALTHCHECK.

kolla-ansible's checks run kolla's script names (``healthcheck_curl http://ADDR:PORT``)
inside the containers, from the image's /usr/local/bin, where kolla's base Dockerfile copies
its own scripts (block ``healthcheck_installation``). With the module's defaults the base
image's install step, in ``base_footer`` after that block, makes those names links to the
binary. Proven on the rendered Dockerfile (the order of the two) and on a container built
from it that runs kolla-ansible's own test commands through Docker's HEALTHCHECK and
``docker exec``.

That container is built from the rendered base Dockerfile with what cannot work here
taken out, and nothing else changed: kolla's base image starts from the distribution's
image and installs packages from repositories this machine cannot reach, so FROM is the
cached debootstrap rootfs image the end-to-end tests use (tests/setup/rootfs.sh, its
``minbase`` variant: Debian 12 with no service packages, whose users would clash with the
ones kolla creates), and the instructions that set up repositories or install packages (apt,
extrepo, gpg and curl key fetches, the /etc/apt sources and preferences), kolla 23's
distribution check (it wants Debian 13) and the dumb-init ENTRYPOINT (dumb-init comes from
those packages) are removed. The rootfs has no curl, so kolla's own healthcheck_curl could
not pass there. Its servers are small Perl programs (perl-base is in every Debian): an HTTP
API, a TCP service that keeps its connections, and a client connected to it. ``additions-archive`` is made the way
kolla-build makes it from a ``[base-additions-openstack-healthcheck]`` section (a tar of
``additions/openstack-healthcheck/openstack-healthcheck``), since --template-only makes none.
The image and container carry a per-run name and label and are removed at the end.

Run by `make test-kolla-build`, which puts the collection on ANSIBLE_COLLECTIONS_PATH,
builds the binary (BIN) and starts dockerd.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import uuid

import pytest

from ansible_collections.openstack.healthcheck.plugins.module_utils import images

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The release binary: BIN from make, or the path make would give it.
BIN = os.environ.get("BIN") or subprocess.run(
    ["make", "-s", "--no-print-directory", "-C", REPO, "print-bin"], check=True, capture_output=True, text=True
).stdout.strip()
RUN_ID = "kolla-build-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8])
LABEL = "openstack-healthcheck.test=%s" % RUN_ID
PLAYBOOK = os.path.join(REPO, "playbooks", "kolla_overrides.yml")
FIXTURES = os.path.join(REPO, "collection", "tests", "unit", "fixtures", "kolla-overrides")
MARKER = "managed by openstack.healthcheck.kolla_overrides"


def tool(name):
    path = shutil.which(name)
    assert path, "%s not found: run `make deps` (the venv has ansible-core and kolla==23.0.0)" % name
    return path


def fixture_copy(tmp_path, commit):
    (src,) = glob.glob(os.path.join(FIXTURES, "*.%s.*.j2" % commit))
    dest = str(tmp_path / "overrides.j2")
    shutil.copyfile(src, dest)
    os.chmod(dest, 0o644)
    return dest


def run_playbook(path, output=None, **extra):
    """Run the playbook on ``path``; return how many tasks changed something (from the recap).

    ``output``, a list, receives the run's stdout and stderr.
    """
    extra_vars = dict(kolla_overrides_path=path, kolla_overrides_backup=False, **extra)
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([tool("ansible-playbook"), PLAYBOOK, "-e", json.dumps(extra_vars)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    if output is not None:
        output.append(proc.stdout + proc.stderr)
    (changed,) = re.findall(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", proc.stdout)
    return int(changed)


def kolla_build(tmp_path, override, images):
    """Render the Dockerfiles of ``images`` with kolla-build; return {image: Dockerfile text}."""
    work = str(tmp_path / "work")
    regex = "^(%s)$" % "|".join(images)
    proc = subprocess.run([tool("kolla-build"), "--template-only", "--work-dir", work, "--base", "debian",
                           "--base-tag", "bookworm", "--template-override", override, regex],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rendered = {}
    for dockerfile in glob.glob(os.path.join(work, "docker", "**", "Dockerfile"), recursive=True):
        image = os.path.basename(os.path.dirname(dockerfile))
        if image in images:
            with open(dockerfile) as f:
                rendered[image] = f.read()
    assert sorted(rendered) == sorted(images)
    return rendered


def instructions(dockerfile):
    """The Dockerfile's instructions with continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def assert_shell_syntax(dockerfile):
    """Every RUN of ours must be valid /bin/sh (kolla's images run RUN through it)."""
    ours = [i[4:] for i in instructions(dockerfile) if i.startswith("RUN ") and "openstack-healthcheck" in i]
    assert ours
    for command in ours:
        proc = subprocess.run(["sh", "-n", "-c", command], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, (command, proc.stderr)


def link_of(dockerfile):
    return re.findall(r"ln -sfn /usr/share/openstack-healthcheck/(\S+) /openstack/healthcheck", dockerfile)


SERVICES = {"nova-api": "nova-api", "keystone": "keystone", "neutron-openvswitch-agent": "neutron-ovs-agent"}


def test_patched_tripleo_file_renders_with_checks_and_healthcheck(tmp_path):
    override = fixture_copy(tmp_path, "8c46306e")
    assert run_playbook(override, kolla_overrides_services=sorted(SERVICES.values()),
                        kolla_overrides_healthcheck=True, kolla_overrides_interval=60) == 1
    rendered = kolla_build(tmp_path, override, ["base"] + sorted(SERVICES))

    base = rendered["base"]
    assert "ADD additions-archive /" in base
    assert "install -m 0755 /additions/openstack-healthcheck/openstack-healthcheck /usr/bin/openstack-healthcheck" in base
    assert "ln -sfn /usr/bin/openstack-healthcheck /usr/share/openstack-healthcheck/$check" in base
    (linked,) = re.findall(r"for check in ([^;]*); do", " ".join(instructions(base)))
    assert linked.split() == images.all_checks()
    # The install step sits in base_footer: after kolla's own setup, before CMD.
    steps = instructions(base)
    install_at = next(i for i, s in enumerate(steps) if "/usr/bin/openstack-healthcheck --version" in s)
    assert install_at > next(i for i, s in enumerate(steps) if s.startswith("COPY set_configs.py"))
    assert steps[-1].startswith("CMD")
    assert_shell_syntax(base)

    for image, check in SERVICES.items():
        dockerfile = rendered[image]
        assert link_of(dockerfile) == [check], image
        steps = instructions(dockerfile)
        healthchecks = [s for s in steps if s.startswith("HEALTHCHECK")]
        assert healthchecks == ['HEALTHCHECK --interval=60s --timeout=30s --start-period=5s --retries=3 '
                                'CMD ["/openstack/healthcheck"]'], image
        # Our RUN runs as root: before the image's own USER switch, if it has one.
        link_at = next(i for i, s in enumerate(steps) if "/openstack/healthcheck" in s and s.startswith("RUN"))
        users = [i for i, s in enumerate(steps) if s.startswith("USER ")]
        assert all(u > link_at or steps[u] == "USER root" for u in users), image
        assert_shell_syntax(dockerfile)

    for dockerfile in rendered.values():
        assert MARKER not in dockerfile and "{%" not in dockerfile and "{#" not in dockerfile

    # Second run: nothing to change.
    assert run_playbook(override, kolla_overrides_services=sorted(SERVICES.values()),
                        kolla_overrides_healthcheck=True, kolla_overrides_interval=60) == 0


def test_install_only_and_package_source_on_a_new_file(tmp_path):
    override = str(tmp_path / "new.j2")
    with open(override, "w") as f:
        f.write("{% extends parent_template %}\n")
    run_playbook(override, kolla_overrides_services=["mariadb", "ovn-dbs", "rabbitmq"],
                 kolla_overrides_binary_source="package")
    rendered = kolla_build(tmp_path, override, ["base", "mariadb-server", "ovn-northd", "rabbitmq"])
    # kolla 23's Debian base is a deb image: the package step takes the apt branch.
    assert "apt-get -y install --no-install-recommends openstack-healthcheck" in rendered["base"]
    assert "dnf" not in " ".join(s for s in instructions(rendered["base"]) if "openstack-healthcheck" in s)
    assert_shell_syntax(rendered["base"])
    assert link_of(rendered["mariadb-server"]) == ["mariadb"]  # mariadb-server's block is mariadb_footer
    assert link_of(rendered["ovn-northd"]) == ["ovn-dbs"]
    for image in ("mariadb-server", "ovn-northd", "rabbitmq"):
        assert "HEALTHCHECK" not in rendered[image]
        assert_shell_syntax(rendered[image])
    # kolla's mariadb-server and rabbitmq images install scripts of their own after the base
    # image: the links of those names come after them, in those images.
    for image, installed, link in (
            ("mariadb-server", "COPY healthcheck_mariadb /usr/local/bin/healthcheck_mariadb",
             "for name in healthcheck_mariadb; do ln -sfn /usr/bin/openstack-healthcheck /usr/local/bin/$name"),
            ("mariadb-server", "/usr/bin/healthcheck.sh",
             "for name in healthcheck.sh; do ln -sfn /usr/bin/openstack-healthcheck /usr/bin/$name"),
            ("rabbitmq", "COPY healthcheck_rabbitmq /usr/local/bin/healthcheck_rabbitmq",
             "for name in healthcheck_rabbitmq; do ln -sfn /usr/bin/openstack-healthcheck /usr/local/bin/$name")):
        steps = instructions(rendered[image])
        (kolla_at,) = [i for i, s in enumerate(steps) if installed in s and "openstack-healthcheck" not in s]
        (ours_at,) = [i for i, s in enumerate(steps) if link in s]
        assert kolla_at < ours_at, (image, installed)


@pytest.mark.parametrize("commit", ["0cab033b"])
def test_absent_renders_exactly_like_the_original(tmp_path, commit):
    override = fixture_copy(tmp_path, commit)
    with open(override, "rb") as f:
        original = f.read()
    run_playbook(override, kolla_overrides_services=["nova-api"], kolla_overrides_healthcheck=True)
    run_playbook(override, kolla_overrides_state="absent")
    with open(override, "rb") as f:
        assert f.read() == original


def test_a_host_without_jinja2_says_the_parse_was_skipped(tmp_path):
    # A Python with nothing but its standard library, as on a host without Jinja2 (a venv of
    # its own, so whatever the machine's Pythons have installed does not count).
    bare = str(tmp_path / "bare-python")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", bare], check=True)
    python = os.path.join(bare, "bin", "python")
    assert subprocess.run([python, "-c", "import jinja2"], capture_output=True, check=False).returncode != 0
    override = fixture_copy(tmp_path, "0cab033b")
    output = []
    assert run_playbook(override, output, kolla_overrides_services=["nova-api"],
                        ansible_python_interpreter=python) == 1
    warning = "Jinja2 is not installed for %s, the Python running this module" % python
    assert warning in " ".join(output[0].split())
    # With Jinja2 (the venv's Python, the default here), no such warning.
    output = []
    run_playbook(override, output, kolla_overrides_services=["keystone"])
    assert "Jinja2 is not installed" not in output[0]


# kolla's base Dockerfile copies its scripts here (block healthcheck_installation).
KOLLA_SCRIPTS_COPY = "COPY healthcheck_curl healthcheck_filemod healthcheck_listen healthcheck_port " \
                     "healthcheck_socket /usr/local/bin/"
OUR_KOLLA_LINKS = re.compile(r"for name in ([^;]*); do ln -sfn /usr/bin/openstack-healthcheck /usr/local/bin/\$name")


def sh(args, check=True, **kwargs):
    proc = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    if check and proc.returncode != 0:
        pytest.fail("%s: exit %d\n%s%s" % (" ".join(args), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def dockerfile_blocks(text):
    """The Dockerfile as (instruction, its text) pairs; comment lines inside a continued instruction
    belong to it (Docker drops them), blank and comment lines outside are kept as they are."""
    blocks, current = [], []
    for line in text.splitlines(True):
        current.append(line)
        stripped = line.strip()
        if len(current) > 1 and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            continue
        chunk = "".join(current)
        words = chunk.split()
        blocks.append(((words[0].upper() if words and not words[0].startswith("#") else ""), chunk))
        current = []
    if current:
        blocks.append(("", "".join(current)))
    return blocks


# What goes from the rendered base Dockerfile (see the module's doc comment for why).
_PACKAGES = re.compile(r"\b(apt|apt-get|extrepo|gpg|curl|dnf)\b")


def offline_base_dockerfile(text, from_image):
    """The rendered base Dockerfile with FROM the rootfs image and the unreachable steps removed;
    returns (Dockerfile, [why each removed instruction went])."""
    kept, removed = [], []
    for instruction, chunk in dockerfile_blocks(text):
        why = None
        if "openstack-healthcheck" in chunk:
            pass
        elif instruction == "RUN" and "/etc/os-release" in chunk:
            why = "distribution check"
        elif instruction == "RUN" and _PACKAGES.search(chunk):
            why = "packages or repository keys"
        elif instruction == "COPY" and "/etc/apt/" in chunk:
            why = "repository configuration"
        elif instruction == "ENTRYPOINT" and "dumb-init" in chunk:
            why = "dumb-init entrypoint"
        if instruction == "FROM":
            kept.append("FROM %s\n" % from_image)
        elif why:
            removed.append(why)
        else:
            kept.append(chunk)
    return "".join(kept), removed


def additions_archive(path):
    """additions-archive as kolla-build makes it from a local [base-additions-openstack-healthcheck]
    directory named openstack-healthcheck: the directory tarred under additions/."""
    staging = os.path.join(os.path.dirname(path), "additions-staging")
    os.makedirs(os.path.join(staging, "openstack-healthcheck"))
    shutil.copy(BIN, os.path.join(staging, "openstack-healthcheck", "openstack-healthcheck"))
    with tarfile.open(path, "w") as tar:
        tar.add(staging, arcname="additions")
    shutil.rmtree(staging)


# The container's programs (Perl: perl-base is in the minimal rootfs); each carries a marker
# in its command line, which is what healthcheck_port/_listen match (like pgrep -f).
HTTP_API = ('use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:8774", Listen => 16, '
            'ReuseAddr => 1) or die; while (my $c = $s->accept) { while (<$c>) { last if /^\\r?$/ } '
            'print $c "HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\nConnection: close\\r\\n\\r\\nok\\n"; '
            'close $c }  # kolla-api')
SERVICE = ('use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:11211", Listen => 16, '
           'ReuseAddr => 1) or die; my @kept; while (my $c = $s->accept) { push @kept, $c }  # kolla-service')
CLIENT = 'use IO::Socket::INET; my $c = IO::Socket::INET->new("127.0.0.1:11211") or die; sleep 3600  # kolla-client'


def wait_for_health(container, wanted, seconds=90):
    deadline = time.monotonic() + seconds
    state = {}
    while time.monotonic() < deadline:
        state = json.loads(sh(["docker", "inspect", "-f", "{{json .State}}", container]).stdout)
        if (state.get("Health") or {}).get("Status") == wanted:
            return state["Health"]
        if not state.get("Running"):
            break
        time.sleep(0.5)
    logs = sh(["docker", "logs", container], check=False)
    pytest.fail("%s did not become %s: %s\n%s%s" % (container, wanted, json.dumps(state)[-2000:], logs.stdout[-2000:],
                                                   logs.stderr[-2000:]))


@pytest.fixture
def docker_run():
    """Image tags and containers of this run, removed by label and tag at the end."""
    made = {"images": []}
    yield made
    ids = sh(["docker", "ps", "-aq", "--filter", "label=" + LABEL], check=False).stdout.split()
    if ids:
        sh(["docker", "rm", "-f"] + ids, check=False)
    for tag in made["images"]:
        sh(["docker", "rmi", "-f", tag], check=False)


def test_kolla_ansible_checks_run_the_binary_in_a_built_base_image(tmp_path, docker_run):
    assert os.access(BIN, os.X_OK), "no binary at %s: run make build" % BIN
    override = str(tmp_path / "overrides.j2")
    with open(override, "w") as f:
        f.write("{% extends parent_template %}\n")
    # The module's defaults: nothing asked about kolla's names.
    run_playbook(override, kolla_overrides_services=["keystone"])
    rendered = kolla_build(tmp_path, override, ["base"])["base"]

    # In the Dockerfile kolla-build renders, our links come after kolla copied its scripts.
    steps = instructions(rendered)
    copied_at = steps.index(KOLLA_SCRIPTS_COPY)
    (linked_at,) = [i for i, s in enumerate(steps) if OUR_KOLLA_LINKS.search(s)]
    assert copied_at < linked_at
    (names,) = OUR_KOLLA_LINKS.findall(steps[linked_at])
    assert names.split() == ["healthcheck_curl", "healthcheck_port", "healthcheck_listen", "healthcheck_socket",
                             "healthcheck_filemod"]

    # Build it (see the module's doc comment for what is taken out, and why).
    context = str(tmp_path / "work" / "docker" / "base")
    base_image = sh(["bash", os.path.join(REPO, "tests", "setup", "rootfs.sh"), "docker", "minbase"]).stdout.strip()
    dockerfile, removed = offline_base_dockerfile(rendered, base_image)
    # kolla 23.0.0's Debian base: one distribution check, five package or key steps (two apt-get
    # installs, extrepo, gpg and curl key fetches), four files under /etc/apt, dumb-init.
    assert sorted(removed) == sorted(["distribution check", "dumb-init entrypoint"]
                                     + ["packages or repository keys"] * 5 + ["repository configuration"] * 4)
    assert [s for s in instructions(dockerfile) if "healthcheck" in s] == \
        [s for s in steps if "healthcheck" in s], "only unreachable steps may go"
    with open(os.path.join(context, "Dockerfile"), "w") as f:
        f.write(dockerfile)
    additions_archive(os.path.join(context, "additions-archive"))
    tag = "ohc-kolla-base-test:%s" % RUN_ID
    docker_run["images"].append(tag)
    sh(["docker", "build", "-q", "--label", LABEL, "-t", tag, context], env=dict(os.environ, DOCKER_BUILDKIT="0"))

    # A container running an HTTP API, a service and a client of it, checked as kolla-ansible
    # configures it: Docker runs `healthcheck_curl http://ADDR:PORT` inside the container.
    container = "ohc-%s" % RUN_ID
    sh(["docker", "run", "-d", "--label", LABEL, "--name", container, "--network", "none",
        "--health-cmd", "healthcheck_curl http://127.0.0.1:8774", "--health-interval", "1s",
        "--health-retries", "2", "--health-start-period", "60s", "--entrypoint", "/bin/bash", tag, "-c",
        "perl -e '%s' & echo $! >/tmp/kolla-api.pid; perl -e '%s' & sleep 1; perl -e '%s' & wait"
        % (HTTP_API, SERVICE, CLIENT)])
    health = wait_for_health(container, "healthy")
    assert re.match(r"^\n?200 127\.0\.0\.1:8774 [0-9.]+ seconds\n?$", health["Log"][-1]["Output"]), health

    def in_container(*args):
        return sh(["docker", "exec", container] + list(args), check=False)

    for name in ("healthcheck_curl", "healthcheck_port", "healthcheck_listen", "healthcheck_socket",
                 "healthcheck_filemod"):
        assert in_container("readlink", "-f", "/usr/local/bin/" + name).stdout.strip() == \
            "/usr/bin/openstack-healthcheck", name
    curl = in_container("healthcheck_curl", "http://127.0.0.1:8774")
    assert curl.returncode == 0 and re.match(r"^\n?200 127\.0\.0\.1:8774 [0-9.]+ seconds$", curl.stdout.rstrip()), curl
    assert in_container("healthcheck_listen", "kolla-service", "11211").returncode == 0
    assert in_container("healthcheck_port", "kolla-client", "11211").returncode == 0
    for wrong in (("healthcheck_curl", "http://127.0.0.1:1"), ("healthcheck_listen", "kolla-service", "11212"),
                  ("healthcheck_listen", "kolla-client", "11211"), ("healthcheck_port", "kolla-client", "11212")):
        assert in_container(*wrong).returncode == 1, wrong
    # The binary's own usage line, where kolla's script would have run ss and grep.
    usage = in_container("healthcheck_port", "kolla-client")
    assert usage.returncode == 1 and "usage: healthcheck_port PROCESS PORT..." in usage.stdout + usage.stderr

    # The API goes away: Docker's check, run by the binary, turns the container unhealthy.
    assert in_container("sh", "-c", "kill $(cat /tmp/kolla-api.pid)").returncode == 0
    health = wait_for_health(container, "unhealthy")
    assert "127.0.0.1:8774" in health["Log"][-1]["Output"], health
