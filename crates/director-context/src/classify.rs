//! File classes: what kind of file a changed path is (terraform, kubernetes, helm,
//! source by language, tests, docs, ...). Routing decides which Directors run from
//! these classes, and packing orders files by them.
//!
//! Classification looks at the path first and at the content only where the path
//! cannot tell (Kubernetes manifests, CloudFormation templates, generated headers,
//! Helm templates outside a known chart). It never reads the filesystem; callers that
//! know where Helm charts are pass the chart folder to [`classify_with_chart`].

use director_core::FileClass;
use std::sync::LazyLock;

/// Classes and source language of a file from its path and (optional) content.
pub fn classify(path: &str, content: Option<&str>) -> (Vec<FileClass>, Option<String>) {
    classify_with_chart(path, content, None)
}

/// Like [`classify`], with the folder of the Helm chart the file belongs to (the
/// nearest ancestor holding a `Chart.yaml`, `""` for the repository root), if any.
pub fn classify_with_chart(
    path: &str,
    content: Option<&str>,
    chart_dir: Option<&str>,
) -> (Vec<FileClass>, Option<String>) {
    let file = PathInfo::new(path);
    let mut out = Classes::default();
    classify_into(&file, content, chart_dir, &mut out);
    out.finish()
}

#[derive(Default)]
struct Classes {
    classes: Vec<FileClass>,
    language: Option<String>,
}

impl Classes {
    fn add(&mut self, class: FileClass) {
        if !self.classes.contains(&class) {
            self.classes.push(class);
        }
    }

    fn lang(&mut self, language: Option<&str>) {
        if self.language.is_none() {
            self.language = language.map(str::to_string);
        }
    }

    fn finish(mut self) -> (Vec<FileClass>, Option<String>) {
        if self.classes.is_empty() {
            self.classes.push(FileClass::Other);
        }
        self.classes.sort();
        (self.classes, self.language)
    }
}

/// The pieces of a path classification looks at, lowercased.
struct PathInfo {
    /// Normalised path, lowercase.
    lower: String,
    /// Normalised path, original case.
    original: String,
    /// Folder components, lowercase.
    dirs: Vec<String>,
    /// File name, lowercase.
    name: String,
    /// Extension after the last dot (none for dotfiles like `.gitignore`).
    ext: String,
    /// File name without the extension.
    stem: String,
    /// File name without the extension, original case.
    orig_stem: String,
}

impl PathInfo {
    fn new(path: &str) -> PathInfo {
        let original = crate::text::normalize_rel(path);
        let lower = original.to_ascii_lowercase();
        let mut parts: Vec<String> = lower.split('/').map(str::to_string).collect();
        let name = parts.pop().unwrap_or_default();
        let (stem, ext) = match name.rfind('.') {
            Some(0) | None => (name.clone(), String::new()),
            Some(i) => (name[..i].to_string(), name[i + 1..].to_string()),
        };
        let orig_name = original.rsplit('/').next().unwrap_or_default();
        let orig_stem = orig_name[..stem.len().min(orig_name.len())].to_string();
        PathInfo {
            orig_stem,
            lower,
            original,
            dirs: parts,
            name,
            ext,
            stem,
        }
    }

    fn in_dir(&self, names: &[&str]) -> bool {
        self.dirs.iter().any(|d| names.contains(&d.as_str()))
    }

    fn is_yaml(&self) -> bool {
        matches!(self.ext.as_str(), "yaml" | "yml")
    }
}

const LOCKFILES: &[&str] = &[
    "cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "bun.lock",
    "poetry.lock",
    "pipfile.lock",
    "pdm.lock",
    "uv.lock",
    "gemfile.lock",
    "composer.lock",
    "go.sum",
    "go.work.sum",
    "mix.lock",
    "pubspec.lock",
    "podfile.lock",
    "cartfile.resolved",
    "package.resolved",
    "flake.lock",
    "packages.lock.json",
    "gradle.lockfile",
    ".terraform.lock.hcl",
    "chart.lock",
    "conan.lock",
    "deno.lock",
    "shard.lock",
    "stack.yaml.lock",
];

