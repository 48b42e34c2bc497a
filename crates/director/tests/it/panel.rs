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

/// Both prompt profiles render for every shipped Director: the compact one keeps the
/// checklist, the criteria, the output contract and the persona's essentials, drops
/// the examples, and is a fraction of the full one.
#[test]
fn every_shipped_director_renders_in_both_profiles() {
    use director::fit::PromptProfile;
    let panel = Panel::load(None).unwrap();
    let entries: Vec<_> = panel.directors().iter().map(|d| d.panel_entry()).collect();
    let tokens = director_context::count_tokens;
    let mut sizes = Vec::new();
    for profile in [PromptProfile::Full, PromptProfile::Compact] {
        let frame = panel
            .render_frame_as(&entries, "n0nce", "CONTEXT-MARKER", "production", profile)
            .unwrap();
        assert!(frame.trim_end().ends_with("CONTEXT-MARKER"), "{profile:?}");
        assert!(
            frame.contains("n0nce"),
            "{profile:?}: the nonce is explained"
        );
        assert!(frame.contains("`verdict`"), "{profile:?}: output contract");
        for d in panel.directors() {
            let own = panel
                .render_director_as(d, &entries, "production", profile)
                .unwrap();
            let instruction = panel.render_instruction_as(d, true, "{}", profile).unwrap();
            for kept in ["Review Checklist", "Failure Criteria", "Your output"] {
                assert!(own.contains(kept), "{} {profile:?} lacks {kept}", d.name());
            }
            for full_only in [
                "Examples of Issues to Catch",
                "Success Criteria",
                "Applicability Rules",
            ] {
                assert_eq!(
                    own.contains(full_only),
                    profile == PromptProfile::Full,
                    "{} {profile:?}: {full_only}",
                    d.name()
                );
            }
            assert!(
                own.contains(&d.def.persona),
                "{} names its persona",
                d.name()
            );
            assert!(instruction.contains(&d.def.display_name));
            assert!(
                !own.contains("{%") && !frame.contains("{%"),
                "unrendered tera"
            );
            if std::env::var("SHOW_PROMPT").as_deref() == Ok(d.name())
                && profile == PromptProfile::Compact
            {
                println!(
                    "FRAME {}\n{frame}\nOWN {}\n{own}\nINSTR {}\n{instruction}",
                    tokens(&frame),
                    tokens(&own),
                    tokens(&instruction)
                );
            }
            sizes.push((
                d.name().to_string(),
                profile,
                tokens(&frame) + tokens(&own) + tokens(&instruction),
            ));
        }
    }
    for d in panel.directors() {
        let of = |p| {
            sizes
                .iter()
                .find(|(n, q, _)| n == d.name() && *q == p)
                .unwrap()
                .2
        };
        let (full, compact) = (of(PromptProfile::Full), of(PromptProfile::Compact));
        println!(
            "{:<15} full {full:>6} compact {compact:>6} tokens",
            d.name()
        );
        assert!(
            compact * 2 < full,
            "{}: compact {compact} vs full {full}",
            d.name()
        );
        assert!(!d.persona_essentials.is_empty(), "{}", d.name());
        assert!(
            d.persona_essentials.contains(&d.def.persona),
            "{}",
            d.name()
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
