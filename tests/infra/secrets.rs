//! Secrets Manager on the emulator (moto): the deployed functions take their magic-link keys and
//! Google key from secrets, the key lands in a 0700 folder / 0600 file the hardened loader accepts,
//! and a missing or malformed secret names the ARN and what to do.

mod aws {
    use std::os::unix::fs::PermissionsExt;

    use dispatch_core::Settings;

    async fn client() -> aws_sdk_secretsmanager::Client {
        aws_sdk_secretsmanager::Client::new(
            &crate::common::sdk_config_for(crate::common::endpoint()).await,
        )
    }

    async fn secret(c: &aws_sdk_secretsmanager::Client, value: &str) -> String {
        let name = format!("t-{}", uuid::Uuid::new_v4().simple());
        c.create_secret()
            .name(&name)
            .secret_string(value)
            .send()
            .await
            .unwrap()
            .arn
            .unwrap()
    }

    #[tokio::test]
    async fn link_keys_and_the_google_key_come_from_secrets() {
        let c = client().await;
        let keys = format!("k1:{}\nk2:{}", "A".repeat(44), "B".repeat(44));
        let link_arn = secret(&c, &keys).await;
        let google_arn = secret(&c, r#"{"type":"service_account","client_email":"x@y","private_key":"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n","token_uri":"http://127.0.0.1/token"}"#).await;
        let tmp = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        dispatch::secrets::apply(
            &mut settings,
            &c,
            Some(&link_arn),
            Some(&google_arn),
            tmp.path(),
        )
        .await
        .unwrap();
        assert_eq!(settings.link_keys.len(), 2);
        assert!(settings.link_keys[1].starts_with("k2:"));
        let key = settings.google_key_file.clone().unwrap();
        assert!(key.starts_with(tmp.path()));
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&key), 0o600);
        assert_eq!(mode(key.parent().unwrap()), 0o700);
        // The keys parse as the magic-link key ring.
        settings.backend = dispatch_core::config::BackendKind::Aws;
        dispatch::app::link_keys(&settings).unwrap();
    }

    #[tokio::test]
    async fn bad_secrets_say_which_and_what_to_do() {
        let c = client().await;
        let tmp = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        let missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf";
        let e = dispatch::secrets::apply(&mut settings, &c, Some(missing), None, tmp.path())
            .await
            .unwrap_err();
        let text = format!("{e:#}");
        assert!(
            text.contains(missing) && text.contains("DISPATCH_LINK_KEYS_SECRET_ARN"),
            "{text}"
        );
        let junk = secret(&c, "not a key").await;
        let e = dispatch::secrets::apply(&mut settings, &c, Some(&junk), None, tmp.path())
            .await
            .unwrap_err();
        assert!(format!("{e:#}").contains("id:base64secret"), "{e:#}");
        let e = dispatch::secrets::apply(&mut settings, &c, None, Some(&junk), tmp.path())
            .await
            .unwrap_err();
        assert!(
            format!("{e:#}").contains("service-account key JSON"),
            "{e:#}"
        );
        assert!(
            settings.link_keys.is_empty() && settings.google_key_file.is_none(),
            "nothing half-applied"
        );
    }
}
