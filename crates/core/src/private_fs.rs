//! Files that hold secrets or guests' data on one box (the SQLite file, the outbox, the
//! magic-link keys) are the owner's alone: folders are made 0700 and files 0600 as they are
//! created, and a secret file others can read is refused with the `chmod` that fixes it.

use std::io;
use std::path::Path;

/// Makes `dir` and its missing parents, each new one 0700 (existing folders are left as they are).
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Options creating a new file readable and writable by its owner only.
pub fn new_file() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// `None` when only the owner may read `file`, else what is wrong and the command that fixes it.
pub fn readable_by_others(file: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).ok()?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Some(format!(
                "{} holds a secret and is readable by others (mode {mode:o}); run `chmod 600 {}`",
                file.display(),
                file.display()
            ));
        }
    }
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn folders_are_0700_files_0600_and_a_wide_secret_is_named_with_its_chmod() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("a/b");
        create_dir(&dir).unwrap();
        for d in [t.path().join("a"), dir.clone()] {
            assert_eq!(
                std::fs::metadata(&d).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
        let f = dir.join("secret");
        new_file().open(&f).unwrap();
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(readable_by_others(&f), None);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let p = readable_by_others(&f).unwrap();
        assert!(p.contains("chmod 600") && p.contains("644"), "{p}");
    }
}