const MANIFESTS: &[&str] = &[
    "cargo.toml",
    "package.json",
    "go.mod",
    "go.work",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "pipfile",
    "requirements.txt",
    "constraints.txt",
    "environment.yml",
    "gemfile",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "settings.gradle.kts",
    "build.sbt",
    "composer.json",
    "mix.exs",
    "pubspec.yaml",
    "package.swift",
    "podfile",
    "cartfile",
    "deno.json",
    "deno.jsonc",
    "project.clj",
    "deps.edn",
    "vcpkg.json",
    "conanfile.txt",
    "conanfile.py",
    "cmakelists.txt",
    "directory.build.props",
    "directory.packages.props",
    "packages.config",
    "dune-project",
    "shard.yml",
    "bower.json",
    "rebar.config",
    "stack.yaml",
];

/// Folders whose content is vendored third-party code or build output.
const VENDOR_DIRS: &[&str] = &[
    "vendor",
    "node_modules",
    "third_party",
    "third-party",
    "bower_components",
    "cdk.out",
    ".yarn",
    "__generated__",
];

const GENERATED_SUFFIXES: &[&str] = &[
    ".min.js",
    ".min.css",
    ".min.mjs",
    "_pb2.py",
    "_pb2.pyi",
    "_pb2_grpc.py",
    ".pb.go",
    ".pb.gw.go",
    ".pb.cc",
    ".pb.h",
    "_grpc.pb.go",
    ".pb.rs",
    ".g.dart",
    ".freezed.dart",
    ".designer.cs",
    ".generated.ts",
    ".generated.js",
    ".generated.cs",
    "_generated.go",
    "_generated.rs",
    ".gen.go",
    ".gen.ts",
    ".js.map",
    ".css.map",
];

/// Extension → (language, frontend?). Frontend languages are classed `frontend`,
/// not `source`.
fn language_of_ext(ext: &str) -> Option<(&'static str, bool)> {
    Some(match ext {
        "rs" => ("rust", false),
        "go" => ("go", false),
        "py" | "pyi" | "pyw" => ("python", false),
        "js" | "mjs" | "cjs" => ("javascript", false),
        "ts" | "mts" | "cts" => ("typescript", false),
        "java" => ("java", false),
        "kt" | "kts" => ("kotlin", false),
        "scala" | "sc" => ("scala", false),
        "groovy" | "gvy" => ("groovy", false),
        "rb" | "rake" => ("ruby", false),
        "php" => ("php", false),
        "cs" => ("csharp", false),
        "fs" | "fsx" => ("fsharp", false),
        "vb" => ("visualbasic", false),
        "c" | "h" => ("c", false),
        "cc" | "cpp" | "cxx" | "hpp" | "hh" | "hxx" | "ipp" => ("cpp", false),
        "m" => ("objective-c", false),
        "mm" => ("objective-cpp", false),
        "swift" => ("swift", false),
        "sh" | "bash" | "zsh" | "ksh" => ("shell", false),
        "fish" => ("fish", false),
        "ps1" | "psm1" | "psd1" => ("powershell", false),
        "bat" | "cmd" => ("batch", false),
        "pl" | "pm" => ("perl", false),
        "lua" => ("lua", false),
        "r" => ("r", false),
        "jl" => ("julia", false),
        "ex" | "exs" => ("elixir", false),
        "erl" | "hrl" => ("erlang", false),
        "hs" => ("haskell", false),
        "ml" | "mli" => ("ocaml", false),
        "clj" | "cljs" | "cljc" => ("clojure", false),
        "dart" => ("dart", false),
        "zig" => ("zig", false),
        "nim" => ("nim", false),
        "cr" => ("crystal", false),
        "sol" => ("solidity", false),
        "proto" => ("protobuf", false),
        "graphql" | "gql" => ("graphql", false),
        "nix" => ("nix", false),
        "elm" => ("elm", false),
        "rego" => ("rego", false),
        "cue" => ("cue", false),
        "jsonnet" | "libsonnet" => ("jsonnet", false),
        "bicep" => ("bicep", false),
        "asm" | "s" => ("assembly", false),
        "sql" => ("sql", false),
        "html" | "htm" => ("html", true),
        "css" => ("css", true),
        "scss" | "sass" => ("scss", true),
        "less" => ("less", true),
        "styl" => ("stylus", true),
        "vue" => ("vue", true),
        "svelte" => ("svelte", true),
        "astro" => ("astro", true),
        "tsx" => ("typescript", true),
        "jsx" => ("javascript", true),
        _ => return None,
    })
}

