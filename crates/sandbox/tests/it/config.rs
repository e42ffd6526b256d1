//! Loading the configuration from TOML, including the example in `docs/sandbox.md`.

use pinsync_sandbox::{ConfigError, SandboxConfig};

const DOCS: &str = include_str!("../../../../docs/sandbox.md");

/// The first ```toml block of the docs.
fn documented_example() -> &'static str {
    let start = DOCS
        .find("```toml\n")
        .expect("docs/sandbox.md has a toml example")
        + 8;
    let length = DOCS[start..].find("```").unwrap();
    &DOCS[start..start + length]
}

#[test]
fn the_documented_example_config_loads() {
    let config = SandboxConfig::from_toml_str(documented_example()).unwrap();
    assert!(!config.users.is_empty());
    assert!(!config.ad_accounts.is_empty());
}

#[test]
fn an_empty_config_is_the_default_seed() {
    let config = SandboxConfig::from_toml_str("").unwrap();
    assert_eq!(config.app.client_id, "1234567");
    assert_eq!(config.users.len(), 3);
    assert_eq!(config.customer_lists.max_records_per_request, 1_900);
    assert_eq!(config.rate_limits.ads_write_per_minute, 400);
    assert_eq!(config.tokens.access_token_ttl_secs, 2_592_000);
}

#[test]
fn partial_sections_keep_the_other_defaults() {
    let config = SandboxConfig::from_toml_str(
        "[rate_limits]\nads_write_per_second = 3\n[tokens]\naccess_token_ttl_secs = 5\n",
    )
    .unwrap();
    assert_eq!(config.rate_limits.ads_write_per_second, 3);
    assert_eq!(config.rate_limits.ads_write_per_minute, 400);
    assert_eq!(config.tokens.access_token_ttl_secs, 5);
    assert_eq!(config.tokens.refresh_token_ttl_secs, 5_184_000);
}

#[test]
fn mistakes_are_reported_at_load() {
    let cases = [
        "[tokens]\naccess_token_ttl = 5\n",
        "[matching]\nmatch_fraction = 1.5\n",
        "[[users]]\nid = \"abc\"\nusername = \"x\"\n",
        "[[users]]\nid = \"1\"\nusername = \"x\"\n[[ad_accounts]]\nid = \"2\"\nname = \"n\"\nowner = \"x\"\nroles = { x = \"KING\" }\n",
        "[[users]]\nid = \"1\"\nusername = \"x\"\n[[ad_accounts]]\nid = \"2\"\nname = \"n\"\nowner = \"nobody\"\n",
        "[faults]\nerror_500_fraction = 0.8\nerror_503_fraction = 0.8\n",
    ];
    for case in cases {
        assert!(
            SandboxConfig::from_toml_str(case).is_err(),
            "accepted: {case}"
        );
    }
    let missing = SandboxConfig::from_toml_file(std::path::Path::new("/nonexistent/sandbox.toml"));
    assert!(matches!(missing, Err(ConfigError::Read { .. })));
}
