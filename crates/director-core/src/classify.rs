//! File classification, computed once per file: what kind of file a path is
//! (terraform, kubernetes, helm, source by language, tests, docs, ...) and which
//! deterministic analyzer reads it. Routing decides which Directors run from the
//! [`FileClass`]es, packing orders files by them, and `director-evidence` picks its
//! analyzer from the [`AnalyzerKind`]; both come out of the same [`classify`] call, from
//! one look at the path and content, so they cannot disagree about what a file is.
//!
//! Classification looks at the path first and at the content only where the path
//! cannot tell (Kubernetes manifests, CloudFormation templates, generated headers,
//! Helm templates outside a known chart, the `#!` line of an extensionless script).
//! It is pure: callers that know where Helm charts are pass the chart folder.
//!
//! Where the two views differ on purpose: a vendored or generated file routes as
//! `generated` but keeps its analyzer (a module call may use a vendored Terraform
//! module); `terragrunt.hcl` routes as `terraform` but is not Terraform configuration
//! the analyzer reads; a templated file (`{{ … }}`) routes by what it will be, but is
//! [`AnalyzerKind::Unrendered`] in a Helm chart and read by no analyzer elsewhere.

use crate::FileClass;
use std::sync::LazyLock;

/// Which deterministic analyzer reads a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnalyzerKind {
    /// Terraform / OpenTofu configuration (`*.tf`, `*.tf.json`, `*.tofu`) and variable files.
    Terraform,
    /// Kubernetes manifests, YAML (multi-document) or JSON.
    Kubernetes,
    /// Docker Compose files.
    Compose,
    /// Dockerfiles and Containerfiles.
    Dockerfile,
    /// A Helm chart's `Chart.yaml`, values or templates, or a Kustomize file: needs
    /// rendering before it is Kubernetes (and is listed as not evaluated until then).
    Unrendered,
    /// CI pipelines and shell scripts (checked for resources created by CLI commands).
    Pipeline,
}

/// Everything classification says about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// Routing classes, sorted, never empty (`other` when nothing else fits).
    pub classes: Vec<FileClass>,
    /// Source language, when the file is code.
    pub language: Option<String>,
    /// The analyzer that reads it, if any.
    pub analyzer: Option<AnalyzerKind>,
}

/// Classify `path` (repository-relative) with its `content`, if known, and the folder
/// of the Helm chart it belongs to (the nearest ancestor holding a `Chart.yaml`, `""`
/// for the repository root), if the caller knows it.
pub fn classify(path: &str, content: Option<&str>, chart_dir: Option<&str>) -> Classification {
    let file = PathInfo::new(path);
    let mut out = Classes::default();
    let infra = classify_into(&file, content, chart_dir, &mut out);
    let analyzer = infra.and_then(|i| analyzer_of(i, &file, content));
    let analyzer = analyzer.or_else(|| is_shell(&file, content).then_some(AnalyzerKind::Pipeline));
    let (classes, language) = out.finish();
    Classification {
        classes,
        language,
        analyzer,
    }
}

/// True for `.env`, `.env.*` and `*.env` file names (environment files).
pub fn is_dotenv_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == ".env" || name.starts_with(".env.") || name.ends_with(".env")
}

/// A repository path with `/` separators, no leading `./` and no trailing `/`; `.`
/// is the root, `""`.
pub fn normalize_rel(path: &str) -> String {
    let p = crate::finding::normalize_path(path);
    match p.trim_end_matches('/') {
        "." => String::new(),
        trimmed => trimmed.to_string(),
    }
}

/// What infrastructure a file is, when it is: the one fact both the routing classes
/// and the analyzer kind are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Infra {
    Dockerfile,
    Compose { local: bool },
    Ci,
    Terraform { tfvars: bool, terragrunt: bool },
    Serverless,
    Kustomize,
    Helm,
    Cloudformation,
    Kubernetes,
    DevTool,
}

