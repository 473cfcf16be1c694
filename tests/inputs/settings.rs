//! Settings from the environment and `dispatch.toml` that must be refused at start-up, naming the
//! setting and what to do — before anything is opened: the data folder holds no database after a
//! refused start. One case a row: variables (or a config file), exit code, message fragment.

use crate::{expect, Env, Tally};

struct Case {
    name: &'static str,
    env: &'static [(&'static str, &'static str)],
    /// A `dispatch.toml` to pass with --config.
    file: Option<&'static str>,
    exit: i32,
    fragment: &'static str,
}

const KEY: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

const CASES: &[Case] = &[
    Case {
        name: "from_name_crlf",
        env: &[("DISPATCH_MAIL_FROM_NAME", "Crew\r\nBcc: all@evil.example")],
        file: None,
        exit: 1,
        fragment: "setting `mail_from_name` (env DISPATCH_MAIL_FROM_NAME)",
    },
    Case {
        name: "from_name_lf",
        env: &[("DISPATCH_MAIL_FROM_NAME", "Crew\nX: y")],
        file: None,
        exit: 1,
        fragment: "a line break would start a new header",
    },
    Case {
        name: "from_name_nul",
        env: &[("DISPATCH_MAIL_FROM_NAME", "Crew\u{7}")],
        file: None,
        exit: 1,
        fragment: "control character",
    },
    Case {
        name: "from_name_in_file",
        env: &[],
        file: Some("mail_from_name = \"A\\r\\nB\"\n"),
        exit: 1,
        fragment: "DISPATCH_MAIL_FROM_NAME",
    },
    Case {
        name: "public_url_query",
        env: &[("DISPATCH_PUBLIC_URL", "https://crew.example.com/?utm=1")],
        file: None,
        exit: 1,
        fragment: "has a query or fragment",
    },
    Case {
        name: "public_url_fragment",
        env: &[("DISPATCH_PUBLIC_URL", "https://crew.example.com/#top")],
        file: None,
        exit: 1,
        fragment: "has a query or fragment",
    },
    Case {
        name: "public_url_ftp",
        env: &[("DISPATCH_PUBLIC_URL", "ftp://crew.example.com")],
        file: None,
        exit: 1,
        fragment: "must start with http:// or https://",
    },
    Case {
        name: "public_url_no_host",
        env: &[("DISPATCH_PUBLIC_URL", "https:///o")],
        file: None,
        exit: 1,
        fragment: "has no host",
    },
    Case {
        name: "public_url_space",
        env: &[("DISPATCH_PUBLIC_URL", "https://crew example.com")],
        file: None,
        exit: 1,
        fragment: "spaces or control characters",
    },
    Case {
        name: "public_url_userinfo",
        env: &[("DISPATCH_PUBLIC_URL", "https://user@crew.example.com")],
        file: None,
        exit: 1,
        fragment: "user name",
    },
    Case {
        name: "link_keys_same_id",
        env: &[("DISPATCH_LINK_KEYS", "{KEY},{KEY}")],
        file: None,
        exit: 1,
        fragment: "two keys have the id `k1`",
    },
    Case {
        name: "link_key_short",
        env: &[("DISPATCH_LINK_KEYS", "k1:c2hvcnQ=")],
        file: None,
        exit: 1,
        fragment: "at least 32 random bytes",
    },
    Case {
        name: "link_key_no_id",
        env: &[(
            "DISPATCH_LINK_KEYS",
            ":AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )],
        file: None,
        exit: 1,
        fragment: "id:base64secret",
    },
    Case {
        name: "backend_unknown",
        env: &[("DISPATCH_BACKEND", "azure")],
        file: None,
        exit: 1,
        fragment: "setting `backend` (env DISPATCH_BACKEND)",
    },
    Case {
        name: "mail_unknown",
        env: &[("DISPATCH_MAIL", "pigeon")],
        file: None,
        exit: 1,
        fragment: "DISPATCH_MAIL",
    },
    Case {
        name: "max_receive_zero",
        env: &[("DISPATCH_MAX_RECEIVE_COUNT", "0")],
        file: None,
        exit: 1,
        fragment: "must be between 1 and 1000",
    },
    Case {
        name: "max_receive_words",
        env: &[("DISPATCH_MAX_RECEIVE_COUNT", "five")],
        file: None,
        exit: 1,
        fragment: "`five` is not a whole number",
    },
    Case {
        name: "offer_timeout_negative",
        env: &[("DISPATCH_OFFER_TIMEOUT_SECS", "-1")],
        file: None,
        exit: 1,
        fragment: "DISPATCH_OFFER_TIMEOUT_SECS",
    },
    Case {
        name: "listen_not_address",
        env: &[("DISPATCH_LISTEN", "localhost")],
        file: None,
        exit: 1,
        fragment: "is not an address such as 127.0.0.1:8080",
    },
    Case {
        name: "prefix_with_space",
        env: &[("DISPATCH_PREFIX", "my prefix")],
        file: None,
        exit: 1,
        fragment: "may hold only letters, digits, - and _",
    },
    Case {
        name: "ops_email_bad",
        env: &[("DISPATCH_OPS_EMAILS", "ops@example.com, ops")],
        file: None,
        exit: 1,
        fragment: "setting `ops_emails`",
    },
    Case {
        name: "mail_from_bad",
        env: &[("DISPATCH_MAIL_FROM", "dispatch")],
        file: None,
        exit: 1,
        fragment: "setting `mail_from`",
    },
    Case {
        name: "roster_year_1800",
        env: &[("DISPATCH_ROSTER_YEAR", "1800")],
        file: None,
        exit: 1,
        fragment: "1800 is not a year between 2000 and 2100",
    },
    Case {
        name: "time_zone_not_iana",
        env: &[("DISPATCH_TIME_ZONE", "Pacific Time")],
        file: None,
        exit: 1,
        fragment: "`Pacific Time` is not an IANA time zone name",
    },
    Case {
        name: "vessel_start_time_words",
        env: &[],
        file: Some("[vessels.\"Sea Breeze\"]\nstart_time = \"half past eight\"\n"),
        exit: 1,
        fragment: "give a local time as HH:MM",
    },
    Case {
        name: "reports_folder_dotdot",
        env: &[("DISPATCH_REPORTS_FOLDER", "../../etc")],
        file: None,
        exit: 1,
        fragment: "must be a folder path",
    },
    Case {
        name: "stream_start_unknown",
        env: &[("DISPATCH_STREAM_START", "middle")],
        file: None,
        exit: 1,
        fragment: "DISPATCH_STREAM_START",
    },
    Case {
        name: "loose_permissions_maybe",
        env: &[("DISPATCH_GOOGLE_ALLOW_LOOSE_PERMISSIONS", "maybe")],
        file: None,
        exit: 1,
        fragment: "`maybe` is not true or false",
    },
    Case {
        name: "vessel_crew_needed_negative",
        env: &[],
        file: Some("[vessels.\"Sea Breeze\"]\ncrew_needed = -2\n"),
        exit: 1,
        fragment: "setting `vessels.\"Sea Breeze\".crew_needed`",
    },
    Case {
        name: "vessel_unknown_field",
        env: &[],
        file: Some("[vessels.\"Sea Breeze\"]\ncrew = 2\n"),
        exit: 1,
        fragment: "vessels.\"Sea Breeze\"",
    },
    Case {
        name: "file_unknown_key",
        env: &[],
        file: Some("bakend = \"aws\"\n"),
        exit: 1,
        fragment: "bakend",
    },
    Case {
        name: "file_not_toml",
        env: &[],
        file: Some("this is = = not toml"),
        exit: 1,
        fragment: "config file",
    },
    Case {
        name: "config_missing",
        env: &[("DISPATCH_CONFIG", "/nonexistent/dispatch.toml")],
        file: None,
        exit: 1,
        fragment: "cannot read config file /nonexistent/dispatch.toml",
    },
    Case {
        name: "misspelled_variable_warns",
        env: &[("DISPATCH_PUBLC_URL", "https://x.example")],
        file: None,
        exit: 0,
        fragment:
            "DISPATCH_PUBLC_URL is not a setting and is ignored: did you mean DISPATCH_PUBLIC_URL?",
    },
];

pub const COUNT: usize = CASES.len();

pub fn run() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(Env::local());
    let mut tally = Tally::default();
    for case in CASES {
        let data = env.dir.path().join(format!("data-{}", case.name));
        let data_s = data.to_string_lossy().to_string();
        let mut vars: Vec<(&str, String)> = case
            .env
            .iter()
            .map(|(k, v)| (*k, v.replace("{KEY}", KEY)))
            .collect();
        vars.push(("DISPATCH_DATA_DIR", data_s));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut args: Vec<String> = Vec::new();
        if let Some(text) = case.file {
            let f = env.file(&format!("{}.toml", case.name), text.as_bytes());
            args.extend(["--config".to_string(), f.to_string_lossy().to_string()]);
        }
        args.push("bootstrap".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out) = env.dispatch(&args, &vars);
        let mut problem = expect(code, case.exit, &out, case.fragment);
        if problem.is_none() && case.exit != 0 && data.join("dispatch.sqlite3").exists() {
            problem = Some("a database was created despite the refused settings".into());
        }
        tally.check(case.name, problem, &out);
    }
    tally.finish("settings");
}
