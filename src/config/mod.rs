//! In-process readers for the configuration files the checks take addresses from:
//! oslo.config INI, Apache vhosts, redis.conf, /etc/sysconfig files.
