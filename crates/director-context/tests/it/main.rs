//! Integration tests of director-context: real temporary git repositories built
//! with git2, the task store on disk, packing with seeded secrets and injection
//! attempts, and the repository tools' confinement.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures and helpers panic on setup failure"
)]

mod changes;
mod packing;
mod repo;
mod secrets;
mod tasks;
mod tools;
