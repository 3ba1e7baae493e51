//! What the server prints when it starts: where it serves, the issuers, the API token, the
//! sample accounts and clients.

use authserver::AuthServer;
use authserver::org::Org;
use authserver::store::{ConfigStore, Directory, GrantStore};

/// The issuers, the API token, the sample accounts and clients.
pub async fn print<C, D, G>(
    server: &AuthServer<C, D, G>,
    base_url: &str,
    api_token: &str,
    org: &Org,
    applied_before: bool,
) where
    C: ConfigStore,
    D: Directory,
    G: GrantStore,
{
    println!("authserver serving {base_url}\n");
    if applied_before {
        println!("The database already holds the org: the org file was not applied again.\n");
    }
    println!("Authorization servers (issuer, discovery):");
    let servers = server.management().list_servers(None).await.unwrap_or_default();
    for id in servers.iter().map(|server| server.id.as_str()) {
        let issuer = server.issuer(id);
        println!("  {issuer}\n      {issuer}/.well-known/openid-configuration");
    }
    println!("\nManagement API token:  Authorization: SSWS {api_token}");
    println!("\nSample accounts (username / password):");
    for account in &org.accounts {
        let password = account.password.as_deref().unwrap_or("(no password)");
        let status = serde_json::to_value(account.user.status).unwrap_or_default();
        let status = status.as_str().unwrap_or_default().to_owned();
        println!("  {:<24} {password:<18} {status}", account.user.profile.login);
    }
    println!("\nClients (client_id / client_secret):");
    for (client_id, secret) in org.clients() {
        println!(
            "  {client_id:<24} {}",
            secret.unwrap_or("(public client: PKCE, no secret)")
        );
    }
    println!("\nSee the README for a curl command per flow. Ctrl-C stops.");
}