/// Languages of extensionless scripts by their `#!` interpreter.
fn language_of_shebang(content: Option<&str>) -> Option<&'static str> {
    let first = content?.lines().next()?;
    let rest = first.strip_prefix("#!")?;
    let interp = rest
        .split_whitespace()
        .flat_map(|w| w.rsplit('/').next())
        .find(|w| *w != "env" && !w.starts_with('-'))?;
    Some(match interp {
        i if i.starts_with("python") => "python",
        "sh" | "bash" | "zsh" | "dash" | "ksh" => "shell",
        "node" | "deno" | "bun" => "javascript",
        i if i.starts_with("ruby") => "ruby",
        i if i.starts_with("perl") => "perl",
        "pwsh" => "powershell",
        _ => return None,
    })
}

const FRONTEND_DIRS: &[&str] = &[
    "frontend", "web", "ui", "client", "public", "static", "assets", "www", "webapp",
];
const FRONTEND_ASSET_EXTS: &[&str] = &[
    "js", "mjs", "ts", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp", "avif", "woff", "woff2",
    "ttf", "eot", "otf",
];
const DOC_EXTS: &[&str] = &[
    "md", "mdx", "markdown", "rst", "adoc", "asciidoc", "txt", "org", "textile",
];
const DOC_NAMES: &[&str] = &[
    "license",
    "licence",
    "copying",
    "changelog",
    "changes",
    "history",
    "readme",
    "authors",
    "contributors",
    "contributing",
    "notice",
    "code_of_conduct",
    "codeowners",
];
const CONFIG_EXTS: &[&str] = &[
    "yaml",
    "yml",
    "json",
    "jsonc",
    "json5",
    "toml",
    "ini",
    "cfg",
    "conf",
    "properties",
    "xml",
    "hcl",
    "plist",
    "env",
];
/// Folders that hold tests for sure, even of infrastructure code.
const STRONG_TEST_DIRS: &[&str] = &[
    "tests",
    "__tests__",
    "testdata",
    "test_data",
    "test-data",
    "fixtures",
    "__fixtures__",
    "e2e",
    "spec",
    "specs",
    "integration_tests",
    "__mocks__",
];

fn is_test_path(file: &PathInfo, for_code: bool) -> bool {
    if file.in_dir(STRONG_TEST_DIRS) || file.lower.contains("src/test/") {
        return true;
    }
    // A `test/` folder of code is a test folder; infrastructure under `envs/test/`
    // is the test environment, not a test.
    if for_code && file.in_dir(&["test"]) {
        return true;
    }
    let name = file.name.as_str();
    let stem = file.orig_stem.as_str();
    name.ends_with("_test.go")
        || (name.starts_with("test_") && name.ends_with(".py"))
        || name.ends_with("_test.py")
        || name == "conftest.py"
        || [".spec.", ".test."].iter().any(|m| name.contains(m))
        || (matches!(file.ext.as_str(), "java" | "kt" | "scala" | "groovy")
            && (stem.ends_with("Test") || stem.ends_with("Tests") || stem.ends_with("IT")))
        || (file.ext == "cs" && (stem.ends_with("Test") || stem.ends_with("Tests")))
        || name.ends_with("_spec.rb")
        || name.ends_with("_test.rb")
        || name.ends_with("_test.exs")
        || name.ends_with("_test.dart")
        || name.ends_with("_test.rs")
        || name.ends_with(".bats")
        || name.ends_with(".tftest.hcl")
}

fn is_ci_path(file: &PathInfo) -> bool {
    let lower = file.lower.as_str();
    let name = file.name.as_str();
    (lower.starts_with(".github/workflows/") && file.is_yaml())
        || (lower.starts_with(".github/actions/")
            && (name == "action.yml" || name == "action.yaml"))
        || name == ".gitlab-ci.yml"
        || name.ends_with(".gitlab-ci.yml")
        || (lower.starts_with(".gitlab/ci/") && file.is_yaml())
        || name == "jenkinsfile"
        || name.starts_with("jenkinsfile.")
        || file.ext == "jenkinsfile"
        || lower == ".circleci/config.yml"
        || lower.starts_with(".circleci/") && file.is_yaml()
        || matches!(
            name,
            "azure-pipelines.yml"
                | "azure-pipelines.yaml"
                | "bitbucket-pipelines.yml"
                | ".travis.yml"
                | ".drone.yml"
                | ".woodpecker.yml"
                | "cloudbuild.yaml"
                | "cloudbuild.yml"
                | "buildspec.yml"
                | "buildspec.yaml"
                | "appveyor.yml"
                | "codefresh.yml"
                | "bitrise.yml"
                | ".gitlab-ci.yaml"
        )
        || ((lower.starts_with(".azure-pipelines/")
            || lower.starts_with(".buildkite/")
            || lower.starts_with(".woodpecker/")
            || lower.starts_with(".tekton/")
            || lower.starts_with(".semaphore/"))
            && file.is_yaml())
}

