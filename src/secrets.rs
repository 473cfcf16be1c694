//! Secrets for the deployed functions, from AWS Secrets Manager rather than plain environment
//! values: `DISPATCH_LINK_KEYS_SECRET_ARN` (the magic-link keys, `id:base64secret` separated by
//! commas or new lines) and `GOOGLE_KEY_SECRET_ARN` (the service-account key JSON). The Google key is
//! written to a private folder (0700) and file (0600) under the temp dir (`/tmp` on Lambda), where
//! the permission-hardened loader reads it. Secret values never reach a log.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use dispatch_core::Settings;

/// The variable naming the link keys' secret.
pub const LINK_KEYS_VAR: &str = "DISPATCH_LINK_KEYS_SECRET_ARN";
/// The variable naming the Google key's secret.
pub const GOOGLE_KEY_VAR: &str = "GOOGLE_KEY_SECRET_ARN";

/// Applies the secrets named in the environment, if any (the AWS SDK's default chain).
pub async fn apply_from_env(settings: &mut Settings) -> anyhow::Result<()> {
    let link = std::env::var(LINK_KEYS_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let google = std::env::var(GOOGLE_KEY_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty());
    if link.is_none() && google.is_none() {
        return Ok(());
    }
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    apply(
        settings,
        &client,
        link.as_deref(),
        google.as_deref(),
        &std::env::temp_dir(),
    )
    .await
}

/// Applies the given secrets: link keys into `settings.link_keys`, the Google key into a private
/// file under `tmp` named by `settings.google_key_file`.
pub async fn apply(
    settings: &mut Settings,
    client: &aws_sdk_secretsmanager::Client,
    link_keys_arn: Option<&str>,
    google_key_arn: Option<&str>,
    tmp: &Path,
) -> anyhow::Result<()> {
    if let Some(arn) = link_keys_arn {
        let text = read(client, arn, LINK_KEYS_VAR).await?;
        let keys: Vec<String> = text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        if keys.is_empty() || keys.iter().any(|k| !k.contains(':')) {
            bail!("secret {arn} ({LINK_KEYS_VAR}) must hold id:base64secret keys separated by commas or new lines");
        }
        settings.link_keys = keys;
    }
    if let Some(arn) = google_key_arn {
        let text = read(client, arn, GOOGLE_KEY_VAR).await?;
        if serde_json::from_str::<serde_json::Value>(&text).is_err() {
            bail!("secret {arn} ({GOOGLE_KEY_VAR}) is not the service-account key JSON");
        }
        settings.google_key_file = Some(write_private_key(tmp, &text)?);
    }
    Ok(())
}

async fn read(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
    var: &str,
) -> anyhow::Result<String> {
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        // One line for people, never the SDK's Debug output.
        .map_err(|e| anyhow::anyhow!(dispatch_core::aws::describe_error(&e)))
        .with_context(|| format!("reading secret {arn} (named by {var}): check the ARN and the function's secretsmanager:GetSecretValue permission"))?;
    out.secret_string
        .filter(|s| !s.trim().is_empty())
        .with_context(|| format!("secret {arn} (named by {var}) has no string value"))
}

fn write_private_key(tmp: &Path, json: &str) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let dir = tmp.join(format!("dispatch-google-{}", std::process::id()));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let path = dir.join("key.json");
    let tmp_path = dir.join(".key.json.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp_path)
        .with_context(|| format!("creating {}", tmp_path.display()))?;
    f.write_all(json.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp_path, &path)?;
    Ok(path)
}
