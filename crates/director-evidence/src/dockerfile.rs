//! Dockerfile analysis: a small line grammar for Dockerfiles and the rules on its
//! instructions (HEALTHCHECK, USER, pinned base images, exposed SSH).
//!
//! Why a grammar of our own and not the `dockerfile-parser` crate: that crate (0.9)
//! rejects valid modern Dockerfiles (BuildKit heredocs such as `RUN <<EOF`) and fails
//! the whole file on a single malformed instruction (e.g. an unterminated quote in a
//! `LABEL`), which would hide a missing `HEALTHCHECK` behind an unrelated typo. The
//! rules here only need what Docker's own parser does first anyway: parser
//! directives, logical lines joined at the escape character, comments, heredoc
//! bodies, and each instruction's keyword, arguments and line range. Everything
//! beyond that (quoting inside arguments) is left alone. The grammar is tested
//! below line by line.

use crate::SourceFile;
use crate::emit::{Hit, Sink};
use crate::env::{self, EnvGuess};
use crate::rules::{
    DOCKER_EXPOSE_SSH, DOCKER_NO_HEALTHCHECK, DOCKER_ROOT_USER, DOCKER_UNPINNED_BASE, Rule,
};
use crate::source::SourceText;
use std::collections::HashMap;

/// One instruction: keyword (upper-cased), arguments (continuation lines joined with a
/// space, heredoc bodies excluded) and its 1-based inclusive line range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instruction {
    pub keyword: String,
    pub args: String,
    pub start: u32,
    pub end: u32,
}

/// Split a Dockerfile into instructions. Never fails: text Docker would reject still
/// yields instructions (whatever its first word is), so rules see as much as exists.
pub(crate) fn parse(text: &str) -> Vec<Instruction> {
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut i = 0usize;
    // Parser directives: `# key=value` comment lines at the very top.
    while let Some(line) = lines.get(i) {
        let Some(rest) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() || key.contains(char::is_whitespace) {
            break;
        }
        if key == "escape"
            && let Some(c) = value.trim().chars().next()
        {
            escape = c;
        }
        i += 1;
    }

    let mut out = Vec::new();
    while i < lines.len() {
        let line = lines[i].trim();
        if line.is_empty() || line.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut logical = String::new();
        let mut current = line;
        loop {
            let trimmed = current.trim_end();
            match trimmed.strip_suffix(escape) {
                Some(body) => {
                    logical.push_str(body);
                    logical.push(' ');
                    i += 1;
                    // Comment and blank lines inside a continuation are dropped.
                    while i < lines.len() && {
                        let t = lines[i].trim();
                        t.is_empty() || t.starts_with('#')
                    } {
                        i += 1;
                    }
                    match lines.get(i) {
                        Some(next) => current = next,
                        None => break,
                    }
                }
                None => {
                    logical.push_str(trimmed);
                    break;
                }
            }
        }
        let mut end = i.min(lines.len().saturating_sub(1));
        let (keyword, args) = match logical.trim().split_once(char::is_whitespace) {
            Some((k, a)) => (k.to_ascii_uppercase(), a.trim().to_string()),
            None => (logical.trim().to_ascii_uppercase(), String::new()),
        };
        // Heredoc bodies (`RUN <<EOF`, `COPY <<-"EOT" /x`): skip to each terminator.
        for (word, strip_tabs) in heredoc_words(&args) {
            loop {
                end += 1;
                match lines.get(end) {
                    None => {
                        end = lines.len().saturating_sub(1);
                        break;
                    }
                    Some(l) => {
                        let l = if strip_tabs {
                            l.trim_start_matches('\t')
                        } else {
                            l
                        };
                        if l.trim_end() == word {
                            break;
                        }
                    }
                }
            }
        }
        out.push(Instruction {
            keyword,
            args,
            start: to_line(start),
            end: to_line(end.max(start)),
        });
        i = end + 1;
    }
    out
}

fn to_line(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// Heredoc markers in an instruction's arguments, in order: the terminating word and
/// whether leading tabs are stripped (`<<-`).
fn heredoc_words(args: &str) -> Vec<(String, bool)> {
    let mut words = Vec::new();
    let mut rest = args;
    while let Some(pos) = rest.find("<<") {
        let after = &rest[pos + 2..];
        if after.starts_with('<') {
            // A shell here-string (`<<<`), not a heredoc.
            rest = after.trim_start_matches('<');
            continue;
        }
        let (strip, after) = match after.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let (quote, after) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), &after[1..]),
            _ => (None, after),
        };
        let word: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if word.is_empty() {
            rest = after;
            continue;
        }
        let mut consumed = word.len();
        if let Some(q) = quote
            && after[consumed..].starts_with(q)
        {
            consumed += 1;
        }
        rest = &after[consumed..];
        words.push((word, strip));
    }
    words
}