fn is_dev_config(file: &PathInfo) -> bool {
    let name = file.name.as_str();
    file.in_dir(&[".devcontainer", ".vscode", ".idea", ".fleet", ".zed"])
        || matches!(
            name,
            ".devcontainer.json"
                | "tiltfile"
                | "skaffold.yaml"
                | "skaffold.yml"
                | ".envrc"
                | "vagrantfile"
                | ".tool-versions"
                | ".nvmrc"
                | ".node-version"
                | ".python-version"
                | ".ruby-version"
                | ".editorconfig"
                | "devbox.json"
                | "devfile.yaml"
                | ".pre-commit-config.yaml"
                | "procfile.dev"
                | ".gitpod.yml"
                | "kind-config.yaml"
                | "k3d.yaml"
        )
}

fn is_compose(file: &PathInfo) -> bool {
    file.is_yaml()
        && (file.stem.starts_with("docker-compose")
            || file.stem == "compose"
            || file.stem.starts_with("compose.")
            || file.stem.starts_with("compose-")
            || file.stem.starts_with("compose_"))
}

fn is_local_compose(file: &PathInfo) -> bool {
    let stem = file.stem.as_str();
    stem.contains("override")
        || [
            ".dev", "-dev", "_dev", ".local", "-local", "_local", ".develop", ".debug",
        ]
        .iter()
        .any(|s| stem.ends_with(s) || stem.contains(&format!("{s}.")))
}

fn generated_header(content: Option<&str>) -> bool {
    let Some(content) = content else { return false };
    content.lines().take(8).any(|line| {
        let l = line.to_ascii_lowercase();
        l.contains("@generated")
            || (l.contains("code generated") && l.contains("do not edit"))
            || l.contains("autogenerated")
            || l.contains("auto-generated")
            || l.contains("this file is generated")
            || l.contains("this file was generated")
            || l.contains("automatically generated")
            || l.contains("generated by the protocol buffer compiler")
    })
}

fn classify_into(
    file: &PathInfo,
    content: Option<&str>,
    chart_dir: Option<&str>,
    out: &mut Classes,
) {
    let name = file.name.as_str();
    let ext = file.ext.as_str();

    // Environment files: never anything else, so nothing ever inlines them.
    if crate::text::is_dotenv_name(name) {
        out.add(FileClass::Dotenv);
        return;
    }
    if LOCKFILES.contains(&name) || (ext == "lock" && !name.starts_with('.')) {
        out.add(FileClass::Lockfile);
        return;
    }
    let code_language = language_of_ext(ext);
    if file.in_dir(VENDOR_DIRS)
        || GENERATED_SUFFIXES.iter().any(|s| name.ends_with(s))
        || generated_header(content)
    {
        out.add(FileClass::Generated);
        out.lang(code_language.map(|(l, _)| l));
        return;
    }

    classify_infrastructure(file, content, chart_dir, out);
    if is_dev_config(file) {
        out.add(FileClass::DevConfig);
    }
    if !out.classes.is_empty() {
        if is_test_path(file, false) {
            out.add(FileClass::Test);
        }
        return;
    }

    if MANIFESTS.contains(&name)
        || (name.starts_with("requirements") && ext == "txt")
        || file.dirs.last().is_some_and(|d| d == "requirements") && ext == "txt"
        || matches!(
            ext,
            "gemspec" | "csproj" | "fsproj" | "vbproj" | "cabal" | "nimble"
        )
    {
        out.add(FileClass::Manifest);
        return;
    }

    // Documentation: by extension, by well-known name, or anything under docs/.
    let doc_name = DOC_NAMES
        .iter()
        .any(|d| file.stem == *d || name.starts_with(&format!("{d}.")) || name == *d);
    if DOC_EXTS.contains(&ext) || doc_name || file.in_dir(&["docs", "doc", "documentation"]) {
        out.add(FileClass::Docs);
        return;
    }

    let shebang = if ext.is_empty() {
        language_of_shebang(content)
    } else {
        None
    };
    let (language, frontend_lang) = match code_language {
        Some((l, f)) => (Some(l), f),
        None => (shebang, false),
    };
    let frontend =
        frontend_lang || (file.in_dir(FRONTEND_DIRS) && FRONTEND_ASSET_EXTS.contains(&ext));
    out.lang(language);

    let migration = file.in_dir(&[
        "migrations",
        "migration",
        "migrate",
        "alembic",
        "flyway",
        "liquibase",
        "schema_migrations",
    ]) || ext == "sql";
    if migration {
        out.add(FileClass::Migration);
        if language.is_some() && ext != "sql" {
            out.add(FileClass::Source);
        }
        return;
    }

    if is_test_path(file, true) {
        if frontend {
            out.add(FileClass::Frontend);
        } else if language.is_some() {
            out.add(FileClass::Source);
        } else if CONFIG_EXTS.contains(&ext) {
            out.add(FileClass::Config);
        }
        out.add(FileClass::Test);
        return;
    }
    if frontend {
        out.add(FileClass::Frontend);
        return;
    }
    if language.is_some() {
        out.add(FileClass::Source);
        return;
    }
    if matches!(name, "makefile" | "gnumakefile" | "justfile" | "rakefile") || ext == "mk" {
        out.add(FileClass::Source);
        out.lang(Some(if name == "justfile" { "just" } else { "make" }));
        return;
    }
    if CONFIG_EXTS.contains(&ext) || (name.starts_with('.') && ext.is_empty()) {
        out.add(FileClass::Config);
    }
}

