//! The Director panel: definitions, personas and prompt templates, built in (embedded
//! at compile time) or added and overridden by the repository under `.director/`,
//! and the tera rendering of the three messages every Director receives.
//!
//! The repository's side is read from its trusted policy (`crate::trust`): the base
//! commit's `.director/`, or the working tree when the user trusts it.
//!
//! Repository layout (all optional):
//! `.director/directors/<name>.toml` adds a Director, or changes a built-in one: it
//! may hold only the keys it changes (e.g. just `mcp = ["datadog"]`), which are merged
//! onto the built-in definition of that name (tables key by key, other values
//! replaced);
//! `.director/prompts/frame.tera`, `.director/prompts/instruction.tera` and
//! `.director/prompts/directors/<file>` replace templates;
//! `.director/personas/<file>` replaces or adds personas.

use crate::error::Error;
pub use crate::fit::PromptProfile;
use crate::policy::PolicyView;
use crate::trust::{PolicySource, TrustedPolicy};
use director_core::Criterion;
use director_core::layout;
use director_core::routing::{Applicability, CompiledApplicability};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_files.rs"));
}

pub use builtin::BUILTIN_FILES;

/// A Director definition as written in `directors/<name>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorDefinition {
    /// Short name, `[a-z0-9-]+`.
    pub name: String,
    /// Display name, e.g. `Infrastructure Director`.
    pub display_name: String,
    /// The persona's agent name, e.g. `DirInfra_Agent`.
    pub persona: String,
    /// Persona file under `personas/`.
    pub persona_file: String,
    /// Prompt template under `prompts/directors/`.
    pub prompt_file: String,
    /// One line: what this Director owns.
    pub summary: String,
    /// Finding categories it owns (kebab-case).
    #[serde(default)]
    pub owns: Vec<String>,
    /// Whether its findings may block.
    #[serde(default = "yes")]
    pub may_block: bool,
    /// Higher runs first when a budget forces skips.
    #[serde(default = "default_priority")]
    pub priority: i32,
    /// Model override for this Director.
    #[serde(default)]
    pub model: Option<String>,
    /// Output token budget override.
    #[serde(default)]
    pub max_output_tokens: Option<u32>,
    /// MCP servers (names under `[mcp.servers]` in trusted config) whose tools this
    /// Director may call. Naming a server never defines one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mcp: Vec<String>,
    /// When it applies.
    #[serde(default)]
    pub applicability: Applicability,
}

fn yes() -> bool {
    true
}

fn default_priority() -> i32 {
    50
}

/// Where a piece of the panel came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "lowercase")]
pub enum Origin {
    /// Shipped in the binary (workspace-relative path).
    Builtin(String),
    /// From the repository's working tree (absolute path), trusted on purpose.
    Repo(PathBuf),
    /// From the repository as of a trusted commit.
    Commit {
        /// The path relative to the project, e.g. `.director/directors/x.toml`.
        path: String,
        /// The commit id.
        commit: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Builtin(p) => write!(f, "built-in {p}"),
            Origin::Repo(p) => write!(f, "repo {}", p.display()),
            Origin::Commit { path, commit } => {
                write!(f, "repo {path} at {}", commit.get(..10).unwrap_or(commit))
            }
        }
    }
}

/// One resolved Director, ready to route and render.
#[derive(Debug, Clone)]
pub struct Director {
    /// Its definition.
    pub def: DirectorDefinition,
    /// Where the definition came from.
    pub definition_origin: Origin,
    /// The persona text.
    pub persona_text: String,
    /// The persona's essentials for the compact prompt profile (see [`persona_essentials`]).
    pub persona_essentials: String,
    /// Where the persona came from.
    pub persona_origin: Origin,
    /// Where the prompt template came from.
    pub prompt_origin: Origin,
    /// Hash of definition + persona + template source: part of the verdict cache key.
    pub fingerprint: String,
    template_name: String,
    routing: CompiledApplicability,
}

impl Director {
    /// Short name.
    pub fn name(&self) -> &str {
        &self.def.name
    }

    /// Compiled applicability rules.
    pub fn routing(&self) -> &CompiledApplicability {
        &self.routing
    }

    /// The entry of this Director in the `panel`/`others` template lists.
    pub fn panel_entry(&self) -> PanelEntry {
        PanelEntry {
            name: self.def.name.clone(),
            display_name: self.def.display_name.clone(),
            persona: self.def.persona.clone(),
            summary: self.def.summary.clone(),
            owns: self.def.owns.clone(),
            may_block: self.def.may_block,
        }
    }
}

