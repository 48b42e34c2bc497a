//! director-llm
