//! Maps looked up by a server's or client's id on every request.

use std::collections::HashMap;

/// A map keyed by configured ids (authorization servers, clients), hashed with foldhash rather
/// than the standard library's SipHash: a token request makes four lookups by id, and SipHash
/// was about a fortieth of its work beside an Ed25519 signature. Only configuration inserts
/// keys, so the flooding SipHash guards against is not open to callers; foldhash still seeds
/// each map at random.
pub(crate) type IdMap<V> = HashMap<String, V, foldhash::fast::RandomState>;
