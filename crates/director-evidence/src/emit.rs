//! Where findings are collected: every analyzer reports through [`Sink::emit`], which
//! applies the rule's Director, category, Failure Criterion and severity policy, skips
//! disabled rules (and criteria the environment policy does not judge there), and
//! quotes the evidence lines verbatim from the file.

use crate::config::AnalyzerConfig;
use crate::env::{EnvGuess, Policy};
use crate::facts::Facts;
use crate::rules::Rule;
use crate::source::SourceText;
use director_core::Finding;

/// One finding to report, before it becomes a [`Finding`].
pub(crate) struct Hit<'s, 'a> {
    /// The rule.
    pub rule: &'s Rule,
    /// The file the evidence is quoted from.
    pub src: &'s SourceText<'a>,
    /// 1-based inclusive line range of the evidence.
    pub lines: (u32, u32),
    /// The affected resource's address.
    pub resource: String,
    /// The environment the resource was judged in.
    pub env: &'s EnvGuess,
    /// One line naming this instance of the problem.
    pub title: String,
    /// The fix for this instance.
    pub fix: String,
    /// A stricter or looser policy than the rule's default, when the facts call for it.
    pub policy: Option<Policy>,
}

/// Collects findings for one analysis run.
pub(crate) struct Sink<'c> {
    config: &'c AnalyzerConfig,
    /// The findings so far.
    pub findings: Vec<Finding>,
    /// Repository-wide facts for analyzers that run later.
    pub facts: Facts,
}

impl<'c> Sink<'c> {
    /// An empty sink honouring `config.disabled_rules`.
    pub fn new(config: &'c AnalyzerConfig) -> Sink<'c> {
        Sink {
            config,
            findings: Vec::new(),
            facts: Facts::default(),
        }
    }

    /// The analyzer configuration.
    pub fn config(&self) -> &'c AnalyzerConfig {
        self.config
    }

    /// True if `rule` is switched off (analyzers may skip expensive work for it).
    pub fn disabled(&self, rule: &Rule) -> bool {
        self.config.is_disabled(rule.info.id)
    }

    /// Record a finding; returns it (for an analyzer to add related locations), or
    /// `None` if the rule is disabled.
    pub fn emit(&mut self, hit: Hit<'_, '_>) -> Option<&mut Finding> {
        let info = &hit.rule.info;
        if self.config.is_disabled(info.id) {
            return None;
        }
        let policy = hit.policy.unwrap_or(hit.rule.policy);
        // A criterion the environment policy does not judge here reports nothing.
        let severity = policy.severity(info.criterion, hit.env.env)?;
        let (lines, evidence) = hit.src.quote(hit.lines);
        let mut recommendation = hit.fix;
        if policy.env_sensitive() {
            recommendation.push(' ');
            recommendation.push_str(&hit.env.describe());
        }
        let mut finding = Finding::evidence(
            info.director,
            info.id,
            severity,
            info.category,
            hit.title,
            vec![hit.resource],
            hit.src.path,
            lines,
            evidence,
            recommendation,
        );
        finding.criterion = info.criterion;
        self.findings.push(finding);
        self.findings.last_mut()
    }
}
