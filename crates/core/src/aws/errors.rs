//! SDK errors → [`StoreError`]. The decision to retry reads the error's code and HTTP status, never
//! its message text; conditional failures are told apart by code too.

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response;

use crate::StoreError;

/// Codes that mean "slow down or try again".
const RETRYABLE_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "TransactionInProgressException",
    "LimitExceededException",
    "RequestThrottled",
    "KMSThrottled",
];

/// Codes that mean the table, stream or queue does not exist.
const MISSING_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
];

pub(crate) fn code_of<E: ProvideErrorMetadata>(err: &SdkError<E, Response>) -> Option<String> {
    match err {
        SdkError::ServiceError(se) => se.err().code().map(str::to_string),
        _ => None,
    }
}

/// A conditional write whose condition did not hold.
pub(crate) fn is_condition_failed<E: ProvideErrorMetadata>(err: &SdkError<E, Response>) -> bool {
    code_of(err).as_deref() == Some("ConditionalCheckFailedException")
}

/// A transaction cancelled by one of its conditions.
pub(crate) fn is_cancelled<E: ProvideErrorMetadata>(err: &SdkError<E, Response>) -> bool {
    code_of(err).as_deref() == Some("TransactionCanceledException")
}

/// DynamoDB refused a transaction whose client request token it saw within the last ten
/// minutes with other parameters (a second accept of the same offer, minutes later).
pub(crate) fn is_token_reused<E: ProvideErrorMetadata>(err: &SdkError<E, Response>) -> bool {
    code_of(err).as_deref() == Some("IdempotentParameterMismatchException")
}

/// Classifies an SDK error.
pub(crate) fn classify<E>(op: &str, err: SdkError<E, Response>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (retryable, code) = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            (true, None)
        }
        SdkError::ServiceError(se) => {
            let code = se.err().code().map(str::to_string);
            let status = se.raw().status().as_u16();
            (
                status >= 500
                    || code
                        .as_deref()
                        .is_some_and(|c| RETRYABLE_CODES.contains(&c)),
                code,
            )
        }
        _ => (false, None),
    };
    if let Some(c) = &code {
        if MISSING_CODES.contains(&c.as_str()) {
            return StoreError::Missing {
                kind: if c.contains("Queue") {
                    "queue"
                } else {
                    "table or stream"
                },
                name: op.to_string(),
            };
        }
    }
    if let Some(creds) = credentials_error(&err) {
        // Nothing to retry when no provider in the chain has credentials at all.
        let not_loaded = matches!(creds, CredentialsError::CredentialsNotLoaded(_));
        let detail = if not_loaded {
            NO_CREDENTIALS.to_string()
        } else {
            format!("AWS credentials could not be loaded: {}", one_line(creds))
        };
        return StoreError::backend(op, !not_loaded && retryable, detail);
    }
    StoreError::backend(op, retryable, one_line(&err))
}

/// What people see when the SDK's credential chain found nothing.
pub const NO_CREDENTIALS: &str =
    "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY";

/// The credential chain's error somewhere under an SDK error, if that is what failed.
fn credentials_error<'e>(
    err: &'e (dyn std::error::Error + 'static),
) -> Option<&'e CredentialsError> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(c);
        }
        cur = e.source();
    }
    None
}

/// Any AWS SDK error (of any service) as one line for people: the missing-credentials message when
/// the credential chain found nothing, else the error and its causes (see [`one_line`]).
pub fn describe_error(err: &(dyn std::error::Error + 'static)) -> String {
    match credentials_error(err) {
        Some(CredentialsError::CredentialsNotLoaded(_)) => NO_CREDENTIALS.to_string(),
        Some(c) => format!("AWS credentials could not be loaded: {}", one_line(c)),
        None => one_line(err),
    }
}

/// An error and its causes as one line for people (`a: b: c`, each cause once, whitespace
/// collapsed), never the SDK's `Debug` output (which `DisplayErrorContext` appends).
pub fn one_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("describing table crew-dispatch")]
    struct Outer(#[source] CredentialsError);

    #[test]
    fn a_missing_credential_is_one_line_that_says_what_to_set() {
        let e = Outer(CredentialsError::not_loaded(
            "no credentials found in chain. Attempted:\n  Environment: not set",
        ));
        assert_eq!(describe_error(&e), NO_CREDENTIALS);
        let other = Outer(CredentialsError::provider_error("token\nexpired"));
        let line = describe_error(&other);
        assert!(
            line.starts_with("AWS credentials could not be loaded: "),
            "{line}"
        );
        assert!(!line.contains('\n'), "{line}");
    }

    #[test]
    fn causes_are_joined_on_one_line_each_once() {
        let io = std::io::Error::other("connection refused\n(os error 111)");
        #[derive(Debug, thiserror::Error)]
        #[error("dispatch failure: {0}")]
        struct Wrap(#[source] std::io::Error);
        assert_eq!(
            one_line(&Wrap(io)),
            "dispatch failure: connection refused (os error 111)"
        );
    }
}
