//! Native protocol clients, one module per protocol, each speaking just enough to
//! prove the service answers (HTTP/1.1, MySQL, AMQP, memcached, Redis, OVSDB, ...).
