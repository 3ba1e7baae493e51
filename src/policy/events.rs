//! Policy outcomes as structured events ("Always start with the System Log", Okta's
//! "Troubleshooting for API Access Management"): a grant names the policy and rule that matched; a
//! denial names Okta's reason and carries the trace of every policy and rule tried and the
//! condition each failed on.

use time::OffsetDateTime;

use super::denial::EventDetail;
use super::{Decision, Denial, PolicyRequest};
use crate::event::{Entity, Event};

/// The event type of an access-policy evaluation.
pub const POLICY_EVENT_TYPE: &str = "app.oauth2.as.evaluate_policy";

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

    /// [`event`](Self::event) without a UUID, for [`AuthServer::record`](crate::AuthServer) to
    /// number.
    pub(crate) fn unnumbered_event(&self, request: &PolicyRequest<'_>, now: OffsetDateTime) -> Event {
        let event = Event::unnumbered_success(POLICY_EVENT_TYPE, "OAuth2 access policy evaluated: granted", now)
            .with_target(Entity {
                display_name: Some(self.policy_name.to_owned()),
                ..Entity::new("Policy", self.policy_id)
            })
            .with_target(Entity {
                display_name: Some(self.rule_name.to_owned()),
                ..Entity::new("Rule", self.rule_id)
            })
            .with_detail("grantedScopes", &self.scopes);
        describe(event, request)
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
