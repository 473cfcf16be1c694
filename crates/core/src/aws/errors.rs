//! SDK errors → [`StoreError`]. The decision to retry reads the error's code and HTTP status, never
//! its message text.

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
    let detail = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
    StoreError::backend(op, retryable, detail)
}
