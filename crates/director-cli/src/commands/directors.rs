//! `director directors list|show`: the resolved panel and where each piece came from.

use crate::cli::DirectorsCommand;
use crate::output::emit;
use director::exit;
use std::fmt::Write as _;
use std::path::Path;

/// Run a directors command.
pub fn run(repo: &Path, cmd: DirectorsCommand) -> anyhow::Result<i32> {
    let verifier = super::offline_verifier(repo)?;
    let panel = verifier.panel()?;
    let mut out = String::new();
    match cmd {
        DirectorsCommand::List => {
            let _ = writeln!(
                out,
                "{:<14} {:<17} {:>4} {:<6} DEFINITION",
                "NAME", "PERSONA", "PRIO", "BLOCKS"
            );
            for d in panel.directors() {
                let _ = writeln!(
                    out,
                    "{:<14} {:<17} {:>4} {:<6} {}",
                    d.name(),
                    d.def.persona,
                    d.def.priority,
                    if d.def.may_block { "yes" } else { "no" },
                    d.definition_origin
                );
            }
            let _ = writeln!(
                out,
                "\nframe: {}\ninstruction: {}",
                panel.frame_origin, panel.instruction_origin
            );
            out.push_str(&super::policy_lines(&verifier));
        }
        DirectorsCommand::Show { name } => {
            let Some(d) = panel.get(&name) else {
                return Err(director::Error::Input {
                    message: format!("unknown Director `{name}`"),
                    hint: format!("the panel is: {}", panel.names().join(", ")),
                }
                .into());
            };
            let a = &d.def.applicability;
            let list = |v: &[String]| {
                if v.is_empty() {
                    "-".to_string()
                } else {
                    v.join(", ")
                }
            };
            let classes = |v: &[director::core::FileClass]| {
                if v.is_empty() {
                    "-".to_string()
                } else {
                    v.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                }
            };
            let _ = writeln!(out, "{} ({})", d.def.display_name, d.name());
            let _ = writeln!(
                out,
                "  persona:      {} — {}",
                d.def.persona, d.persona_origin
            );
            let _ = writeln!(out, "  prompt:       {}", d.prompt_origin);
            let _ = writeln!(out, "  definition:   {}", d.definition_origin);
            let _ = writeln!(out, "  summary:      {}", d.def.summary);
            let _ = writeln!(out, "  owns:         {}", list(&d.def.owns));
            let _ = writeln!(out, "  may block:    {}", d.def.may_block);
            let _ = writeln!(out, "  priority:     {}", d.def.priority);
            let _ = writeln!(
                out,
                "  model:        {}",
                d.def.model.as_deref().unwrap_or("(default)")
            );
            let _ = writeln!(
                out,
                "  applies to:   classes [{}], paths [{}]{}",
                classes(&a.classes),
                list(&a.paths),
                if a.always { ", always" } else { "" }
            );
            let _ = writeln!(
                out,
                "  ignores:      classes [{}], paths [{}]",
                classes(&a.ignore_classes),
                list(&a.ignore_paths)
            );
            let envs: Vec<&str> = a.skip_environments.iter().map(|e| e.as_str()).collect();
            let _ = writeln!(
                out,
                "  skips envs:   [{}]{}",
                envs.join(", "),
                if a.requires_criteria {
                    "; needs acceptance criteria"
                } else {
                    ""
                }
            );
        }
    }
    emit(&out, None)?;
    Ok(exit::PASS)
}
