//! [`Refusal`]: a [`Reason`] and whom it was about, as decisions return it and the endpoints
//! record and answer it.

use time::OffsetDateTime;

use super::Reason;
use crate::event::{Entity, Event};
use crate::store::StoreError;

/// A refused request: why, and the client and user it was about once they are known.
#[derive(Debug)]
pub(crate) struct Refusal {
    /// Why.
    pub(crate) reason: Reason,
    /// The client, once known.
    pub(crate) client_id: Option<String>,
    /// The user, once known.
    pub(crate) user_id: Option<String>,
}

impl Refusal {
    /// Names the client, unless one is named already.
    pub(crate) fn client(mut self, client_id: Option<&str>) -> Self {
        if self.client_id.is_none() {
            self.client_id = client_id.map(str::to_owned);
        }
        self
    }

    /// Names the user, unless one is named already.
    pub(crate) fn user(mut self, user_id: Option<&str>) -> Self {
        if self.user_id.is_none() {
            self.user_id = user_id.map(str::to_owned);
        }
        self
    }

    /// The failure event of `event_type`: the reason code, the description the client saw, the
    /// reason's severity, the cause of a server failure (`debugData.cause`) and the client.
    pub(crate) fn event(&self, event_type: &'static str, display_message: &'static str, now: OffsetDateTime) -> Event {
        let mut event = Event::unnumbered_failure(
            event_type,
            display_message,
            self.reason.code(),
            self.reason.error().description,
            now,
        )
        .with_severity(self.reason.severity());
        if let Some(failure) = self.reason.server_failure() {
            event = event.with_detail("cause", failure.chain());
        }
        if let Some(client_id) = &self.client_id {
            event = event.with_client(client_id);
        }
        event
    }

    /// Who acted, for events that name an actor: the user, else the client.
    pub(crate) fn actor(&self) -> Option<Entity> {
        match (&self.user_id, &self.client_id) {
            (Some(user), _) => Some(Entity::new("User", user)),
            (None, Some(client)) => Some(Entity::new("PublicClientApp", client)),
            (None, None) => None,
        }
    }
}

impl From<Reason> for Refusal {
    fn from(reason: Reason) -> Self {
        Self {
            reason,
            client_id: None,
            user_id: None,
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Reason::from(error).into()
    }
}
