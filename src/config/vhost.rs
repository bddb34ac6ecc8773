//! Apache vhost files (`/etc/httpd/conf.d/10-<name>_wsgi.conf`) → the URL TripleO's
//! `get_url_from_vhost` curls: `PROTO://SERVERNAME:PORT/ALIAS`, where PROTO is https iff
//! `SSLEngine on`, PORT comes from the `<VirtualHost *:PORT>` / `<VirtualHost ADDR:PORT>`
//! line, and ALIAS is the path of the first `WSGIScriptAlias` with a `/` appended (none
//! when it is `/` or already ends in `/`; `/` when there is no alias).
//!
//! A file may hold several `<VirtualHost>` blocks (a plain one redirecting to an SSL one,
//! one per address...). Each directive belongs to its block, as Apache reads it, and the
//! block checked is the one the script's URL means: the block serving the WSGI
//! application (the first with a `WSGIScriptAlias`), else the first block. The URL is
//! made from that block's directives only. A `ServerName` outside every block is the
//! server's own, which a `<VirtualHost *:PORT>` without one takes (as `apache2 -S`
//! shows); a block on a specific address without one is reached on that address.
//! `Listen` directives are outside blocks (ironic-pxe's iPXE vhost: [`listen_port`]).
//!
//! Differences from the awk/grep/sed original, all where it produced a broken URL:
//! directive names are matched case-insensitively and only as directives (never inside
//! comments or other words); lines ending in `\` continue on the next; of repeated
//! directives in a block the first is used (awk printed all of them, one per line, and
//! mixed the blocks); a ServerName given as `scheme://name:port` is reduced to the name.

/// The directives of one `<VirtualHost>` block that make up its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vhost {
    /// The block's own ServerName, else (for a `*` address) the server's.
    pub server_name: Option<String>,
    /// The address of the block's first `ADDR:PORT` (`*` for any).
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

/// Everything a vhost file says that the checks use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VhostFile {
    /// `ServerName` outside every block.
    pub server_name: Option<String>,
    /// Every `Listen` argument (`8088`, `172.17.0.5:8088`), in order.
    pub listens: Vec<String>,
    /// The blocks in file order, each with its own directives only (no inherited name).
    pub blocks: Vec<Vhost>,
}

impl VhostFile {
    /// The block the check uses (see the module documentation), with the server's
    /// ServerName for a `*` block that has none.
    pub fn checked(&self) -> Result<Vhost, String> {
        let block = self
            .blocks
            .iter()
            .find(|b| b.wsgi_alias.is_some())
            .or(self.blocks.first())
            .ok_or("no <VirtualHost ADDR:PORT> section")?;
        let mut block = block.clone();
        if block.server_name.is_none() && matches!(block.address.as_str(), "*" | "_default_") {
            block.server_name = self.server_name.clone();
        }
        Ok(block)
    }
}

/// The file's logical lines with their line numbers: a line ending in `\` continues
/// on the next, as Apache reads configuration files.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let (start, mut joined) = current.take().unwrap_or((index + 1, String::new()));
        match line.strip_suffix('\\') {
            Some(head) => {
                joined.push_str(head);
                current = Some((start, joined));
            }
            None => {
                joined.push_str(line);
                out.push((start, joined));
            }
        }
    }
    out.extend(current);
    out
}

