//! Routing signals of a changed file: what its code does that matters to the
//! Infrastructure Director although it is no IaC file. Computed once per file next to
//! its classes (`ChangedFile::signals`), from its path and content:
//!
//! - `data-store`: database, queue and cache clients (imports), connection strings,
//!   data access calls such as `db.users.update(`;
//! - `critical-path`: payment, billing, checkout and authentication paths (by path
//!   words, case-insensitively, so `PaymentProcessor.py` counts) and payment SDK calls;
//! - `resilience`: retry, backoff, circuit-breaker and health-check code;
//! - `cloud-sdk`: calls into the AWS, Google Cloud or Azure SDKs.
//!
//! Each signal's detail follows the path in the routing reason ("routed: src/db.ts
//! opens a Postgres connection (`pg`)"); it never quotes the file, so no secret in a
//! connection string can reach a reason.

use director_core::{FileClass, Signal, SignalKind};
use regex::Regex;
use std::sync::LazyLock;

/// Content larger than this is scanned only up to here.
const MAX_SCAN_BYTES: usize = 256 * 1024;

/// Client packages and the store they talk to.
const CLIENTS: &[(&str, &str)] = &[
    ("pg", "Postgres"),
    ("postgres", "Postgres"),
    ("psycopg2", "Postgres"),
    ("psycopg", "Postgres"),
    ("asyncpg", "Postgres"),
    ("github.com/jackc/pgx", "Postgres"),
    ("github.com/lib/pq", "Postgres"),
    ("tokio_postgres", "Postgres"),
    ("mysql", "MySQL"),
    ("mysql2", "MySQL"),
    ("pymysql", "MySQL"),
    ("aiomysql", "MySQL"),
    ("github.com/go-sql-driver/mysql", "MySQL"),
    ("mongodb", "MongoDB"),
    ("mongoose", "MongoDB"),
    ("pymongo", "MongoDB"),
    ("motor", "MongoDB"),
    ("go.mongodb.org/mongo-driver", "MongoDB"),
    ("redis", "Redis"),
    ("ioredis", "Redis"),
    ("github.com/redis/go-redis", "Redis"),
    ("github.com/go-redis/redis", "Redis"),
    ("kafkajs", "Kafka"),
    ("kafka", "Kafka"),
    ("confluent_kafka", "Kafka"),
    ("rdkafka", "Kafka"),
    ("github.com/segmentio/kafka-go", "Kafka"),
    ("amqplib", "RabbitMQ"),
    ("pika", "RabbitMQ"),
    ("lapin", "RabbitMQ"),
    ("bullmq", "a Redis queue"),
    ("celery", "a task queue"),
    ("@prisma/client", "a database"),
    ("typeorm", "a database"),
    ("sequelize", "a database"),
    ("knex", "a database"),
    ("drizzle-orm", "a database"),
    ("sqlalchemy", "a database"),
    ("django.db", "a database"),
    ("database/sql", "a database"),
    ("gorm.io/gorm", "a database"),
    ("sqlx", "a database"),
    ("diesel", "a database"),
    ("sea_orm", "a database"),
    ("java.sql", "a database"),
    ("javax.persistence", "a database"),
    ("jakarta.persistence", "a database"),
    ("@aws-sdk/client-dynamodb", "DynamoDB"),
    ("@aws-sdk/client-sqs", "SQS"),
    ("@aws-sdk/client-sns", "SNS"),
];

/// An import or require of a package, across languages; group 1 is the package.
static IMPORT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)(?:^\s*import\s+(?:[\w{}*,\s]+\s+from\s+)?["']([^"']+)["']|require\(\s*["']([^"']+)["']\s*\)|^\s*(?:from|import)\s+([\w.]+)|^\s*"([\w./-]+)"\s*$|^\s*use\s+([\w]+)::|^\s*import\s+([\w.]+)\s*;)"#,
    )
    .ok()
});

/// Connection strings; group 1 is the scheme.
static CONNECTION_STRING: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"\b(postgres(?:ql)?|mysql|mongodb(?:\+srv)?|rediss?|amqps?|jdbc:\w+)://").ok()
});

/// Data access calls like `db.users.update(` or `prisma.order.create(`.
static DATA_CALL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:db|database|prisma|knex|repo|repository|em|entityManager|session)\.\w+\.(?:insert\w*|update\w*|delete\w*|upsert|find\w*|create\w*|save|remove)\(",
    )
    .ok()
});

