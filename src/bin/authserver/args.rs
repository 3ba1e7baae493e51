//! The command line: flags, environment variables, `--help`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

pub const HELP: &str = "\
authserver: an Okta-compatible OAuth 2.0 / OpenID Connect authorization server

usage: authserver [--bind ADDR] [--port N] [--base-url URL] [--org PATH] [--database URL] [--no-rate-limits]
       (from the source tree: cargo run -F server -- [flags])

flags:
  --bind ADDR       the address to listen on (default 127.0.0.1; 0.0.0.0 or :: for every
                    interface, which needs --base-url)
  --port N          the port to listen on (default 8080)
  --base-url URL    the public origin: issuers are URL/oauth2/{id}, and management requests must
                    name its host (or the listening address) in their Host header
                    (default: $AUTHSERVER_BASE_URL, else http://ADDR:N)
  --org PATH        the org document applied to a new database (default examples/org.json)
  --database URL    sqlite:PATH, postgres://USER@HOST:PORT/DB (feature postgres) or memory
                    (default: $AUTHSERVER_DATABASE, else sqlite:authserver.db)
  --no-rate-limits  answer every request (default: Okta-like per-minute limits)
  -h, --help        this help

environment:
  AUTHSERVER_BASE_URL      as --base-url
  AUTHSERVER_DATABASE      as --database
  AUTHSERVER_API_TOKEN     the management API token (Authorization: SSWS <token>), instead of
                           the org document's apiToken
  AUTHSERVER_KEK           the key-encryption key sealing private keys: 32 bytes as 43 base64url
                           characters or 64 hex digits (openssl rand -hex 32)
  AUTHSERVER_KEK_FILE      a file holding it instead; without either a new SQLite database gets
                           one beside it (PATH.kek), PostgreSQL needs one
  AUTHSERVER_KEK_PREVIOUS  earlier keys during a rotation, comma-separated: what they sealed is
                           resealed under the current one at start
  RUST_LOG                 what is logged to stderr (default warn,authserver=info: one line per
                           request), e.g. RUST_LOG=debug";

/// The database when neither `--database` nor `AUTHSERVER_DATABASE` names one.
const DEFAULT_DATABASE: &str = "sqlite:authserver.db";
/// The log filter when `RUST_LOG` is not set.
pub const DEFAULT_LOG: &str = "warn,authserver=info";

/// What the command line asks for.
pub struct Args {
    /// The address and port to listen on.
    pub listen: SocketAddr,
    /// The public base URL, without a trailing slash.
    pub base_url: String,
    /// The org document.
    pub org: PathBuf,
    /// `memory`, or the SQL database's URL.
    pub database: String,
    /// Whether rate limits apply.
    pub rate_limits: bool,
}

/// The arguments (after the program's name), `Ok(None)` for `--help`, or what is wrong with
/// them.
pub fn parse_args(given: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let (mut bind, mut port) = (IpAddr::from([127, 0, 0, 1]), 8080);
    let mut base = env("AUTHSERVER_BASE_URL");
    let mut args = Args {
        listen: SocketAddr::new(bind, port),
        base_url: String::new(),
        org: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/org.json")),
        database: env("AUTHSERVER_DATABASE").unwrap_or_else(|| DEFAULT_DATABASE.to_owned()),
        rate_limits: true,
    };
    let mut given = given.into_iter();
    while let Some(arg) = given.next() {
        let mut value = |what: &str| given.next().ok_or(format!("{arg} needs {what}"));
        match arg.as_str() {
            "--bind" => {
                let text = value("an address")?;
                bind = text
                    .parse()
                    .map_err(|_| format!("--bind: '{text}' is not an IP address"))?;
            }
            "--port" => {
                let text = value("a number")?;
                port = text
                    .parse()
                    .map_err(|_| format!("--port: '{text}' is not a port number"))?;
            }
            "--base-url" => base = Some(value("a URL")?),
            "--org" => args.org = value("a path")?.into(),
            "--database" => args.database = value("a URL")?,
            "--no-rate-limits" => args.rate_limits = false,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument '{other}' (--help lists them)")),
        }
    }
    args.listen = SocketAddr::new(bind, port);
    args.base_url = base_url(base.as_deref(), args.listen)?;
    Ok(Some(args))
}

/// The public base URL, without a trailing slash: the one given (an absolute http(s) URL with a
/// host), else the listening address's.
fn base_url(given: Option<&str>, listen: SocketAddr) -> Result<String, String> {
    let Some(given) = given else {
        if listen.ip().is_unspecified() {
            return Err(format!(
                "--bind {} listens on every interface: give --base-url (or AUTHSERVER_BASE_URL) with the \
                 name clients reach this server by",
                listen.ip()
            ));
        }
        return Ok(format!("http://{listen}"));
    };
    match url::Url::parse(given) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty()) => {
            Ok(given.trim_end_matches('/').to_owned())
        }
        _ => Err(format!(
            "--base-url: '{given}' is not an absolute http(s) URL such as https://id.example.com"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Args>, String> {
        parse_args(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn flags_are_read_and_mistakes_named() {
        let args = parse(&[
            "--bind",
            "::1",
            "--port",
            "9000",
            "--no-rate-limits",
            "--database",
            "memory",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(args.listen.to_string(), "[::1]:9000");
        if std::env::var_os("AUTHSERVER_BASE_URL").is_none() {
            assert_eq!(args.base_url, "http://[::1]:9000");
        }
        assert!(!args.rate_limits);
        assert_eq!(args.database, "memory");
        assert!(parse(&["--help"]).unwrap().is_none());
        assert_eq!(parse(&["--port"]).err().unwrap(), "--port needs a number");
        assert!(
            parse(&["--bind", "localhost"])
                .err()
                .unwrap()
                .contains("not an IP address")
        );
        assert!(parse(&["--frobnicate"]).err().unwrap().contains("--help"));
        let everywhere = parse(&["--bind", "0.0.0.0", "--base-url", "https://id.example.com/"]);
        assert_eq!(everywhere.unwrap().unwrap().base_url, "https://id.example.com");
    }

    #[test]
    fn the_base_url_defaults_to_the_listening_address() {
        let loopback: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(base_url(None, loopback).unwrap(), "http://127.0.0.1:8080");
        let ipv6: SocketAddr = "[::1]:8080".parse().unwrap();
        assert_eq!(base_url(None, ipv6).unwrap(), "http://[::1]:8080");
        assert_eq!(
            base_url(Some("https://id.example.com/"), loopback).unwrap(),
            "https://id.example.com"
        );
        let everywhere: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(base_url(None, everywhere).unwrap_err().contains("--base-url"));
        assert!(base_url(Some("https://id.example.com"), everywhere).is_ok());
        for wrong in ["id.example.com", "ftp://id.example.com", "https://"] {
            assert!(base_url(Some(wrong), loopback).is_err(), "{wrong}");
        }
    }
}
