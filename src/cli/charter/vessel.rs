//! The vessel check of `charter add` and `charter import`: a vessel name not among the settings'
//! `vessels` is most likely a typo (the cascade would staff it with the defaults). The check only
//! applies when the settings define at least one vessel: an operator without vessel settings is
//! never blocked. A leaf module.

use dispatch_core::domain::lookup::closest_name;
use dispatch_core::Settings;

/// Why `vessel` looks wrong, naming the closest configured vessel; `None` when it is one of the
/// settings' vessels (exactly) or the settings define none.
pub fn unknown(settings: &Settings, vessel: &str) -> Option<String> {
    if settings.vessels.is_empty() || settings.vessels.contains_key(vessel) {
        return None;
    }
    let known = settings.vessels.keys().map(String::as_str);
    let hint = match closest_name(known, vessel) {
        Some(k) => format!("did you mean `{k}`? "),
        None => String::new(),
    };
    let all = settings
        .vessels
        .keys()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "vessel `{vessel}` is not in the settings' vessels ({all}): {hint}give --vessel-unknown-ok to book it anyway"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_checked_when_the_settings_name_vessels() {
        let mut s = Settings::default();
        assert_eq!(unknown(&s, "Anything"), None);
        s.vessels.insert("Osprey".into(), Default::default());
        s.vessels.insert("Sea Breeze".into(), Default::default());
        assert_eq!(unknown(&s, "Osprey"), None);
        let why = unknown(&s, "Ospery").unwrap();
        assert!(
            why.contains("did you mean `Osprey`?") && why.contains("`Sea Breeze`"),
            "{why}"
        );
        assert!(!unknown(&s, "Titanic").unwrap().contains("did you mean"));
    }
}
