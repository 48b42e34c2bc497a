//! director-cli