/// Payment SDKs in code; group 1 names it.
static PAYMENT_SDK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(stripe|braintree|adyen|paypal|checkout\.com|square)[\w.]*\.(?:charge|charges|payment\w*|create|capture|refund\w*)").ok()
});

/// Retry, backoff, circuit breaker and health-check code; group 1 names it.
static RESILIENCE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(retry|retries|backoff|circuit_?breaker|tenacity|resilience4j|opossum|p-retry)\b|["'](/healthz?|/readyz|/livez)["']"#).ok()
});

/// Cloud SDKs; group 1 names it.
static CLOUD_SDK: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(boto3|botocore|@aws-sdk/[\w-]+|aws-sdk|aws_sdk_\w+|github\.com/aws/aws-sdk-go[\w/-]*|software\.amazon\.awssdk|google\.cloud|@google-cloud/[\w-]+|cloud\.google\.com/go|@azure/[\w-]+|azure\.(?:storage|identity|cosmos|servicebus|keyvault)|github\.com/Azure/azure-sdk-for-go)"#).ok()
});

/// Compile the patterns now (see [`crate::warm_up`]).
pub(crate) fn warm_up() {
    for re in [
        &IMPORT,
        &CONNECTION_STRING,
        &DATA_CALL,
        &PAYMENT_SDK,
        &RESILIENCE,
        &CLOUD_SDK,
    ] {
        LazyLock::force(re);
    }
}

/// Words of a critical-service path.
const CRITICAL_WORDS: &[(&str, &str)] = &[
    ("payment", "payment"),
    ("payments", "payment"),
    ("billing", "billing"),
    ("checkout", "checkout"),
    ("invoice", "billing"),
    ("invoices", "billing"),
    ("auth", "authentication"),
    ("authn", "authentication"),
    ("authentication", "authentication"),
    ("oauth", "authentication"),
    ("sso", "authentication"),
    ("login", "authentication"),
];

