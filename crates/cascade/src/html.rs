//! What every page of the web layer shares, so the router and the handlers do not import each
//! other: the page shell (`templates/shell.html`, which every template extends), the plain
//! message pages, and [`WebError`], the one error type of the handlers. A handler returns
//! `Result<_, WebError>` and uses `?`; the error logs why and answers with its plain page.
//!
//! Every bad link gets the same plain 403 whatever is wrong (tampered, truncated, expired,
//! revoked, wrong scope, unknown); the log says why, never the token. A failure on our side is
//! a plain 503 "try again"; nobody sees an error text or a stack trace.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::tokens::TokenError;
use crate::CascadeError;

/// A page that says one thing: a title and a few plain paragraphs.
#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
pub(crate) struct Message {
    pub(crate) title: &'static str,
    pub(crate) paragraphs: &'static [&'static str],
}

/// The page of every link that does not work.
const BAD_LINK: Message = Message {
    title: "This link does not work",
    paragraphs: &[
        "This link is not valid any more. It may have expired or been replaced by a newer one.",
        "Ask the dispatcher to send you a new link.",
    ],
};

/// The bad-link page as served: [`BAD_LINK`]'s first paragraph and the "e-mail me a new link"
/// form, posting to `action` (`{public path}/new-link`).
#[derive(Template, WebTemplate)]
#[template(path = "bad_link.html")]
pub(crate) struct BadLinkPage {
    pub(crate) title: &'static str,
    pub(crate) first: &'static str,
    pub(crate) action: String,
}

impl BadLinkPage {
    /// The page with its form posting to `action`.
    pub(crate) fn new(action: String) -> Self {
        Self {
            title: BAD_LINK.title,
            first: BAD_LINK.paragraphs[0],
            action,
        }
    }
}

/// Put on a bad-link answer so the router's layer can point its form at the public URL's path
/// ([`BadLinkPage`]); without the layer the form posts to `/new-link`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BadLinkMarker;

/// The page of a failure on our side.
const UNAVAILABLE: Message = Message {
    title: "Please try again",
    paragraphs: &["Something went wrong on our side. Please try again in a minute."],
};

/// The page of a POST that did not come from the member's own page.
const REFUSED: Message = Message {
    title: "Request refused",
    paragraphs: &["Please use the buttons on your own page."],
};

/// The page of a path we do not serve.
const NOT_FOUND: Message = Message {
    title: "Not found",
    paragraphs: &["There is nothing here."],
};

/// Why a request got a plain page instead of what it asked for.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WebError {
    /// A link that does not work; `reason` is `None` when the path was not even a token or
    /// the link's member left the roster.
    #[error("{page}: link refused")]
    BadLink {
        page: &'static str,
        #[source]
        reason: Option<TokenError>,
    },
    /// A POST from another site or without the page's form guard.
    #[error("cross-site or unguarded POST refused")]
    Refused,
    /// Reading or writing failed on our side. `span` is the unit of work it failed in (the
    /// member, the offer), so the log line carries its ids.
    #[error("{what} failed")]
    Failed {
        what: &'static str,
        span: tracing::Span,
        #[source]
        source: Box<CascadeError>,
    },
    /// A path we do not serve.
    #[error("not found")]
    NotFound,
}

impl WebError {
    /// A bad link of `page`, with why (for the log).
    pub(crate) fn bad_link(page: &'static str) -> impl FnOnce(TokenError) -> Self {
        move |reason| Self::BadLink {
            page,
            reason: Some(reason),
        }
    }

    /// A failure of `what`, in the current span.
    pub(crate) fn failed(what: &'static str) -> impl FnOnce(CascadeError) -> Self {
        move |source| Self::Failed {
            what,
            span: tracing::Span::current(),
            source: Box::new(source),
        }
    }
}

impl From<CascadeError> for WebError {
    fn from(source: CascadeError) -> Self {
        Self::failed("request")(source)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            Self::BadLink { page, reason } => {
                match reason {
                    Some(reason) => tracing::info!(%reason, "{page}: link refused"),
                    None => tracing::info!("{page}: link refused (not a token, or no such member)"),
                }
                let mut res =
                    (StatusCode::FORBIDDEN, BadLinkPage::new("/new-link".into())).into_response();
                res.extensions_mut().insert(BadLinkMarker);
                res
            }
            Self::Refused => {
                tracing::warn!("crew page: cross-site or unguarded POST refused");
                (StatusCode::FORBIDDEN, REFUSED).into_response()
            }
            Self::Failed { what, span, source } => {
                span.in_scope(|| tracing::error!(error = %source, "{what} failed"));
                (StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE).into_response()
            }
            Self::NotFound => (StatusCode::NOT_FOUND, NOT_FOUND).into_response(),
        }
    }
}

/// The token of the path; one that is not even text (`%FF`) is a bad link like any other.
pub(crate) fn path_token(
    page: &'static str,
    p: Result<Path<String>, PathRejection>,
) -> Result<String, WebError> {
    p.map(|Path(t)| t)
        .map_err(|_| WebError::BadLink { page, reason: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_pages_escape_nothing_they_should_not_and_keep_the_shell() {
        let html = BAD_LINK.render().unwrap();
        assert!(
            html.starts_with("<!doctype html><html lang=\"en\">"),
            "{html}"
        );
        assert!(
            html.contains("<title>This link does not work</title>"),
            "{html}"
        );
        assert!(
            html.contains("<h1>This link does not work</h1><p>This link is not valid any more."),
            "{html}"
        );
        assert!(html.ends_with("</body></html>"), "{html}");
    }
}