/// Parse a vhost file: its blocks, and the directives outside them.
pub fn parse_file(text: &str) -> Result<VhostFile, String> {
    let mut file = VhostFile::default();
    // The block being read: its address, port and directives so far.
    let mut open: Option<Vhost> = None;
    let mut ssl: Option<bool> = None;
    for (lineno, line) in logical_lines(text) {
        let Some((directive, args)) = directive(&line) else {
            continue;
        };
        match (directive.to_ascii_lowercase().as_str(), open.as_mut()) {
            ("<virtualhost", None) => {
                let addresses = args.strip_suffix('>').ok_or_else(|| {
                    format!(
                        "line {lineno}: <VirtualHost without closing '>': {:?}",
                        line.trim()
                    )
                })?;
                let first = addresses.split_whitespace().next().unwrap_or("");
                let (address, port) =
                    split_address_port(first).map_err(|e| format!("line {lineno}: {e}"))?;
                open = Some(Vhost {
                    server_name: None,
                    address,
                    port,
                    ssl: false,
                    wsgi_alias: None,
                });
                ssl = None;
            }
            ("<virtualhost", Some(_)) => {
                return Err(format!(
                    "line {lineno}: <VirtualHost inside a <VirtualHost>"
                ))
            }
            ("</virtualhost", Some(_)) => {
                let mut block = open.take().expect("a block is open");
                block.ssl = ssl.unwrap_or(false);
                file.blocks.push(block);
            }
            ("</virtualhost", None) => {
                return Err(format!(
                    "line {lineno}: </VirtualHost> without <VirtualHost>"
                ))
            }
            ("servername", Some(block)) if block.server_name.is_none() => {
                block.server_name = first_arg(args).map(str::to_string)
            }
            ("servername", None) if file.server_name.is_none() => {
                file.server_name = first_arg(args).map(str::to_string)
            }
            ("sslengine", Some(_)) if ssl.is_none() => {
                ssl = Some(first_arg(args).is_some_and(|v| v.eq_ignore_ascii_case("on")))
            }
            ("wsgiscriptalias", Some(block)) if block.wsgi_alias.is_none() => {
                block.wsgi_alias = first_arg(args).map(str::to_string)
            }
            ("listen", _) => {
                let value = first_arg(args)
                    .ok_or_else(|| format!("line {lineno}: a Listen directive without a port"))?;
                file.listens.push(value.to_string());
            }
            _ => {}
        }
    }
    if let Some(mut block) = open {
        // Apache refuses an unclosed block; the scripts read it all the same.
        block.ssl = ssl.unwrap_or(false);
        file.blocks.push(block);
    }
    Ok(file)
}

/// The directives of the block a check uses (see the module documentation).
pub fn parse(text: &str) -> Result<Vhost, String> {
    parse_file(text)?.checked()
}

/// The URL of a vhost file's text (parse + [`Vhost::url`]).
pub fn url_from_vhost(text: &str) -> Result<String, String> {
    parse(text)?.url()
}

/// The port of the first `Listen [ADDR:]PORT` directive (ironic-pxe's iPXE vhost).
pub fn listen_port(text: &str) -> Result<u16, String> {
    let file = parse_file(text)?;
    let value = file.listens.first().ok_or("no Listen directive")?;
    let port_text = value.rsplit(':').next().unwrap_or(value);
    parse_port(port_text)
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
    fn several_blocks_each_with_its_own_directives() {
        // A plain block redirecting to the SSL one that serves the application.
        let text = "Listen 8080\nServerName global.example\n\
                    <VirtualHost *:8080>\n  ServerName redirect.example\n  Redirect / https://api.example:13000/\n</VirtualHost>\n\
                    <VirtualHost 172.17.1.10:13000>\n  ServerName api.example\n  SSLEngine on\n  WSGIScriptAlias /identity \"/x\"\n</VirtualHost>\n";
        assert_eq!(
            url_from_vhost(text).unwrap(),
            "https://api.example:13000/identity/"
        );
        let file = parse_file(text).unwrap();
        assert_eq!(file.blocks.len(), 2);
        assert_eq!(
            (
                file.blocks[0].port,
                file.blocks[0].ssl,
                file.blocks[0].wsgi_alias.as_deref()
            ),
            (8080, false, None)
        );
        assert_eq!(file.server_name.as_deref(), Some("global.example"));
        assert_eq!(file.listens, ["8080"]);
        // No block with an alias: the first; a '*' block without a name takes the server's.
        let text =
            "ServerName global.example\n<VirtualHost *:80>\n  SSLEngine on\n</VirtualHost>\n\
                    <VirtualHost *:81>\n  ServerName other\n</VirtualHost>\n";
        assert_eq!(url_from_vhost(text).unwrap(), "https://global.example:80/");
        // SSLEngine of another block does not leak into the checked one.
        let text = "<VirtualHost *:443>\nServerName a\nSSLEngine on\n</VirtualHost>\n\
                    <VirtualHost *:80>\nServerName b\nWSGIScriptAlias / /x\n</VirtualHost>\n";
        assert_eq!(url_from_vhost(text).unwrap(), "http://b:80/");
        // Continued lines, lower-case directives.
        let text = "<virtualhost *:8085>\n  servername \\\n    continued.example\n</virtualhost>\n";
        assert_eq!(
            url_from_vhost(text).unwrap(),
            "http://continued.example:8085/"
        );
        assert!(parse_file("<VirtualHost *:1>\n<VirtualHost *:2>\n")
            .unwrap_err()
            .contains("inside"));
        assert!(parse_file("</VirtualHost>\n")
            .unwrap_err()
            .contains("without"));
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