/// The words of a path: components split at non-alphanumerics and camelCase humps,
/// lowercased (`src/PaymentProcessor.py` → `src`, `payment`, `processor`, `py`).
fn path_words(path: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for ch in path.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        current.push(ch.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn first_capture(re: &LazyLock<Option<Regex>>, text: &str) -> Option<String> {
    let caps = re.as_ref()?.captures(text)?;
    caps.iter()
        .skip(1)
        .flatten()
        .next()
        .map(|m| m.as_str().to_string())
}

/// The store a client import talks to, with the package.
fn client_import(text: &str) -> Option<(String, &'static str)> {
    let re = IMPORT.as_ref()?;
    for caps in re.captures_iter(text) {
        let Some(pkg) = caps.iter().skip(1).flatten().next().map(|m| m.as_str()) else {
            continue;
        };
        let found = CLIENTS.iter().find(|(name, _)| {
            pkg == *name
                || pkg.starts_with(&format!("{name}/"))
                || pkg.starts_with(&format!("{name}."))
        });
        if let Some((_, store)) = found {
            return Some((pkg.to_string(), store));
        }
    }
    None
}

/// The signals of one file. Only source, configuration and dependency manifests are
/// scanned; `content` is the file's text at head (or the side of the diff shown).
pub fn signals(path: &str, content: Option<&str>, classes: &[FileClass]) -> Vec<Signal> {
    let mut out = Vec::new();
    let scanned = classes.iter().any(|c| {
        matches!(
            c,
            FileClass::Source | FileClass::Config | FileClass::Manifest | FileClass::Migration
        )
    });
    if !scanned {
        return out;
    }
    let words = path_words(path);
    if let Some((_, area)) = CRITICAL_WORDS
        .iter()
        .find(|(w, _)| words.iter().any(|x| x == w))
    {
        out.push(Signal::new(
            SignalKind::CriticalPath,
            format!("is on the {area} path"),
        ));
    }
    let Some(text) = content else { return out };
    let text = match text.char_indices().nth(MAX_SCAN_BYTES) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    let data_store = if let Some((pkg, store)) = client_import(text) {
        Some(if store.starts_with("a ") {
            format!("talks to {store} (`{pkg}`)")
        } else {
            format!("opens a {store} connection (`{pkg}`)")
        })
    } else if let Some(scheme) = first_capture(&CONNECTION_STRING, text) {
        Some(format!("holds a `{scheme}://` connection string"))
    } else {
        DATA_CALL
            .as_ref()
            .and_then(|re| re.find(text))
            .map(|m| format!("writes to a database (`{}`)", m.as_str()))
    };
    if let Some(detail) = data_store {
        out.push(Signal::new(SignalKind::DataStore, detail));
    }
    if !out.iter().any(|s| s.kind == SignalKind::CriticalPath)
        && let Some(sdk) = first_capture(&PAYMENT_SDK, text)
    {
        out.push(Signal::new(
            SignalKind::CriticalPath,
            format!("calls a payment API (`{sdk}`)"),
        ));
    }
    if let Some(what) = first_capture(&RESILIENCE, text) {
        out.push(Signal::new(
            SignalKind::Resilience,
            format!("has retry or health-check code (`{what}`)"),
        ));
    }
    if let Some(sdk) = first_capture(&CLOUD_SDK, text) {
        out.push(Signal::new(
            SignalKind::CloudSdk,
            format!("calls a cloud SDK (`{sdk}`)"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(path: &str, text: &str) -> Vec<(SignalKind, String)> {
        signals(path, Some(text), &[FileClass::Source])
            .into_iter()
            .map(|s| (s.kind, s.detail))
            .collect()
    }

    #[test]
    fn the_seeds_code_examples_signal() {
        // Example 3: a TypeScript data service writing to a single database.
        let ts = "class DataService {\n  async deleteUser(userId: string) {\n    await db.users.delete(userId);\n  }\n}\n";
        assert_eq!(
            kinds("src/services/DataService.ts", ts),
            [(
                SignalKind::DataStore,
                "writes to a database (`db.users.delete(`)".to_string()
            )]
        );
        // Example 5: the payment processor, by its path (any case) and its Stripe call.
        let py = "class PaymentProcessor:\n    def process_payment(self, payment_id):\n        return self.stripe_client.charge(1)\n";
        let got = kinds("src/PaymentProcessor.py", py);
        assert_eq!(
            got[0],
            (
                SignalKind::CriticalPath,
                "is on the payment path".to_string()
            )
        );
        let got = kinds("src/processor.py", py);
        assert_eq!(got[0].0, SignalKind::CriticalPath);
        assert!(got[0].1.contains("stripe"), "{got:?}");
    }

    #[test]
    fn clients_connection_strings_sdks_and_retries() {
        let got = kinds(
            "src/db.ts",
            "import { Pool } from 'pg';\nexport const pool = new Pool();\n",
        );
        assert_eq!(
            got,
            [(
                SignalKind::DataStore,
                "opens a Postgres connection (`pg`)".to_string()
            )]
        );
        let got = kinds("app/cache.py", "import redis\n");
        assert_eq!(got[0].1, "opens a Redis connection (`redis`)");
        let got = kinds("cmd/x.go", "import (\n\t\"database/sql\"\n)\n");
        assert_eq!(got[0].1, "talks to a database (`database/sql`)");
        let got = kinds("config/app.rb", "URL = \"postgres://user:secret@db/app\"\n");
        assert_eq!(got[0].1, "holds a `postgres://` connection string");
        assert!(!got[0].1.contains("secret"));
        let got = kinds("src/upload.py", "import boto3\ns3 = boto3.client('s3')\n");
        assert_eq!(
            got,
            [(
                SignalKind::CloudSdk,
                "calls a cloud SDK (`boto3`)".to_string()
            )]
        );
        let got = kinds("src/client.ts", "const backoff = 2 ** attempt;\n");
        assert_eq!(got[0].0, SignalKind::Resilience);
    }

    #[test]
    fn plain_code_and_other_classes_have_none() {
        assert!(kinds("src/lib.rs", "pub fn total(a: u64) -> u64 { a }\n").is_empty());
        assert!(kinds("src/device.rs", "fn authorize() {}\n").is_empty());
        assert!(signals("docs/payments.md", Some("import pg"), &[FileClass::Docs]).is_empty());
        assert_eq!(
            path_words("src/PaymentProcessor.py"),
            ["src", "payment", "processor", "py"]
        );
        assert_eq!(path_words("a/HTTPServer_v2"), ["a", "httpserver", "v2"]);
    }
}