fn classify_infrastructure(
    file: &PathInfo,
    content: Option<&str>,
    chart_dir: Option<&str>,
    out: &mut Classes,
) {
    let name = file.name.as_str();
    let ext = file.ext.as_str();
    let lower = file.lower.as_str();

    if name == "dockerfile"
        || name.starts_with("dockerfile.")
        || name.ends_with(".dockerfile")
        || name == "containerfile"
        || name.starts_with("containerfile.")
    {
        out.add(FileClass::Dockerfile);
        return;
    }
    if is_compose(file) {
        out.add(FileClass::Compose);
        if is_local_compose(file) {
            out.add(FileClass::DevConfig);
        }
        return;
    }
    if is_ci_path(file) {
        out.add(FileClass::CiPipeline);
        return;
    }
    if ext == "tf" || ext == "tofu" || lower.ends_with(".tf.json") || name == "terragrunt.hcl" {
        out.add(FileClass::Terraform);
        return;
    }
    if ext == "tfvars" || lower.ends_with(".tfvars.json") {
        out.add(FileClass::Terraform);
        out.add(FileClass::Tfvars);
        return;
    }
    if file.stem == "serverless" && matches!(ext, "yml" | "yaml" | "json" | "ts" | "js") {
        out.add(FileClass::Serverless);
        return;
    }
    if matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "kustomization"
    ) {
        out.add(FileClass::Kustomize);
        return;
    }
    if is_helm(file, content, chart_dir) {
        out.add(FileClass::Helm);
        return;
    }

    let structured = file.is_yaml() || matches!(ext, "json" | "template");
    let Some(text) = content.filter(|_| structured) else {
        return;
    };
    if looks_like_cloudformation(text) {
        out.add(FileClass::Cloudformation);
        return;
    }
    match kubernetes_kind(text, ext == "json") {
        K8s::Manifest => out.add(FileClass::Kubernetes),
        K8s::Kustomization => out.add(FileClass::Kustomize),
        K8s::DevTool => out.add(FileClass::DevConfig),
        K8s::None => {}
    }
}

fn is_helm(file: &PathInfo, content: Option<&str>, chart_dir: Option<&str>) -> bool {
    let name = file.name.as_str();
    if matches!(
        name,
        "chart.yaml" | ".helmignore" | "helmfile.yaml" | "helmfile.yml"
    ) {
        return true;
    }
    if let Some(chart) = chart_dir {
        let chart = crate::text::normalize_rel(chart);
        let rel = if chart.is_empty() {
            Some(file.original.as_str())
        } else {
            file.original
                .strip_prefix(chart.as_str())
                .and_then(|r| r.strip_prefix('/'))
        };
        if let Some(rel) = rel {
            let rel = rel.to_ascii_lowercase();
            let in_chart_root = !rel.contains('/');
            if rel.starts_with("templates/")
                || rel.starts_with("crds/")
                || (in_chart_root
                    && (file.stem.starts_with("values") && file.is_yaml()
                        || name == "values.schema.json"))
            {
                return true;
            }
        }
    }
    // Without chart knowledge: Go templates in a templates/ folder, or values files
    // under a chart-looking folder.
    if file.in_dir(&["templates"]) && (file.is_yaml() || file.ext == "tpl" || name == "notes.txt") {
        let templated = content.is_none_or(|c| {
            c.contains("{{")
                && (c.contains(".Values") || c.contains(".Release") || c.contains("include \""))
        });
        return file.ext == "tpl" || templated;
    }
    // (YAML under any `templates/` folder was decided above.)
    file.stem.starts_with("values") && file.is_yaml() && file.in_dir(&["charts", "chart", "helm"])
}

