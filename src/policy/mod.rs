//! Pure access-policy evaluation: a token request in, a [`Decision`] or a [`Denial`] out.
//!
//! [`evaluate`] is synchronous, reads only its [`PolicyRequest`] and keeps no state. On success
//! it allocates only the granted-scope list (plus an index list for any policy or rule list that
//! is not already sorted by priority); the detailed [`Denial`] trace is built only on failure, by
//! a second pass. [`PolicyIndex`] does the same with bit sets built once per configuration.
//! A denial's trace holds positions and failure codes; the ids and names of the policies and
//! rules it lists are read from a shared table only when it is rendered
//! ([`Denial::policies`]) or serialized.
//!
//! # Semantics
//!
//! Sources: Okta's guides "Create an authorization server"
//! (<https://developer.okta.com/docs/guides/customize-authz-server/main/>) and "Configure an
//! access policy", the "Subtle Behavior" notes of Okta's 2017 OAuth 2.0 API reference, Okta's
//! "Troubleshooting for API Access Management", and Okta's published OAuth 2.0 error codes. Where
//! Okta is silent, the choice is ours and says so.
//!
//! 1. **Scopes first.** Before any policy: `scope` present but empty → `missing_scopes`;
//!    `openid` requested with `client_credentials` → `openid_not_allowed_client_creds`; a
//!    requested scope that is neither defined on the server nor an OpenID Connect scope →
//!    `no_matching_scope` (all `invalid_scope`). An omitted `scope` means the server's default
//!    scopes (`default: true`); if there are none → `no_default_scopes`.
//! 2. **Order.** Policies by `priority` (1 first), then the rules of each policy by `priority`.
//!    An unset priority sorts last; equal priorities keep input order. `INACTIVE` policies and
//!    rules are skipped. The first rule that matches decides.
//! 3. **Client.** A policy applies when `conditions.clients.include` holds `ALL_CLIENTS` or the
//!    client id and `exclude` does not hold the client id.
//! 4. **Rule conditions**, in this order: grant type, people, scopes. A rule whose condition is
//!    *absent* places no restriction on that dimension (Okta's generic policy model; the
//!    management layer enforces which conditions a rule must have).
//! 5. **People.** A user matches when `users.include` names them, or `groups.include` names one
//!    of their groups or `EVERYONE`, and neither `users.exclude` nor `groups.exclude` names
//!    them or one of their groups (exclusion wins).
//! 6. **Requests without a user** (client credentials): the people condition is *not evaluated*.
//!    Our reading of Okta's documentation: the admin UI shows "no user" for such rules, the API
//!    makes `people` mandatory only for user grants, and Okta's default rule (`EVERYONE`, grant
//!    types including `client_credentials`) serves client-credentials requests. The rule's
//!    grant-type condition must still list `client_credentials`.
//! 7. **OpenID Connect scopes** (`openid profile email address phone offline_access`) are
//!    admitted by every rule without a definition and without being listed (Okta's 2017 OAuth 2.0
//!    API reference, "Subtle Behavior"), but a matching policy and rule are still required. This
//!    product requirement wins over the alternative reading of Okta's "Configure an access
//!    policy" guide, where an explicit rule list filters them too.
//!    Other scopes are admitted by `*` or by name.
//! 8. **All or nothing.** A rule that matches client, grant type and people but does not admit
//!    every requested scope is skipped; a token with a subset is never granted. Evaluation goes on
//!    with the next rule and then the next policy (**fall-through**: Okta's 2017 "OAuth 2.0 and
//!    Okta" page and its generic policy model say so; the current guides do not say what happens
//!    when a policy matches but none of its rules do). If nothing matches and some rule failed only
//!    on scopes, the first such rule in evaluation order names the denial: `no_scope_allowed` when
//!    it admitted none of the requested scopes, else `scope_denied` with the denied names (both
//!    `access_denied`). Otherwise `no_matching_policy` (`access_denied`).
//! 9. **Default scopes.** When `scope` is omitted the defaults are granted as far as the
//!    matching rule admits them; a rule admitting none of them is skipped (→ `no_scope_allowed`
//!    when no rule admits any). With `client_credentials` the defaults are added to the
//!    requested scopes the same way: requested scopes are all-or-nothing, added defaults are
//!    granted when admitted and silently left out otherwise; a default `openid` is never added to
//!    client credentials.
//! 10. **Granted order**: requested scopes in request order without duplicates, then added
//!     defaults in definition order.
//! 11. **Refresh** (Okta's 2018 release notes say policies are re-evaluated on refresh; how a
//!     refresh matches a rule's grant types is undocumented, so that is our choice): policies are
//!     re-evaluated with the *original* grant type, the user's current groups and the refresh's
//!     scopes; see [`PolicyRequest`] and [`check_refresh_scopes`] (`refresh_scopes_denied`).
//!
//! Not decided here (the caller's job): whether the server and client are active, whether the
//! client may use the grant type, whether the user is assigned to the app (`user_not_assigned`),
//! consent, and whether a refresh token is issued.

mod bits;
mod compact;
mod decision;
mod denial;
mod evaluate;
mod events;
mod index;
mod request;
mod trace;

pub use decision::Decision;
pub use denial::{Denial, DenialKind};
pub use evaluate::{check_refresh_scopes, evaluate};
pub use events::POLICY_EVENT_TYPE;
pub use index::PolicyIndex;
pub use request::{PolicyRequest, PolicyWithRules, UserContext};
pub use trace::{PeopleFailure, PolicyOutcome, PolicyTrace, RuleFailure, RuleTrace};
