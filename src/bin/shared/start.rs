//! Start-up shared by the three Lambda binaries (included by each with `#[path]`): settings, one
//! AWS SDK configuration for both the secrets and the backend (each load of it builds an HTTP
//! client and reads the system's root certificates, a cold start's largest cost after the
//! network), the secrets named in the environment, the backend.

use dispatch_core::config::BackendKind;
use dispatch_core::{Backend, Settings};

/// What every function starts from.
pub async fn settings_and_backend(
) -> Result<(Settings, Backend), Box<dyn std::error::Error + Send + Sync>> {
    let mut settings = Settings::load(None)?;
    if settings.backend != BackendKind::Aws {
        dispatch::secrets::apply_from_env(&mut settings)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let backend = dispatch_core::open_backend(&settings).await?;
        return Ok((settings, backend));
    }
    let sdk = dispatch::secrets::sdk_config().await;
    dispatch::secrets::apply_with(&mut settings, &sdk)
        .await
        .map_err(|e| format!("{e:#}"))?;
    if sdk.region().is_none() {
        return Err("no AWS region configured: set AWS_REGION".into());
    }
    let backend = dispatch_core::aws::Aws::from_sdk_config(
        &sdk,
        &settings.prefix,
        settings.max_receive_count,
    )
    .backend();
    Ok((settings, backend))
}
