//! Network exposure and load balancing: security groups and rules open to the whole
//! internet, network ACLs letting SSH in, and load balancers' cross-zone balancing,
//! deletion protection, access logs and target-group health checks.

use super::{Blk, Ctx, Res, lit_int, lit_num, lit_str, value};
use crate::rules::{LB_HTTP_LISTENER, LB_OUTDATED_TLS};
use crate::rules::{
    LB_NO_ACCESS_LOGS, LB_NO_CROSS_ZONE, LB_NO_DELETION_PROTECTION, NACL_OPEN_SSH, Rule,
    SG_OPEN_ALL, SG_OPEN_HTTP, SG_OPEN_RDP, SG_OPEN_SSH, TG_NO_HEALTH_CHECK,
};
use hcl_edit::expr::Expression;

const WORLD_V4: &str = "0.0.0.0/0";
const WORLD_V6: &str = "::/0";

/// An ingress rule's fields, from a block or from an object in `ingress = [{...}]`.
enum Fields<'a> {
    Block(Blk<'a>),
    Object(&'a Expression, (u32, u32)),
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<&'a Expression> {
        match self {
            Fields::Block(b) => b.attr(key).map(|a| a.expr()),
            Fields::Object(e, _) => value::obj_get(e, key),
        }
    }

    fn lines(&self) -> (u32, u32) {
        match self {
            Fields::Block(b) => b.lines(),
            Fields::Object(_, lines) => *lines,
        }
    }
}

/// The ports an ingress rule opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ports {
    All,
    Range(i64, i64),
}

impl Ports {
    fn covers(self, port: i64) -> bool {
        match self {
            Ports::All => true,
            Ports::Range(lo, hi) => lo <= port && port <= hi,
        }
    }
}

fn is_all_protocol(e: &Expression) -> bool {
    lit_str(e).is_some_and(|p| matches!(p.trim().to_ascii_lowercase().as_str(), "-1" | "all"))
        || lit_num(e) == Some(-1.0)
}

/// `None` when the ports cannot be known (computed values, ICMP, missing fields).
fn ports(f: &Fields<'_>, protocol_key: &str) -> Option<Ports> {
    let protocol = f.get(protocol_key)?;
    if is_all_protocol(protocol) {
        return Some(Ports::All);
    }
    let p = lit_str(protocol)
        .map(str::to_ascii_lowercase)
        .or_else(|| lit_int(protocol).map(|n| n.to_string()))?;
    if !matches!(p.as_str(), "tcp" | "udp" | "6" | "17") {
        return None;
    }
    let from = lit_int(f.get("from_port")?)?;
    let to = lit_int(f.get("to_port")?)?;
    // -1/-1 means every port; 0/0 is how "all" is usually written (Checkov reads it so too).
    if (from == -1 && to == -1) || (from == 0 && to == 0) || (from <= 0 && to >= 65535) {
        return Some(Ports::All);
    }
    Some(Ports::Range(from.min(to), from.max(to)))
}

fn literal_strings(e: Option<&Expression>) -> Vec<&str> {
    let Some(e) = e else { return Vec::new() };
    if let Some(arr) = value::array(e) {
        return arr.iter().filter_map(lit_str).collect();
    }
    lit_str(e).into_iter().collect()
}

