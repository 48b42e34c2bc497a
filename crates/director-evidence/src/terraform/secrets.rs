//! Plaintext secrets in Terraform: credentials in EC2 `user_data` scripts (instances,
//! launch templates and configurations) and in the `environment` of ECS container
//! definitions (a `jsonencode([...])` literal or a JSON string). Computed values
//! (`templatefile(...)`, `var.x`) are not judged.

use super::{Attr, Ctx, Res, lit_str, value};
use crate::rules::SECRET_PLAINTEXT;
use crate::secrets::{self, Found};
use hcl_edit::expr::Expression;

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for rtype in [
        "aws_instance",
        "aws_launch_template",
        "aws_launch_configuration",
    ] {
        for r in index.targets(rtype) {
            let Some(data) = r.blk.attr("user_data") else {
                continue;
            };
            let Some(found) = lit_str(data.expr()).and_then(secrets::in_text) else {
                continue;
            };
            report(cx, r, data, &found, "its user_data");
        }
    }
    for task in index.targets("aws_ecs_task_definition") {
        let Some(defs) = task.blk.attr("container_definitions") else {
            continue;
        };
        for (container, found) in container_secrets(defs) {
            report(
                cx,
                task,
                defs,
                &found,
                &format!("the environment of container `{container}`"),
            );
        }
    }
}

fn report(cx: &mut Ctx<'_, '_, '_, '_>, r: &Res<'_>, attr: Attr<'_>, found: &Found, place: &str) {
    let span = attr.lines();
    let lines = secrets::find_line(&attr.owner.file.src, span, &found.needle)
        .map_or(span, |line| (line, line));
    cx.emit(
        &SECRET_PLAINTEXT,
        r,
        lines,
        format!("{} writes {} in plain text in {place}", r.address(), found.what),
        "Move the value to Secrets Manager or SSM Parameter Store and read it at boot (user_data) or through the container definition's `secrets` (ECS); rotate the exposed credential.".into(),
    );
}

/// `(container name, secret)` for each container whose `environment` holds a secret.
fn container_secrets(defs: Attr<'_>) -> Vec<(String, Found)> {
    let mut out = Vec::new();
    match defs.expr() {
        Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => {
            let Some(list) = call.args.iter().next().and_then(value::array) else {
                return out;
            };
            for c in list.iter() {
                let name = value::obj_get(c, "name")
                    .and_then(lit_str)
                    .unwrap_or("container");
                let env = value::obj_get(c, "environment").and_then(value::array);
                for var in env
                    .map(|a| a.iter().collect::<Vec<_>>())
                    .unwrap_or_default()
                {
                    let key = value::obj_get(var, "name").and_then(lit_str);
                    let val = value::obj_get(var, "value").and_then(lit_str);
                    if let (Some(k), Some(v)) = (key, val)
                        && let Some(found) = secrets::in_assignment(k, v)
                    {
                        out.push((name.to_string(), found));
                    }
                }
            }
        }
        e => {
            let Some(Ok(serde_json::Value::Array(list))) =
                lit_str(e).map(serde_json::from_str::<serde_json::Value>)
            else {
                return out;
            };
            for c in &list {
                let name = c
                    .get("name")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("container");
                let env = c.get("environment").and_then(serde_json::Value::as_array);
                for var in env.map(Vec::as_slice).unwrap_or_default() {
                    let key = var.get("name").and_then(serde_json::Value::as_str);
                    let val = var.get("value").and_then(serde_json::Value::as_str);
                    if let (Some(k), Some(v)) = (key, val)
                        && let Some(found) = secrets::in_assignment(k, v)
                    {
                        out.push((name.to_string(), found));
                    }
                }
            }
        }
    }
    out
}
