//! The magic-link keys: from the settings (`DISPATCH_LINK_KEYS`, a Secrets Manager secret, a key
//! file), or on the embedded backend a key made once and kept in `<data_dir>/link-keys`. Its own
//! file because it is the one piece of wiring that writes a secret to disk.

use anyhow::{bail, Context};
use dispatch_cascade::tokens::{LinkKey, MagicLinks};
use dispatch_core::config::BackendKind;
use dispatch_core::Settings;

/// The magic-link keys: from settings, or on the embedded backend a key made once and kept in
/// `<data_dir>/link-keys` (mode 0600).
pub fn link_keys(settings: &Settings) -> anyhow::Result<MagicLinks> {
    use base64::Engine as _;
    let mut specs = settings.link_keys.clone();
    if specs.is_empty() {
        if settings.backend != BackendKind::Local {
            bail!("no magic-link keys: set DISPATCH_LINK_KEYS=id:base64secret (from `openssl rand -base64 32`)");
        }
        let path = settings.data_dir.join("link-keys");
        if !path.exists() {
            dispatch_core::private_fs::create_dir(&settings.data_dir)
                .with_context(|| format!("creating {}", settings.data_dir.display()))?;
            let secret: [u8; 32] = rand::random();
            let line = format!(
                "local1:{}\n",
                base64::engine::general_purpose::STANDARD.encode(secret)
            );
            write_private(&path, line.as_bytes())?;
        }
        if let Some(problem) = dispatch_core::private_fs::readable_by_others(&path) {
            bail!("magic-link keys: {problem}");
        }
        specs = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?
            .lines()
            .map(str::to_string)
            .filter(|l| !l.trim().is_empty())
            .collect();
    }
    // Also for keys from the Secrets Manager secret or the key file, which Settings::load never saw.
    dispatch_core::config::check_link_key_ids(&specs)
        .map_err(|m| anyhow::anyhow!("magic-link keys: {m}"))?;
    let keys = specs
        .iter()
        .map(|spec| {
            let (id, b64) = spec
                .split_once(':')
                .context("link key must be id:base64secret")?;
            let secret = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .context("link key secret is not base64")?;
            LinkKey::new(id.trim(), secret).map_err(anyhow::Error::msg)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    MagicLinks::new(keys).map_err(anyhow::Error::msg)
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = dispatch_core::private_fs::new_file()
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys that reach the process after the settings were checked (a Secrets Manager secret,
    /// the embedded key file) are checked too: two keys under one id are refused.
    #[test]
    fn duplicate_link_key_ids_are_refused_whatever_their_source() {
        let key = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let settings = Settings {
            link_keys: vec![key.into(), key.into()],
            ..Default::default()
        };
        let Err(e) = link_keys(&settings) else {
            panic!("two keys under one id were accepted")
        };
        let e = e.to_string();
        assert!(e.contains("two keys have the id `k1`"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("link-keys"), format!("{key}\n{key}\n")).unwrap();
        let settings = Settings {
            data_dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        assert!(link_keys(&settings).is_err());
    }
}
