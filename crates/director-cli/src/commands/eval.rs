//! `director eval SUITE_DIR`: run a suite of cases through the real pipeline and
//! print the scores (table on stdout, progress on stderr, JSON with `--output`).

use crate::cli::EvalArgs;
use crate::output::emit;
use director::eval::{self, EvalOptions, ModeChoice, Suite};
use director::exit;

/// Run `director eval`.
pub async fn run(args: EvalArgs) -> anyhow::Result<i32> {
    let suite = Suite::load(&args.suite)?;
    let options = EvalOptions {
        mode: if args.record {
            Some(ModeChoice::Record)
        } else if args.replay {
            Some(ModeChoice::Replay)
        } else {
            None
        },
        model: args.provider.model.clone(),
        base_url: args.provider.base_url.clone(),
        offline: args.provider.offline,
        director: args.director.clone(),
    };
    let plan = eval::plan(&suite, &options)?;
    let label = args.suite.display().to_string();
    let total = suite.cases.len();
    eprintln!("eval: {total} cases from {label}, mode {}", plan.name());
    let mut done = 0;
    let mut progress = |c: &eval::CaseResult| {
        done += 1;
        eprintln!(
            "eval: [{done}/{total}] {}: {} (expected {}){} in {} ms",
            c.name,
            c.decision,
            c.expected_decision,
            if c.decision_correct { "" } else { " MISMATCH" },
            c.duration_ms
        );
    };
    let report = eval::run(&suite, &label, &plan, &options, &mut progress).await?;
    if let Some(path) = &args.output {
        let json = serde_json::to_string_pretty(&report)?;
        emit(&format!("{json}\n"), Some(path))?;
    }
    emit(&eval::render_table(&report), None)?;
    Ok(exit::PASS)
}
