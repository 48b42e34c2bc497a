//! Routing, part of the `plan` stage: which Directors review this change, and why the
//! others do not. `--director`/`--all-directors` override the applicability rules;
//! offline mode turns every selected Director into "not run: no LLM provider".

use super::{Engine, VerifyOptions};
use crate::registry::Director;
use crate::setup::Setup;
use director_context::ChangeSet;
use director_core::record::DirectorRun;
use director_core::routing::RoutedFile;
use director_core::{Environment, Task};
use director_llm::ChatModel;
use std::sync::Arc;

/// The routing decision of one run.
pub(super) struct Routing {
    /// Per panel index: `Some` for a Director that will not be called.
    pub runs: Vec<Option<DirectorRun>>,
    /// Panel indices of the Directors to call.
    pub selected: Vec<usize>,
    /// Per panel index: why a selected Director applies (kept in its record).
    pub reasons: Vec<Option<String>>,
    /// The model to call (`None` offline).
    pub model: Option<Arc<dyn ChatModel>>,
    /// Why no LLM Director runs, when offline.
    pub offline_reason: Option<String>,
}

/// A Director that does not take part, with the reason.
pub(super) fn skipped(d: &Director, reason: String) -> DirectorRun {
    DirectorRun::skipped(d.name(), &d.def.display_name, &d.def.persona, reason)
}

impl Engine {
    /// Decide, for every Director of the panel, whether it reviews this change.
    pub(super) fn route(
        &self,
        setup: &Setup,
        task: &Task,
        options: &VerifyOptions,
        changes: &ChangeSet,
        environment: Option<Environment>,
    ) -> Routing {
        let cfg = &setup.policy.config.config;
        let routed: Vec<RoutedFile<'_>> = changes
            .files
            .iter()
            .map(|f| RoutedFile {
                path: &f.path,
                classes: &f.classes,
                signals: &f.signals,
            })
            .collect();
        let mut runs: Vec<Option<DirectorRun>> = vec![None; setup.policy.panel.directors().len()];
        let mut selected = Vec::new();
        let mut reasons: Vec<Option<String>> = vec![None; runs.len()];
        for (i, d) in setup.policy.panel.directors().iter().enumerate() {
            let decision = if !options.directors.is_empty() {
                if options.directors.iter().any(|n| n == d.name()) {
                    Ok("selected with --director".to_string())
                } else {
                    Err("not selected (--director names others)".to_string())
                }
            } else if cfg.directors.disabled.iter().any(|n| n == d.name()) {
                Err("disabled in configuration ([directors] disabled)".to_string())
            } else if options.all_directors {
                Ok("--all-directors".to_string())
            } else {
                let r = d.routing().route(
                    &d.def.display_name,
                    &routed,
                    environment,
                    !task.criteria.is_empty(),
                );
                if r.runs() {
                    Ok(r.reason().to_string())
                } else {
                    Err(r.reason().to_string())
                }
            };
            match decision {
                Ok(reason) => {
                    selected.push(i);
                    reasons[i] = Some(reason);
                }
                Err(reason) => runs[i] = Some(skipped(d, reason)),
            }
        }

        // Offline: the evidence decides alone.
        let model = setup.reviewing_model();
        let offline_reason = model.is_none().then(|| {
            setup
                .policy
                .config
                .offline_reason()
                .unwrap_or_else(|| "no LLM provider is configured".to_string())
        });
        if model.is_none() {
            for &i in &selected {
                runs[i] = Some(skipped(
                    &setup.policy.panel.directors()[i],
                    "not run: no LLM provider (offline)".into(),
                ));
            }
            selected.clear();
        }
        Routing {
            runs,
            selected,
            reasons,
            model,
            offline_reason,
        }
    }
}
