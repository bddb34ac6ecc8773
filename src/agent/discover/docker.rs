//! Docker through its API socket: `GET /containers/json` (running containers) once per
//! round, `GET /containers/ID/json` for each container to inspect. podman's
//! `podman system service` serves the same API, so its socket is asked the same way.

use super::{http, Engine, Listed, Runtime, ENGINE_TIMEOUT};
use serde_json::Value;

/// The default socket of Docker (`DOCKER_HOST=unix://...` names another).
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// An engine speaking Docker's API on a unix socket.
pub struct ApiSocket {
    pub runtime: Runtime,
    pub socket: String,
}

impl Engine for ApiSocket {
    fn runtime(&self) -> Runtime {
        self.runtime
    }

    fn list(&self) -> Result<Vec<Listed>, String> {
        let body = http::get(&self.socket, "/containers/json", ENGINE_TIMEOUT)?;
        parse_list(&body)
    }

    fn inspect(&self, ids: &[String]) -> Result<Vec<Value>, String> {
        let mut objects = Vec::with_capacity(ids.len());
        for id in ids {
            if !is_id(id) {
                continue;
            }
            match http::get(
                &self.socket,
                &format!("/containers/{id}/json"),
                ENGINE_TIMEOUT,
            ) {
                Ok(body) => objects.push(
                    serde_json::from_slice(&body)
                        .map_err(|e| format!("inspect {id}: not JSON: {e}"))?,
                ),
                // Removed between the list and now.
                Err(e) if e.contains("status 404") => {}
                Err(e) => return Err(e),
            }
        }
        Ok(objects)
    }
}

/// A container id as engines write them (hex), so it can go in a request path as is.
pub fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The ids (and pids, where given) of `GET /containers/json`'s reply.
pub fn parse_list(body: &[u8]) -> Result<Vec<Listed>, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| format!("container list is not JSON: {e}"))?;
    let items = v.as_array().ok_or("container list is not a JSON array")?;
    Ok(items
        .iter()
        .filter_map(|item| {
            let id = item["Id"].as_str()?.to_string();
            let pid = item["Pid"].as_u64().and_then(|p| u32::try_from(p).ok());
            is_id(&id).then_some(Listed {
                id,
                pid: pid.filter(|p| *p != 0),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        let body = br#"[{"Id":"4f2a9c","Names":["/a"],"State":"running"},{"Id":"../x"},{"Names":[]},{"Id":"ab","Pid":12}]"#;
        assert_eq!(
            parse_list(body).unwrap(),
            vec![
                Listed {
                    id: "4f2a9c".into(),
                    pid: None
                },
                Listed {
                    id: "ab".into(),
                    pid: Some(12)
                },
            ]
        );
        assert!(parse_list(b"{}").is_err());
        assert!(parse_list(b"nope").is_err());
    }
}