/// A `FROM` instruction's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct From<'a> {
    image: &'a str,
    alias: Option<&'a str>,
}

fn parse_from(args: &str) -> Option<From<'_>> {
    let mut tokens = args.split_whitespace().filter(|t| !t.starts_with("--"));
    let image = tokens.next()?;
    let alias = match (tokens.next(), tokens.next()) {
        (Some(kw), Some(alias)) if kw.eq_ignore_ascii_case("as") => Some(alias),
        _ => None,
    };
    Some(From { image, alias })
}

/// `(pinned_by_digest, tag)` of an image reference such as `repo:5000/org/app:1.2@sha256:..`.
pub(crate) fn image_tag(image: &str) -> (bool, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, _)) => (n, true),
        None => (image, false),
    };
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let tag = name[last_slash..].split_once(':').map(|(_, t)| t);
    (digest, tag)
}

/// True if the image is unpinned: no digest and no tag, or the `latest` tag.
pub(crate) fn is_unpinned(image: &str) -> bool {
    let (digest, tag) = image_tag(image);
    !digest && tag.is_none_or(|t| t.eq_ignore_ascii_case("latest"))
}

/// Substitute `$NAME` / `${NAME}` from global `ARG` defaults; `None` if any stays unknown.
fn expand_args(image: &str, args: &HashMap<String, String>) -> Option<String> {
    if !image.contains('$') {
        return Some(image.to_string());
    }
    let mut out = String::new();
    let mut rest = image;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, len) = if let Some(inner) = after.strip_prefix('{') {
            let close = inner.find('}')?;
            (&inner[..close], close + 2)
        } else {
            let n = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .count();
            (&after[..n], n)
        };
        out.push_str(args.get(name)?);
        rest = &after[len..];
    }
    out.push_str(rest);
    Some(out)
}

struct Stage<'a> {
    from: &'a Instruction,
    image: String,
    alias: Option<String>,
    users: Vec<&'a Instruction>,
    healthchecks: Vec<&'a Instruction>,
}