static CFN_TYPE: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new(r#"(?m)(?:^\s*Type:\s*['"]?AWS::|"Type"\s*:\s*"AWS::)"#).ok()
});

fn looks_like_cloudformation(text: &str) -> bool {
    if text.contains("AWSTemplateFormatVersion") || text.contains("AWS::Serverless-") {
        return true;
    }
    text.contains("Resources") && CFN_TYPE.as_ref().is_some_and(|re| re.is_match(text))
}

enum K8s {
    None,
    Manifest,
    Kustomization,
    DevTool,
}

/// apiVersion groups that carry `apiVersion`/`kind` but are not cluster objects.
fn non_cluster_api(api: &str) -> Option<K8s> {
    let api = api.trim_matches(['"', '\'']);
    if api.starts_with("kustomize.config.k8s.io") {
        Some(K8s::Kustomization)
    } else if api.starts_with("skaffold/")
        || api.starts_with("kind.x-k8s.io")
        || api.starts_with("k3d.io")
        || api.starts_with("ctlptl.dev")
        || api.starts_with("tilt.dev")
    {
        Some(K8s::DevTool)
    } else if api.starts_with("backstage.io") || api.starts_with("config.kubernetes.io") {
        Some(K8s::None)
    } else {
        None
    }
}

static JSON_API: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r#""apiVersion"\s*:\s*"([^"]+)""#).ok());

