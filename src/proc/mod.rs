//! The process table and sockets, read without forking: /proc and netlink sock_diag.
