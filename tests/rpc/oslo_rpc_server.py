#!/usr/bin/python3
"""A real oslo.messaging RPC server for the tests of `probe rpc` (Debian's
python3-oslo.messaging, run with /usr/bin/python3).

It reads its transport_url, control_exchange and host from an oslo.config file through
cfg.CONF, as every OpenStack service does, and serves on TOPIC (queue TOPIC.HOST):

- by default nova's BaseRPCAPI endpoint: namespace "baseapi", version 1.1, ping(arg)
  answering {"service": NAME, "arg": arg}, as nova/baserpc.py does;
- with --no-baseapi, only an endpoint of another namespace and version (like every
  non-nova service), so a baseapi ping gets UnsupportedVersion back.

    oslo_rpc_server.py --config-file nova.conf --topic conductor [--no-baseapi]

It prints "serving TOPIC.HOST" once its server has started, then runs until killed.
"""

import signal
import socket
import sys

from oslo_config import cfg
import oslo_messaging


class BaseRPCAPI(object):
    """Server side of nova's base RPC API (nova/baserpc.py)."""

    target = oslo_messaging.Target(namespace="baseapi", version="1.1")

    def __init__(self, service_name):
        self.service_name = service_name

    def ping(self, context, arg):
        return {"service": self.service_name, "arg": arg}


class AgentAPI(object):
    """An endpoint like a neutron agent's: no namespace, its own version."""

    target = oslo_messaging.Target(version="1.7")

    def port_update(self, context, **kwargs):
        return None


def main():
    opts = [
        cfg.StrOpt("topic", required=True),
        cfg.StrOpt("service-name", default="oslo-test-server"),
        cfg.BoolOpt("no-baseapi", default=False),
    ]
    cfg.CONF.register_cli_opts(opts)
    # The services register `host` themselves (nova/conf/netconf.py), defaulting to the
    # machine's name.
    cfg.CONF.register_opts([cfg.StrOpt("host", default=socket.gethostname())])
    # Each project sets its own default exchange before reading its config.
    oslo_messaging.set_transport_defaults(control_exchange="nova")
    cfg.CONF(sys.argv[1:], project="nova")
    transport = oslo_messaging.get_rpc_transport(cfg.CONF)
    target = oslo_messaging.Target(topic=cfg.CONF.topic, server=cfg.CONF.host)
    if cfg.CONF.no_baseapi:
        endpoints = [AgentAPI()]
    else:
        endpoints = [BaseRPCAPI(cfg.CONF.service_name), AgentAPI()]
    server = oslo_messaging.get_rpc_server(transport, target, endpoints, executor="threading")
    server.start()
    print("serving %s.%s" % (cfg.CONF.topic, cfg.CONF.host), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
