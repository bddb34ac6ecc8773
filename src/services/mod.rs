//! The per-service checks of tripleo-common 18.0.0: the table (data, in `table`)
//! and the interpreter that runs one entry with its arguments.

use crate::context::Context;
use crate::verdict::Checked;

pub struct Service {
    pub name: &'static str,
    pub summary: &'static str,
}

impl Service {
    pub fn uses_http(&self) -> bool {
        false
    }
}

pub fn find(_name: &str) -> Option<&'static Service> {
    None
}

pub fn run(service: &Service, _args: &[String], _ctx: &Context) -> Checked {
    Checked::new(service.name, Err("not implemented yet".into()))
}

pub fn list(_json: bool) -> String {
    String::new()
}
