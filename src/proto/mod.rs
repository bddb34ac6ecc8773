//! Native protocol clients, one module per protocol, each speaking just enough to
//! prove the service answers (HTTP, MySQL, AMQP, memcached, Redis, OVSDB, etcd,
//! HAProxy, libvirt, Open vSwitch's unixctl control sockets, and oslo.messaging RPC
//! over AMQP in `oslo_rpc`). They return what the peer said, typed, or why the exchange
//! failed; the verdict on it is the matching module of `checks`. `exchange` and `framed` are the
//! request/reply and framed-stream helpers the clients share.

pub mod amqp;
pub mod etcd;
pub mod exchange;
pub mod framed;
pub mod haproxy;
pub mod http;
pub mod libvirt;
pub mod memcached;
pub mod mysql;
pub mod oslo_rpc;
pub mod ovsdb;
pub mod redis;
pub mod unixctl;