/// A Director as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct PanelEntry {
    /// Short name.
    pub name: String,
    /// Display name.
    pub display_name: String,
    /// Persona agent name.
    pub persona: String,
    /// What it owns, one line.
    pub summary: String,
    /// Owned categories.
    pub owns: Vec<String>,
    /// Whether it may block.
    pub may_block: bool,
}

/// The resolved panel with its templates.
pub struct Panel {
    directors: Vec<Director>,
    tera: tera::Tera,
    /// Where `frame.tera` came from.
    pub frame_origin: Origin,
    /// Where `instruction.tera` came from.
    pub instruction_origin: Origin,
    template_origins: BTreeMap<String, Origin>,
    /// Failure Criteria the gate does not block on, told to the Directors.
    relaxed: Vec<Criterion>,
}

impl fmt::Debug for Panel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Panel")
            .field(
                "directors",
                &self
                    .directors
                    .iter()
                    .map(Director::name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

const FRAME: &str = "frame.tera";
const INSTRUCTION: &str = "instruction.tera";

fn builtin(path: &str) -> Option<&'static str> {
    BUILTIN_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, text)| *text)
}

/// Where a repository policy file (`rel` under `.director/`) came from.
fn repo_origin(repo: &TrustedPolicy, rel: &str) -> Origin {
    match &repo.source {
        PolicySource::Commit { commit, .. } => Origin::Commit {
            path: format!("{}/{rel}", layout::DIR),
            commit: commit.clone(),
        },
        _ => Origin::Repo(repo.root.join(layout::DIR).join(rel)),
    }
}

/// Look a file up in the repository's trusted `.director/<rel>` first, then the
/// built-ins.
fn resolve(repo: Option<&TrustedPolicy>, rel: &str) -> Result<Option<(String, Origin)>, Error> {
    if let Some(repo) = repo
        && let Some(file) = repo.files.files.get(rel)
    {
        let Some(text) = file.text.clone() else {
            return Err(Error::Director {
                director: rel.to_string(),
                message: format!(
                    "{}: not UTF-8 text, or larger than {} bytes",
                    repo_origin(repo, rel),
                    director_context::policy::MAX_POLICY_FILE_BYTES
                ),
                hint: "panel files are UTF-8 text".into(),
            });
        };
        return Ok(Some((text, repo_origin(repo, rel))));
    }
    Ok(builtin(rel).map(|t| (t.to_string(), Origin::Builtin(rel.to_string()))))
}

/// Resolve a file a definition names under `folder` (repository first, then built-in);
/// a missing one is an error naming the definition and the key.
fn resolve_named(
    repo: Option<&TrustedPolicy>,
    folder: &str,
    key: &str,
    file: &str,
    director: &str,
    definition: &Origin,
) -> Result<(String, Origin), Error> {
    let rel = format!("{folder}/{file}");
    resolve(repo, &rel)?.ok_or_else(|| Error::Director {
        director: director.to_string(),
        message: format!(
            "{definition}: key `{key}`: `{file}` not found in .director/{folder}/ or the built-in {folder}"
        ),
        hint: format!("create .director/{rel}"),
    })
}

fn safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains("..")
        && !name.starts_with('/')
        && !name.contains('\\')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
}

fn parse_definition(text: &str, origin: &Origin) -> Result<DirectorDefinition, Error> {
    let def: DirectorDefinition = toml::from_str(text).map_err(|e| Error::Director {
        director: origin.to_string(),
        message: format!("{origin}: {}", one_line(&e.to_string())),
        hint: "see docs/directors.md for the definition keys".into(),
    })?;
    let bad = |key: &str, why: String| Error::Director {
        director: def.name.clone(),
        message: format!("{origin}: key `{key}`: {why}"),
        hint: "see docs/directors.md for the definition keys".into(),
    };
    if def.name.is_empty()
        || !def
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(bad(
            "name",
            format!("`{}` must be lowercase letters, digits and `-`", def.name),
        ));
    }
    if def.display_name.trim().is_empty() {
        return Err(bad("display_name", "must not be empty".into()));
    }
    if def.persona.trim().is_empty() {
        return Err(bad("persona", "must not be empty".into()));
    }
    for (key, file) in [
        ("persona_file", &def.persona_file),
        ("prompt_file", &def.prompt_file),
    ] {
        if !safe_file_name(file) {
            return Err(bad(
                key,
                format!("`{file}` is not a plain relative file name"),
            ));
        }
    }
    Ok(def)
}

