//! Which analyzer understands a file: by name and extension, and for YAML/JSON by
//! content (Kubernetes manifests carry `apiVersion` and `kind`).

/// The analyzers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// Terraform / OpenTofu configuration (`*.tf`, `*.tf.json`) and variable files.
    Terraform,
    /// Kubernetes manifests, YAML (multi-document) or JSON.
    Kubernetes,
    /// Docker Compose files.
    Compose,
    /// Dockerfiles and Containerfiles.
    Dockerfile,
    /// A Helm chart's `Chart.yaml` or template, or a Kustomize file: needs rendering
    /// before it is Kubernetes.
    Unrendered,
    /// CI pipelines and shell scripts (checked for resources created by CLI commands).
    Pipeline,
}

/// Classify `path` (repository-relative) with its `content`.
pub(crate) fn classify(path: &str, content: &str) -> Option<FileKind> {
    let name = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    // Configuration in HCL or JSON syntax, and variable files.
    if [".tf", ".tf.json", ".tfvars", ".tfvars.json"]
        .iter()
        .any(|ext| name.ends_with(ext))
    {
        return Some(FileKind::Terraform);
    }
    if is_dockerfile_name(&name) {
        return Some(FileKind::Dockerfile);
    }
    // Before the template check: workflows use `${{ … }}` expressions.
    if is_pipeline(path, &name) {
        return Some(FileKind::Pipeline);
    }
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    let json = name.ends_with(".json");
    if name == "kustomization" {
        return Some(FileKind::Unrendered);
    }
    if !yaml && !json {
        return None;
    }
    if yaml && (name == "chart.yaml" || name.starts_with("kustomization.")) {
        return Some(FileKind::Unrendered);
    }
    // Helm and other Go templates are not YAML until rendered; a chart's templates are
    // recognised so the chart can be listed as not evaluated.
    if content.contains("{{") {
        let in_templates = path.starts_with("templates/") || path.contains("/templates/");
        return (yaml && in_templates).then_some(FileKind::Unrendered);
    }
    if yaml && is_compose_name(&name) {
        return Some(FileKind::Compose);
    }
    let looks_k8s = if json {
        content.contains("\"apiVersion\"") && content.contains("\"kind\"")
    } else {
        has_top_level_key(content, "apiVersion") && has_top_level_key(content, "kind")
    };
    looks_k8s.then_some(FileKind::Kubernetes)
}

fn is_dockerfile_name(name: &str) -> bool {
    if name.ends_with(".dockerignore") || name.ends_with(".md") || name.ends_with(".txt") {
        return false;
    }
    name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.")
        || name.starts_with("containerfile.")
        || name.ends_with(".dockerfile")
        || name.ends_with(".containerfile")
}

/// CI pipeline definitions (GitHub Actions, GitLab CI, CircleCI, Azure Pipelines,
/// Bitbucket, CodeBuild, Jenkins) and shell scripts.
fn is_pipeline(path: &str, name: &str) -> bool {
    let lower = path.replace('\\', "/").to_ascii_lowercase();
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    (yaml && (lower.starts_with(".github/workflows/") || lower.contains("/.github/workflows/")))
        || matches!(
            name,
            ".gitlab-ci.yml"
                | "azure-pipelines.yml"
                | "azure-pipelines.yaml"
                | "bitbucket-pipelines.yml"
                | "buildspec.yml"
                | "buildspec.yaml"
                | "jenkinsfile"
        )
        || (yaml && lower.starts_with(".circleci/"))
        || name.ends_with(".sh")
        || name.ends_with(".bash")
}

fn is_compose_name(name: &str) -> bool {
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))
        .unwrap_or(name);
    stem == "compose"
        || stem == "docker-compose"
        || stem.starts_with("compose.")
        || stem.starts_with("docker-compose.")
        || stem.starts_with("docker-compose-")
}

/// True if some line starts with `key:` (a top-level key of some document, or of a
/// `List` item, which is indented; indentation is allowed).
fn has_top_level_key(content: &str, key: &str) -> bool {
    content.lines().any(|line| {
        let t = line.trim_start_matches([' ', '-']);
        t.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(classify("infra/main.tf", ""), Some(FileKind::Terraform));
        assert_eq!(
            classify("infra/main.tf.json", "{}"),
            Some(FileKind::Terraform)
        );
        assert_eq!(classify("env/prod.tfvars", ""), Some(FileKind::Terraform));
        assert_eq!(
            classify("env/terraform.tfvars.json", "{}"),
            Some(FileKind::Terraform)
        );
        assert_eq!(classify("svc/Dockerfile", ""), Some(FileKind::Dockerfile));
        assert_eq!(
            classify("svc/Dockerfile.prod", ""),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(
            classify("svc/api.Dockerfile", ""),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(
            classify("svc/Containerfile", ""),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(classify("svc/.dockerignore", ""), None);
        assert_eq!(
            classify("docker-compose.yml", "services: {}"),
            Some(FileKind::Compose)
        );
        assert_eq!(
            classify("compose.prod.yaml", "services: {}"),
            Some(FileKind::Compose)
        );
        let k8s = "apiVersion: apps/v1\nkind: Deployment\n";
        assert_eq!(classify("k8s/app.yaml", k8s), Some(FileKind::Kubernetes));
        assert_eq!(classify("k8s/app.yaml", "name: ci\non: push\n"), None);
        assert_eq!(
            classify(
                "chart/templates/d.yaml",
                "apiVersion: {{ .Values.v }}\nkind: X\n"
            ),
            Some(FileKind::Unrendered)
        );
        assert_eq!(
            classify("k8s/d.yaml", "apiVersion: {{ .V }}\nkind: X\n"),
            None
        );
        assert_eq!(
            classify("chart/Chart.yaml", "name: x\n"),
            Some(FileKind::Unrendered)
        );
        assert_eq!(
            classify("overlays/prod/kustomization.yaml", "resources: [a.yaml]\n"),
            Some(FileKind::Unrendered)
        );
        assert_eq!(
            classify("k8s/pod.json", r#"{"apiVersion":"v1","kind":"Pod"}"#),
            Some(FileKind::Kubernetes)
        );
        assert_eq!(classify("package.json", r#"{"name":"x"}"#), None);
        assert_eq!(
            classify(".github/workflows/ci.yml", "on: push\nrun: ${{ x }}\n"),
            Some(FileKind::Pipeline)
        );
        assert_eq!(classify("scripts/setup.sh", ""), Some(FileKind::Pipeline));
        assert_eq!(classify(".gitlab-ci.yml", ""), Some(FileKind::Pipeline));
        assert_eq!(classify("README.md", "apiVersion: v1\nkind: Pod"), None);
    }
}
