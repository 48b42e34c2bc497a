//! Fleet-mode figures against a local S3-compatible server (moto's server mode on a
//! loopback port; the bench starts it and skips loudly without it):
//!
//! - verdict cache lookup latency through object_store's S3 client: median and p95
//!   over many hits (each one GET plus the HMAC check), misses beside them;
//! - `runs list` over 10,000 records spread over 20 days (`DIRECTOR_BENCH_RECORDS`
//!   sets another count, one day per 500 records): the whole listing, the
//!   default first page, and the task, decision and date filters — side by side in
//!   one run.
//!
//! `cargo bench -p director --bench fleet` runs the full size; without `--bench` (as
//! under `cargo test --all-targets`) it runs a small smoke version.

#![expect(
    clippy::expect_used,
    reason = "a benchmark fails loudly on broken fixtures"
)]
#![expect(clippy::print_stderr, reason = "a benchmark reports its figures")]

use director::cache::{CachedVerdict, VerdictCache};
use director::core::{Decision, RunRecord, Usage, Verdict, VerdictKind};
use director::remote::RemoteStore;
use director::store::{RecordStore, RunFilter, new_run_id};
use futures::StreamExt as _;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BUCKET: &str = "director-bench";
const KEY: &str = "bench-fleet-key-0123456789abcdef0123456789abcdef";

struct Size {
    lookups: usize,
    records: usize,
    days: i64,
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    // `DIRECTOR_BENCH_RECORDS=100000` measures a larger store (days grow with it).
    let records = std::env::var("DIRECTOR_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(10_000);
    let size = if full {
        Size {
            lookups: 1000,
            records,
            days: i64::try_from(records / 500).unwrap_or(20).max(1),
        }
    } else {
        Size {
            lookups: 20,
            records: 60,
            days: 3,
        }
    };
    let Some(moto) = Moto::start() else {
        eprintln!(
            "fleet bench SKIPPED: moto_server not found (pip install \"moto[server]\", or set DIRECTOR_TEST_MOTO_SERVER)"
        );
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = RemoteStore::open_with(
            &format!("s3://{BUCKET}/bench"),
            [
                ("aws_endpoint", format!("http://127.0.0.1:{}", moto.port)),
                ("aws_allow_http", "true".into()),
                ("aws_access_key_id", "testing".into()),
                ("aws_secret_access_key", "testing".into()),
                ("aws_region", "us-east-1".into()),
            ],
        )
        .expect("store");
        lookups(&store, &size).await;
        listing(&store, &size).await;
    });
}

async fn lookups(store: &RemoteStore, size: &Size) {
    let cache = Arc::new(VerdictCache::remote(store.clone(), Some(KEY), None));
    let session = cache.session();
    let keys: Vec<String> = (0..32u32)
        .map(|i| VerdictCache::key(&[&i.to_le_bytes()]))
        .collect();
    let entry = CachedVerdict::now(
        Verdict {
            verdict: VerdictKind::Warn,
            summary: "one finding".into(),
            findings: vec![],
        },
        Usage::default(),
        "bench-model".into(),
    );
    for key in &keys {
        session.put(key, &entry).await;
    }
    let mut hits = Vec::with_capacity(size.lookups);
    for i in 0..size.lookups {
        let started = Instant::now();
        let found = session.get(&keys[i % keys.len()]).await;
        hits.push(started.elapsed());
        assert!(found.is_some(), "a stored entry is a hit");
    }
    let mut misses = Vec::with_capacity(size.lookups / 4);
    for i in 0..size.lookups / 4 {
        let key = VerdictCache::key(&[b"absent", &i.to_le_bytes()]);
        let started = Instant::now();
        assert!(session.get(&key).await.is_none());
        misses.push(started.elapsed());
    }
    assert!(session.warnings().is_empty(), "{:?}", session.warnings());
    eprintln!(
        "cache lookups against moto S3 (loopback): {} hits median {:.2} ms p95 {:.2} ms; {} misses median {:.2} ms p95 {:.2} ms",
        hits.len(),
        ms(percentile(&mut hits, 0.5)),
        ms(percentile(&mut hits, 0.95)),
        misses.len(),
        ms(percentile(&mut misses, 0.5)),
        ms(percentile(&mut misses, 0.95)),
    );
}

async fn listing(store: &RemoteStore, size: &Size) {
    let records = RecordStore::remote(store.clone());
    let template: RunRecord =
        serde_json::from_str(include_str!("../tests/fixtures/record.json")).expect("fixture");
    let start = chrono::Utc::now() - chrono::Duration::days(size.days);
    let seeded = Instant::now();
    let total = size.records;
    futures::stream::iter(0..total)
        .map(|i| {
            let mut record = template.clone();
            // Evenly over the days; 10 tasks; every 5th run blocks.
            let at = start
                + chrono::Duration::milliseconds(
                    (i as i64) * size.days * 86_400_000 / total as i64,
                );
            record.run_id = new_run_id(&at);
            record.task.id = format!("task-{}", i % 10);
            record.decision = if i % 5 == 0 {
                Decision::Block
            } else {
                Decision::Pass
            };
            let records = records.clone();
            async move { records.save(&record).await.expect("seed") }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    eprintln!(
        "seeded {total} records over {} days in {:.1} s",
        size.days,
        seeded.elapsed().as_secs_f64()
    );
    let last_day = (start + chrono::Duration::days(size.days - 1)).date_naive();
    let cases: Vec<(&str, RunFilter)> = vec![
        ("all records (--limit 0)", RunFilter::default()),
        (
            "default first page (--limit 100)",
            RunFilter {
                limit: 100,
                ..RunFilter::default()
            },
        ),
        (
            "--task task-3 --limit 0",
            RunFilter {
                task: Some("task-3".into()),
                ..RunFilter::default()
            },
        ),
        (
            "--decision block --limit 0",
            RunFilter {
                decision: Some(Decision::Block),
                ..RunFilter::default()
            },
        ),
        (
            "--since/--until one day --limit 0",
            RunFilter {
                since: Some(last_day),
                until: Some(last_day),
                ..RunFilter::default()
            },
        ),
    ];
    for (name, filter) in cases {
        let started = Instant::now();
        let found = records.list(&filter).await.expect("list");
        let took = started.elapsed();
        eprintln!(
            "runs list over {total} records, {name}: {} runs in {:.3} s",
            found.len(),
            took.as_secs_f64()
        );
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// moto's S3 server on a free loopback port, killed on drop.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Option<Moto> {
        let program = std::env::var_os("DIRECTOR_TEST_MOTO_SERVER")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::split_paths(&std::env::var_os("PATH")?)
                    .map(|d| d.join("moto_server"))
                    .find(|p| p.is_file())
            })?;
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while put_bucket(port).is_none() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Create the bucket with one unsigned request (moto accepts those).
fn put_bucket(port: u16) -> Option<()> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "PUT /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.starts_with("HTTP/1.1 200").then_some(())
}