/// A repository definition: complete, or only the keys it changes of the built-in
/// Director it names (by `name`, else by its file name), merged onto that definition.
fn parse_override(
    text: &str,
    origin: &Origin,
    file_stem: &str,
    builtins: &BTreeMap<String, DirectorDefinition>,
) -> Result<DirectorDefinition, Error> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| Error::Director {
        director: origin.to_string(),
        message: format!("{origin}: {}", one_line(&e.to_string())),
        hint: "see docs/directors.md for the definition keys".into(),
    })?;
    let name = table
        .get("name")
        .and_then(toml::Value::as_str)
        .unwrap_or(file_stem);
    let Some(base) = builtins.get(name) else {
        return parse_definition(text, origin);
    };
    let cannot = |why: String| Error::Director {
        director: base.name.clone(),
        message: format!("cannot merge {origin} onto the built-in definition: {why}"),
        hint: "write the whole definition in the file instead".into(),
    };
    let mut merged = match toml::Value::try_from(base) {
        Ok(toml::Value::Table(table)) => table,
        Ok(_) => return Err(cannot("it is not a table".into())),
        Err(e) => return Err(cannot(e.to_string())),
    };
    merge_tables(&mut merged, table);
    let merged_text = toml::to_string(&merged).map_err(|e| cannot(e.to_string()))?;
    parse_definition(&merged_text, origin)
}

