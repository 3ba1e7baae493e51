//! Every decision the endpoints record is also reported to `tracing` (target
//! `authserver::decision`) with its event type, server, client, grant type, outcome and reason
//! code: the grant's events, recorded as borrowed parts, as well as refusals, recorded as events.
//! A test binary of its own: `tracing` caches per call site whether anyone listens, and tests
//! running beside it on other threads, with no subscriber, could make that cache say no.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use authserver::testkit::TestIssuer;
use authserver::testkit::issuer::ClientKind;

/// A subscriber that keeps the fields of every `authserver::decision` event, its level among them.
#[derive(Default)]
struct Decisions(Mutex<Vec<BTreeMap<String, String>>>);

/// An event's fields, by name.
struct Fields(BTreeMap<String, String>);

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl tracing::Subscriber for Decisions {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "authserver::decision"
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(BTreeMap::new());
        fields
            .0
            .insert("level".to_owned(), event.metadata().level().to_string());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn decisions_are_traced_with_what_they_name() {
    let decisions = Arc::new(Decisions::default());
    let dispatch = tracing::Dispatch::from(decisions.clone());
    let client = tracing::dispatcher::with_default(&dispatch, || {
        let issuer = TestIssuer::new();
        issuer.add_scope("orders:read");
        let client = issuer.add_client("service", ClientKind::Service).client_id;
        assert!(issuer.client_credentials(&client, &["orders:read"]).is_ok());
        assert!(issuer.client_credentials(&client, &["nope"]).is_err());
        client
    });
    let traced = decisions.0.lock().unwrap().clone();
    let field = |index: usize, name: &str| traced[index].get(name).cloned().unwrap_or_default();
    let summary: Vec<[String; 3]> = (0..traced.len())
        .map(|index| {
            [
                field(index, "event_type"),
                field(index, "outcome"),
                field(index, "reason"),
            ]
        })
        .collect();
    let row = |event: &str, outcome: &str, reason: &str| [event, outcome, reason].map(str::to_owned);
    // The grant's two events are recorded as parts, the refusal's as events: both are traced.
    assert_eq!(
        summary,
        [
            row("app.oauth2.as.evaluate_policy", "SUCCESS", ""),
            row("app.oauth2.as.token.grant", "SUCCESS", ""),
            row("app.oauth2.as.evaluate_policy", "FAILURE", "no_matching_scope"),
            row("app.oauth2.as.token.grant", "FAILURE", "no_matching_scope"),
        ]
    );
    for fields in &traced {
        assert_eq!(fields["level"], "INFO", "{fields:?}");
        assert_eq!(fields["server"], "default", "{fields:?}");
        assert_eq!(fields["client"], client, "{fields:?}");
    }
    for fields in &traced[..3] {
        assert_eq!(fields["grant_type"], "client_credentials", "{fields:?}");
    }
    // The refusal's own event names no grant type: the grant never ran.
    assert!(!traced[3].contains_key("grant_type"), "{:?}", traced[3]);
    assert_eq!(field(1, "message"), "OAuth2 tokens granted");
}
