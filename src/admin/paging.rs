//! Cursor paging of list requests, as Okta pages its lists: `limit` (1 or more, capped at
//! [`MAX_LIMIT`]; anything but a positive integer is `400 E0000029`), `after` (the id of the last
//! item of the previous page; an id the list does not hold is `400 E0000029`), and `Link`
//! headers for this page (`rel="self"`) and, when more remain, the next (`rel="next"`).

use serde_json::Value;

use super::{ApiError, ApiRequest, ApiResponse};

/// A page of a list and the cursor of the next page, if more remain; or why there is none.
pub(super) type Page<T> = Result<(Vec<T>, Option<String>), ApiError>;

/// Largest page of a list.
pub(super) const MAX_LIMIT: usize = 200;

/// Where the `Link` URLs put `after` relative to `limit`. The server list writes Okta's
/// `after=…&limit=…`; the scope and client lists write `limit=…&after=…`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CursorPlace {
    /// `…after=…&limit=…`.
    BeforeLimit,
    /// `…limit=…&after=…`.
    AfterLimit,
}

/// `limit` and `after` of a list request.
pub(super) struct PageRequest {
    limit: usize,
    after: Option<String>,
}

impl PageRequest {
    /// Reads `limit` (1 or more, capped at [`MAX_LIMIT`], default `default_limit`) and `after`
    /// (empty = none); a `limit` that is not a positive integer is `E0000029`.
    pub(super) fn from_request(request: &ApiRequest<'_>, default_limit: usize) -> Result<Self, ApiError> {
        let limit = match request.query_param("limit") {
            None => default_limit,
            Some(text) => match text.trim().parse::<u64>() {
                Ok(0) | Err(_) => return Err(ApiError::invalid_paging()),
                Ok(n) => usize::try_from(n).map_or(MAX_LIMIT, |n| n.min(MAX_LIMIT)),
            },
        };
        let after = request.query_param("after").filter(|a| !a.is_empty());
        Ok(Self { limit, after })
    }

    /// Every item: no limit, no cursor (for the typed list operations).
    pub(super) fn unlimited() -> Self {
        Self {
            limit: usize::MAX,
            after: None,
        }
    }

    /// The page of `items` after the cursor, and the cursor of the next page if more remain. An
    /// `after` that names no item is `E0000029`.
    pub(super) fn apply<T>(
        &self,
        items: Vec<T>,
        id: impl Fn(&T) -> &str,
    ) -> Result<(Vec<T>, Option<String>), ApiError> {
        let start = self.start(&items, &id)?;
        Ok(self.take(items.into_iter().skip(start), id))
    }

    /// Where the page starts in `items`: just after the item the cursor names, or at `0` without
    /// a cursor. An `after` that names no item is `E0000029`.
    pub(super) fn start<T>(&self, items: &[T], id: impl Fn(&T) -> &str) -> Result<usize, ApiError> {
        match &self.after {
            None => Ok(0),
            Some(after) => items
                .iter()
                .position(|item| id(item) == after)
                .map(|index| index + 1)
                .ok_or_else(ApiError::invalid_paging),
        }
    }

    /// The first `limit` of `items`, and the cursor of the next page (the id of the page's last
    /// item) if more remain.
    pub(super) fn take<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        id: impl Fn(&T) -> &str,
    ) -> (Vec<T>, Option<String>) {
        let mut items = items.into_iter();
        let page: Vec<T> = items.by_ref().take(self.limit).collect();
        let next = if items.next().is_some() {
            page.last().map(|item| id(item).to_owned())
        } else {
            None
        };
        (page, next)
    }

    /// A `200` list response with `Link` headers for this page and, if any, the next one.
    /// `extra` are query parameters to carry over (`q`), written first; `cursor` says where
    /// `after` goes.
    pub(super) fn response(
        &self,
        body: Value,
        href: &str,
        extra: &[(&str, Option<String>)],
        cursor: CursorPlace,
        next: Option<String>,
    ) -> ApiResponse {
        let query = |after: Option<&str>| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in extra {
                if let Some(value) = value {
                    query.append_pair(name, value);
                }
            }
            let limit = self.limit.to_string();
            let limit = Some(("limit", limit.as_str()));
            let after = after.map(|after| ("after", after));
            let pairs = match cursor {
                CursorPlace::BeforeLimit => [after, limit],
                CursorPlace::AfterLimit => [limit, after],
            };
            for (name, value) in pairs.into_iter().flatten() {
                query.append_pair(name, value);
            }
            query.finish()
        };
        let mut response = ApiResponse::json(200, body).with_header(
            "Link",
            format!("<{href}?{}>; rel=\"self\"", query(self.after.as_deref())),
        );
        if let Some(next) = next {
            response = response.with_header("Link", format!("<{href}?{}>; rel=\"next\"", query(Some(&next))));
        }
        response
    }
}
