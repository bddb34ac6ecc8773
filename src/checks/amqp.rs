//! AMQP 0-9-1 check (RabbitMQ). Without credentials the broker's Connection.Start
//! proves it speaks AMQP; with them the check proves the login and the vhost work.

use crate::context::Context;
use crate::net::tls::TlsOptions;
use crate::net::Endpoint;
use crate::proto::amqp::{self, Login};
use crate::verdict::{Checked, Outcome};

/// Options of `probe amqp`.
#[derive(Debug, Clone, Default)]
pub struct AmqpOptions {
    pub address: String,
    /// Log in as this user (needs `password_file`).
    pub user: Option<String>,
    /// File whose first line is the password.
    pub password_file: Option<String>,
    pub vhost: String,
    /// Speak AMQP over TLS (amqps).
    pub tls: bool,
    /// The certificate files; only meaningful with `tls`.
    pub tls_files: TlsOptions,
}

/// `probe amqp ADDR [--user USER --password-file FILE] [--vhost V] [--tls ...]`.
pub fn probe(opts: &AmqpOptions, ctx: &Context) -> Checked {
    super::with_endpoint(
        Some(&opts.address),
        None,
        Some(amqp::DEFAULT_PORT),
        |endpoint| {
            let login = login_from(opts)?;
            let tls = tls_from(opts)?;
            handshake(endpoint, login.as_ref(), tls.as_ref(), ctx)
        },
    )
}

/// Speak AMQP to `endpoint`: healthy when Connection.Start arrives and, with `login`,
/// the login and the vhost open succeed.
pub fn handshake(
    endpoint: &Endpoint,
    login: Option<&Login>,
    tls: Option<&TlsOptions>,
    ctx: &Context,
) -> Outcome {
    let product = amqp::handshake(endpoint, login, tls, ctx)?;
    Ok(match login {
        None => format!(
            "{product}: AMQP 0-9-1 Connection.Start received (no credentials, login not tried)"
        ),
        Some(login) => format!(
            "{product}: logged in as {}, vhost {} open",
            login.user, login.vhost
        ),
    })
}

/// TLS options when `tls` is asked for; certificate files without it are a mistake worth naming.
fn tls_from(opts: &AmqpOptions) -> Result<Option<TlsOptions>, String> {
    if opts.tls {
        return Ok(Some(opts.tls_files.clone()));
    }
    let files = &opts.tls_files;
    match [
        ("cacert", &files.ca_file),
        ("cert", &files.client_cert),
        ("key", &files.client_key),
    ]
    .into_iter()
    .find(|(_, file)| file.is_some())
    {
        Some((name, _)) => Err(format!(
            "--{name} needs --tls (the connection is plain AMQP without it)"
        )),
        None => Ok(None),
    }
}

/// The credentials, the password read from its file.
fn login_from(opts: &AmqpOptions) -> Result<Option<Login>, String> {
    match (&opts.user, &opts.password_file) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(
            "--user needs --password-file FILE (the password is never taken from the command line)"
                .into(),
        ),
        (None, Some(_)) => Err("--password-file needs --user USER".into()),
        (Some(user), Some(file)) => {
            let password = crate::secrets::read_secret_file(file)?;
            Ok(Some(Login {
                user: user.clone(),
                password,
                vhost: opts.vhost.clone(),
            }))
        }
    }
}
