//! Docker Compose analysis: per service, a restart policy, resource limits, a
//! healthcheck, a pinned image and no privileged mode.

use crate::SourceFile;
use crate::dockerfile::is_unpinned;
use crate::emit::{Hit, Sink};
use crate::env::{self, EnvGuess};
use crate::error::EvidenceError;
use crate::rules::{
    COMPOSE_IMAGE_LATEST, COMPOSE_NO_HEALTHCHECK, COMPOSE_NO_LIMITS, COMPOSE_NO_RESTART,
    COMPOSE_PRIVILEGED, Rule,
};
use crate::source::SourceText;
use crate::yaml::{self, Node};

/// Run the Compose rules on one file.
pub(crate) fn analyze(file: &SourceFile, sink: &mut Sink<'_>, errors: &mut Vec<EvidenceError>) {
    let (docs, errs) = yaml::load(&file.path, &file.content, "YAML");
    errors.extend(errs);
    let src = SourceText::new(&file.path, &file.content);
    let file_env = env::of_file(sink.config().environment, &file.path);
    for doc in &docs {
        let Some(services) = doc.get("services") else {
            continue;
        };
        for entry in services.entries() {
            let service = &entry.value;
            if !service.is_map() {
                continue;
            }
            let env = file_env.clone().unwrap_or_else(|| {
                env::from_name(&entry.key).map_or_else(EnvGuess::unknown, |e| {
                    EnvGuess::known(e, format!("service name `{}`", entry.key))
                })
            });
            check_service(&src, &entry.key, entry.key_line, service, &env, sink);
        }
    }
}

fn check_service(
    src: &SourceText<'_>,
    name: &str,
    key_line: u32,
    service: &Node,
    env: &EnvGuess,
    sink: &mut Sink<'_>,
) {
    let resource = format!("services.{name}");
    let mut report = |rule: &Rule, lines: (u32, u32), title: String, fix: &str| {
        sink.emit(Hit {
            rule,
            src,
            lines,
            resource: resource.clone(),
            env,
            title,
            fix: fix.into(),
            policy: None,
        });
    };
    let header = (key_line, key_line);
    let deploy = service.get("deploy");

    let restart = service.entry("restart");
    let restart_policy = deploy.and_then(|d| d.get("restart_policy"));
    match restart {
        Some(r) if matches!(r.value.as_str(), Some("no")) || r.value.as_bool() == Some(false) => {
            report(
                &COMPOSE_NO_RESTART,
                r.lines(),
                format!("Compose service `{name}` never restarts"),
                "Set `restart: unless-stopped` (or `on-failure`).",
            );
        }
        Some(_) => {}
        None if restart_policy.is_none() => report(
            &COMPOSE_NO_RESTART,
            header,
            format!("Compose service `{name}` has no restart policy"),
            "Add `restart: unless-stopped` (or `deploy.restart_policy`).",
        ),
        None => {}
    }

    let has_limits = deploy
        .and_then(|d| d.path(&["resources", "limits"]))
        .is_some_and(|l| !l.is_null())
        || service.get("mem_limit").is_some()
        || service.get("cpus").is_some();
    if !has_limits {
        report(
            &COMPOSE_NO_LIMITS,
            header,
            format!("Compose service `{name}` has no CPU or memory limits"),
            "Add `deploy.resources.limits` with `cpus` and `memory`.",
        );
    }

    if service.get("healthcheck").is_none() {
        report(
            &COMPOSE_NO_HEALTHCHECK,
            header,
            format!("Compose service `{name}` has no healthcheck"),
            "Add a `healthcheck` with a `test` command that probes the service.",
        );
    }

    // With `build`, `image` names the built image rather than pulling one.
    if service.get("build").is_none()
        && let Some(image) = service.entry("image")
        && let Some(reference) = image.value.as_str()
        && !reference.contains('$')
        && is_unpinned(reference)
    {
        report(
            &COMPOSE_IMAGE_LATEST,
            image.lines(),
            format!("Compose service `{name}` uses unpinned image `{reference}`"),
            "Pin the image to a version tag or digest.",
        );
    }

    if let Some(p) = service.entry("privileged")
        && p.value.as_bool() == Some(true)
    {
        report(
            &COMPOSE_PRIVILEGED,
            p.lines(),
            format!("Compose service `{name}` runs privileged"),
            "Remove `privileged: true`; add only the capabilities needed with `cap_add`.",
        );
    }
}
