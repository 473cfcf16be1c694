//! Secrets for the deployed functions, from AWS Secrets Manager rather than plain environment
//! values: `DISPATCH_LINK_KEYS_SECRET_ARN` (the magic-link keys, `id:base64secret` separated by
//! commas or new lines) and `GOOGLE_KEY_SECRET_ARN` (the service-account key JSON). Secret values
//! never reach a log.
//!
//! The Google key is handed to the permission-hardened loader as a file that exists only while
//! it is needed: a folder made fresh for this process under the temp dir (`/tmp` on Lambda; a
//! random name, mode 0700, refused if any part of the temp dir's path is a symlink), a file created
//! 0600 with `O_CREAT|O_EXCL|O_NOFOLLOW`, removed by [`forget_key_copies`] once the process has
//! read the key (the Lambda binaries call it after start-up) and at exit in any case. The Lambda
//! binaries also keep the Google token file in such a folder ([`keep_token_in_tmp`]), since the
//! function's own folder is read-only.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context};
use dispatch_core::Settings;

/// The variable naming the link keys' secret.
pub const LINK_KEYS_VAR: &str = "DISPATCH_LINK_KEYS_SECRET_ARN";
/// The variable naming the Google key's secret.
pub const GOOGLE_KEY_VAR: &str = "GOOGLE_KEY_SECRET_ARN";

/// Applies the secrets named in the environment, if any (the AWS SDK's default chain).
pub async fn apply_from_env(settings: &mut Settings) -> anyhow::Result<()> {
    if named(LINK_KEYS_VAR).is_none() && named(GOOGLE_KEY_VAR).is_none() {
        return Ok(());
    }
    apply_with(settings, &sdk_config().await).await
}

fn named(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

/// The AWS SDK configuration with the timeouts of `dispatch_core::aws::connect`, for a process
/// that loads it once for both its secrets and its backend (the Lambda functions).
pub async fn sdk_config() -> aws_config::SdkConfig {
    use aws_config::timeout::TimeoutConfig;
    use std::time::Duration;
    dispatch_core::aws::sdk_defaults()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        )
        .load()
        .await
}