impl Infra {
    fn add_classes(self, out: &mut Classes) {
        match self {
            Infra::Dockerfile => out.add(FileClass::Dockerfile),
            Infra::Compose { local } => {
                out.add(FileClass::Compose);
                if local {
                    out.add(FileClass::DevConfig);
                }
            }
            Infra::Ci => out.add(FileClass::CiPipeline),
            Infra::Terraform { tfvars, .. } => {
                out.add(FileClass::Terraform);
                if tfvars {
                    out.add(FileClass::Tfvars);
                }
            }
            Infra::Serverless => out.add(FileClass::Serverless),
            Infra::Kustomize => out.add(FileClass::Kustomize),
            Infra::Helm => out.add(FileClass::Helm),
            Infra::Cloudformation => out.add(FileClass::Cloudformation),
            Infra::Kubernetes => out.add(FileClass::Kubernetes),
            Infra::DevTool => out.add(FileClass::DevConfig),
        }
    }
}

/// The analyzer of an infrastructure file.
fn analyzer_of(infra: Infra, file: &PathInfo, content: Option<&str>) -> Option<AnalyzerKind> {
    let templated = content.is_some_and(|c| c.contains("{{"));
    let manifest = || {
        !templated
            && (file.is_yaml() || file.ext == "json")
            && content
                .is_some_and(|c| matches!(kubernetes_kind(c, file.ext == "json"), K8s::Manifest))
    };
    Some(match infra {
        Infra::Dockerfile => AnalyzerKind::Dockerfile,
        Infra::Ci => AnalyzerKind::Pipeline,
        // Templated outside a chart: no analyzer can read it, and nothing renders it.
        Infra::Compose { .. } | Infra::Kubernetes if templated => return None,
        Infra::Compose { .. } => AnalyzerKind::Compose,
        Infra::Terraform {
            terragrunt: true, ..
        } => return None,
        Infra::Terraform { .. } => AnalyzerKind::Terraform,
        Infra::Kustomize => AnalyzerKind::Unrendered,
        // A chart file that is a plain manifest is rendered as it is.
        Infra::Helm if manifest() => AnalyzerKind::Kubernetes,
        Infra::Helm => AnalyzerKind::Unrendered,
        Infra::Kubernetes => AnalyzerKind::Kubernetes,
        Infra::Serverless | Infra::Cloudformation | Infra::DevTool => return None,
    })
}

