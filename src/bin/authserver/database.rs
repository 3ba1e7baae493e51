//! Opening the server's SQL database: the URL, the key-encryption keys, and a private file for a
//! new SQLite database.

use std::path::{Path, PathBuf};

use authserver::store::sealing::{KeyEncryptionKey, KeyEncryptionKeys};
use authserver::store::sql::SqlDatabase;

/// Opens (creating and migrating it if need be) the SQL database at `url`, with the
/// key-encryption keys from the environment, and reseals what a previous KEK sealed.
pub async fn open(url: &str) -> Result<SqlDatabase, String> {
    let shown = redacted(url);
    let sqlite_file = sqlite_path(url);
    let is_new = sqlite_file.as_deref().is_some_and(|path| !path.exists());
    let keys = key_encryption_keys(sqlite_file.as_deref(), is_new)?;
    if let Some(path) = sqlite_file.as_deref().filter(|_| is_new) {
        // The database holds password hashes and sealed keys: readable by this user only.
        write_private(path, b"").map_err(|error| format!("cannot create {}: {error}", path.display()))?;
    }
    let rotating = std::env::var("AUTHSERVER_KEK_PREVIOUS").is_ok_and(|previous| !previous.trim().is_empty());
    let database = SqlDatabase::connect(url, keys)
        .await
        .map_err(|error| format!("cannot open the database {shown}: {}", error_chain(&error)))?;
    if rotating {
        let resealed = database
            .reseal()
            .await
            .map_err(|error| format!("cannot reseal the stored keys: {}", error_chain(&error)))?;
        println!("Resealed {resealed} stored key(s) under the current key-encryption key.");
    }
    Ok(database)
}

/// The file of a `sqlite:PATH` or `sqlite://PATH` URL, as sqlx reads it.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    Some(PathBuf::from(decoded.as_ref()))
}

/// `url` without its password, for messages.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The key-encryption keys: `AUTHSERVER_KEK`, or the file `AUTHSERVER_KEK_FILE`, or for SQLite
/// the key file beside the database (generated with a new database, with a warning), plus the
/// previous keys of `AUTHSERVER_KEK_PREVIOUS`.
fn key_encryption_keys(sqlite_file: Option<&Path>, new_database: bool) -> Result<KeyEncryptionKeys, String> {
    let parse = |text: &str, source: &str| KeyEncryptionKey::parse(text).map_err(|error| format!("{source}: {error}"));
    let current = if let Some(text) = std::env::var("AUTHSERVER_KEK").ok().filter(|t| !t.trim().is_empty()) {
        parse(&text, "AUTHSERVER_KEK")?
    } else if let Some(path) = std::env::var_os("AUTHSERVER_KEK_FILE") {
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("AUTHSERVER_KEK_FILE {}: {error}", PathBuf::from(&path).display()))?;
        parse(&text, "AUTHSERVER_KEK_FILE")?
    } else if let Some(database) = sqlite_file {
        local_key_file(database, new_database)?
    } else {
        return Err(
            "a PostgreSQL database needs a key-encryption key: set AUTHSERVER_KEK (32 random bytes, \
             e.g. `openssl rand -hex 32`) or AUTHSERVER_KEK_FILE, the same on every instance"
                .into(),
        );
    };
    let mut keys = KeyEncryptionKeys::new(current);
    for (i, text) in std::env::var("AUTHSERVER_KEK_PREVIOUS")
        .unwrap_or_default()
        .split(',')
        .filter(|text| !text.trim().is_empty())
        .enumerate()
    {
        keys = keys.with_previous(parse(text, &format!("AUTHSERVER_KEK_PREVIOUS[{i}]"))?);
    }
    Ok(keys)
}

/// For local development: the KEK in `DATABASE.kek`. It is generated (readable by this user
/// only) with a new database; an existing database without its key file is refused, since a new
/// key could not open its private keys. Anyone who has both files has the private keys.
fn local_key_file(database: &Path, new_database: bool) -> Result<KeyEncryptionKey, String> {
    let mut name = database.as_os_str().to_owned();
    name.push(".kek");
    let path = PathBuf::from(name);
    if let Ok(text) = std::fs::read_to_string(&path) {
        return KeyEncryptionKey::parse(&text).map_err(|error| format!("{}: {error}", path.display()));
    }
    if !new_database {
        return Err(format!(
            "the database {} exists but its key-encryption key {} does not: set AUTHSERVER_KEK or \
             AUTHSERVER_KEK_FILE to the key it was created with, or delete the database to start over",
            database.display(),
            path.display()
        ));
    }
    let key = KeyEncryptionKey::generate().map_err(|error| format!("cannot generate a key-encryption key: {error}"))?;
    write_private(&path, key.encode().as_bytes())
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    eprintln!(
        "warning: generated the key-encryption key {} for local development; in production set \
         AUTHSERVER_KEK or AUTHSERVER_KEK_FILE and keep the key away from the database's backups",
        path.display()
    );
    Ok(key)
}

/// Creates `path` with `contents`, readable and writable by its owner only.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

/// An error and its sources, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
