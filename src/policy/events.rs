//! Policy outcomes as structured events ("Always start with the System Log", Okta's
//! "Troubleshooting for API Access Management"): a grant names the policy and rule that matched; a
//! denial names Okta's reason and carries the trace of every policy and rule tried and the
//! condition each failed on.

use time::OffsetDateTime;

use super::denial::EventDetail;
use super::{Decision, Denial, PolicyRequest};
use crate::event::{Detail, Entity, EntityRef, Event, EventRef, OutcomeResult, Severity};

/// The event type of an access-policy evaluation.
pub const POLICY_EVENT_TYPE: &str = "app.oauth2.as.evaluate_policy";

/// The display message of a grant.
const GRANTED_MESSAGE: &str = "OAuth2 access policy evaluated: granted";

fn describe(event: Event, request: &PolicyRequest<'_>) -> Event {
    let event = event
        .with_client(request.client_id)
        .with_detail("grantType", request.grant_type.as_str())
        .with_detail("requestedScopes", request.requested_scopes);
    match request.user {
        Some(user) => event.with_actor(Entity::new("User", user.id)),
        None => event.with_actor(Entity::new("PublicClientApp", request.client_id)),
    }
}

impl Decision<'_> {
    /// The event recording this grant: the policy and rule that matched and the scopes granted.
    pub fn event(&self, request: &PolicyRequest<'_>, now: OffsetDateTime) -> Event {
        self.unnumbered_event(request, now).numbered()
    }

    /// [`event`](Self::event) without a UUID.
    pub(crate) fn unnumbered_event(&self, request: &PolicyRequest<'_>, now: OffsetDateTime) -> Event {
        self.with_parts(request, now, None, |event| event.to_event())
    }

    /// Calls `use_parts` with [`unnumbered_event`](Self::unnumbered_event) as borrowed parts,
    /// targeting server `server_id` too when given. The decision is recorded on every token
    /// request, and a sink that packs events then builds no [`Event`].
    pub(crate) fn with_parts<R>(
        &self,
        request: &PolicyRequest<'_>,
        now: OffsetDateTime,
        server_id: Option<&str>,
        use_parts: impl FnOnce(&EventRef<'_>) -> R,
    ) -> R {
        let targets = [
            EntityRef {
                display_name: Some(self.policy_name),
                ..EntityRef::new("Policy", self.policy_id)
            },
            EntityRef {
                display_name: Some(self.rule_name),
                ..EntityRef::new("Rule", self.rule_id)
            },
            EntityRef::new("AuthorizationServer", server_id.unwrap_or_default()),
        ];
        // Keys in increasing order: what a sink that packs events keeps as given.
        let debug_data = [
            ("grantType", Detail::Text(request.grant_type.as_str())),
            ("grantedScopes", Detail::Strs(&self.scopes)),
            (
                "requestedScopes",
                request.requested_scopes.map_or(Detail::Null, Detail::Strings),
            ),
        ];
        use_parts(&EventRef {
            uuid: "",
            published: now,
            event_type: POLICY_EVENT_TYPE,
            severity: Severity::Info,
            display_message: GRANTED_MESSAGE,
            result: OutcomeResult::Success,
            reason: None,
            actor: Some(match request.user {
                Some(user) => EntityRef::new("User", user.id),
                None => EntityRef::new("PublicClientApp", request.client_id),
            }),
            client: Some(request.client_id),
            target: &targets[..if server_id.is_some() { 3 } else { 2 }],
            debug_data: &debug_data,
        })
    }
}

impl Denial {
    /// The event recording this refusal: Okta's reason (code and words) and, under `denial`, the
    /// policies and rules tried and the condition that failed in each.
    pub fn event(&self, request: &PolicyRequest<'_>, now: OffsetDateTime) -> Event {
        self.unnumbered_event(request, now).numbered()
    }

    /// [`event`](Self::event) without a UUID, for [`AuthServer::record`](crate::AuthServer) to
    /// number.
    pub(crate) fn unnumbered_event(&self, request: &PolicyRequest<'_>, now: OffsetDateTime) -> Event {
        let event = Event::unnumbered_failure(
            POLICY_EVENT_TYPE,
            "OAuth2 access policy evaluated: denied",
            self.kind.catalogue_id(),
            self.description(),
            now,
        )
        .with_detail("error", self.error().as_str())
        .with_detail("denial", EventDetail(self));
        describe(event, request)
    }
}
