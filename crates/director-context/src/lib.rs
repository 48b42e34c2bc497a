//! director-context
