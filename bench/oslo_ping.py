#!/usr/bin/python3
"""The reference for `probe rpc` in bench/rpc.sh: the RPC ping an openstack-helm worker
probe makes (nova/templates/bin/_health-probe.py.tpl), with Debian's oslo.messaging:
read the service's config through cfg.CONF, call ping (namespace baseapi, version 1.1)
on TOPIC.SERVER, exit 0 on a reply and 1 without one.

    oslo_ping.py --config-file nova.conf --topic conductor --server HOST
"""

import sys

from oslo_config import cfg
import oslo_messaging


def main():
    cfg.CONF.register_cli_opts([cfg.StrOpt("topic", required=True), cfg.StrOpt("server", required=True)])
    oslo_messaging.set_transport_defaults(control_exchange="nova")
    cfg.CONF(sys.argv[1:], project="nova")
    transport = oslo_messaging.get_rpc_transport(cfg.CONF)
    target = oslo_messaging.Target(
        topic=cfg.CONF.topic, server=cfg.CONF.server, namespace="baseapi", version="1.1")
    client = oslo_messaging.RPCClient(transport, target, timeout=10)
    try:
        client.call({}, "ping", arg=None)
    except oslo_messaging.MessagingTimeout:
        return 1
    finally:
        transport.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
