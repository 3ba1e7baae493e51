//! Conformance suite for [`Directory`] implementations.
//!
//! A directory's users, groups, memberships, assignments and passwords belong to the host, and
//! the [`Directory`] trait only reads them, so the suite cannot create them itself. Instead it
//! describes a small directory as data, a [`DirectoryFixture`], and asks the implementer for a
//! *loader*: an async function that takes the fixture and returns a fresh store holding exactly
//! that data, written however the implementation writes (SQL inserts, LDAP entries, the
//! in-memory store's methods). Each check then reads the store through the trait and compares
//! with the facts the fixture implies. Clients are the exception: the library writes them, so
//! the client checks also write through [`Directory::put_client`], [`Directory::insert_client`]
//! and [`Directory::replace_client`], and race concurrent writes against each other (as the
//! grant store suite races redemptions): exactly one of many inserts of one id, and one of many
//! replaces of one revision, may win.
//!
//! A loader must store, for a fresh store each time it is called:
//! * every [`DirectoryFixture::clients`] record, in order (so `clients()` lists them first, in
//!   that order), and nothing else as clients;
//! * every [`FixtureUser`] with its password (`None`: the user has no password and no password
//!   check may succeed for them);
//! * every group, every [`Membership`], and every [`Assignment`] of a user or a group to a
//!   client.
//!
//! The loader may panic if loading fails: it is test code. Here is the loader for
//! [`MemoryDirectory`] (the one [`memory_directory`] uses), which shows the shape:
//!
//! ```
//! # async fn check() {
//! use authserver::crypto::PasswordHasher;
//! use authserver::store::{Directory, MemoryDirectory};
//! use authserver::testkit::directory::{Assignee, DirectoryFixture, run_all};
//!
//! async fn load(fixture: DirectoryFixture) -> MemoryDirectory {
//!     let directory = MemoryDirectory::new(PasswordHasher::with_iterations(1_000));
//!     for client in fixture.clients {
//!         directory.put_client(client).await.expect("client stored");
//!     }
//!     for entry in fixture.users {
//!         directory.add_user(entry.user, entry.password.as_deref()).expect("user stored");
//!     }
//!     for group in fixture.groups {
//!         directory.add_group(group);
//!     }
//!     for membership in &fixture.memberships {
//!         directory.add_member(&membership.group_id, &membership.user_id).expect("member added");
//!     }
//!     for assignment in &fixture.assignments {
//!         match &assignment.assignee {
//!             Assignee::User(user_id) => directory.assign_user(&assignment.client_id, user_id),
//!             Assignee::Group(group_id) => directory.assign_group(&assignment.client_id, group_id),
//!         }
//!         .expect("assignment stored");
//!     }
//!     directory
//! }
//!
//! run_all(load).await;
//! # }
//! # futures::executor::block_on(check());
//! ```
//!
//! The individual checks are public too: each takes a store loaded with a fixture and that
//! fixture. [`run_all`] uses [`DirectoryFixture::standard`], whose data covers every case the
//! checks distinguish (direct and group assignment, both, neither, a member of an unassigned
//! group, a user without a password, logins in mixed case, an inactive user).
//!
//! Two behaviours are left to the implementation and not checked: whether
//! [`Directory::check_password`] answers a user who cannot sign in (the in-memory store does; the
//! grant decides what a status means), and whether [`Directory::delete_client`] also drops the
//! client's assignments.

use std::future::Future;

use futures::future::join_all;
use serde_json::json;

use crate::crypto::PasswordHasher;
use crate::model::{ClientRecord, Group, User};
use crate::secret::ClientSecret;
use crate::store::directory::{Directory, JwtKeyChange};
use crate::store::memory::MemoryDirectory;
use crate::store::{Saved, StoreError};

/// A small directory described as data, for a loader to store (see the [module](self) docs).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DirectoryFixture {
    /// Clients, in registration order.
    pub clients: Vec<ClientRecord>,
    /// Users with their passwords.
    pub users: Vec<FixtureUser>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Which users are members of which groups.
    pub memberships: Vec<Membership>,
    /// Which users and groups are assigned to which clients. A client id here need not be one
    /// of [`clients`](Self::clients).
    pub assignments: Vec<Assignment>,
}

/// A user and their password in plain text (test data).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FixtureUser {
    /// The user object.
    pub user: User,
    /// The password, or `None` for a user without one.
    pub password: Option<String>,
}

/// User `user_id` is a member of group `group_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Membership {
    /// The group.
    pub group_id: String,
    /// The member.
    pub user_id: String,
}

/// A user or group assigned to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Assignment {
    /// The client.
    pub client_id: String,
    /// Who is assigned.
    pub assignee: Assignee,
}

/// Who an [`Assignment`] assigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// The user with this id, directly.
    User(String),
    /// Every member of the group with this id.
    Group(String),
}

fn parse<T: serde::de::DeserializeOwned>(value: serde_json::Value, what: &str) -> T {
    match serde_json::from_value(value) {
        Ok(parsed) => parsed,
        Err(error) => panic!("testkit: the fixture {what} does not parse: {error}"),
    }
}

