//! Parsing, environment overrides and validation of the configuration.

use super::validate::resolve;
use super::*;

#[test]
fn example_file_parses_to_the_defaults() {
    let c: Config = toml::from_str(EXAMPLE).unwrap();
    c.validate().unwrap();
    let d = Config::default();
    assert_eq!(c.http.listen, d.http.listen);
    assert_eq!(c.data_dir, d.data_dir);
    assert_eq!(c.security.session_hours, d.security.session_hours);
    assert_eq!(c.smtp.listen, d.smtp.listen);
}

#[test]
fn env_overrides_file_and_flags_override_env() {
    let mut c = Config::default();
    apply_env(&mut c, |k| match k {
        "ORTHRUS_HTTP" => Some("0.0.0.0:9000".into()),
        "ORTHRUS_DATABASE_URL" => Some("postgres://u@h/db".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.http.listen, "0.0.0.0:9000");
    assert_eq!(c.database(), "postgres://u@h/db");
    assert!(
        !format!("{c:?}").contains("postgres://u@h/db"),
        "database URL is redacted in Debug"
    );
    let bad = apply_env(&mut c, |k| {
        (k == "ORTHRUS_SESSION_HOURS").then(|| "soon".into())
    });
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("ORTHRUS_SESSION_HOURS")
    );
}

#[test]
fn database_pool_size_from_env_and_checked() {
    let mut c = Config::default();
    assert_eq!(c.pool().max_connections, None, "0: sized for the machine");
    apply_env(&mut c, |k| {
        (k == "ORTHRUS_DATABASE_MAX_CONNECTIONS").then(|| "24".into())
    })
    .unwrap();
    assert_eq!(c.pool().max_connections, Some(24));
    c.validate().unwrap();
    c.database_max_connections = 5000;
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("database_max_connections")
    );
    let bad = apply_env(&mut c, |k| {
        (k == "ORTHRUS_DATABASE_MAX_CONNECTIONS").then(|| "-1".into())
    });
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("ORTHRUS_DATABASE_MAX_CONNECTIONS")
    );
}

#[test]
fn validation_names_the_bad_setting() {
    let c = Config {
        http: HttpConfig {
            listen: "localhost".into(),
            ..HttpConfig::default()
        },
        ..Config::default()
    };
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("http.listen")
    );
    assert_eq!(
        resolve("localhost:8080", "x").unwrap().port(),
        8080,
        "host names resolve"
    );
    let c = Config {
        database_url: SecretString::new("mysql://x"),
        ..Config::default()
    };
    assert!(
        c.validate()
            .unwrap_err()
            .to_string()
            .contains("database_url")
    );
    let unknown = toml::from_str::<Config>("[http]\nlisten = \"127.0.0.1:1\"\nport = 3\n");
    assert!(unknown.is_err());
}

#[test]
fn the_log_format_is_text_or_json_from_file_and_env() {
    assert_eq!(Config::default().log.format, LogFormat::Text);
    let mut c: Config = toml::from_str("[log]\nformat = \"json\"\n").unwrap();
    assert_eq!(c.log.format, LogFormat::Json);
    let e = toml::from_str::<Config>("[log]\nformat = \"xml\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("log.format must be text or json"), "{e}");
    let env = |v: &'static str| move |k: &str| (k == "ORTHRUS_LOG_FORMAT").then(|| v.to_owned());
    apply_env(&mut c, env("text")).unwrap();
    assert_eq!(c.log.format, LogFormat::Text);
    let e = apply_env(&mut c, env("JSON")).unwrap_err().to_string();
    assert!(e.contains("log.format must be text or json"), "{e}");
    assert_eq!(
        c.log.format,
        LogFormat::Text,
        "a refused value changes nothing"
    );
}

#[test]
fn the_mfa_check_interval_comes_from_file_and_env_and_is_checked() {
    assert_eq!(Config::default().automation.mfa_check_interval_days, 7);
    let mut c: Config = toml::from_str("[automation]\nmfa_check_interval_days = 30\n").unwrap();
    assert_eq!(c.automation.mfa_check_interval_days, 30);
    let env = |v: &'static str| {
        move |k: &str| (k == "ORTHRUS_AUTOMATION_MFA_CHECK_INTERVAL_DAYS").then(|| v.to_owned())
    };
    apply_env(&mut c, env("0")).unwrap();
    assert_eq!(c.automation.mfa_check_interval_days, 0, "0 turns it off");
    c.validate().unwrap();
    let e = apply_env(&mut c, env("weekly")).unwrap_err().to_string();
    assert!(
        e.contains("ORTHRUS_AUTOMATION_MFA_CHECK_INTERVAL_DAYS"),
        "{e}"
    );
    apply_env(&mut c, env("366")).unwrap();
    let e = c.validate().unwrap_err().to_string();
    assert!(e.contains("automation.mfa_check_interval_days"), "{e}");
}

