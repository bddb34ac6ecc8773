"""container_health against real podman (4.3 here, no systemd).

Without systemd no timer runs podman's checks, so containers stay ``starting`` until
``run_checks`` runs ``podman healthcheck run``; with it they settle like under Docker.
"""

from conftest import RUN_ID, by_name

BAD_OUTPUT = "amqp: 5672 refused (podman gate test)"


def name(suffix):
    return "ohc-%s-podman-%s" % (RUN_ID, suffix)


def test_podman_needs_run_checks_without_systemd(podman, module):
    ok = podman.start(name("ok"), "echo all good")
    bad = podman.start(name("bad"), 'echo "%s"; exit 1' % BAD_OUTPUT)
    late = podman.start(name("late"), "test -f /tmp/ready || { echo not ready yet; exit 1; }",
                        command="sleep 5; touch /tmp/ready; exec sleep 3600", start_period="60s")
    none = podman.start(name("none"))
    exited = podman.start(name("exited"), command="exit 4")

    # Nothing runs the checks: everything with a check is still starting.
    result, _ = module({"runtime": "podman", "names": [name("*")]})
    assert result["runtime"] == "podman" and result["checks_run"] == 0
    assert sorted(result["starting"]) == sorted([ok, bad, late])

    result, _ = module({"runtime": "podman", "names": [name("*")], "run_checks": True, "wait": True,
                        "timeout": 15, "poll_interval": 1, "stop_on_unhealthy": False})
    c = by_name(result)
    assert (c[ok]["verdict"], c[ok]["output"]) == ("healthy", "all good")
    assert (c[bad]["verdict"], c[bad]["output"]) == ("unhealthy", BAD_OUTPUT)
    assert c[late]["verdict"] == "healthy"
    assert c[none]["verdict"] == "no_healthcheck"
    assert (c[exited]["verdict"], c[exited]["exit_code"]) == ("not_running", 4)
    assert result["checks_run"] >= 3
    assert sorted(result["failed_containers"]) == sorted([bad, exited])
    assert BAD_OUTPUT in result["msg"]
