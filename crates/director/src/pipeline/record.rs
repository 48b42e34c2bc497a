//! Stage 4, `record`: the versioned run record made from the plan and the judgement,
//! the last events, and the atomic write under `.director/runs/`.

use super::Engine;
use super::judge::Judgement;
use super::plan::Plan;
use crate::error::Error;
use crate::event::{EventSink, VerificationEvent};
use director_core::record::{EvidenceSummary, LlmInfo, PolicyInfo, RunRecord, ServerInfo};

impl Engine {
    /// Stage 4: build, announce and persist the record.
    pub(super) async fn record(
        &self,
        plan: Plan,
        judgement: Judgement,
        events: &EventSink,
    ) -> Result<RunRecord, Error> {
        let setup = plan.setup.clone();
        let cfg = &setup.policy.config.config;
        for f in &judgement.findings {
            events.emit(VerificationEvent::Finding {
                task: plan.task.id.clone(),
                finding: Box::new(f.clone()),
            });
        }
        events.emit(VerificationEvent::Usage {
            task: plan.task.id.clone(),
            usage: judgement.usage,
        });
        let warnings = plan
            .cache
            .as_ref()
            .map(|c| c.warnings())
            .unwrap_or_default();
        let mut record = RunRecord {
            version: director_core::record::RECORD_VERSION,
            run_id: plan.run_id,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at: plan
                .started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            duration_ms: plan.started.elapsed().as_millis() as u64,
            repository: plan.changes.repository_info(),
            task: plan.task,
            decision: judgement.decision,
            reason: judgement.reason,
            partial: plan.partial,
            cancelled: judgement.cancelled,
            llm: LlmInfo {
                configured: setup.model.is_some(),
                base_url: setup
                    .model
                    .as_ref()
                    .map(|m| without_userinfo(&m.info().base_url)),
                model: setup.model.as_ref().map(|_| cfg.provider.model.clone()),
                note: plan
                    .offline_reason
                    .map(|r| format!("no LLM Director ran: {r}")),
                server: plan.server.as_ref().map(|p| ServerInfo {
                    kind: p.facts.kind.as_str().to_string(),
                    context_window: p.context_window,
                    window_source: p.window_source.clone(),
                    max_in_flight: p.max_in_flight.and_then(|n| u32::try_from(n).ok()),
                    structured_output: format!("{:?}", p.structured_output),
                }),
            },
            directors: judgement.runs,
            findings: judgement.findings,
            changes: plan.changes.summaries(),
            evidence: EvidenceSummary {
                files_analyzed: plan.evidence.files_analyzed,
                findings: plan.evidence.findings.len() as u32,
                parse_errors: plan.evidence.parse_errors,
                not_evaluated: plan.evidence.not_evaluated,
            },
            context: plan.context,
            usage: judgement.usage,
            mcp_servers: plan.tools.report(),
            policy: PolicyInfo {
                source: setup.policy.trusted.source.to_string(),
                ignored_changes: plan.policy_ignored,
            },
            warnings,
        };
        if cfg.run.write_record {
            setup.storage.save(&mut record, &self.repo_root).await?;
        }
        events.emit(VerificationEvent::Finished {
            record: Box::new(record.clone()),
        });
        Ok(record)
    }
}

/// A base URL for the record, without any `user:password@` part (an unparsable one
/// is recorded as such, never verbatim).
fn without_userinfo(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            // Both fail only for URLs that cannot carry credentials at all.
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn userinfo_is_stripped() {
        assert_eq!(
            super::without_userinfo("https://u:p@host/v1"),
            "https://host/v1"
        );
        assert_eq!(
            super::without_userinfo("http://127.0.0.1:8080/v1"),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(
            super::without_userinfo("http://h/v1?x=a@b"),
            "http://h/v1?x=a@b"
        );
    }
}
