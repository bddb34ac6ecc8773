//! The check engine as a library: the binary (`main.rs`) is a thin shell around
//! [`cli::run`], and the fuzz targets and integration tests reach the parsers here.

pub mod checks;
pub mod cli;
pub mod config;
pub mod context;
pub mod deadline;
pub mod exit;
pub mod net;
pub mod output;
pub mod proc;
pub mod proto;
pub mod secrets;
pub mod services;
pub mod util;
pub mod verdict;
