//! Integration tests of the `director` library through the real HTTP path: wiremock
//! speaks the OpenAI chat completions API, async-openai and reqwest do the rest.

mod embed;
mod faults;
mod formats;
mod panel;
mod routing;
mod safety;
mod support;
mod verify;