/// Whether the text holds Kubernetes objects: some YAML document (or the JSON
/// object) with top-level `apiVersion` and `kind`.
fn kubernetes_kind(text: &str, json: bool) -> K8s {
    if json {
        let Some(api) = JSON_API.as_ref().and_then(|re| re.captures(text)) else {
            return K8s::None;
        };
        if !text.contains("\"kind\"") {
            return K8s::None;
        }
        return non_cluster_api(&api[1]).unwrap_or(K8s::Manifest);
    }
    let mut result = K8s::None;
    let mut api: Option<&str> = None;
    let mut kind = false;
    let finish = |api: Option<&str>, kind: bool, result: &mut K8s| {
        if let (Some(api), true) = (api, kind) {
            match non_cluster_api(api) {
                None | Some(K8s::Manifest) => *result = K8s::Manifest,
                Some(other) => {
                    if matches!(result, K8s::None) {
                        *result = other;
                    }
                }
            }
        }
    };
    for line in text.lines() {
        if line.starts_with("---") {
            finish(api.take(), kind, &mut result);
            kind = false;
            continue;
        }
        if let Some(v) = line.strip_prefix("apiVersion:") {
            api = Some(v.trim());
        } else if line.starts_with("kind:") {
            kind = true;
        }
    }
    finish(api, kind, &mut result);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use FileClass::*;

    fn check(path: &str, content: Option<&str>, want: &[FileClass], lang: Option<&str>) {
        let (classes, language) = classify(path, content);
        let mut want = want.to_vec();
        want.sort();
        assert_eq!(classes, want, "classes of {path}");
        assert_eq!(language.as_deref(), lang, "language of {path}");
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";
    const MULTI: &str = "# comment\n---\nfoo: bar\n---\napiVersion: v1\nkind: Service\n";

    #[test]
    fn table() {
        type Row<'a> = (&'a str, Option<&'a str>, &'a [FileClass], Option<&'a str>);
        let table: &[Row] = &[
            ("infra/main.tf", None, &[Terraform], None),
            ("infra/main.tf.json", None, &[Terraform], None),
            ("envs/prod.tfvars", None, &[Terraform, Tfvars], None),
            ("envs/test/main.tf", None, &[Terraform], None),
            ("k8s/deploy.yaml", Some(DEPLOYMENT), &[Kubernetes], None),
            ("k8s/multi.yml", Some(MULTI), &[Kubernetes], None),
            (
                "k8s/deploy.json",
                Some(r#"{"apiVersion": "v1", "kind": "ConfigMap"}"#),
                &[Kubernetes],
                None,
            ),
            ("config/app.yaml", Some("port: 80\n"), &[Config], None),
            ("chart/Chart.yaml", None, &[Helm], None),
            (
                "chart/templates/deploy.yaml",
                Some("apiVersion: apps/v1\nkind: Deployment\nreplicas: {{ .Values.replicas }}\n"),
                &[Helm],
                None,
            ),
            (
                "chart/templates/_helpers.tpl",
                Some("{{- define \"x\" }}"),
                &[Helm],
                None,
            ),
            (
                "deploy/charts/web/values-prod.yaml",
                Some("replicas: 2\n"),
                &[Helm],
                None,
            ),
            (
                "deploy/charts/web/templates/values.yaml",
                Some("replicas: 2\n"),
                &[Config],
                None,
            ),
            ("overlays/prod/kustomization.yaml", None, &[Kustomize], None),
            ("Dockerfile", None, &[Dockerfile], None),
            ("docker/api.Dockerfile", None, &[Dockerfile], None),
            ("Containerfile", None, &[Dockerfile], None),
            ("Dockerfile.prod", None, &[Dockerfile], None),
            ("docker-compose.yml", None, &[Compose], None),
            ("compose.yaml", None, &[Compose], None),
            (
                "docker-compose.override.yml",
                None,
                &[Compose, DevConfig],
                None,
            ),
            ("compose.dev.yml", None, &[Compose, DevConfig], None),
            (
                "docker-compose.local.yml",
                None,
                &[Compose, DevConfig],
                None,
            ),
            (".github/workflows/ci.yml", None, &[CiPipeline], None),
            (".gitlab-ci.yml", None, &[CiPipeline], None),
            ("Jenkinsfile", None, &[CiPipeline], None),
            (".circleci/config.yml", None, &[CiPipeline], None),
            ("azure-pipelines.yml", None, &[CiPipeline], None),
            ("bitbucket-pipelines.yml", None, &[CiPipeline], None),
            (
                "cfn/stack.yaml",
                Some("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"),
                &[Cloudformation],
                None,
            ),
            (
                "template.yaml",
                Some(
                    "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n",
                ),
                &[Cloudformation],
                None,
            ),
            (
                "stack.json",
                Some(r#"{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}"#),
                &[Cloudformation],
                None,
            ),
            ("serverless.yml", None, &[Serverless], None),
            ("src/main.rs", None, &[Source], Some("rust")),
            ("cmd/server/main.go", None, &[Source], Some("go")),
            ("app/models.py", None, &[Source], Some("python")),
            ("lib/index.ts", None, &[Source], Some("typescript")),
            ("Main.java", None, &[Source], Some("java")),
            ("src/Submit.java", None, &[Source], Some("java")),
            ("src/AppIT.java", None, &[Source, Test], Some("java")),
            ("Latest.cs", None, &[Source], Some("csharp")),
            (
                "bin/deploy",
                Some("#!/usr/bin/env bash\necho hi\n"),
                &[Source],
                Some("shell"),
            ),
            ("Makefile", None, &[Source], Some("make")),
            ("tests/api.rs", None, &[Source, Test], Some("rust")),
            ("pkg/server_test.go", None, &[Source, Test], Some("go")),
            ("test_models.py", None, &[Source, Test], Some("python")),
            ("src/app.spec.ts", None, &[Source, Test], Some("typescript")),
            (
                "src/util.test.js",
                None,
                &[Source, Test],
                Some("javascript"),
            ),
            (
                "src/test/java/AppTest.java",
                None,
                &[Source, Test],
                Some("java"),
            ),
            (
                "src/Button.test.tsx",
                None,
                &[Frontend, Test],
                Some("typescript"),
            ),
            (
                "tests/fixtures/deploy.yaml",
                Some(DEPLOYMENT),
                &[Kubernetes, Test],
                None,
            ),
            ("README.md", None, &[Docs], None),
            ("docs/guide.rst", None, &[Docs], None),
            ("docs/conf.py", None, &[Docs], None),
            ("LICENSE", None, &[Docs], None),
            ("CHANGELOG", None, &[Docs], None),
            ("web/index.html", None, &[Frontend], Some("html")),
            ("styles/site.scss", None, &[Frontend], Some("scss")),
            ("src/App.vue", None, &[Frontend], Some("vue")),
            ("src/Button.svelte", None, &[Frontend], Some("svelte")),
            ("src/App.tsx", None, &[Frontend], Some("typescript")),
            ("src/App.jsx", None, &[Frontend], Some("javascript")),
            ("frontend/src/api.ts", None, &[Frontend], Some("typescript")),
            ("public/logo.png", None, &[Frontend], None),
            ("Cargo.lock", None, &[Lockfile], None),
            ("web/package-lock.json", None, &[Lockfile], None),
            ("go.sum", None, &[Lockfile], None),
            (".terraform.lock.hcl", None, &[Lockfile], None),
            ("Cargo.toml", None, &[Manifest], None),
            ("package.json", None, &[Manifest], None),
            ("go.mod", None, &[Manifest], None),
            ("pyproject.toml", None, &[Manifest], None),
            ("requirements-dev.txt", None, &[Manifest], None),
            ("pom.xml", None, &[Manifest], None),
            ("build.gradle", None, &[Manifest], None),
            ("vendor/github.com/x/y.go", None, &[Generated], Some("go")),
            (
                "node_modules/x/index.js",
                None,
                &[Generated],
                Some("javascript"),
            ),
            ("static/app.min.js", None, &[Generated], Some("javascript")),
            ("api/v1/service_pb2.py", None, &[Generated], Some("python")),
            ("api/v1/service.pb.go", None, &[Generated], Some("go")),
            (
                "gen/client.go",
                Some("// Code generated by oapi-codegen. DO NOT EDIT.\npackage gen\n"),
                &[Generated],
                Some("go"),
            ),
            ("settings.ini", None, &[Config], None),
            ("config.toml", None, &[Config], None),
            (".gitignore", None, &[Config], None),
            (".devcontainer/devcontainer.json", None, &[DevConfig], None),
            (".vscode/settings.json", None, &[DevConfig], None),
            ("Tiltfile", None, &[DevConfig], None),
            (
                "skaffold.yaml",
                Some("apiVersion: skaffold/v4beta6\nkind: Config\nprofiles:\n  - name: dev\n"),
                &[DevConfig],
                None,
            ),
            (
                "cluster/kind.yaml",
                Some("apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\n"),
                &[DevConfig],
                None,
            ),
            (
                "db/migrations/0001_init.sql",
                None,
                &[Migration],
                Some("sql"),
            ),
            ("schema.sql", None, &[Migration], Some("sql")),
            (
                "app/migrations/0002_user.py",
                None,
                &[Migration, Source],
                Some("python"),
            ),
            (".env", None, &[Dotenv], None),
            (".env.production", None, &[Dotenv], None),
            ("config/prod.env", None, &[Dotenv], None),
            ("assets/blob.bin", None, &[Other], None),
            ("data.weird", None, &[Other], None),
        ];
        for (path, content, want, lang) in table {
            check(path, *content, want, *lang);
        }
    }

    #[test]
    fn every_class_is_reachable() {
        let samples: &[(&str, Option<&str>)] = &[
            ("a.tf", None),
            ("a.tfvars", None),
            ("k.yaml", Some(DEPLOYMENT)),
            ("Chart.yaml", None),
            ("kustomization.yaml", None),
            ("Dockerfile", None),
            ("docker-compose.yml", None),
            (".gitlab-ci.yml", None),
            (
                "s.json",
                Some(r#"{"AWSTemplateFormatVersion":"2010-09-09"}"#),
            ),
            ("serverless.yml", None),
            ("a.rs", None),
            ("a_test.go", None),
            ("a.md", None),
            ("a.css", None),
            ("Cargo.lock", None),
            ("Cargo.toml", None),
            ("a.min.js", None),
            ("a.yaml", Some("a: 1")),
            (".vscode/x.json", None),
            ("a.sql", None),
            (".env", None),
            ("a.unknown", None),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for (p, c) in samples {
            seen.extend(classify(p, *c).0);
        }
        for class in FileClass::ALL {
            assert!(seen.contains(&class), "{class} never produced");
        }
    }

    #[test]
    fn chart_knowledge() {
        let (c, _) =
            classify_with_chart("deploy/web/values.yaml", Some("a: 1"), Some("deploy/web"));
        assert_eq!(c, vec![Helm]);
        let (c, _) = classify_with_chart(
            "deploy/web/templates/svc.yaml",
            Some(DEPLOYMENT),
            Some("deploy/web"),
        );
        assert_eq!(c, vec![Helm]);
        let (c, _) = classify("deploy/web/values.yaml", Some("a: 1"));
        assert_eq!(c, vec![Config]);
        let (c, _) = classify_with_chart("values.yaml", Some("a: 1"), Some(""));
        assert_eq!(c, vec![Helm]);
    }

    #[test]
    fn non_utf8_and_odd_paths_do_not_panic() {
        classify("", None);
        classify("/", None);
        classify("a/b/.", Some("\u{fffd}\u{fffd}"));
        classify(".", None);
        classify("x.", None);
    }
}