fn fixture_client(id: &str, name: &str, secret: Option<&str>) -> ClientRecord {
    let mut record: ClientRecord = parse(
        json!({
            "client_id": id,
            "client_id_issued_at": 1_735_732_800,
            "client_name": name,
            "redirect_uris": [format!("https://{id}.example/callback")],
            "response_types": ["code"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": if secret.is_some() { "client_secret_basic" } else { "none" },
            "application_type": if secret.is_some() { "web" } else { "browser" },
            "status": "ACTIVE",
            "lastUpdated": "2025-01-01T12:00:00.000Z"
        }),
        "client",
    );
    record.client_secret_hash = secret.map(|secret| ClientSecret::from_received(secret).hash());
    record
}

fn fixture_user(id: &str, status: &str, login: &str, first_name: &str, password: Option<&str>) -> FixtureUser {
    FixtureUser {
        user: parse(
            json!({
                "id": id,
                "status": status,
                "created": "2025-01-01T12:00:00.000Z",
                "lastUpdated": "2025-01-01T12:00:00.000Z",
                "profile": {
                    "login": login,
                    "email": login.to_lowercase(),
                    "firstName": first_name,
                    "lastName": "Testkit",
                    "department": "Engineering"
                }
            }),
            "user",
        ),
        password: password.map(str::to_owned),
    }
}

fn fixture_group(id: &str, name: &str) -> Group {
    parse(
        json!({
            "id": id,
            "created": "2025-01-01T12:00:00.000Z",
            "lastUpdated": "2025-01-01T12:00:00.000Z",
            "objectClass": ["okta:user_group"],
            "type": "OKTA_GROUP",
            "profile": {"name": name, "description": format!("The {name} group")}
        }),
        "group",
    )
}

fn member(group_id: &str, user_id: &str) -> Membership {
    Membership {
        group_id: group_id.into(),
        user_id: user_id.into(),
    }
}

fn assign(client_id: &str, assignee: Assignee) -> Assignment {
    Assignment {
        client_id: client_id.into(),
        assignee,
    }
}

impl DirectoryFixture {
    /// The fixture [`run_all`] uses:
    ///
    /// | user | login | status | password | groups |
    /// |---|---|---|---|---|
    /// | `00u-testkit-alice` | `Alice.Anders@Example.com` | `ACTIVE` | yes | admins, staff |
    /// | `00u-testkit-bob` | `bob@example.com` | `ACTIVE` | yes | staff |
    /// | `00u-testkit-carol` | `CAROL@EXAMPLE.COM` | `SUSPENDED` | yes | staff |
    /// | `00u-testkit-dave` | `dave@example.com` | `ACTIVE` | none | contractors |
    ///
    /// Groups admins, staff, contractors and an empty group. Clients `0oa-testkit-portal`
    /// (bob directly, staff), `0oa-testkit-console` (admins), `0oa-testkit-reports` (dave
    /// directly, the empty group) and `0oa-testkit-unassigned` (nobody).
    pub fn standard() -> Self {
        const PORTAL: &str = "0oa-testkit-portal";
        const CONSOLE: &str = "0oa-testkit-console";
        const REPORTS: &str = "0oa-testkit-reports";
        const UNASSIGNED: &str = "0oa-testkit-unassigned";
        const ALICE: &str = "00u-testkit-alice";
        const BOB: &str = "00u-testkit-bob";
        const CAROL: &str = "00u-testkit-carol";
        const DAVE: &str = "00u-testkit-dave";
        const ADMINS: &str = "00g-testkit-admins";
        const STAFF: &str = "00g-testkit-staff";
        const CONTRACTORS: &str = "00g-testkit-contractors";
        const EMPTY: &str = "00g-testkit-empty";
        Self {
            clients: vec![
                fixture_client(PORTAL, "Testkit portal", Some("portal-secret-5W7XULCEs4BJKnWUXwh8")),
                fixture_client(CONSOLE, "Testkit console", Some("console-secret-0jrabyQWm4B9zVJPbotY")),
                fixture_client(REPORTS, "Testkit reports", None),
                fixture_client(UNASSIGNED, "Testkit unassigned", None),
            ],
            users: vec![
                fixture_user(
                    ALICE,
                    "ACTIVE",
                    "Alice.Anders@Example.com",
                    "Alice",
                    Some("alice correct horse"),
                ),
                fixture_user(BOB, "ACTIVE", "bob@example.com", "Bob", Some("bob battery staple")),
                fixture_user(
                    CAROL,
                    "SUSPENDED",
                    "CAROL@EXAMPLE.COM",
                    "Carol",
                    Some("carol tr0ub4dor&3"),
                ),
                fixture_user(DAVE, "ACTIVE", "dave@example.com", "Dave", None),
            ],
            groups: vec![
                fixture_group(ADMINS, "Admins"),
                fixture_group(STAFF, "Staff"),
                fixture_group(CONTRACTORS, "Contractors"),
                fixture_group(EMPTY, "Empty"),
            ],
            memberships: vec![
                member(ADMINS, ALICE),
                member(STAFF, ALICE),
                member(STAFF, BOB),
                member(STAFF, CAROL),
                member(CONTRACTORS, DAVE),
            ],
            assignments: vec![
                assign(PORTAL, Assignee::User(BOB.into())),
                assign(PORTAL, Assignee::Group(STAFF.into())),
                assign(CONSOLE, Assignee::Group(ADMINS.into())),
                assign(REPORTS, Assignee::User(DAVE.into())),
                assign(REPORTS, Assignee::Group(EMPTY.into())),
            ],
        }
    }

    /// The groups `user_id` is a member of according to the fixture, sorted by id.
    fn groups_of(&self, user_id: &str) -> Vec<Group> {
        let mut groups: Vec<Group> = self
            .groups
            .iter()
            .filter(|group| {
                self.memberships
                    .iter()
                    .any(|m| m.user_id == user_id && m.group_id == group.id)
            })
            .cloned()
            .collect();
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        groups
    }

    /// Whether the fixture assigns `user_id` to `client_id`, directly or through a group.
    fn assigns(&self, client_id: &str, user_id: &str) -> bool {
        self.assignments
            .iter()
            .filter(|assignment| assignment.client_id == client_id)
            .any(|assignment| match &assignment.assignee {
                Assignee::User(id) => id == user_id,
                Assignee::Group(group_id) => self
                    .memberships
                    .iter()
                    .any(|m| m.group_id == *group_id && m.user_id == user_id),
            })
    }

    /// Every client id the fixture mentions, in first-mention order.
    fn client_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        let mentioned = self
            .clients
            .iter()
            .map(|record| &record.client.client_id)
            .chain(self.assignments.iter().map(|assignment| &assignment.client_id));
        for id in mentioned {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }
}

impl Default for DirectoryFixture {
    /// [`DirectoryFixture::standard`].
    fn default() -> Self {
        Self::standard()
    }
}

/// A [`MemoryDirectory`] loaded with `fixture`, hashing passwords with a low cost (1,000
/// PBKDF2 rounds). Also handy as a ready-made directory for test harnesses:
/// `memory_directory(&DirectoryFixture::standard()).await`.
///
/// # Panics
/// If the fixture is inconsistent: two users with the same login, or a membership or
/// assignment naming a user or group it does not hold.
pub async fn memory_directory(fixture: &DirectoryFixture) -> MemoryDirectory {
    let directory = MemoryDirectory::new(PasswordHasher::with_iterations(1_000));
    let fail = |what: &str, error: &dyn std::error::Error| -> ! {
        panic!("testkit: the fixture could not be loaded into a MemoryDirectory ({what}): {error}")
    };
    for client in &fixture.clients {
        if let Err(error) = directory.put_client(client.clone()).await {
            fail(&client.client.client_id, &error);
        }
    }
    for entry in &fixture.users {
        if let Err(error) = directory.add_user(entry.user.clone(), entry.password.as_deref()) {
            fail(&entry.user.id, &error);
        }
    }
    for group in &fixture.groups {
        directory.add_group(group.clone());
    }
    for membership in &fixture.memberships {
        if let Err(error) = directory.add_member(&membership.group_id, &membership.user_id) {
            fail("membership", &error);
        }
    }
    for assignment in &fixture.assignments {
        let outcome = match &assignment.assignee {
            Assignee::User(user_id) => directory.assign_user(&assignment.client_id, user_id),
            Assignee::Group(group_id) => directory.assign_group(&assignment.client_id, group_id),
        };
        if let Err(error) = outcome {
            fail("assignment", &error);
        }
    }
    directory
}

/// `directory`, a fresh (empty) [`SqlDirectory`](crate::store::sql::SqlDirectory), loaded with
/// `fixture` through its write methods; passwords are hashed with the directory's own
/// [`PasswordHasher`] (choose a low cost for tests:
/// `db.directory(PasswordHasher::with_iterations(1_000))`).
///
/// # Panics
/// If the fixture is inconsistent (two users with the same login, or a membership or
/// assignment naming a user or group it does not hold) or the database fails.
#[cfg(feature = "sql")]
pub async fn sql_directory(
    directory: crate::store::sql::SqlDirectory,
    fixture: &DirectoryFixture,
) -> crate::store::sql::SqlDirectory {
    let fail = |what: &str, error: &dyn std::error::Error| -> ! {
        panic!("testkit: the fixture could not be loaded into a SqlDirectory ({what}): {error}")
    };
    for client in &fixture.clients {
        if let Err(error) = directory.put_client(client.clone()).await {
            fail(&client.client.client_id, &error);
        }
    }
    for entry in &fixture.users {
        if let Err(error) = directory.add_user(entry.user.clone(), entry.password.as_deref()).await {
            fail(&entry.user.id, &error);
        }
    }
    for group in &fixture.groups {
        if let Err(error) = directory.add_group(group.clone()).await {
            fail(&group.id, &error);
        }
    }
    for membership in &fixture.memberships {
        if let Err(error) = directory.add_member(&membership.group_id, &membership.user_id).await {
            fail("membership", &error);
        }
    }
    for assignment in &fixture.assignments {
        let outcome = match &assignment.assignee {
            Assignee::User(user_id) => directory.assign_user(&assignment.client_id, user_id).await,
            Assignee::Group(group_id) => directory.assign_group(&assignment.client_id, group_id).await,
        };
        if let Err(error) = outcome {
            fail("assignment", &error);
        }
    }
    directory
}

fn ok<T>(result: Result<T, StoreError>, operation: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("Directory: {operation} failed: {error:?}"),
    }
}