/// Applies the secrets named in the environment, if any, with `sdk`.
pub async fn apply_with(
    settings: &mut Settings,
    sdk: &aws_config::SdkConfig,
) -> anyhow::Result<()> {
    let (link, google) = (named(LINK_KEYS_VAR), named(GOOGLE_KEY_VAR));
    if link.is_none() && google.is_none() {
        return Ok(());
    }
    let client = aws_sdk_secretsmanager::Client::new(sdk);
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
/// file under `tmp` named by `settings.google_key_file` (removed by [`forget_key_copies`]).
pub async fn apply(
    settings: &mut Settings,
    client: &aws_sdk_secretsmanager::Client,
    link_keys_arn: Option<&str>,
    google_key_arn: Option<&str>,
    tmp: &Path,
) -> anyhow::Result<()> {
    // Both at once: start-up waits for one round trip, not two.
    let (link_text, google_text) = tokio::join!(
        async {
            match link_keys_arn {
                Some(arn) => read(client, arn, LINK_KEYS_VAR).await.map(Some),
                None => Ok(None),
            }
        },
        async {
            match google_key_arn {
                Some(arn) => read(client, arn, GOOGLE_KEY_VAR).await.map(Some),
                None => Ok(None),
            }
        }
    );
    let (link_text, google_text) = (link_text?, google_text?);
    // Both checked before either is applied: nothing half-applied.
    let mut link_keys = None;
    if let (Some(arn), Some(text)) = (link_keys_arn, link_text) {
        let keys: Vec<String> = text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect();
        if keys.is_empty() || keys.iter().any(|k| !k.contains(':')) {
            bail!("secret {arn} ({LINK_KEYS_VAR}) must hold id:base64secret keys separated by commas or new lines");
        }
        link_keys = Some(keys);
    }
    if let (Some(arn), Some(text)) = (google_key_arn, &google_text) {
        if serde_json::from_str::<serde_json::Value>(text).is_err() {
            bail!("secret {arn} ({GOOGLE_KEY_VAR}) is not the service-account key JSON");
        }
    }
    if let Some(text) = google_text {
        settings.google_key_file = Some(write_key_copy(tmp, &text)?);
    }
    if let Some(keys) = link_keys {
        settings.link_keys = keys;
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

/// Private folders this process made: `(folder, holds a key copy)`. Removed at exit.
static FOLDERS: Mutex<Vec<(PathBuf, bool)>> = Mutex::new(Vec::new());

extern "C" fn remove_folders_at_exit() {
    if let Ok(mut folders) = FOLDERS.lock() {
        for (dir, _) in folders.drain(..) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Removes every copy of the Google key this process wrote. The key stays in memory in the
/// token sources already built; a client built afterwards cannot read it again.
pub fn forget_key_copies() {
    let mut folders = FOLDERS.lock().unwrap_or_else(|p| p.into_inner());
    folders.retain(|(dir, key)| {
        if *key {
            if let Err(e) = std::fs::remove_dir_all(dir) {
                tracing::warn!(folder = %dir.display(), error = %e, "could not remove the Google key's copy");
            }
        }
        !*key
    });
}

/// Points the Google token file (unless one is configured) at a private folder under the temp
/// dir: on Lambda the function's folder is read-only, /tmp is the only place to write.
pub fn keep_token_in_tmp(settings: &mut Settings) -> anyhow::Result<()> {
    if settings.google_token_file.is_none() {
        let dir = private_folder(&std::env::temp_dir(), "token", false)?;
        settings.google_token_file = Some(dir.join(dispatch_google::auth::TOKEN_FILE_NAME));
    }
    Ok(())
}

/// A folder made now for this process only: `tmp/dispatch-<purpose>-<random>`, mode 0700.
/// Refused if any part of `tmp`'s path is a symlink; never an existing folder.
pub fn private_folder(tmp: &Path, purpose: &str, key: bool) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    for part in tmp.ancestors().filter(|p| !p.as_os_str().is_empty()) {
        let meta = std::fs::symlink_metadata(part)
            .with_context(|| format!("checking the temp folder {}", tmp.display()))?;
        if meta.file_type().is_symlink() {
            bail!(
                "refusing to write secrets under {}: {} is a symlink (set TMPDIR to a real folder)",
                tmp.display(),
                part.display()
            );
        }
    }
    static AT_EXIT: std::sync::Once = std::sync::Once::new();
    // SAFETY: registers a plain function with no captured state; libc calls it at exit.
    AT_EXIT.call_once(|| unsafe {
        libc::atexit(remove_folders_at_exit);
    });
    for _ in 0..8 {
        let dir = tmp.join(format!("dispatch-{purpose}-{:016x}", rand::random::<u64>()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
                FOLDERS
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((dir.clone(), key));
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
        }
    }
    bail!("could not make a fresh folder under {}", tmp.display())
}

fn write_key_copy(tmp: &Path, json: &str) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = private_folder(tmp, "google", true)?.join("key.json");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(json.as_bytes())?;
    f.sync_all()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attack: a symlink planted at the old predictable name received the key.
    #[test]
    fn a_fresh_private_folder_each_time_and_nothing_planted_is_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        std::fs::create_dir(&victim).unwrap();
        let planted = tmp
            .path()
            .join(format!("dispatch-google-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        let a = write_key_copy(tmp.path(), "{}").unwrap();
        let b = write_key_copy(tmp.path(), "{}").unwrap();
        assert_ne!(a.parent(), b.parent(), "a fresh folder each time");
        assert!(std::fs::read_dir(&victim).unwrap().next().is_none());
        forget_key_copies();
        assert!(!a.exists() && !b.exists(), "the copies are gone");
    }

    #[test]
    fn a_temp_dir_reached_through_a_symlink_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = write_key_copy(&link, "{}").unwrap_err().to_string();
        assert!(e.contains("is a symlink"), "{e}");
        assert!(std::fs::read_dir(&real).unwrap().next().is_none());
    }
}
