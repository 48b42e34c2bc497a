//! Seeded secrets in a real change never reach the packed context or tool output.

use crate::repo::TestRepo;
use director_context::{ChangeRequest, PackInput, RepoTools, gather, pack};
use director_core::{Finding, Severity, Task};

const AWS_KEY_ID: &str = "AKIAZ3MSJV4WJQGXL2PA";
const AWS_SECRET: &str = "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";
const GH_TOKEN: &str = "ghp_R4nd0mT0k3nV4lu3ABCDEFGHIJKLMNOPQRST";
const OLD_GH_TOKEN: &str = "ghp_0ldT0k3nTh4tW4sR3m0v3dABCDEFGHIJKLMN";
const DOTENV_PASSWORD: &str = "correct-horse-battery-staple";
const K8S_DATA: &str = "czNjcjN0LXBhc3N3MHJkLWluLWs4cw==";
const K8S_STRING_DATA: &str = "plain-text-api-key-value-123";
const TFVARS_PASSWORD: &str = "tfvars-Passw0rd!";
const PEM_LINES: [&str; 3] = [
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
    "NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ",
];

fn pem() -> String {
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        PEM_LINES.join("\n")
    )
}

fn seeded_repo() -> TestRepo {
    let r = TestRepo::new();
    r.write("README.md", "# app\n");
    r.write(
        "scripts/old.sh",
        format!("#!/bin/sh\n# deploy\nexport GH_TOKEN={OLD_GH_TOKEN}\necho done\n"),
    );
    r.commit("base");
    // The change: secrets in many shapes.
    r.write(
        "config/aws.ini",
        format!("[default]\naws_access_key_id = {AWS_KEY_ID}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1\n"),
    );
    r.write("certs/server.key", pem());
    r.write(
        "scripts/deploy.sh",
        format!("#!/bin/sh\ncurl -H \"Authorization: token {GH_TOKEN}\" https://api.github.com\n"),
    );
    r.write("scripts/old.sh", "#!/bin/sh\n# deploy\necho done\n");
    r.write(
        ".env",
        format!("DB_PASSWORD={DOTENV_PASSWORD}\nPORT=8080\n"),
    );
    r.write(
        "k8s/secret.yaml",
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: {K8S_DATA}\nstringData:\n  api-key: {K8S_STRING_DATA}\n"),
    );
    r.write(
        "infra/prod.tfvars",
        format!("db_password = \"{TFVARS_PASSWORD}\"\ninstance_class = \"db.r6g.large\"\n"),
    );
    r.write(
        "src/settings.py",
        format!("AWS_SECRET_ACCESS_KEY = \"{AWS_SECRET}\"\nDEBUG = False\n"),
    );
    r
}

fn all_secrets() -> Vec<&'static str> {
    let mut v = vec![
        AWS_KEY_ID,
        AWS_SECRET,
        GH_TOKEN,
        OLD_GH_TOKEN,
        DOTENV_PASSWORD,
        K8S_DATA,
        K8S_STRING_DATA,
        TFVARS_PASSWORD,
    ];
    v.extend(PEM_LINES);
    v
}

#[test]
fn no_seeded_secret_reaches_the_packed_context() {
    let r = seeded_repo();
    let set = gather(&r.root(), &ChangeRequest::default()).unwrap();
    let task = Task {
        id: "sec-1".into(),
        title: "Rotate credentials".into(),
        description: format!("The old token {GH_TOKEN} must be gone."),
        ..Task::default()
    };
    let evidence = vec![Finding::evidence(
        "security",
        "sec.hardcoded-aws-secret",
        Severity::Blocking,
        "secrets",
        "Hard-coded AWS secret".into(),
        vec![],
        "src/settings.py",
        (1, 1),
        format!("AWS_SECRET_ACCESS_KEY = \"{AWS_SECRET}\""),
        "Use the instance role".into(),
    )];
    let input = PackInput {
        evidence: &evidence,
        ..PackInput::new(&task, &set)
    };
    let packed = pack(&input);
    for secret in all_secrets() {
        assert!(
            !packed.text.contains(secret),
            "secret {secret} leaked into the context:\n{}",
            packed.text
        );
    }
    for kind in [
        "aws-access-key-id",
        "aws-secret-access-key",
        "private-key",
        "github-token",
        "kubernetes-secret",
        "password",
    ] {
        assert!(
            packed.redactions.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} redaction: {:?}",
            packed.redactions
        );
    }
    // The record never holds values, only counts; the .env file is listed as omitted.
    let env = packed.omitted.iter().find(|o| o.item == ".env").unwrap();
    assert!(env.reason.contains("never inlined"), "{}", env.reason);
    assert!(packed.text.contains("[REDACTED:"));
    // Redaction keeps line numbers: the PEM block still spans lines 1 to 5.
    assert!(
        packed
            .text
            .contains("    1|+[REDACTED:private-key]\n    2|+\n")
            && packed.text.contains("    5|+\n"),
        "{}",
        packed.text
    );
}

#[test]
fn no_seeded_secret_reaches_tool_output() {
    let r = seeded_repo();
    let tools = RepoTools::new(r.root());
    let mut outputs = Vec::new();
    for path in [
        "config/aws.ini",
        "certs/server.key",
        "scripts/deploy.sh",
        "k8s/secret.yaml",
        "infra/prod.tfvars",
        "src/settings.py",
        ".env",
    ] {
        outputs.push(tools.call(
            "read_file",
            &format!("{{\"path\": \"{path}\", \"start_line\": null, \"end_line\": null}}"),
        ));
    }
    for pattern in [
        "aws",
        "PRIVATE|MII",
        "ghp_",
        "password|api-key",
        "DB_PASSWORD",
    ] {
        outputs.push(tools.call(
            "grep",
            &format!("{{\"pattern\": \"{pattern}\", \"path_glob\": null}}"),
        ));
    }
    for out in &outputs {
        for secret in all_secrets() {
            assert!(
                !out.content.contains(secret),
                "{secret} leaked: {}",
                out.content
            );
        }
    }
    // The .env read was refused, the others answered.
    assert!(!outputs[6].ok);
    assert!(outputs[..6].iter().all(|o| o.ok));
}
