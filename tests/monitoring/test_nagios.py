"""The binary as a Nagios plugin (`--format nagios`), run by a real Nagios Core 4.

Nagios runs in the foreground from a minimal configuration of its own in a temporary
directory (main config, objects, commands; `interval_length=1`, so a check interval of 1
means one second), checking services against a local HTTP server and a TLS server that the
test starts and stops. What Nagios made of each plugin run is read back from its status
data file (`status.dat`): the state (0 OK, 2 CRITICAL, 3 UNKNOWN), the plugin output and
the performance data.

Debian's nagios4-core package is the core alone; the nagios4 package adds Apache and the
CGIs, which this test does not need (the core needs no systemd either).
"""

import grp
import os
import pwd
import time

import pytest

from conftest import free_port, sh

NAGIOS = "/usr/sbin/nagios4"

OK, CRITICAL, UNKNOWN = 0, 2, 3

MAIN_CONFIG = """\
log_file={d}/nagios.log
cfg_file={d}/objects.cfg
resource_file={d}/resource.cfg
object_cache_file={d}/objects.cache
precached_object_file={d}/objects.precache
status_file={d}/status.dat
status_update_interval=1
temp_file={d}/nagios.tmp
temp_path={d}
lock_file={d}/nagios.lock
check_result_path={d}/checkresults
query_socket={d}/nagios.qh
command_file={d}/nagios.cmd
check_external_commands=0
retain_state_information=0
use_retained_program_state=0
use_retained_scheduling_info=0
interval_length=1
service_inter_check_delay_method=n
host_inter_check_delay_method=n
max_service_check_spread=1
max_host_check_spread=1
check_result_reaper_frequency=1
enable_notifications=0
enable_flap_detection=0
log_rotation_method=n
use_syslog=0
nagios_user={user}
nagios_group={group}
"""

OBJECTS_HEAD = """\
define timeperiod {
  timeperiod_name always
  alias always
  sunday 00:00-24:00
  monday 00:00-24:00
  tuesday 00:00-24:00
  wednesday 00:00-24:00
  thursday 00:00-24:00
  friday 00:00-24:00
  saturday 00:00-24:00
}
define command {
  command_name notify-nobody
  command_line /bin/true
}
define contact {
  contact_name nobody
  host_notifications_enabled 0
  service_notifications_enabled 0
  host_notification_period always
  service_notification_period always
  host_notification_options n
  service_notification_options n
  host_notification_commands notify-nobody
  service_notification_commands notify-nobody
}
define host {
  host_name localhost
  address 127.0.0.1
  max_check_attempts 1
  check_period always
  contacts nobody
  active_checks_enabled 0
}
# The plugin: our binary with the Nagios format; ARG1 is the check and its arguments.
define command {
  command_name openstack-healthcheck
  command_line $USER1$/openstack-healthcheck --format nagios $ARG1$
}
# kolla's drop-in names take no options of ours: the format comes from the environment.
define command {
  command_name kolla-healthcheck_curl
  command_line /usr/bin/env HEALTHCHECK_FORMAT=nagios $USER2$/healthcheck_curl $ARG1$
}
"""

SERVICE = """\
define service {{
  host_name localhost
  service_description {name}
  check_command {command}!{args}
  max_check_attempts 1
  check_interval 1
  retry_interval 1
  check_period always
  notification_period always
  contacts nobody
}}
"""


class Nagios(object):
    """Nagios Core with its own configuration in `directory`, running the services given."""

    def __init__(self, directory, binary, services, daemons):
        self.directory = directory
        (directory / "checkresults").mkdir(parents=True)
        plugins = directory / "plugins"
        plugins.mkdir()
        os.symlink(binary, str(plugins / "openstack-healthcheck"))
        os.symlink(binary, str(plugins / "healthcheck_curl"))
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        (directory / "nagios.cfg").write_text(MAIN_CONFIG.format(d=directory, user=user, group=group))
        (directory / "resource.cfg").write_text("$USER1$=%s\n$USER2$=%s\n" % (plugins, plugins))
        objects = OBJECTS_HEAD + "".join(
            SERVICE.format(name=name, command=command, args=args) for name, command, args in services
        )
        (directory / "objects.cfg").write_text(objects)
        verify = sh([NAGIOS, "-v", str(directory / "nagios.cfg")], check=False)
        assert verify.returncode == 0, "nagios4 -v refused the configuration:\n" + verify.stdout
        self.daemon = daemons.start("nagios4", [NAGIOS, str(directory / "nagios.cfg")], str(directory / "nagios.out"))

    def services(self):
        """{service_description: {key: value}} of the servicestatus blocks of status.dat."""
        path = self.directory / "status.dat"
        if not path.exists():
            return {}
        found, block = {}, None
        for line in path.read_text(errors="replace").splitlines():
            line = line.strip()
            if line == "servicestatus {":
                block = {}
            elif line == "}" and block is not None:
                found[block.get("service_description")] = block
                block = None
            elif block is not None and "=" in line:
                key, value = line.split("=", 1)
                block[key] = value
        return found

    def wait_state(self, service, state, checked_after, timeout=30):
        """The status of `service` once Nagios has recorded a check of it, run at or after
        `checked_after` (epoch seconds), in `state`."""
        deadline = time.monotonic() + timeout
        status = {}
        while time.monotonic() < deadline:
            assert self.daemon.running(), "nagios4 exited:\n" + self.daemon.output()
            status = self.services().get(service) or {}
            if (
                status.get("has_been_checked") == "1"
                and int(status.get("last_check", "0")) >= checked_after
                and int(status["current_state"]) == state
            ):
                return status
            time.sleep(0.25)
        log = (self.directory / "nagios.log").read_text(errors="replace")
        pytest.fail("%s never reached state %d; last status: %r\nnagios.log:\n%s" % (service, state, status, log[-3000:]))


