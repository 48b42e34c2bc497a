//! The `director` command-line tool: argument parsing, command dispatch, progress on
//! stderr, output on stdout, and the one mapping from outcomes to exit codes
//! (`director::exit`). The library crate `director` does the work.

mod cli;
mod commands;
#[cfg(feature = "otel")]
mod otel;
mod output;
mod progress;

use clap::Parser;
use cli::{Cli, Command};
use director::exit;

/// Run the tool and return its exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::PASS
            };
            let _ = e.print();
            return code;
        }
    };
    // Lives until the process ends: dropping it flushes exported spans.
    let _telemetry = init_tracing(&cli);
    // The runtime runs on a thread with an explicit stack, and so do its workers: the
    // parsers of repository text are depth-limited, and this is the margin behind them.
    let main = std::thread::Builder::new()
        .name("director-main".into())
        .stack_size(MAIN_STACK_BYTES)
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_stack_size(WORKER_STACK_BYTES)
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("error: failed to start the async runtime");
                    eprintln!("caused by: {e}");
                    return exit::INTERNAL;
                }
            };
            match runtime.block_on(dispatch(cli)) {
                Ok(code) => code,
                Err(e) => report_error(&e),
            }
        });
    match main.map(std::thread::JoinHandle::join) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => exit::INTERNAL,
        Err(e) => {
            eprintln!("error: failed to start the main thread");
            eprintln!("caused by: {e}");
            exit::INTERNAL
        }
    }
}

/// Stack of the thread that runs the runtime.
const MAIN_STACK_BYTES: usize = 16 * 1024 * 1024;
/// Stack of each async worker thread.
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

/// What must stay alive for logs and traces to be delivered (the OTLP exporter).
struct Telemetry {
    #[cfg(feature = "otel")]
    _otel: Option<otel::OtelGuard>,
}

/// Logs on stderr (text or JSON, level from `-v`/`-vv` or `DIRECTOR_LOG`) and, with
/// the `otel` feature and `OTEL_EXPORTER_OTLP_ENDPOINT` set, spans over OTLP.
fn init_tracing(cli: &Cli) -> Telemetry {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{EnvFilter, Layer, Registry};
    let default = match cli.verbose {
        0 => "warn",
        1 => "info,director=info",
        _ => "debug,hyper=info,reqwest=info,h2=info,rustls=info",
    };
    let filter =
        EnvFilter::try_from_env("DIRECTOR_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    let fmt: Box<dyn Layer<Registry> + Send + Sync> = match cli.log_format {
        cli::LogFormat::Json => fmt.json().with_filter(filter).boxed(),
        cli::LogFormat::Text => fmt
            .with_ansi(
                std::env::var_os("NO_COLOR").is_none()
                    && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            )
            .with_filter(filter)
            .boxed(),
    };
    #[cfg_attr(
        not(feature = "otel"),
        expect(unused_mut, reason = "only the otel feature adds a layer")
    )]
    let mut layers = vec![fmt];
    #[cfg(feature = "otel")]
    let otel = otel::layer().map(|(layer, guard)| {
        layers.push(layer);
        guard
    });
    let _ = tracing_subscriber::registry().with(layers).try_init();
    Telemetry {
        #[cfg(feature = "otel")]
        _otel: otel,
    }
}

/// Print an error as one line, its causes (`caused by: …`, one per line: libgit2's
/// message, the provider set-up reason, the I/O error), then the hint; pick its exit
/// code.
pub(crate) fn report_error(e: &anyhow::Error) -> i32 {
    let mut causes: Vec<String> = e.chain().skip(1).map(ToString::to_string).collect();
    if let Some(err) = e.downcast_ref::<director::Error>() {
        // A transparent wrapper repeats its source's message as its own.
        causes.retain(|c| *c != err.to_string());
        eprintln!("error: {err}");
        print_causes(&causes);
        if let Some(hint) = err.hint() {
            eprintln!("hint: {hint}");
        }
        return if err.is_user_error() {
            exit::USAGE
        } else {
            exit::INTERNAL
        };
    }
    eprintln!("error: {e}");
    print_causes(&causes);
    exit::INTERNAL
}

fn print_causes(causes: &[String]) {
    let mut last: Option<&str> = None;
    for cause in causes {
        // Error types that print their source inline would repeat it; skip repeats.
        if last.is_some_and(|l| l.contains(cause.as_str())) {
            continue;
        }
        eprintln!("caused by: {}", cause.replace('\n', " "));
        last = Some(cause);
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    let repo = cli.repo.clone();
    commands::trust_worktree(cli.trust_worktree_config);
    match cli.command {
        Command::Verify(args) => commands::verify::run(&repo, args).await,
        Command::Schema { record } => commands::misc::schema(record),
        Command::Task(cmd) => commands::task::run(&repo, cmd),
        Command::Directors(cmd) => commands::directors::run(&repo, cmd),
        Command::Baseline(cmd) => commands::baseline::run(&repo, cmd).await,
        Command::Runs(cmd) => commands::misc::runs(&repo, cmd),
        Command::Config(cmd) => commands::misc::config(&repo, cmd),
        Command::Context(args) => commands::misc::context(&repo, args).await,
        Command::Evidence(args) => commands::misc::evidence(&repo, args).await,
        Command::Init(args) => commands::init::run(&repo, args),
        Command::Mcp(args) => commands::mcp::run(&repo, args).await,
        Command::Doctor(args) => commands::doctor::run(&repo, args).await,
        Command::Hook(args) => commands::hook::run(&repo, args).await,
        Command::Eval(args) => commands::eval::run(args).await,
    }
}
