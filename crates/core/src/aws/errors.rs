//! SDK errors → [`StoreError`]. The decision to retry reads the error's code and HTTP status, never
//! its message text.

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
fn credentials_error<'e>(err: &'e (dyn std::error::Error + 'static)) -> Option<&'e CredentialsError> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(c);
        }
        cur = e.source();
    }
    None
}

/// An error and its causes as one line for people (`a: b: c`, each cause once, whitespace
/// collapsed), never the SDK's `Debug` output (which `DisplayErrorContext` appends).
pub fn one_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}