fn client_ids(clients: &[ClientRecord]) -> Vec<&str> {
    clients.iter().map(|record| record.client.client_id.as_str()).collect()
}

async fn listed<S: Directory>(store: &S) -> Vec<ClientRecord> {
    ok(store.clients().await, "clients")
}

/// Swaps the case of every ASCII letter: `Alice@Example.com` → `aLICE@eXAMPLE.COM`.
fn swap_case(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

/// Clients: the loaded ones are listed first in order; [`Directory::put_client`] adds a client
/// at the end of [`Directory::clients`] and [`Directory::client`] returns it unchanged; putting
/// the same `client_id` again replaces it in place; [`Directory::delete_client`] removes it
/// (answering whether it existed), and a client put again after deletion comes last.
pub async fn clients_are_stored<S: Directory>(store: &S, fixture: &DirectoryFixture) {
    let loaded = listed(store).await;
    assert_eq!(
        loaded, fixture.clients,
        "Directory: clients() of a freshly loaded store must be the fixture's clients, in order"
    );
    let fresh = [
        fixture_client("0oa-testkit-new-1", "New one", Some("new-one-secret")),
        fixture_client("0oa-testkit-new-2", "New two", None),
        fixture_client("0oa-testkit-new-3", "New three", Some("new-three-secret")),
    ];
    for client in &fresh {
        ok(store.put_client(client.clone()).await, "put_client");
    }
    for client in &fresh {
        assert_eq!(
            ok(store.client(&client.client.client_id).await, "client").as_deref(),
            Some(client),
            "Directory: client() must return the client put_client stored, unchanged"
        );
    }
    let mut expected: Vec<ClientRecord> = fixture.clients.iter().chain(&fresh).cloned().collect();
    assert_eq!(
        listed(store).await,
        expected,
        "Directory: clients() must list every client in registration order"
    );
    assert_eq!(
        ok(store.client("0oa-testkit-unknown").await, "client"),
        None,
        "Directory: an unknown client must be None"
    );

    let mut replacement = fresh[1].clone();
    replacement.client.client_name = "New two, renamed".into();
    replacement.client.redirect_uris = vec!["https://renamed.example/callback".into()];
    replacement.client_secret_hash = Some(ClientSecret::from_received("rotated-secret").hash());
    ok(store.put_client(replacement.clone()).await, "put_client");
    assert_eq!(
        ok(store.client("0oa-testkit-new-2").await, "client").as_deref(),
        Some(&replacement),
        "Directory: put_client with an existing client_id must replace the client"
    );
    let position = fixture.clients.len() + 1;
    expected[position] = replacement.clone();
    assert_eq!(
        listed(store).await,
        expected,
        "Directory: replacing a client must keep one entry for it, at its registration position"
    );

    assert!(
        ok(store.delete_client("0oa-testkit-new-2").await, "delete_client"),
        "Directory: deleting an existing client must answer true"
    );
    assert_eq!(
        ok(store.client("0oa-testkit-new-2").await, "client"),
        None,
        "Directory: a deleted client must be gone"
    );
    assert!(
        !ok(store.delete_client("0oa-testkit-new-2").await, "delete_client"),
        "Directory: deleting a deleted client must answer false"
    );
    expected.remove(position);
    assert_eq!(
        client_ids(&listed(store).await),
        client_ids(&expected),
        "Directory: clients() must not list a deleted client"
    );
    ok(store.put_client(replacement.clone()).await, "put_client");
    expected.push(replacement);
    assert_eq!(
        client_ids(&listed(store).await),
        client_ids(&expected),
        "Directory: a client registered again after deletion must come last"
    );
}

/// How many concurrent writers the client race checks use.
pub const RACERS: usize = 16;

/// A fresh client record for the client write checks, named `name`, with `secret`'s digest.
fn racer(id: &str, name: &str, secret: Option<&ClientSecret>) -> ClientRecord {
    let mut record = fixture_client(id, name, None);
    record.client_secret_hash = secret.map(ClientSecret::hash);
    record
}

fn revision_of(found: Option<(ClientRecord, u64)>, id: &str) -> (ClientRecord, u64) {
    match found {
        Some(found) => found,
        None => panic!("Directory: client_revision({id:?}) must find the client just written"),
    }
}

/// Client writes are compare-and-swap: [`Directory::insert_client`] stores a client only under a
/// free id (`Conflict` otherwise, exactly one winner among concurrent inserts);
/// [`Directory::replace_client`] writes only over the revision it names (`Stale` otherwise,
/// exactly one winner among concurrent replaces of one revision, and the stored client is the
/// winner's); a deleted client is `Missing` to a replace, which writes nothing back; revisions
/// grow with every write, [`Directory::put_client`] included, and are not reused when a deleted
/// id is registered again; [`Directory::client`] shows each write at once.
pub async fn client_writes_are_compare_and_swap<S: Directory>(store: &S, fixture: &DirectoryFixture) {
    let id = "0oa-testkit-cas";
    let first = racer(id, "CAS one", None);
    let r1 = ok(store.insert_client(first.clone(), None).await, "insert_client");
    assert_eq!(
        ok(store.client_revision(id).await, "client_revision"),
        Some((first.clone(), r1)),
        "Directory: client_revision must answer the inserted client with the revision insert_client returned"
    );
    assert!(
        matches!(
            store.insert_client(racer(id, "CAS taken", None), None).await,
            Err(StoreError::Conflict)
        ),
        "Directory: insert_client under a taken id must be a Conflict"
    );
    assert_eq!(
        ok(store.client(id).await, "client").as_deref(),
        Some(&first),
        "Directory: a refused insert_client must change nothing"
    );

    let second = racer(id, "CAS two", None);
    let r2 = match ok(
        store.replace_client(second.clone(), JwtKeyChange::Keep, r1).await,
        "replace_client",
    ) {
        Saved::Saved { revision } => revision,
        other => panic!("Directory: replace_client over the current revision must save, not {other:?}"),
    };
    assert!(
        r2 > r1,
        "Directory: a replace must move the revision forward ({r1} → {r2})"
    );
    assert_eq!(ok(store.client(id).await, "client").as_deref(), Some(&second));
    assert_eq!(
        ok(
            store
                .replace_client(racer(id, "CAS stale", None), JwtKeyChange::Keep, r1)
                .await,
            "replace_client"
        ),
        Saved::Stale,
        "Directory: replace_client over an old revision must be Stale"
    );
    assert_eq!(
        ok(store.client_revision(id).await, "client_revision"),
        Some((second.clone(), r2)),
        "Directory: a Stale replace_client must change nothing"
    );

    // Concurrent replaces of one revision: exactly one wins, and its client is stored.
    let contenders: Vec<ClientRecord> = (0..RACERS)
        .map(|n| racer(id, &format!("CAS racer {n}"), None))
        .collect();
    let outcomes = join_all(
        contenders
            .iter()
            .map(|c| store.replace_client(c.clone(), JwtKeyChange::Keep, r2)),
    )
    .await;
    let mut winners = Vec::new();
    for (contender, outcome) in contenders.iter().zip(outcomes) {
        match ok(outcome, "replace_client") {
            Saved::Saved { revision } => winners.push((contender.clone(), revision)),
            Saved::Stale => {}
            Saved::Missing => panic!("Directory: a concurrent replace_client found an existing client Missing"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "Directory: exactly one of {RACERS} concurrent replace_client calls over one revision must win"
    );
    let (winner, r3) = winners.remove(0);
    assert_eq!(
        ok(store.client_revision(id).await, "client_revision"),
        Some((winner.clone(), r3)),
        "Directory: the winning replace_client's client must be stored"
    );
    assert_eq!(ok(store.client(id).await, "client").as_deref(), Some(&winner));

    // put_client writes unconditionally, with a new revision.
    let put = racer(id, "CAS put", None);
    ok(store.put_client(put.clone()).await, "put_client");
    let (stored, r4) = revision_of(ok(store.client_revision(id).await, "client_revision"), id);
    assert_eq!(stored, put);
    assert!(
        r4 > r3,
        "Directory: put_client must move the revision forward ({r3} → {r4})"
    );
    assert_eq!(
        ok(
            store
                .replace_client(racer(id, "CAS late", None), JwtKeyChange::Keep, r3)
                .await,
            "replace_client"
        ),
        Saved::Stale,
        "Directory: a replace prepared before a put_client must be Stale"
    );

    // A deleted client is Missing to a replace, which does not bring it back.
    assert!(ok(store.delete_client(id).await, "delete_client"));
    assert_eq!(
        ok(
            store
                .replace_client(racer(id, "CAS ghost", None), JwtKeyChange::Keep, r4)
                .await,
            "replace_client"
        ),
        Saved::Missing,
        "Directory: replace_client of a deleted client must be Missing"
    );
    assert_eq!(
        ok(store.client(id).await, "client"),
        None,
        "Directory: a replace after a delete must not recreate the client"
    );
    assert_eq!(ok(store.client_revision(id).await, "client_revision"), None);
    assert!(!client_ids(&listed(store).await).contains(&id));

    // The same id registered again gets a revision no earlier write had.
    let again = racer(id, "CAS again", None);
    let r5 = ok(store.insert_client(again.clone(), None).await, "insert_client");
    assert!(
        r5 > r4,
        "Directory: revisions must not be reused for a client id after a delete ({r4} then {r5})"
    );
    for old in [r1, r2, r3, r4] {
        assert_eq!(
            ok(
                store
                    .replace_client(racer(id, "CAS old", None), JwtKeyChange::Keep, old)
                    .await,
                "replace_client"
            ),
            Saved::Stale,
            "Directory: a write prepared against the deleted client (revision {old}) must not land on the new one"
        );
    }
    assert_eq!(ok(store.client(id).await, "client").as_deref(), Some(&again));

    // Concurrent inserts of one new id: exactly one wins.
    let fresh_id = "0oa-testkit-cas-insert";
    let contenders: Vec<ClientRecord> = (0..RACERS)
        .map(|n| racer(fresh_id, &format!("insert racer {n}"), None))
        .collect();
    let outcomes = join_all(contenders.iter().map(|c| store.insert_client(c.clone(), None))).await;
    let mut inserted = Vec::new();
    for (contender, outcome) in contenders.iter().zip(outcomes) {
        match outcome {
            Ok(revision) => inserted.push((contender.clone(), revision)),
            Err(StoreError::Conflict) => {}
            Err(error) => panic!("Directory: a concurrent insert_client failed: {error:?}"),
        }
    }
    assert_eq!(
        inserted.len(),
        1,
        "Directory: exactly one of {RACERS} concurrent insert_client calls of one id must win"
    );
    assert_eq!(
        ok(store.client_revision(fresh_id).await, "client_revision"),
        Some(inserted.remove(0)),
        "Directory: the winning insert_client's client must be stored"
    );

    // The fixture's clients are untouched, and listed first.
    let listed_ids = client_ids(&listed(store).await)
        .iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>();
    let fixture_ids: Vec<String> = client_ids(&fixture.clients).iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(listed_ids[..fixture_ids.len()], fixture_ids[..]);
}

/// A client's `client_secret_jwt` key is written in the same step as its record: set by
/// [`Directory::insert_client`] (and dropped when it gives none), kept, set or forgotten by a
/// [`Directory::replace_client`] that saves, untouched by one that does not, and, among
/// concurrent replaces each setting its own key, the stored key is the winner's, whose digest the
/// stored record holds. Skipped for a directory that keeps no keys
/// ([`Directory::keeps_client_secret_jwt_keys`]).
pub async fn client_secret_jwt_keys_are_written_with_their_client<S: Directory>(store: &S) {
    if !store.keeps_client_secret_jwt_keys() {
        return;
    }
    let id = "0oa-testkit-jwt";
    let key = |n: usize| ClientSecret::from_received(format!("testkit-jwt-secret-{n:04}-0123456789abcdef"));
    let stored_key =
        |id: &'static str| async move { ok(store.client_secret_jwt_key(id).await, "client_secret_jwt_key") };
    let (k1, k2, k3) = (key(1), key(2), key(3));
    let r1 = ok(
        store.insert_client(racer(id, "JWT", Some(&k1)), Some(&k1)).await,
        "insert_client",
    );
    assert_eq!(
        stored_key(id).await,
        Some(k1.clone()),
        "Directory: insert_client must store the key it is given"
    );
    let r2 = match ok(
        store
            .replace_client(racer(id, "JWT kept", Some(&k1)), JwtKeyChange::Keep, r1)
            .await,
        "replace_client",
    ) {
        Saved::Saved { revision } => revision,
        other => panic!("Directory: replace_client must save, not {other:?}"),
    };
    assert_eq!(
        stored_key(id).await,
        Some(k1.clone()),
        "Directory: JwtKeyChange::Keep must keep the key"
    );
    assert_eq!(
        ok(
            store
                .replace_client(racer(id, "JWT stale", Some(&k3)), JwtKeyChange::Set(&k3), r1)
                .await,
            "replace_client"
        ),
        Saved::Stale
    );
    assert_eq!(
        stored_key(id).await,
        Some(k1.clone()),
        "Directory: a Stale replace_client must not touch the key"
    );
    let r3 = match ok(
        store
            .replace_client(racer(id, "JWT set", Some(&k2)), JwtKeyChange::Set(&k2), r2)
            .await,
        "replace_client",
    ) {
        Saved::Saved { revision } => revision,
        other => panic!("Directory: replace_client must save, not {other:?}"),
    };
    assert_eq!(
        stored_key(id).await,
        Some(k2.clone()),
        "Directory: JwtKeyChange::Set must set the key"
    );

    // Racing replaces, each with its own secret: the stored key is the winner's.
    let keys: Vec<ClientSecret> = (10..10 + RACERS).map(key).collect();
    let outcomes =
        join_all(keys.iter().enumerate().map(|(n, k)| {
            store.replace_client(racer(id, &format!("JWT racer {n}"), Some(k)), JwtKeyChange::Set(k), r3)
        }))
        .await;
    let won: Vec<usize> = outcomes
        .into_iter()
        .enumerate()
        .filter_map(|(n, outcome)| matches!(ok(outcome, "replace_client"), Saved::Saved { .. }).then_some(n))
        .collect();
    assert_eq!(
        won.len(),
        1,
        "Directory: exactly one concurrent replace_client must win"
    );
    let record = ok(store.client(id).await, "client").unwrap_or_else(|| panic!("Directory: the client is stored"));
    let winner = &keys[won[0]];
    assert_eq!(
        stored_key(id).await.as_ref(),
        Some(winner),
        "Directory: the stored key must be the winner's"
    );
    assert!(
        record
            .client_secret_hash
            .as_ref()
            .is_some_and(|hash| winner.verify(hash)),
        "Directory: the stored key must be the secret whose digest the stored record holds"
    );

    let (_, r4) = revision_of(ok(store.client_revision(id).await, "client_revision"), id);
    assert!(matches!(
        ok(
            store
                .replace_client(racer(id, "JWT forgotten", None), JwtKeyChange::Forget, r4)
                .await,
            "replace_client"
        ),
        Saved::Saved { .. }
    ));
    assert_eq!(
        stored_key(id).await,
        None,
        "Directory: JwtKeyChange::Forget must drop the key"
    );

    // A delete drops the key; an insert without one leaves none, even over a stray key.
    let (_, r5) = revision_of(ok(store.client_revision(id).await, "client_revision"), id);
    assert!(matches!(
        ok(
            store
                .replace_client(racer(id, "JWT again", Some(&k3)), JwtKeyChange::Set(&k3), r5)
                .await,
            "replace_client"
        ),
        Saved::Saved { .. }
    ));
    assert!(ok(store.delete_client(id).await, "delete_client"));
    assert_eq!(
        stored_key(id).await,
        None,
        "Directory: delete_client must drop the client's key"
    );
    ok(
        store.store_client_secret_jwt_key(id, Some(&k1)).await,
        "store_client_secret_jwt_key",
    );
    ok(
        store.insert_client(racer(id, "JWT plain", None), None).await,
        "insert_client",
    );
    assert_eq!(
        stored_key(id).await,
        None,
        "Directory: insert_client without a key must leave the new client none"
    );
}

/// Users: [`Directory::user`] finds each fixture user by id, unchanged;
/// [`Directory::user_by_login`] finds them by login in any letter case (Okta logins are
/// case-insensitive) and by nothing else (not by id, not by a prefix of the login).
pub async fn users_by_id_and_login<S: Directory>(store: &S, fixture: &DirectoryFixture) {
    for FixtureUser { user, .. } in &fixture.users {
        assert_eq!(
            ok(store.user(&user.id).await, "user").as_ref(),
            Some(user),
            "Directory: user({:?}) must return the loaded user unchanged",
            user.id
        );
        let login = &user.profile.login;
        for variant in [
            login.clone(),
            login.to_lowercase(),
            login.to_uppercase(),
            swap_case(login),
        ] {
            assert_eq!(
                ok(store.user_by_login(&variant).await, "user_by_login").as_ref(),
                Some(user),
                "Directory: user_by_login({variant:?}) must find the user with login {login:?} \
                 (logins compare case-insensitively)"
            );
        }
        let mut prefix = login.clone();
        prefix.pop();
        assert_eq!(
            ok(store.user_by_login(&prefix).await, "user_by_login"),
            None,
            "Directory: user_by_login({prefix:?}) must not match the login {login:?}"
        );
        assert_eq!(
            ok(store.user_by_login(&user.id).await, "user_by_login"),
            None,
            "Directory: user_by_login must not find a user by id ({:?})",
            user.id
        );
    }
    assert_eq!(
        ok(store.user("00u-testkit-unknown").await, "user"),
        None,
        "Directory: an unknown user id must be None"
    );
    assert_eq!(
        ok(store.user_by_login("nobody@example.com").await, "user_by_login"),
        None,
        "Directory: an unknown login must be None"
    );
    assert_eq!(
        ok(store.user_by_login("").await, "user_by_login"),
        None,
        "Directory: an empty login must be None"
    );
}

/// Groups: [`Directory::user_groups`] returns exactly the groups each user is a member of (in
/// any order), unchanged; a user in no group, or an unknown user, has none.
pub async fn groups_of_a_user<S: Directory>(store: &S, fixture: &DirectoryFixture) {
    let unknown = "00u-testkit-unknown".to_owned();
    let user_ids = fixture
        .users
        .iter()
        .map(|entry| &entry.user.id)
        .chain(std::iter::once(&unknown));
    for user_id in user_ids {
        let mut groups = ok(store.user_groups(user_id).await, "user_groups");
        groups.sort_by(|a, b| a.id.cmp(&b.id));
        let expected = fixture.groups_of(user_id);
        let ids = |groups: &[Group]| groups.iter().map(|g| g.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(&groups),
            ids(&expected),
            "Directory: user_groups({user_id:?}) must return exactly the user's groups"
        );
        assert_eq!(
            groups, expected,
            "Directory: user_groups({user_id:?}) must return the group objects unchanged"
        );
    }
}

/// Assignments: [`Directory::is_assigned`] is true exactly when the user is assigned to the
/// client directly or is a member of a group assigned to it; false for other clients, unknown
/// clients and unknown users.
pub async fn assignment_direct_and_through_groups<S: Directory>(store: &S, fixture: &DirectoryFixture) {
    let mut client_ids = fixture.client_ids();
    client_ids.push("0oa-testkit-unknown".into());
    let mut user_ids: Vec<String> = fixture.users.iter().map(|entry| entry.user.id.clone()).collect();
    user_ids.push("00u-testkit-unknown".into());
    for client_id in &client_ids {
        for user_id in &user_ids {
            let expected = fixture.assigns(client_id, user_id);
            let how = if !expected {
                "not assigned"
            } else if fixture.assignments.iter().any(|assignment| {
                assignment.client_id == *client_id && assignment.assignee == Assignee::User(user_id.clone())
            }) {
                "assigned directly"
            } else {
                "assigned through a group"
            };
            assert_eq!(
                ok(store.is_assigned(client_id, user_id).await, "is_assigned"),
                expected,
                "Directory: is_assigned({client_id:?}, {user_id:?}) must be {expected}: the user is {how}"
            );
        }
    }
}

/// Passwords: [`Directory::check_password`] returns the user for their login (in any letter
/// case) and right password; `None` for a wrong password, another user's password, an empty
/// password, an unknown login, and any password of a user without one. Users who cannot sign
/// in ([`UserStatus::can_sign_in`](crate::model::UserStatus::can_sign_in)) are not checked
/// with their right password: whether they are answered is the implementation's choice.
pub async fn password_checks<S: Directory>(store: &S, fixture: &DirectoryFixture) {
    let passwords: Vec<&str> = fixture
        .users
        .iter()
        .filter_map(|entry| entry.password.as_deref())
        .collect();
    for FixtureUser { user, password } in &fixture.users {
        let login = &user.profile.login;
        let check = |login: String, password: String| async move {
            ok(store.check_password(&login, &password).await, "check_password")
        };
        if let Some(password) = password {
            if user.status.can_sign_in() {
                for variant in [login.clone(), swap_case(login)] {
                    assert_eq!(
                        check(variant.clone(), password.clone()).await.as_ref(),
                        Some(user),
                        "Directory: check_password({variant:?}, <right password>) must return the user"
                    );
                }
            }
            let mut wrong = password.clone();
            wrong.push('!');
            let flipped = swap_case(password);
            for guess in [wrong.as_str(), flipped.as_str(), ""] {
                assert_eq!(
                    check(login.clone(), guess.to_owned()).await,
                    None,
                    "Directory: check_password({login:?}, {guess:?}) must be None: the password is wrong"
                );
            }
        }
        for other in passwords.iter().filter(|other| Some(**other) != password.as_deref()) {
            assert_eq!(
                check(login.clone(), (*other).to_owned()).await,
                None,
                "Directory: check_password({login:?}, <another user's password>) must be None"
            );
        }
        if password.is_none() {
            assert_eq!(
                check(login.clone(), String::new()).await,
                None,
                "Directory: check_password({login:?}, \"\") must be None: the user has no password"
            );
        }
    }
    for password in &passwords {
        assert_eq!(
            ok(
                store.check_password("nobody@example.com", password).await,
                "check_password"
            ),
            None,
            "Directory: check_password of an unknown login must be None"
        );
    }
}

/// Runs every check, each against a fresh store that `load` returns loaded with
/// [`DirectoryFixture::standard`].
pub async fn run_all<S, L, F>(load: L)
where
    S: Directory + 'static,
    L: Fn(DirectoryFixture) -> F,
    F: Future<Output = S>,
{
    let fixture = DirectoryFixture::standard();
    clients_are_stored(&load(fixture.clone()).await, &fixture).await;
    users_by_id_and_login(&load(fixture.clone()).await, &fixture).await;
    groups_of_a_user(&load(fixture.clone()).await, &fixture).await;
    assignment_direct_and_through_groups(&load(fixture.clone()).await, &fixture).await;
    password_checks(&load(fixture.clone()).await, &fixture).await;
    client_writes_are_compare_and_swap(&load(fixture.clone()).await, &fixture).await;
    client_secret_jwt_keys_are_written_with_their_client(&load(fixture.clone()).await).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserStatus;

    /// The standard fixture covers every case the checks distinguish, so a store that gets
    /// one of them wrong fails `run_all`.
    #[test]
    fn the_standard_fixture_covers_every_case() {
        let f = DirectoryFixture::standard();
        let alice = "00u-testkit-alice";
        let bob = "00u-testkit-bob";
        let dave = "00u-testkit-dave";
        assert!(f.assigns("0oa-testkit-portal", alice), "through a group only");
        assert!(f.assigns("0oa-testkit-portal", bob), "directly and through a group");
        assert!(f.assigns("0oa-testkit-reports", dave), "directly only");
        assert!(!f.assigns("0oa-testkit-console", dave), "member of an unassigned group");
        assert!(!f.assigns("0oa-testkit-console", bob), "member of another group");
        assert!(!f.assigns("0oa-testkit-unassigned", alice));
        assert_eq!(f.groups_of(alice).len(), 2);
        assert!(f.users.iter().any(|u| u.password.is_none()));
        assert!(f.users.iter().any(|u| u.user.status == UserStatus::Suspended));
        assert!(
            f.users
                .iter()
                .any(|u| u.user.profile.login != u.user.profile.login.to_lowercase())
        );
        assert!(
            f.groups
                .iter()
                .any(|g| f.memberships.iter().all(|m| m.group_id != g.id))
        );
        assert_eq!(f.client_ids().len(), 4);
    }
}
