//! Target `config`: `.director/config.toml` through the real resolution
//! ([`ResolvedConfig::load`]: figment layers, `deny_unknown_fields`, the `[trust]`
//! refusal, validation).
//!
//! Invariants: an error renders (message and hint) without panicking; a
//! configuration that loads can be shown (`director config show`) and, written back
//! as TOML (without `[trust]`, which a repository may not set), loads again to the
//! same configuration.

use director::config::RepoConfig;
use director::{Overrides, ResolvedConfig};

/// Load the input as the repository's configuration.
pub fn run(data: &[u8]) {
    let repo = RepoConfig {
        text: crate::text(data),
        source: "fuzz/.director/config.toml".into(),
    };
    let resolved = match ResolvedConfig::load(Some(&repo), &Overrides::default()) {
        Ok(resolved) => resolved,
        Err(e) => {
            let _ = (e.to_string(), e.hint());
            return;
        }
    };
    let _ = resolved.show();
    let mut table = match toml::Table::try_from(&resolved.config) {
        Ok(table) => table,
        Err(e) => panic!("a loaded configuration does not serialise to TOML: {e}"),
    };
    table.remove("trust");
    let text = toml::to_string(&table).unwrap_or_default();
    let again = RepoConfig {
        text,
        source: "round-trip".into(),
    };
    match ResolvedConfig::load(Some(&again), &Overrides::default()) {
        Ok(again) => assert_eq!(
            again.config,
            resolved.config,
            "configuration changed in a TOML round trip:\n{}",
            again_text(&table)
        ),
        Err(e) => panic!(
            "a loaded configuration does not load back: {e}\n{}",
            again_text(&table)
        ),
    }
}

fn again_text(table: &toml::Table) -> String {
    toml::to_string(table).unwrap_or_default()
}