/// Run the Dockerfile rules on one file. Nothing can fail to parse: the grammar reads
/// any text (see [`parse`]), so there are no errors to report.
pub(crate) fn analyze(file: &SourceFile, sink: &mut Sink<'_>) {
    let src = SourceText::new(&file.path, &file.content);
    let instructions = parse(&file.content);
    let env = env::of_file(sink.config().environment, &file.path).unwrap_or_else(EnvGuess::unknown);
    let mut report =
        |rule: &Rule, lines: (u32, u32), resource: String, title: String, fix: String| {
            sink.emit(Hit {
                rule,
                src: &src,
                lines,
                resource,
                env: &env,
                title,
                fix,
                policy: None,
            });
        };

    let mut global_args = HashMap::new();
    let mut stages: Vec<Stage<'_>> = Vec::new();
    for ins in &instructions {
        match ins.keyword.as_str() {
            "ARG" if stages.is_empty() => {
                for decl in ins.args.split_whitespace() {
                    if let Some((k, v)) = decl.split_once('=') {
                        global_args.insert(k.to_string(), v.trim_matches(['"', '\'']).to_string());
                    }
                }
            }
            "FROM" => {
                if let Some(from) = parse_from(&ins.args) {
                    stages.push(Stage {
                        from: ins,
                        image: from.image.to_string(),
                        alias: from.alias.map(str::to_string),
                        users: Vec::new(),
                        healthchecks: Vec::new(),
                    });
                }
            }
            "USER" => {
                if let Some(s) = stages.last_mut() {
                    s.users.push(ins);
                }
            }
            "HEALTHCHECK" => {
                if let Some(s) = stages.last_mut() {
                    s.healthchecks.push(ins);
                }
            }
            "EXPOSE" if exposes_ssh(&ins.args) => {
                report(
                    &DOCKER_EXPOSE_SSH,
                    (ins.start, ins.end),
                    stage_name(stages.last(), stages.len()),
                    "Dockerfile exposes SSH port 22".into(),
                    "Remove 22 from EXPOSE and drop the SSH server; use `docker exec` / `kubectl exec` for access.".into(),
                );
            }
            _ => {}
        }
    }

    // Unpinned base images (stage references, scratch and unresolvable ARGs excepted).
    for (i, stage) in stages.iter().enumerate() {
        let is_stage_ref = stages[..i].iter().any(|s| {
            s.alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(&stage.image))
        });
        if is_stage_ref || stage.image.eq_ignore_ascii_case("scratch") {
            continue;
        }
        let Some(image) = expand_args(&stage.image, &global_args) else {
            continue;
        };
        if is_unpinned(&image) {
            report(
                &DOCKER_UNPINNED_BASE,
                (stage.from.start, stage.from.end),
                stage_label(stage, i),
                format!("Base image `{image}` is not pinned to a version"),
                format!(
                    "Pin `{image}` to a version tag (e.g. `{}:<version>`) or a digest.",
                    image.split(':').next().unwrap_or(&image)
                ),
            );
        }
    }

    let Some(last_index) = stages.len().checked_sub(1) else {
        return;
    };
    let final_stage = &stages[last_index];
    let final_label = || stage_label(final_stage, last_index);
    let final_head = (final_stage.from.start, final_stage.from.start);
    let chain = stage_chain(&stages, last_index);

    match final_stage.healthchecks.last() {
        Some(hc) if hc.args.trim().eq_ignore_ascii_case("none") => report(
            &DOCKER_NO_HEALTHCHECK,
            (hc.start, hc.end),
            final_label(),
            "Final image disables its HEALTHCHECK".into(),
            "Replace HEALTHCHECK NONE with a HEALTHCHECK CMD that probes the service.".into(),
        ),
        Some(_) => {}
        None => {
            let inherited = chain
                .iter()
                .skip(1)
                .any(|&i| !stages[i].healthchecks.is_empty());
            if !inherited {
                report(
                    &DOCKER_NO_HEALTHCHECK,
                    final_head,
                    final_label(),
                    "Final image has no HEALTHCHECK".into(),
                    "Add `HEALTHCHECK CMD <probe>` to the final stage so Docker can detect a hung container.".into(),
                );
            }
        }
    }

    // The effective user: the last USER of the final stage, else of the stage it builds on.
    let last_user = chain.iter().find_map(|&i| stages[i].users.last().copied());
    match last_user {
        Some(user) if is_root_user(&user.args) => report(
            &DOCKER_ROOT_USER,
            (user.start, user.end),
            final_label(),
            "Final image's last USER is root".into(),
            "End the final stage with `USER <non-root user>` (create one with a fixed UID, e.g. 10001).".into(),
        ),
        Some(_) => {}
        None => report(
            &DOCKER_ROOT_USER,
            final_head,
            final_label(),
            "Final image has no USER, so it runs as root".into(),
            "Create an unprivileged user and add `USER <name>` to the final stage.".into(),
        ),
    }
}