#[test]
fn mail_settings_are_checked() {
    let bad = |toml_text: &str, needle: &str| {
        let c: Config = toml::from_str(toml_text).unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains(needle), "{toml_text}: {e}");
    };
    bad("[smtp]\ndns_servers = [\"resolver\"]\n", "smtp.dns_servers");
    bad(
        "[[smtp.dns_records]]\nname = \"_dmarc.x.com\"\nvalue = \"nonsense\"\n",
        "_dmarc.x.com",
    );
    bad("[smtp]\ntls_cert = \"/etc/cert.pem\"\n", "tls_key");
    bad("[forward]\nrelay = \"ftp://x\"\n", "forward.relay");
    bad("[smtp]\nauth_timeout_secs = 0\n", "auth_timeout_secs");
    let ok: Config = toml::from_str(
        "[smtp]\ndns_servers = [\"10.0.0.53\", \"127.0.0.1:5353\"]\n[[smtp.dns_records]]\nname = \"_dmarc.instagram.com\"\nvalue = \"v=DMARC1; p=reject\"\n[forward]\nrelay = \"smtp://127.0.0.1:2526\"\n",
    )
    .unwrap();
    ok.validate().unwrap();
    assert_eq!(ok.sender_auth().unwrap().dns_servers[0].port(), 53);
}

#[test]
fn smtp_limits_come_from_file_and_env_and_are_checked() {
    let mut c: Config = toml::from_str(
        "[smtp]\nmax_connections = 50\ndata_timeout_secs = 60\naddress_storage_bytes = 20971520\n",
    )
    .unwrap();
    apply_env(&mut c, |k| match k {
        "ORTHRUS_SMTP_MAX_CONNECTIONS_PER_IP" => Some("5".into()),
        "ORTHRUS_SMTP_SESSION_TIMEOUT_SECS" => Some("120".into()),
        "ORTHRUS_SMTP_ADDRESS_MESSAGES_PER_MINUTE" => Some("30".into()),
        "ORTHRUS_SMTP_WORKSPACE_STORAGE_BYTES" => Some("41943040".into()),
        _ => None,
    })
    .unwrap();
    c.validate().unwrap();
    let m = &c.smtp;
    assert_eq!(
        (m.max_connections, m.max_connections_per_ip),
        (50, 5),
        "{m:?}"
    );
    assert_eq!((m.data_timeout_secs, m.session_timeout_secs), (60, 120));
    let l = c.app_config().inbox_limits;
    assert_eq!(l.address_messages_per_minute, 30);
    assert_eq!(l.workspace_messages_per_minute, 600, "the default");
    assert_eq!(
        (l.address_storage_bytes, l.workspace_storage_bytes),
        (20_971_520, 41_943_040)
    );
    let e = apply_env(&mut c, |k| {
        (k == "ORTHRUS_SMTP_MAX_CONNECTIONS").then(|| "lots".into())
    })
    .unwrap_err();
    assert!(
        e.to_string().contains("ORTHRUS_SMTP_MAX_CONNECTIONS"),
        "{e}"
    );
    let bad = |toml_text: &str, needle: &str| {
        let c: Config = toml::from_str(toml_text).unwrap();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains(needle), "{toml_text}: {e}");
    };
    bad("[smtp]\nmax_connections = 0\n", "smtp.max_connections");
    bad(
        "[smtp]\nmax_connections = 5\nmax_connections_per_ip = 6\n",
        "smtp.max_connections_per_ip",
    );
    bad(
        "[smtp]\ndata_timeout_secs = 600\nsession_timeout_secs = 60\n",
        "smtp.session_timeout_secs",
    );
    bad(
        "[smtp]\naddress_messages_per_minute = 0\n",
        "smtp.address_messages_per_minute",
    );
    bad(
        "[smtp]\naddress_storage_bytes = 1024\n",
        "smtp.address_storage_bytes",
    );
    bad(
        "[smtp]\nworkspace_storage_bytes = 10485760\naddress_storage_bytes = 20971520\n",
        "smtp.workspace_storage_bytes",
    );
}

#[test]
fn every_number_variable_says_which_one_is_wrong_and_how() {
    let unsigned = [
        "ORTHRUS_DATABASE_MAX_CONNECTIONS",
        "ORTHRUS_AUTOMATION_WORKERS",
        "ORTHRUS_AUTOMATION_LEASE_SECS",
        "ORTHRUS_AUTOMATION_PERSON_WAIT_SECS",
        "ORTHRUS_AUTOMATION_MFA_CHECK_INTERVAL_DAYS",
        "ORTHRUS_MAX_BODY_BYTES",
        "ORTHRUS_UPLOAD_SLOTS",
        "ORTHRUS_UPLOAD_TIMEOUT_SECS",
        "ORTHRUS_ARGON_MEMORY_KIB",
        "ORTHRUS_SMTP_MAX_CONNECTIONS",
    ];
    let signed = [
        "ORTHRUS_BEARER_DAYS",
        "ORTHRUS_LOCKOUT_THRESHOLD",
        "ORTHRUS_LOCKOUT_SECS",
        "ORTHRUS_SESSION_HOURS",
    ];
    let said = |var: &str, value: &str| {
        let mut c = Config::default();
        apply_env(&mut c, |k| (k == var).then(|| value.into()))
            .err()
            .map(|e| format!("{e:#}"))
    };
    for var in unsigned.iter().chain(&signed) {
        let want = format!("{var} must be a whole number, got \"soon\"");
        assert!(
            said(var, "soon").is_some_and(|e| e.starts_with(&want)),
            "{var}"
        );
        assert_eq!(
            said(var, " 7 "),
            None,
            "{var}: spaces around a number are fine"
        );
    }
    for var in unsigned {
        assert_eq!(said(var, "-1"), Some(format!("{var} is out of range")));
    }
    for var in signed {
        assert_eq!(said(var, "-1"), None, "{var} takes any whole number here");
    }
}
