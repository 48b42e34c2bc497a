//! director-evidence
