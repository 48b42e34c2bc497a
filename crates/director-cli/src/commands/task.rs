//! `director task new|list|show`.

use crate::cli::TaskCommand;
use crate::output::emit;
use director::tasks::TaskStore;
use director::{Task, exit};
use std::path::Path;

/// Run a task command.
pub fn run(repo: &Path, cmd: TaskCommand) -> anyhow::Result<i32> {
    let store = TaskStore::new(director::project_root(repo)?);
    match cmd {
        TaskCommand::New {
            id,
            title,
            description,
            criteria,
            environment,
            base,
            head,
            paths,
        } => {
            let task = Task {
                id,
                title,
                description,
                criteria,
                base,
                head,
                scope: vec![],
                paths,
                environment,
            };
            task.validate().map_err(|e| director::Error::Input {
                message: e.to_string(),
                hint: "task ids are letters, digits, `.`, `_` and `-`".into(),
            })?;
            let path = store.create(&task).map_err(director::Error::from)?;
            emit(&format!("created {}\n", path.display()), None)?;
        }
        TaskCommand::List => {
            let tasks = store.list().map_err(director::Error::from)?;
            let mut out = String::new();
            for t in &tasks {
                out.push_str(&format!(
                    "{:<24} {:<12} {}\n",
                    t.id,
                    t.environment.map_or("-", |e| e.as_str()),
                    t.title
                ));
            }
            if tasks.is_empty() {
                out.push_str("no tasks in .director/tasks/ (create one with `director task new <id> --title ...`)\n");
            }
            emit(&out, None)?;
        }
        TaskCommand::Show { id } => {
            let task = store.load(&id).map_err(director::Error::from)?;
            emit(&director::tasks::task_to_toml(&task), None)?;
        }
    }
    Ok(exit::PASS)
}
