//! Apache vhost files (`/etc/httpd/conf.d/10-<name>_wsgi.conf`) → the URL TripleO's
//! `get_url_from_vhost` curls: `PROTO://SERVERNAME:PORT/ALIAS`, where PROTO is https iff
//! `SSLEngine on`, PORT comes from the first `<VirtualHost *:PORT>` / `<VirtualHost
//! ADDR:PORT>`, and ALIAS is the path of the first `WSGIScriptAlias` with a `/` appended
//! (none when it is `/` or already ends in `/`; `/` when there is no alias).
//!
//! Differences from the awk/grep/sed original, all where it produced a broken URL:
//! directive names are matched case-insensitively and only as directives (never inside
//! comments or other words); the first of repeated directives is used (awk printed all
//! of them, one per line); a ServerName given as `scheme://name:port` is reduced to the
//! name; without a ServerName the vhost's own address is used when it is not `*`.

/// The directives of a vhost file that make up its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vhost {
    pub server_name: Option<String>,
    /// The address of the first `<VirtualHost ADDR:PORT>` (`*` for any).
    pub address: String,
    pub port: u16,
    pub ssl: bool,
    pub wsgi_alias: Option<String>,
}

impl Vhost {
    /// The URL to check, by the rule in the module documentation.
    pub fn url(&self) -> Result<String, String> {
        let host = match &self.server_name {
            Some(name) => server_name_host(name),
            None if self.address != "*" && self.address != "_default_" => self.address.clone(),
            None => return Err(
                "no ServerName and the VirtualHost address is '*': cannot tell which host to check"
                    .into(),
            ),
        };
        let proto = if self.ssl { "https" } else { "http" };
        let path = match self.wsgi_alias.as_deref() {
            None | Some("/") => "/".to_string(),
            Some(alias) if alias.ends_with('/') => alias.to_string(),
            Some(alias) => format!("{alias}/"),
        };
        Ok(format!(
            "{proto}://{}:{}{path}",
            super::wrap_ipv6(&host),
            self.port
        ))
    }
}

/// Parse the directives of a vhost file.
pub fn parse(text: &str) -> Result<Vhost, String> {
    let mut server_name = None;
    let mut ssl = None;
    let mut wsgi_alias = None;
    let mut listen: Option<(String, u16)> = None;
    for (index, line) in text.lines().enumerate() {
        let Some((directive, args)) = directive(line) else {
            continue;
        };
        match directive.to_ascii_lowercase().as_str() {
            "<virtualhost" if listen.is_none() => {
                let addresses = args.strip_suffix('>').ok_or_else(|| {
                    format!(
                        "line {}: <VirtualHost without closing '>': {:?}",
                        index + 1,
                        line.trim()
                    )
                })?;
                let first = addresses.split_whitespace().next().unwrap_or("");
                listen = Some(
                    split_address_port(first).map_err(|e| format!("line {}: {e}", index + 1))?,
                );
            }
            "servername" if server_name.is_none() => {
                server_name = first_arg(args).map(str::to_string)
            }
            "sslengine" if ssl.is_none() => {
                ssl = Some(first_arg(args).is_some_and(|v| v.eq_ignore_ascii_case("on")))
            }
            "wsgiscriptalias" if wsgi_alias.is_none() => {
                wsgi_alias = first_arg(args).map(str::to_string)
            }
            _ => {}
        }
    }
    let (address, port) = listen.ok_or("no <VirtualHost ADDR:PORT> section")?;
    Ok(Vhost {
        server_name,
        address,
        port,
        ssl: ssl.unwrap_or(false),
        wsgi_alias,
    })
}

/// The URL of a vhost file's text (parse + [`Vhost::url`]).
pub fn url_from_vhost(text: &str) -> Result<String, String> {
    parse(text)?.url()
}

/// The port of the first `Listen [ADDR:]PORT` directive (ironic-pxe's iPXE vhost).
pub fn listen_port(text: &str) -> Result<u16, String> {
    for line in text.lines() {
        if let Some((d, args)) = directive(line) {
            if d.eq_ignore_ascii_case("listen") {
                let value = first_arg(args).ok_or("a Listen directive without a port")?;
                let port_text = value.rsplit(':').next().unwrap_or(value);
                return parse_port(port_text);
            }
        }
    }
    Err("no Listen directive".into())
}

/// A line's directive name and the rest, or None for blank and comment lines.
fn directive(line: &str) -> Option<(&str, &str)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    match line.find(char::is_whitespace) {
        Some(at) => Some((&line[..at], line[at..].trim())),
        None => Some(
            line.strip_suffix('>')
                .map(|d| (d, ">"))
                .unwrap_or((line, "")),
        ),
    }
}

/// The first argument of a directive, without quotes.
fn first_arg(args: &str) -> Option<&str> {
    let args = args.trim();
    if let Some(rest) = args.strip_prefix('"') {
        return Some(rest.split('"').next().unwrap_or(rest));
    }
    args.split_whitespace().next()
}