/// Which world-open source the rule uses, if any.
fn world_source(f: &Fields<'_>, v4_keys: &[&str], v6_keys: &[&str]) -> Option<&'static str> {
    if v4_keys
        .iter()
        .any(|k| literal_strings(f.get(k)).contains(&WORLD_V4))
    {
        return Some(WORLD_V4);
    }
    if v6_keys
        .iter()
        .any(|k| literal_strings(f.get(k)).contains(&WORLD_V6))
    {
        return Some(WORLD_V6);
    }
    None
}

pub(super) fn check(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for sg in index.targets("aws_security_group") {
        for ingress in sg.blk.blocks("ingress") {
            security_rule(cx, sg, &Fields::Block(ingress), "protocol");
        }
        if let Some(attr) = sg.blk.attr("ingress")
            && let Some(items) = value::array(attr.expr())
        {
            for item in items.iter() {
                security_rule(
                    cx,
                    sg,
                    &Fields::Object(item, attr.lines_of(item)),
                    "protocol",
                );
            }
        }
    }
    for rule in index.targets("aws_security_group_rule") {
        if rule.blk.str("type") == Some("ingress") {
            security_rule(cx, rule, &Fields::Block(rule.blk), "protocol");
        }
    }
    for rule in index.targets("aws_vpc_security_group_ingress_rule") {
        security_rule(cx, rule, &Fields::Block(rule.blk), "ip_protocol");
    }
    for acl in index.targets("aws_network_acl") {
        network_acl(cx, acl);
    }
    for rule in index.targets("aws_network_acl_rule") {
        network_acl_rule(cx, rule);
    }
    load_balancers(cx);
    listeners(cx);
}

fn security_rule(cx: &mut Ctx<'_, '_, '_, '_>, r: &Res<'_>, f: &Fields<'_>, protocol_key: &str) {
    let Some(source) = world_source(
        f,
        &["cidr_blocks", "cidr_ipv4"],
        &["ipv6_cidr_blocks", "cidr_ipv6"],
    ) else {
        return;
    };
    let Some(ports) = ports(f, protocol_key) else {
        return;
    };
    let address = r.address();
    let lines = f.lines();
    let mut report = |rule: &Rule, what: &str, fix: &str| {
        cx.emit(
            rule,
            r,
            lines,
            format!("{address} allows {what} from {source}"),
            fix.to_string(),
        );
    };
    if ports == Ports::All {
        report(
            &SG_OPEN_ALL,
            "every port",
            "Allow only the ports the service needs, from the sources that need them (load balancer, VPN, peer security groups).",
        );
        return;
    }
    if ports.covers(22) {
        report(
            &SG_OPEN_SSH,
            "SSH (22)",
            "Restrict SSH to a bastion or VPN range, or remove it and use SSM Session Manager.",
        );
    }
    if ports.covers(3389) {
        report(
            &SG_OPEN_RDP,
            "RDP (3389)",
            "Restrict RDP to a VPN range or use a bastion / Fleet Manager.",
        );
    }
    if ports.covers(80) {
        report(
            &SG_OPEN_HTTP,
            "plain HTTP (80)",
            "Serve HTTPS; keep port 80 only to redirect, ideally on the load balancer.",
        );
    }
}

struct AclEntry {
    number: i64,
    allow: bool,
    ports: Option<Ports>,
    lines: (u32, u32),
}

fn acl_ports(
    protocol: Option<&Expression>,
    from: Option<&Expression>,
    to: Option<&Expression>,
) -> Option<Ports> {
    let protocol = protocol?;
    if is_all_protocol(protocol) {
        return Some(Ports::All);
    }
    let p = lit_str(protocol)
        .map(str::to_ascii_lowercase)
        .or_else(|| lit_int(protocol).map(|n| n.to_string()))?;
    if !matches!(p.as_str(), "tcp" | "6") {
        return None;
    }
    let (from, to) = (lit_int(from?)?, lit_int(to?)?);
    Some(Ports::Range(from.min(to), from.max(to)))
}

/// NACL rules apply in rule-number order; the first world rule matching TCP 22 decides.
fn network_acl(cx: &mut Ctx<'_, '_, '_, '_>, acl: &Res<'_>) {
    let mut entries = Vec::new();
    for ingress in acl.blk.blocks("ingress") {
        let world = ingress.str("cidr_block") == Some(WORLD_V4)
            || ingress.str("ipv6_cidr_block") == Some(WORLD_V6);
        if !world {
            continue;
        }
        let Some(number) = ingress.int("rule_no") else {
            return;
        };
        let Some(action) = ingress.str("action") else {
            return;
        };
        let get = |k: &str| ingress.attr(k).map(|a| a.expr());
        entries.push(AclEntry {
            number,
            allow: action.eq_ignore_ascii_case("allow"),
            ports: acl_ports(get("protocol"), get("from_port"), get("to_port")),
            lines: ingress.lines(),
        });
    }
    entries.sort_by_key(|e| e.number);
    if let Some(first) = entries
        .iter()
        .find(|e| e.ports.is_some_and(|p| p.covers(22)))
        && first.allow
    {
        cx.emit(
                &NACL_OPEN_SSH,
                acl,
                first.lines,
                format!("{} allows SSH (22) from the internet (rule {})", acl.address(), first.number),
                "Add a lower-numbered rule denying TCP 22 from 0.0.0.0/0, or narrow the allow rule's CIDR.".into(),
            );
    }
}

fn network_acl_rule(cx: &mut Ctx<'_, '_, '_, '_>, rule: &Res<'_>) {
    if rule.blk.bool("egress") == Some(true) {
        return;
    }
    let world = rule.blk.str("cidr_block") == Some(WORLD_V4)
        || rule.blk.str("ipv6_cidr_block") == Some(WORLD_V6);
    if !world
        || !rule
            .blk
            .str("rule_action")
            .is_some_and(|a| a.eq_ignore_ascii_case("allow"))
    {
        return;
    }
    let get = |k: &str| rule.blk.attr(k).map(|a| a.expr());
    if acl_ports(get("protocol"), get("from_port"), get("to_port")).is_some_and(|p| p.covers(22)) {
        cx.emit(
            &NACL_OPEN_SSH,
            rule,
            rule.blk.lines(),
            format!("{} allows SSH (22) from the internet", rule.address()),
            "Deny TCP 22 from 0.0.0.0/0 with a lower rule number, or narrow the CIDR.".into(),
        );
    }
}

fn load_balancers(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for elb in index.targets("aws_elb") {
        if let Some(a) = elb.blk.attr("cross_zone_load_balancing")
            && a.bool() == Some(false)
        {
            cx.emit(
                &LB_NO_CROSS_ZONE,
                elb,
                a.lines(),
                format!("{} disables cross-zone load balancing", elb.address()),
                "Set `cross_zone_load_balancing = true`.".into(),
            );
        }
        let logs = elb.blk.block("access_logs");
        if logs.is_none_or(|l| l.bool("enabled") == Some(false)) {
            cx.emit(
                &LB_NO_ACCESS_LOGS,
                elb,
                logs.map_or_else(|| elb.blk.head(), |l| l.lines()),
                format!("{} writes no access logs", elb.address()),
                "Add `access_logs { bucket = <log bucket> enabled = true }`.".into(),
            );
        }
    }
    for rtype in ["aws_lb", "aws_alb"] {
        for lb in index.targets(rtype) {
            let lb_type = lb.blk.str("load_balancer_type").unwrap_or("application");
            if matches!(lb_type, "network" | "gateway")
                && let Some(lines) = lb.blk.unset_or_false("enable_cross_zone_load_balancing")
            {
                cx.emit(
                    &LB_NO_CROSS_ZONE,
                    lb,
                    lines,
                    format!(
                        "{} ({lb_type} load balancer) has cross-zone load balancing off",
                        lb.address()
                    ),
                    "Set `enable_cross_zone_load_balancing = true`.".into(),
                );
            }
            if lb.env.is_production_or_unknown()
                && let Some(lines) = lb.blk.unset_or_false("enable_deletion_protection")
            {
                cx.emit(
                    &LB_NO_DELETION_PROTECTION,
                    lb,
                    lines,
                    format!("{} can be deleted without protection", lb.address()),
                    "Set `enable_deletion_protection = true`.".into(),
                );
            }
            if lb_type != "gateway" {
                let logs = lb.blk.block("access_logs");
                let off =
                    logs.is_none_or(|l| l.attr("enabled").is_none_or(|a| a.bool() == Some(false)));
                if off {
                    cx.emit(
                        &LB_NO_ACCESS_LOGS,
                        lb,
                        logs.map_or_else(|| lb.blk.head(), |l| l.lines()),
                        format!("{} writes no access logs", lb.address()),
                        "Add `access_logs { bucket = <log bucket> enabled = true }` (enabled defaults to false).".into(),
                    );
                }
            }
        }
    }
    for rtype in ["aws_lb_target_group", "aws_alb_target_group"] {
        for tg in index.targets(rtype) {
            let protocol = tg.blk.str("protocol").unwrap_or("");
            if !matches!(protocol, "HTTP" | "HTTPS") {
                continue;
            }
            let problem = match tg.blk.block("health_check") {
                None => Some((
                    "defines no health check",
                    tg.blk.lines_or_head(tg.blk.attr("health_check")),
                )),
                Some(hc) if hc.bool("enabled") == Some(false) => {
                    Some(("disables its health check", hc.lines()))
                }
                Some(hc) if hc.attr("path").is_none() => {
                    Some(("has no health check path", hc.lines()))
                }
                Some(_) => None,
            };
            if let Some((what, lines)) = problem {
                cx.emit(
                    &TG_NO_HEALTH_CHECK,
                    tg,
                    lines,
                    format!("{} ({protocol}) {what}", tg.address()),
                    "Add `health_check { enabled = true path = \"/healthz\" matcher = \"200\" }` with a path the service answers only when healthy.".into(),
                );
            }
        }
    }
}

/// SSL policies that accept TLS 1.2 and later only (the prefixes AWS uses for them).
const MODERN_TLS_PREFIXES: &[&str] = &[
    "ELBSecurityPolicy-TLS13-",
    "ELBSecurityPolicy-TLS-1-2-",
    "ELBSecurityPolicy-FS-1-2-",
];

/// Listeners: plain HTTP that is not a redirect to HTTPS, and TLS policies that
/// still accept TLS 1.0/1.1 (the default policy, ELBSecurityPolicy-2016-08, does).
fn listeners(cx: &mut Ctx<'_, '_, '_, '_>) {
    let index = cx.index;
    for rtype in ["aws_lb_listener", "aws_alb_listener"] {
        for listener in index.targets(rtype) {
            let protocol_attr = listener.blk.attr("protocol");
            let protocol = match protocol_attr {
                // Gateway load balancers' listeners have no protocol.
                None if lb_type_of(cx, listener).is_some_and(|t| t != "application") => continue,
                // An ALB listener without a protocol is HTTP.
                None => "HTTP",
                Some(a) => match lit_str(a.expr()) {
                    Some(p) => p,
                    None => continue,
                },
            };
            match protocol.to_ascii_uppercase().as_str() {
                "HTTP" => http_listener(cx, listener, protocol_attr),
                "HTTPS" | "TLS" => tls_policy(cx, listener),
                _ => {}
            }
        }
    }
}

fn http_listener(
    cx: &mut Ctx<'_, '_, '_, '_>,
    listener: &Res<'_>,
    protocol: Option<super::Attr<'_>>,
) {
    // Unknown when any default action's type or redirect protocol is computed.
    let mut redirects = false;
    for action in listener.blk.blocks("default_action") {
        match action.attr("type").map(|t| lit_str(t.expr())) {
            Some(Some("redirect")) => match action.block("redirect").map(|r| r.attr("protocol")) {
                Some(Some(p)) => match lit_str(p.expr()) {
                    Some(proto) if proto.eq_ignore_ascii_case("HTTPS") => redirects = true,
                    Some(_) => {}
                    None => return,
                },
                // A redirect without a protocol keeps the request's (HTTP).
                Some(None) => {}
                None => return,
            },
            Some(None) => return,
            _ => {}
        }
    }
    if redirects {
        return;
    }
    cx.emit(
        &LB_HTTP_LISTENER,
        listener,
        listener.blk.lines_or_head(protocol),
        format!("{} serves plain HTTP instead of redirecting to HTTPS", listener.address()),
        "Make the HTTP listener's default_action `type = \"redirect\"` with `redirect { protocol = \"HTTPS\" port = \"443\" status_code = \"HTTP_301\" }`, and serve on an HTTPS listener.".into(),
    );
}

fn tls_policy(cx: &mut Ctx<'_, '_, '_, '_>, listener: &Res<'_>) {
    let attr = listener.blk.attr("ssl_policy");
    let policy = match attr {
        None => "ELBSecurityPolicy-2016-08 (the default)",
        Some(a) => match lit_str(a.expr()) {
            Some(p) => p,
            None => return,
        },
    };
    if MODERN_TLS_PREFIXES.iter().any(|p| policy.starts_with(p)) {
        return;
    }
    cx.emit(
        &LB_OUTDATED_TLS,
        listener,
        listener.blk.lines_or_head(attr),
        format!(
            "{} uses SSL policy {policy}, which accepts TLS older than 1.2",
            listener.address()
        ),
        "Set `ssl_policy = \"ELBSecurityPolicy-TLS13-1-2-2021-06\"` (or another TLS 1.2+ policy)."
            .into(),
    );
}

/// The `load_balancer_type` of the load balancer a listener belongs to, if known.
fn lb_type_of<'a>(cx: &Ctx<'_, 'a, '_, '_>, listener: &Res<'_>) -> Option<&'a str> {
    let arn = listener.blk.attr("load_balancer_arn")?;
    value::expr_refs(arn.expr()).iter().find_map(|addr| {
        let lb = cx.index.get(addr)?;
        matches!(lb.rtype, "aws_lb" | "aws_alb")
            .then(|| lb.blk.str("load_balancer_type").unwrap_or("application"))
    })
}
