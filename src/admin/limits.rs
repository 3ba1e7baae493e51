//! The sizes and counts the management API accepts. The "Limits" section of the
//! [module documentation](super) lists them with their errors and sources.
//!
//! Lengths count Unicode scalar values (`str::chars`), as Okta counts characters. Where Okta
//! documents a figure it is Okta's; where Okta is silent the figure is this library's choice:
//! generous for any real configuration, small enough that one server's configuration stays a
//! document that loads in a moment.

/// Longest name of an authorization server, rule, scope or claim, of a scope's `displayName`
/// and of a client's `client_name`. Okta documents none; 255 is the usual column size.
pub const NAME_MAX: usize = 255;

/// Longest policy name (Okta's `AuthorizationServerPolicy.name`: 1–100).
pub const POLICY_NAME_MAX: usize = 100;

/// Longest policy description (Okta's `AuthorizationServerPolicy.description`: 1–255).
pub const POLICY_DESCRIPTION_MAX: usize = 255;

/// Longest description of an authorization server or scope. Okta documents none.
pub const DESCRIPTION_MAX: usize = 1024;

/// Longest audience of an authorization server. Okta documents none; an audience is a URI,
/// held to the same length as client URIs.
pub const AUDIENCE_MAX: usize = 1024;

/// Longest claim `value` (Okta's "Customize tokens" guide: expressions of up to 1024
/// characters).
pub const CLAIM_VALUE_MAX: usize = 1024;

/// Longest id or name in a condition list (a rule's users, groups and scopes, a policy's
/// clients, a claim's scopes) and of a rule's inline hook id.
pub const CONDITION_ENTRY_MAX: usize = 255;

/// Most entries in one condition list: a rule's `people.users.include` (and `exclude`),
/// `people.groups.include` (and `exclude`), a policy's `clients.include` (and `exclude`), a
/// claim's `conditions.scopes`. A rule's `scopes.include` may name up to
/// [`SCOPES_PER_SERVER_MAX`] scopes.
pub const CONDITION_ENTRIES_MAX: usize = 100;

/// Most grant types in a rule's `grantTypes.include` or a client's `grant_types`, and most
/// response types in a client's `response_types` (more than there are distinct values).
pub const TYPES_MAX: usize = 16;

/// Most scopes of one authorization server, system scopes included.
pub const SCOPES_PER_SERVER_MAX: usize = 1000;

/// Most claims of one authorization server, system claims included.
pub const CLAIMS_PER_SERVER_MAX: usize = 200;

/// Most access policies of one authorization server.
pub const POLICIES_PER_SERVER_MAX: usize = 100;

/// Most rules of one access policy.
pub const RULES_PER_POLICY_MAX: usize = 100;

/// Longest URI of a client: each of `redirect_uris` and `post_logout_redirect_uris`, and
/// `client_uri`, `logo_uri`, `initiate_login_uri`, `jwks_uri`. Okta documents none.
pub const URI_MAX: usize = 1024;

/// Most `redirect_uris` of a client, and most `post_logout_redirect_uris`.
pub const REDIRECT_URIS_MAX: usize = 100;

/// Most keys in a client's `jwks`.
pub const JWKS_KEYS_MAX: usize = 20;

/// Largest client `jwks`, in bytes of its JSON (a 4096-bit RSA key takes under 1 KiB).
pub const JWKS_BYTES_MAX: usize = 32 * 1024;

/// URI schemes a client URI may not use, compared case-insensitively: a browser sent to one runs
/// script or reads local files instead of reaching the client.
pub const FORBIDDEN_URI_SCHEMES: [&str; 4] = ["javascript", "data", "vbscript", "file"];