/// `*:5000`, `172.17.1.10:5000`, `[fd00::1]:5000` → (address, port).
fn split_address_port(text: &str) -> Result<(String, u16), String> {
    let (address, port) = if let Some(rest) = text.strip_prefix('[') {
        let (addr, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in VirtualHost address {text:?}"))?;
        (addr, after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((addr, port)) => (addr, Some(port)),
            None => (text, None),
        }
    };
    let port = port.ok_or_else(|| format!("VirtualHost address {text:?} has no port"))?;
    Ok((address.to_string(), parse_port(port)?))
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("not a port number: {text:?}"))
}

/// `https://name:443` or `name:443` → `name` (Apache allows a scheme and port in ServerName).
fn server_name_host(name: &str) -> String {
    let name = name.split_once("://").map(|(_, rest)| rest).unwrap_or(name);
    if name.starts_with('[') {
        return name
            .split(']')
            .next()
            .unwrap_or(name)
            .trim_start_matches('[')
            .to_string();
    }
    match name.matches(':').count() {
        1 => name.split(':').next().unwrap_or(name).to_string(),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // In the style of puppetlabs-apache's vhost template, as TripleO deploys it.
    const KEYSTONE: &str = r#"# ************************************
# Vhost template in module puppetlabs-apache
# Managed by Puppet
# ************************************
# ServerName commented.example
<VirtualHost 172.17.1.10:5000>
  ServerName controller-0.internalapi.localdomain

  ## Vhost docroot
  DocumentRoot "/var/www/cgi-bin/keystone"
  <Directory "/var/www/cgi-bin/keystone">
    Require all granted
  </Directory>

  ## SSL directives
  SSLEngine on
  SSLCertificateFile      "/etc/pki/tls/certs/httpd/httpd-internal_api.crt"
  WSGIApplicationGroup %{GLOBAL}
  WSGIDaemonProcess keystone display-name=keystone group=keystone processes=4 threads=1 user=keystone
  WSGIProcessGroup keystone
  WSGIScriptAlias / "/var/www/cgi-bin/keystone/keystone"
  WSGIScriptAlias /other "/x"
</VirtualHost>
"#;

    #[test]
    fn keystone_https_root_alias() {
        assert_eq!(
            url_from_vhost(KEYSTONE).unwrap(),
            "https://controller-0.internalapi.localdomain:5000/"
        );
    }

    #[test]
    fn alias_gets_a_trailing_slash_and_star_port() {
        let text = "<VirtualHost *:8042>\n  ServerName 127.0.0.1\n  SSLEngine off\n  WSGIScriptAlias /placement \"/var/www/x\"\n</VirtualHost>\n";
        assert_eq!(
            url_from_vhost(text).unwrap(),
            "http://127.0.0.1:8042/placement/"
        );
        let text =
            "<VirtualHost *:80>\nServerName h\nWSGIScriptAlias /dashboard/ /x\n</VirtualHost>\n";
        assert_eq!(url_from_vhost(text).unwrap(), "http://h:80/dashboard/");
    }

    #[test]
    fn no_alias_means_root_path() {
        let text = "<VirtualHost *:80>\n  ServerName horizon.example\n</VirtualHost>\n";
        assert_eq!(url_from_vhost(text).unwrap(), "http://horizon.example:80/");
    }

    #[test]
    fn ipv6_addresses_and_server_names() {
        let text = "<VirtualHost [fd00:fd00::12]:8774>\n  ServerName fd00:fd00::12\n  sslengine On\n</VirtualHost>\n";
        assert_eq!(
            url_from_vhost(text).unwrap(),
            "https://[fd00:fd00::12]:8774/"
        );
        // No ServerName: the vhost's own address.
        let text = "<VirtualHost [::1]:9000>\n</VirtualHost>\n";
        assert_eq!(url_from_vhost(text).unwrap(), "http://[::1]:9000/");
        let text = "<VirtualHost *:9000>\nServerName https://api.example:443\n</VirtualHost>\n";
        assert_eq!(url_from_vhost(text).unwrap(), "http://api.example:9000/");
    }

    #[test]
    fn malformed_vhosts_are_clear_errors() {
        assert!(url_from_vhost("ServerName x\n")
            .unwrap_err()
            .contains("no <VirtualHost"));
        assert!(url_from_vhost("<VirtualHost *>\nServerName x\n")
            .unwrap_err()
            .contains("no port"));
        assert!(url_from_vhost("<VirtualHost *:http>\nServerName x\n")
            .unwrap_err()
            .contains("not a port"));
        assert!(url_from_vhost("<VirtualHost *:80\n")
            .unwrap_err()
            .contains("closing '>'"));
        assert!(url_from_vhost("<VirtualHost *:80>\n</VirtualHost>\n")
            .unwrap_err()
            .contains("ServerName"));
        assert!(url_from_vhost("").is_err());
    }

    #[test]
    fn listen_directive() {
        assert_eq!(
            listen_port("# x\nListen 8088\n<VirtualHost *:8088>\n").unwrap(),
            8088
        );
        assert_eq!(listen_port("Listen 172.17.0.5:8088\n").unwrap(), 8088);
        assert!(listen_port("ServerName x\n")
            .unwrap_err()
            .contains("no Listen"));
        assert!(listen_port("Listen\n").is_err());
    }
}
