//! The shipped panel: every Director, prompt and persona loads and renders, and
//! routing sends each kind of change to the right Directors.

use director::registry::{BUILTIN_FILES, Panel};

#[test]
fn every_shipped_file_is_loaded_and_rendered() {
    let panel = Panel::load(None).unwrap();
    let names = panel.names();
    assert_eq!(names.len(), 7, "{names:?}");
    let entries: Vec<_> = panel.directors().iter().map(|d| d.panel_entry()).collect();
    let frame = panel
        .render_frame(&entries, "n0nce", "CONTEXT-MARKER", "production")
        .unwrap();
    // The context is the last thing in the shared frame, so everything before it is
    // the same for every run with the same panel.
    assert!(
        frame.trim_end().ends_with("CONTEXT-MARKER"),
        "the context must come last"
    );
    assert!(frame.contains("n0nce"));
    let mut used = vec![
        "prompts/frame.tera".to_string(),
        "prompts/instruction.tera".to_string(),
    ];
    for d in panel.directors() {
        let others: Vec<_> = entries
            .iter()
            .filter(|e| e.name != d.name())
            .cloned()
            .collect();
        for env in ["production", "development", "unspecified"] {
            let text = panel.render_director(d, &others, env).unwrap();
            assert!(
                text.contains(&d.def.persona),
                "{} names its persona",
                d.name()
            );
            assert!(text.len() > 2000, "{} prompt has depth", d.name());
        }
        for structured in [true, false] {
            let text = panel
                .render_instruction(d, structured, "{\"type\":\"object\"}")
                .unwrap();
            assert!(text.contains(&d.def.display_name));
            assert_eq!(text.contains("\"type\":\"object\""), !structured);
        }
        used.push(format!("directors/{}.toml", d.name()));
        used.push(format!("prompts/directors/{}", d.def.prompt_file));
        used.push(format!("personas/{}", d.def.persona_file));
    }
    for (path, _) in BUILTIN_FILES {
        assert!(
            used.iter().any(|u| u == path),
            "shipped but never used: {path}"
        );
    }
}

#[test]
fn infrastructure_prompt_carries_the_seed() {
    let panel = Panel::load(None).unwrap();
    let d = panel.get("infrastructure").unwrap();
    let text = panel.render_director(d, &[], "production").unwrap();
    for needle in [
        "DirInfra_Agent",
        "Can the system scale horizontally",
        "auto-scaling policies",
        "single points of failure",
        "Recovery Point Objective",
        "Recovery Time Objective",
        "auto-shutdown for non-production",
        "distributed tracing",
        "on-call alerting",
        "HorizontalPodAutoscaler",
        "multi_az",
        "m5.2xlarge",
        "Manual Infrastructure",
        "Wrong Resource Tiers",
        "10x growth",
        "Performance Director",
        "Security Director",
        "Architecture Director",
        "OPERATIONAL READINESS",
        "The Penny Pincher",
        "Script it or skip it",
        "Who authorized this security group change?",
    ] {
        assert!(
            text.to_lowercase().contains(&needle.to_lowercase()),
            "infrastructure prompt lacks {needle:?}"
        );
    }
}
