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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return exit::INTERNAL;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => report_error(&e),
    }
}

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

/// Print an error as one line plus a hint, and pick its exit code.
fn report_error(e: &anyhow::Error) -> i32 {
    if let Some(err) = e.downcast_ref::<director::Error>() {
        eprintln!("error: {err}");
        if let Some(hint) = err.hint() {
            eprintln!("hint: {hint}");
        }
        return if err.is_user_error() {
            exit::USAGE
        } else {
            exit::INTERNAL
        };
    }
    eprintln!("error: {e:#}");
    exit::INTERNAL
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
        Command::Eval(args) => commands::eval::run(args).await,
    }
}