/// Shell scripts, by extension or `#!` line, are read by the pipeline analyzer.
fn is_shell(file: &PathInfo, content: Option<&str>) -> bool {
    match language_of_ext(&file.ext) {
        Some((language, _)) => language == "shell",
        None => file.ext.is_empty() && language_of_shebang(content) == Some("shell"),
    }
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
        let original = normalize_rel(path);
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
    ((lower.starts_with(".github/workflows/") || lower.contains("/.github/workflows/"))
        && file.is_yaml())
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

/// Adds the routing classes of `file` to `out`; returns what infrastructure it is.
fn classify_into(
    file: &PathInfo,
    content: Option<&str>,
    chart_dir: Option<&str>,
    out: &mut Classes,
) -> Option<Infra> {
    let name = file.name.as_str();
    let ext = file.ext.as_str();

    // Environment files: never anything else, so nothing ever inlines them.
    if is_dotenv_name(name) {
        out.add(FileClass::Dotenv);
        return None;
    }
    if LOCKFILES.contains(&name) || (ext == "lock" && !name.starts_with('.')) {
        out.add(FileClass::Lockfile);
        return None;
    }
    let infra = infrastructure(file, content, chart_dir);
    let code_language = language_of_ext(ext);
    if file.in_dir(VENDOR_DIRS)
        || GENERATED_SUFFIXES.iter().any(|s| name.ends_with(s))
        || generated_header(content)
    {
        out.add(FileClass::Generated);
        out.lang(code_language.map(|(l, _)| l));
        return infra;
    }

    if let Some(infra) = infra {
        infra.add_classes(out);
    }
    if is_dev_config(file) {
        out.add(FileClass::DevConfig);
    }
    if !out.classes.is_empty() {
        if is_test_path(file, false) {
            out.add(FileClass::Test);
        }
        return infra;
    }
    classify_plain(file, content, code_language, out);
    None
}

/// Classes of a file that is not infrastructure.
fn classify_plain(
    file: &PathInfo,
    content: Option<&str>,
    code_language: Option<(&'static str, bool)>,
    out: &mut Classes,
) {
    let name = file.name.as_str();
    let ext = file.ext.as_str();
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

/// What infrastructure a file is, by path and (where the path cannot tell) content.
fn infrastructure(
    file: &PathInfo,
    content: Option<&str>,
    chart_dir: Option<&str>,
) -> Option<Infra> {
    let name = file.name.as_str();
    let ext = file.ext.as_str();
    let lower = file.lower.as_str();

    if is_dockerfile(file) {
        return Some(Infra::Dockerfile);
    }
    // Before Compose and the template check: workflows use `${{ … }}` expressions.
    if is_ci_path(file) {
        return Some(Infra::Ci);
    }
    if is_compose(file) {
        return Some(Infra::Compose {
            local: is_local_compose(file),
        });
    }
    if ext == "tf" || ext == "tofu" || lower.ends_with(".tf.json") || name == "terragrunt.hcl" {
        return Some(Infra::Terraform {
            tfvars: false,
            terragrunt: name == "terragrunt.hcl",
        });
    }
    if ext == "tfvars" || lower.ends_with(".tfvars.json") {
        return Some(Infra::Terraform {
            tfvars: true,
            terragrunt: false,
        });
    }
    if file.stem == "serverless" && matches!(ext, "yml" | "yaml" | "json" | "ts" | "js") {
        return Some(Infra::Serverless);
    }
    if matches!(
        name,
        "kustomization.yaml" | "kustomization.yml" | "kustomization"
    ) {
        return Some(Infra::Kustomize);
    }
    if is_helm(file, content, chart_dir) {
        return Some(Infra::Helm);
    }

    let structured = file.is_yaml() || matches!(ext, "json" | "template");
    let text = content.filter(|_| structured)?;
    if looks_like_cloudformation(text) {
        return Some(Infra::Cloudformation);
    }
    if ext == "template" {
        return None;
    }
    match kubernetes_kind(text, ext == "json") {
        K8s::Manifest => Some(Infra::Kubernetes),
        K8s::Kustomization => Some(Infra::Kustomize),
        K8s::DevTool => Some(Infra::DevTool),
        K8s::None => None,
    }
}

/// Dockerfiles and Containerfiles, not their ignore files or notes about them.
fn is_dockerfile(file: &PathInfo) -> bool {
    let name = file.name.as_str();
    if name.ends_with(".dockerignore") || matches!(file.ext.as_str(), "md" | "txt") {
        return false;
    }
    name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.")
        || name.starts_with("containerfile.")
        || name.ends_with(".dockerfile")
        || name.ends_with(".containerfile")
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
        let chart = normalize_rel(chart);
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
        // Any template marker: a `templates/` file with `{{` is not YAML until rendered.
        let templated = content.is_none_or(|c| c.contains("{{"));
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

    fn classify(path: &str, content: Option<&str>) -> (Vec<FileClass>, Option<String>) {
        classify_with_chart(path, content, None)
    }

    fn classify_with_chart(
        path: &str,
        content: Option<&str>,
        chart_dir: Option<&str>,
    ) -> (Vec<FileClass>, Option<String>) {
        let c = super::classify(path, content, chart_dir);
        (c.classes, c.language)
    }

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

/// Routing classes and analyzer kind, for a table of paths where separate rules used to
/// disagree, come out of one classification and agree.
#[cfg(test)]
mod agreement {
    use super::{AnalyzerKind, classify};
    use crate::FileClass::{self, *};

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n";

    /// The class(es) an analyzer kind implies; a file read by the analyzer carries one
    /// (or routes as `generated`, which keeps its analyzer).
    fn implied(kind: AnalyzerKind, language: Option<&str>) -> &'static [FileClass] {
        match kind {
            AnalyzerKind::Terraform => &[Terraform],
            AnalyzerKind::Kubernetes => &[Kubernetes, Helm],
            AnalyzerKind::Compose => &[Compose],
            AnalyzerKind::Dockerfile => &[Dockerfile],
            AnalyzerKind::Pipeline if language == Some("shell") => &[Source],
            AnalyzerKind::Pipeline => &[CiPipeline],
            AnalyzerKind::Unrendered => &[Helm, Kustomize],
        }
    }

    #[test]
    fn routing_and_analyzer_agree() {
        use AnalyzerKind as A;
        // (path, content, classes, analyzer, what the two old classifiers said when
        // they disagreed: routing / analyzer)
        type Row<'a> = (
            &'a str,
            Option<&'a str>,
            &'a [FileClass],
            Option<AnalyzerKind>,
            &'a str,
        );
        let table: &[Row] = &[
            (
                "compose-prod.yaml",
                Some("services: {}\n"),
                &[Compose],
                Some(A::Compose),
                "was: compose / not analyzed",
            ),
            (
                "deploy/compose_staging.yml",
                Some("services: {}\n"),
                &[Compose],
                Some(A::Compose),
                "was: compose / not analyzed",
            ),
            (
                "docker-compose.override.yml",
                Some("services: {}\n"),
                &[Compose, DevConfig],
                Some(A::Compose),
                "",
            ),
            (
                "docker-compose.yml",
                Some("image: {{ tag }}\n"),
                &[Compose],
                None,
                "",
            ),
            (
                "svc/Dockerfile.prod",
                Some("FROM x\n"),
                &[Dockerfile],
                Some(A::Dockerfile),
                "",
            ),
            (
                "svc/api.containerfile",
                Some("FROM x\n"),
                &[Dockerfile],
                Some(A::Dockerfile),
                "was: other / dockerfile",
            ),
            (
                "docs/Dockerfile.md",
                Some("# notes\n"),
                &[Docs],
                None,
                "was: dockerfile / not analyzed",
            ),
            ("svc/.dockerignore", Some("target\n"), &[Config], None, ""),
            (
                "infra/main.tf.json",
                Some("{}"),
                &[Terraform],
                Some(A::Terraform),
                "",
            ),
            (
                "env/terraform.tfvars.json",
                Some("{}"),
                &[Terraform, Tfvars],
                Some(A::Terraform),
                "",
            ),
            (
                "infra/main.tofu",
                Some(""),
                &[Terraform],
                Some(A::Terraform),
                "was: terraform / not analyzed",
            ),
            ("live/terragrunt.hcl", Some(""), &[Terraform], None, ""),
            (
                "vendor/modules/db/main.tf",
                Some(""),
                &[Generated],
                Some(A::Terraform),
                "",
            ),
            (
                "chart/Chart.yaml",
                Some("name: web\n"),
                &[Helm],
                Some(A::Unrendered),
                "",
            ),
            (
                "chart/templates/d.yaml",
                Some("apiVersion: {{ .Values.v }}\nkind: X\n"),
                &[Helm],
                Some(A::Unrendered),
                "",
            ),
            (
                "chart/templates/cm.yaml",
                Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Chart.Name }}\n"),
                &[Helm],
                Some(A::Unrendered),
                "was: kubernetes / unrendered",
            ),
            (
                "k8s/d.yaml",
                Some("apiVersion: {{ .V }}\nkind: X\n"),
                &[Kubernetes],
                None,
                "",
            ),
            (
                "overlays/prod/kustomization.yaml",
                Some("resources: [a.yaml]\n"),
                &[Kustomize],
                Some(A::Unrendered),
                "",
            ),
            (
                "overlays/prod/patch.yaml",
                Some("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"),
                &[Kustomize],
                Some(A::Unrendered),
                "was: kustomize / kubernetes",
            ),
            (
                "skaffold.yaml",
                Some("apiVersion: skaffold/v4beta6\nkind: Config\n"),
                &[DevConfig],
                None,
                "was: dev-config / kubernetes",
            ),
            (
                ".github/workflows/ci.yml",
                Some("on: push\nrun: ${{ x }}\n"),
                &[CiPipeline],
                Some(A::Pipeline),
                "",
            ),
            (
                "services/api/.github/workflows/ci.yml",
                Some("on: push\n"),
                &[CiPipeline],
                Some(A::Pipeline),
                "was: config / pipeline",
            ),
            (
                ".github/workflows/docker-compose.yml",
                Some("on: push\n"),
                &[CiPipeline],
                Some(A::Pipeline),
                "was: compose / pipeline",
            ),
            (
                ".gitlab-ci.yml",
                Some("deploy:\n  script: [aws s3 mb s3://x]\n"),
                &[CiPipeline],
                Some(A::Pipeline),
                "",
            ),
            (
                ".gitlab-ci.yaml",
                Some("deploy: {}\n"),
                &[CiPipeline],
                Some(A::Pipeline),
                "was: ci-pipeline / not analyzed",
            ),
            (
                ".travis.yml",
                Some("script: make\n"),
                &[CiPipeline],
                Some(A::Pipeline),
                "was: ci-pipeline / not analyzed",
            ),
            (
                "Jenkinsfile.release",
                Some("pipeline {}\n"),
                &[CiPipeline],
                Some(A::Pipeline),
                "was: ci-pipeline / not analyzed",
            ),
            (
                "k8s/app.yaml",
                Some(DEPLOYMENT),
                &[Kubernetes],
                Some(A::Kubernetes),
                "",
            ),
            (
                "k8s/pod.json",
                Some(r#"{"apiVersion":"v1","kind":"Pod"}"#),
                &[Kubernetes],
                Some(A::Kubernetes),
                "",
            ),
            (
                "config/app.yaml",
                Some("port: 80\nlog: info\n"),
                &[Config],
                None,
                "",
            ),
            (
                "config/nested.yaml",
                Some("example:\n  apiVersion: v1\n  kind: Pod\n"),
                &[Config],
                None,
                "was: config / kubernetes",
            ),
            (
                "package.json",
                Some(r#"{"name":"x"}"#),
                &[Manifest],
                None,
                "",
            ),
            (
                "scripts/setup.sh",
                Some("aws s3 mb s3://x\n"),
                &[Source],
                Some(A::Pipeline),
                "",
            ),
            (
                "bin/deploy",
                Some("#!/usr/bin/env bash\naws s3 mb s3://x\n"),
                &[Source],
                Some(A::Pipeline),
                "was: source (shell) / not analyzed",
            ),
            ("README.md", Some(DEPLOYMENT), &[Docs], None, ""),
        ];
        for (path, content, classes, analyzer, _was) in table {
            let c = classify(path, *content, None);
            let mut want = classes.to_vec();
            want.sort();
            assert_eq!(c.classes, want, "classes of {path}");
            assert_eq!(c.analyzer, *analyzer, "analyzer of {path}");
            if let Some(kind) = c.analyzer {
                let implied = implied(kind, c.language.as_deref());
                assert!(
                    c.classes
                        .iter()
                        .any(|class| implied.contains(class) || *class == Generated),
                    "{path}: analyzer {kind:?} but classes {:?}",
                    c.classes
                );
            }
        }
    }

    #[test]
    fn chart_knowledge_keeps_plain_manifests_analyzed() {
        let c = classify(
            "deploy/web/templates/svc.yaml",
            Some(DEPLOYMENT),
            Some("deploy/web"),
        );
        assert_eq!(c.classes, vec![Helm]);
        assert_eq!(c.analyzer, Some(AnalyzerKind::Kubernetes));
        let c = classify("deploy/web/values.yaml", Some("a: 1"), Some("deploy/web"));
        assert_eq!(c.analyzer, Some(AnalyzerKind::Unrendered));
    }
}
