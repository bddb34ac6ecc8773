//! Native protocol clients, one module per protocol, each speaking just enough to
//! prove the service answers (MySQL, AMQP, memcached, Redis, OVSDB, etcd, HAProxy,
//! libvirt). HTTP/1.1 lives in `checks::http` (and its parser here in `http1`).

pub mod amqp;
pub mod etcd;
pub mod exchange;
pub mod framed;
pub mod haproxy;
pub mod http1;
pub mod libvirt;
pub mod memcached;
pub mod mysql;
pub mod ovsdb;
pub mod redis;