/// The final stage and the earlier stages it is built `FROM`, nearest first.
fn stage_chain(stages: &[Stage<'_>], last: usize) -> Vec<usize> {
    let mut chain = vec![last];
    let mut current = last;
    while chain.len() <= stages.len() {
        let image = &stages[current].image;
        let parent = stages[..current].iter().rposition(|s| {
            s.alias
                .as_deref()
                .is_some_and(|a| a.eq_ignore_ascii_case(image))
        });
        match parent {
            Some(p) => {
                chain.push(p);
                current = p;
            }
            None => break,
        }
    }
    chain
}

fn stage_label(stage: &Stage<'_>, index: usize) -> String {
    match &stage.alias {
        Some(alias) => format!("stage/{alias}"),
        None => format!("stage/{index}"),
    }
}

fn stage_name(stage: Option<&Stage<'_>>, count: usize) -> String {
    match stage {
        Some(s) => stage_label(s, count - 1),
        None => "stage/0".into(),
    }
}

fn is_root_user(args: &str) -> bool {
    let user = args.split_whitespace().next().unwrap_or("");
    let name = user.split(':').next().unwrap_or(user);
    name.eq_ignore_ascii_case("root") || name == "0"
}

fn exposes_ssh(args: &str) -> bool {
    args.split_whitespace().any(|port| {
        let number = port.split('/').next().unwrap_or(port);
        match number.split_once('-') {
            Some((lo, hi)) => matches!((lo.parse::<u32>(), hi.parse::<u32>()), (Ok(lo), Ok(hi)) if lo <= 22 && 22 <= hi),
            None => number == "22",
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kw(text: &str) -> Vec<(String, u32, u32)> {
        parse(text)
            .into_iter()
            .map(|i| (i.keyword, i.start, i.end))
            .collect()
    }

    #[test]
    fn instructions_lines_and_comments() {
        let text = "# syntax=docker/dockerfile:1\nFROM alpine:3.19\n\n# a comment\nrun apk add \\\n  # inline comment\n  curl \\\n  jq\nUSER app\n";
        let ins = parse(text);
        assert_eq!(ins.len(), 3);
        assert_eq!(
            (ins[0].keyword.as_str(), ins[0].start, ins[0].end),
            ("FROM", 2, 2)
        );
        assert_eq!(
            (ins[1].keyword.as_str(), ins[1].start, ins[1].end),
            ("RUN", 5, 8)
        );
        assert_eq!(ins[1].args, "apk add    curl    jq");
        assert_eq!((ins[2].keyword.as_str(), ins[2].start), ("USER", 9));
    }

    #[test]
    fn escape_directive() {
        let text = "# escape=`\nFROM windows\nRUN a `\n  b\nUSER x\n";
        assert_eq!(
            kw(text),
            vec![
                ("FROM".into(), 2, 2),
                ("RUN".into(), 3, 4),
                ("USER".into(), 5, 5)
            ]
        );
    }

    #[test]
    fn heredocs() {
        let text = "FROM alpine:3\nRUN <<EOF\nUSER root\nEOF\nCOPY <<-\"A\" /a <<B /b\n\tx\n\tA\ny\nB\nUSER app\nRUN cat <<<hello\n";
        assert_eq!(
            kw(text),
            vec![
                ("FROM".into(), 1, 1),
                ("RUN".into(), 2, 4),
                ("COPY".into(), 5, 9),
                ("USER".into(), 10, 10),
                ("RUN".into(), 11, 11)
            ]
        );
        // An unterminated heredoc runs to the end of the file.
        assert_eq!(
            kw("FROM a:1\nRUN <<EOF\nx\n"),
            vec![("FROM".into(), 1, 1), ("RUN".into(), 2, 3)]
        );
    }

    #[test]
    fn malformed_instructions_do_not_stop_parsing() {
        let text = "FROM base\n\nLABEL foo=\"bar baz\nUSER  me\n";
        assert_eq!(
            kw(text),
            vec![
                ("FROM".into(), 1, 1),
                ("LABEL".into(), 3, 3),
                ("USER".into(), 4, 4)
            ]
        );
        assert_eq!(parse(text)[2].args, "me");
        // A trailing escape at end of file.
        assert_eq!(kw("FROM a \\"), vec![("FROM".into(), 1, 1)]);
        assert!(parse("").is_empty());
    }

    #[test]
    fn from_and_images() {
        assert_eq!(
            parse_from("--platform=$BUILDPLATFORM python:3.11-slim AS build"),
            Some(From {
                image: "python:3.11-slim",
                alias: Some("build")
            })
        );
        assert_eq!(
            parse_from("alpine"),
            Some(From {
                image: "alpine",
                alias: None
            })
        );
        assert!(is_unpinned("alpine"));
        assert!(is_unpinned("alpine:latest"));
        assert!(!is_unpinned("alpine:3"));
        assert!(!is_unpinned("registry:5000/team/app:1.2"));
        assert!(is_unpinned("registry:5000/team/app"));
        assert!(!is_unpinned("app@sha256:abc"));
        let args = HashMap::from([("BASE".to_string(), "node:20".to_string())]);
        assert_eq!(expand_args("${BASE}", &args).as_deref(), Some("node:20"));
        assert_eq!(
            expand_args("$BASE-slim", &args).as_deref(),
            Some("node:20-slim")
        );
        assert_eq!(expand_args("$OTHER", &args), None);
    }

    #[test]
    fn ports_and_users() {
        assert!(exposes_ssh("8080 22"));
        assert!(exposes_ssh("22/tcp"));
        assert!(exposes_ssh("20-25"));
        assert!(!exposes_ssh("8080 2222"));
        assert!(is_root_user("root"));
        assert!(is_root_user("0:0"));
        assert!(!is_root_user("app:app"));
    }
}