def perfdata(status):
    """{label: value with unit} of a status block's performance_data."""
    items = {}
    for datum in status["performance_data"].split():
        label, rest = datum.split("=", 1)
        items[label] = rest
    return items


def test_nagios_runs_the_binary_as_a_plugin(binary, http_server, tls_server, daemons, tmp_path):
    unused = free_port()
    # A service whose database does not answer: its heartbeat check cannot tell.
    nova_conf = tmp_path / "nova.conf"
    nova_conf.write_text("[database]\nconnection = mysql+pymysql://nova:Nagios-db-secret@127.0.0.1:%d/nova\n" % free_port())
    services = [
        ("api", "openstack-healthcheck", "probe http %s" % http_server.url),
        ("api-tls", "openstack-healthcheck", "probe http %s" % tls_server.url),
        ("api-kolla", "kolla-healthcheck_curl", http_server.url),
        ("bad-invocation", "openstack-healthcheck", "probe tcp no-port-here"),
        ("unknown-service", "openstack-healthcheck", "no-such-service"),
        ("nothing-listens", "openstack-healthcheck", "probe tcp 127.0.0.1:%d" % unused),
        ("heartbeat", "openstack-healthcheck", "probe heartbeat --config %s --service nova-conductor --host h1" % nova_conf),
    ]
    start = int(time.time())
    nagios = Nagios(tmp_path / "nagios", binary, services, daemons)

    api = nagios.wait_state("api", OK, start)
    assert api["plugin_output"].startswith("HTTP OK - %s: HTTP 200" % http_server.url), api
    data = perfdata(api)
    assert data["http_status"] == "200;;;;", data
    assert data["time"].endswith("s;;;0") and float(data["time"].split("s;")[0]) >= 0, data

    tls = nagios.wait_state("api-tls", OK, start)
    # Whole days left when the check ran (last_check is in whole seconds).
    checked = int(tls["last_check"])
    expected = {(tls_server.not_after - t) // 86400 for t in (checked - 1, checked + 1)}
    assert perfdata(tls)["cert_days"] in {"%d;;;;" % days for days in expected}, (expected, tls)

    kolla = nagios.wait_state("api-kolla", OK, start)
    assert kolla["plugin_output"].startswith("HEALTHCHECK_CURL OK - "), kolla

    bad = nagios.wait_state("bad-invocation", UNKNOWN, start)
    assert bad["plugin_output"].startswith("TCP UNKNOWN - no-port-here: "), bad
    unknown = nagios.wait_state("unknown-service", UNKNOWN, start)
    assert 'unknown service "no-such-service"' in unknown["plugin_output"], unknown
    refused = nagios.wait_state("nothing-listens", CRITICAL, start)
    assert "connection refused" in refused["plugin_output"], refused
    heartbeat = nagios.wait_state("heartbeat", UNKNOWN, start)
    assert heartbeat["plugin_output"].startswith("HEARTBEAT UNKNOWN - "), heartbeat
    assert "cannot tell" in heartbeat["plugin_output"], heartbeat
    assert "Nagios-db-secret" not in heartbeat["plugin_output"], heartbeat

    # The server stops: the next checks are CRITICAL, with their perfdata.
    http_server.stop()
    stopped = int(time.time()) + 1
    api = nagios.wait_state("api", CRITICAL, stopped)
    assert api["plugin_output"].startswith("HTTP CRITICAL - %s: connect to 127.0.0.1:%d: connection refused" % (
        http_server.url, http_server.port)), api
    assert perfdata(api)["time"].endswith("s;;;0"), api
    assert "http_status" not in perfdata(api), api
    kolla = nagios.wait_state("api-kolla", CRITICAL, stopped)
    assert kolla["plugin_output"].startswith("HEALTHCHECK_CURL CRITICAL - "), kolla