/// `over` onto `base`: tables merged key by key, every other value replaced.
fn merge_tables(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Collapse a multi-line parser message into one line.
pub(crate) fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && *l != "|" && !l.chars().all(|c| c == '^' || c == ' ' || c == '|')
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn hash_parts(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    director_core::fingerprint::hex(&h.finalize()[..16])
}

impl Panel {
    /// Load the built-in panel merged with the repository's trusted `.director/` (if
    /// any).
    pub fn load(repo: Option<&TrustedPolicy>) -> Result<Panel, Error> {
        let mut defs: BTreeMap<String, (DirectorDefinition, Origin)> = BTreeMap::new();
        for (path, text) in BUILTIN_FILES {
            if path.starts_with("directors/") && path.ends_with(".toml") {
                let origin = Origin::Builtin((*path).to_string());
                let def = parse_definition(text, &origin)?;
                defs.insert(def.name.clone(), (def, origin));
            }
        }
        if let Some(repo) = repo {
            let builtins: BTreeMap<String, DirectorDefinition> = defs
                .iter()
                .map(|(name, (def, _))| (name.clone(), def.clone()))
                .collect();
            // Definitions directly under directors/ (the map is sorted by path).
            for (rel, file) in &repo.files.files {
                let Some(name) = rel.strip_prefix("directors/") else {
                    continue;
                };
                if name.contains('/') || !name.ends_with(".toml") {
                    continue;
                }
                let origin = repo_origin(repo, rel);
                let Some(text) = file.text.as_deref() else {
                    return Err(Error::Director {
                        director: name.to_string(),
                        message: format!("{origin}: not UTF-8 text, or too large"),
                        hint: "see docs/directors.md for the definition keys".into(),
                    });
                };
                let stem = name.trim_end_matches(".toml");
                let def = parse_override(text, &origin, stem, &builtins)?;
                defs.insert(def.name.clone(), (def, origin));
            }
        }

        let mut tera = tera::Tera::new();
        tera.autoescape_on(Vec::<&'static str>::new());
        let mut template_origins = BTreeMap::new();
        let add_template = |tera: &mut tera::Tera, name: &str, text: &str, origin: &Origin| {
            tera.add_raw_template(name, text)
                .map_err(|e| Error::Director {
                    director: name.to_string(),
                    message: format!(
                        "template {origin}: {}",
                        one_line(e.to_string().trim_start_matches("error: "))
                    ),
                    hint: "fix the tera syntax at the line shown".into(),
                })
        };
        let (frame_text, frame_origin) = resolve(repo, &format!("prompts/{FRAME}"))?
            .ok_or_else(|| missing("prompts/frame.tera"))?;
        add_template(&mut tera, FRAME, &frame_text, &frame_origin)?;
        let (instr_text, instruction_origin) = resolve(repo, &format!("prompts/{INSTRUCTION}"))?
            .ok_or_else(|| missing("prompts/instruction.tera"))?;
        add_template(&mut tera, INSTRUCTION, &instr_text, &instruction_origin)?;
        template_origins.insert(FRAME.to_string(), frame_origin.clone());
        template_origins.insert(INSTRUCTION.to_string(), instruction_origin.clone());

        let mut directors = Vec::with_capacity(defs.len());
        for (_, (def, definition_origin)) in defs {
            let (prompt_text, prompt_origin) = resolve_named(
                repo,
                "prompts/directors",
                "prompt_file",
                &def.prompt_file,
                &def.name,
                &definition_origin,
            )?;
            let (persona_text, persona_origin) = resolve_named(
                repo,
                "personas",
                "persona_file",
                &def.persona_file,
                &def.name,
                &definition_origin,
            )?;
            let template_name = format!("directors/{}", def.prompt_file);
            if !template_origins.contains_key(&template_name) {
                add_template(&mut tera, &template_name, &prompt_text, &prompt_origin)?;
                template_origins.insert(template_name.clone(), prompt_origin.clone());
            }
            let routing = def.applicability.compile().map_err(|e| Error::Director {
                director: def.name.clone(),
                message: format!("{definition_origin}: key `applicability`: {e}"),
                hint: "globs use globset syntax, e.g. \"**/payments/**\"".into(),
            })?;
            let def_toml = toml::to_string(&def).unwrap_or_default();
            let fingerprint = hash_parts(&[
                &def_toml,
                &persona_text,
                &prompt_text,
                &frame_text,
                &instr_text,
            ]);
            directors.push(Director {
                def,
                definition_origin,
                persona_essentials: persona_essentials(&persona_text),
                persona_text,
                persona_origin,
                prompt_origin,
                fingerprint,
                template_name,
                routing,
            });
        }
        // Render every template once with sample values, so an undefined variable or a
        // bad filter is reported when the panel loads, naming the file, not mid-run.
        let panel_entries: Vec<PanelEntry> = directors.iter().map(Director::panel_entry).collect();
        let trial = Panel {
            directors: Vec::new(),
            tera,
            frame_origin: frame_origin.clone(),
            instruction_origin: instruction_origin.clone(),
            template_origins,
            relaxed: Vec::new(),
        };
        for profile in [PromptProfile::Full, PromptProfile::Compact] {
            trial.render_frame_as(
                &panel_entries,
                "0000000000000000",
                "(repository context)",
                "production",
                profile,
            )?;
            for d in &directors {
                trial.render_director_as(d, &panel_entries, "production", profile)?;
                trial.render_instruction_as(d, false, "{}", profile)?;
            }
        }
        let Panel {
            tera,
            template_origins,
            ..
        } = trial;
        // Highest priority first: the order budgets and reports use.
        directors.sort_by(|a, b| {
            b.def
                .priority
                .cmp(&a.def.priority)
                .then_with(|| a.def.name.cmp(&b.def.name))
        });
        Ok(Panel {
            directors,
            tera,
            frame_origin,
            instruction_origin,
            template_origins,
            relaxed: Vec::new(),
        })
    }

    /// Tell the Directors which Failure Criteria the gate relaxes (from the trusted
    /// `[gate] block_on_criteria`); the prompts then call them warnings.
    pub fn with_relaxed_criteria(mut self, relaxed: Vec<Criterion>) -> Panel {
        self.relaxed = relaxed;
        self
    }

    /// Every Director, highest priority first.
    pub fn directors(&self) -> &[Director] {
        &self.directors
    }

    /// One Director by name.
    pub fn get(&self, name: &str) -> Option<&Director> {
        self.directors.iter().find(|d| d.def.name == name)
    }

    /// The names of every Director.
    pub fn names(&self) -> Vec<&str> {
        self.directors.iter().map(Director::name).collect()
    }

    fn render(&self, template: &str, context: &tera::Context) -> Result<String, Error> {
        self.tera.render(template, context).map_err(|e| {
            let origin = self
                .template_origins
                .get(template)
                .map(ToString::to_string)
                .unwrap_or_else(|| template.to_string());
            let mut message = e.to_string().trim_start_matches("error: ").to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(": ");
                message.push_str(&s.to_string());
                source = s.source();
            }
            Error::Director {
                director: template.to_string(),
                message: format!("failed to render template {origin}: {}", one_line(&message)),
                hint: "check the variables the template uses against docs/directors.md".into(),
            }
        })
    }

    /// Render the shared frame (identical for every Director of the run), full profile.
    pub fn render_frame(
        &self,
        panel: &[PanelEntry],
        nonce: &str,
        context: &str,
        environment: &str,
    ) -> Result<String, Error> {
        self.render_frame_as(panel, nonce, context, environment, PromptProfile::Full)
    }

    /// Render the shared frame in a prompt profile.
    pub fn render_frame_as(
        &self,
        panel: &[PanelEntry],
        nonce: &str,
        context: &str,
        environment: &str,
        profile: PromptProfile,
    ) -> Result<String, Error> {
        let mut ctx = tera::Context::new();
        ctx.insert("panel", &panel);
        ctx.insert("nonce", nonce);
        ctx.insert("context", context);
        ctx.insert("environment", environment);
        ctx.insert("policy", &PolicyView::new(environment, &self.relaxed));
        ctx.insert("profile", profile.as_str());
        self.render(FRAME, &ctx)
    }

    /// Render one Director's own system message, full profile.
    pub fn render_director(
        &self,
        director: &Director,
        others: &[PanelEntry],
        environment: &str,
    ) -> Result<String, Error> {
        self.render_director_as(director, others, environment, PromptProfile::Full)
    }

    /// Render one Director's own system message in a prompt profile.
    pub fn render_director_as(
        &self,
        director: &Director,
        others: &[PanelEntry],
        environment: &str,
        profile: PromptProfile,
    ) -> Result<String, Error> {
        let mut ctx = tera::Context::new();
        ctx.insert("director", &director.panel_entry());
        ctx.insert("persona_text", &director.persona_text);
        ctx.insert("persona_essentials", &director.persona_essentials);
        ctx.insert("others", &others);
        ctx.insert("environment", environment);
        ctx.insert("policy", &PolicyView::new(environment, &self.relaxed));
        ctx.insert("profile", profile.as_str());
        self.render(&director.template_name, &ctx)
    }

    /// Render the user message that asks for the verdict, full profile.
    pub fn render_instruction(
        &self,
        director: &Director,
        structured: bool,
        schema: &str,
    ) -> Result<String, Error> {
        self.render_instruction_as(director, structured, schema, PromptProfile::Full)
    }

    /// Render the user message that asks for the verdict in a prompt profile.
    pub fn render_instruction_as(
        &self,
        director: &Director,
        structured: bool,
        schema: &str,
        profile: PromptProfile,
    ) -> Result<String, Error> {
        let mut ctx = tera::Context::new();
        ctx.insert("director", &director.panel_entry());
        ctx.insert("structured", &structured);
        ctx.insert("schema", schema);
        ctx.insert("profile", profile.as_str());
        self.render(INSTRUCTION, &ctx)
    }
}

/// The essentials of a persona for the compact prompt profile: the opening of the
/// role card's `System Prompt` section (who the agent is and its role description),
/// up to its responsibilities, persona blend and dialogue examples, without the
/// blockquote markers. A persona without that section keeps its first paragraph.
pub fn persona_essentials(persona: &str) -> String {
    let lines: Vec<&str> = persona.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim_start_matches('#').trim() == "System Prompt" && l.starts_with('#'));
    let Some(start) = start else {
        return persona
            .split("\n\n")
            .map(str::trim)
            .find(|p| !p.is_empty() && !p.starts_with('#'))
            .unwrap_or("")
            .to_string();
    };
    let mut out = Vec::new();
    for line in &lines[start + 1..] {
        let text = line.trim_start_matches('>').trim();
        if line.starts_with('#')
            || text.starts_with("**Key Responsibilities")
            || text.starts_with("**Collaboration")
            || text.starts_with("**Agent Persona")
            || text.starts_with("**Dialogue Style")
        {
            break;
        }
        out.push(text);
    }
    let joined = out.join("\n");
    joined.trim().to_string()
}

fn missing(rel: &str) -> Error {
    Error::Director {
        director: rel.to_string(),
        message: format!("`{rel}` is missing from the built-in prompts"),
        hint: "this is a packaging error; reinstall director".into(),
    }
}
