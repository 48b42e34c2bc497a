//! OpenTelemetry export of tracing spans (cargo feature `otel`, off by default).
//!
//! When `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
//! set, spans at `info` and above — each Director call is a `director_call` span
//! carrying director, model, attempt, tokens, latency and outcome — are exported over
//! OTLP HTTP/JSON with the SDK's batch processor (its own thread and a blocking HTTP
//! client, so no protoc, gRPC stack or async runtime is involved). The other
//! standard variables (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`,
//! `OTEL_SERVICE_NAME`, ...) apply as the exporter defines them; `OTEL_TRACES_LOG`
//! overrides the span filter (default `info`). Without an endpoint nothing is set up.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// Flushes and shuts the exporter down when dropped (at the end of `main`).
pub struct OtelGuard(SdkTracerProvider);

impl Drop for OtelGuard {
    fn drop(&mut self) {
        if let Err(e) = self.0.shutdown() {
            eprintln!("director: failed to flush OpenTelemetry spans: {e}");
        }
    }
}

/// The tracing layer exporting spans, when an OTLP endpoint is configured.
pub fn layer() -> Option<(Box<dyn Layer<Registry> + Send + Sync>, OtelGuard)> {
    let configured = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
    if !configured {
        return None;
    }
    // The HTTP client is reqwest with rustls and no built-in crypto provider (as for the
    // LLM provider): install ring's before the exporter builds it. A provider that is
    // already installed stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .build()
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("director: OpenTelemetry export is off: {e}");
            return None;
        }
    };
    // Resource::builder() reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("director");
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("director");
    let filter =
        EnvFilter::try_from_env("OTEL_TRACES_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(filter)
        .boxed();
    Some((layer, OtelGuard(provider)))
}
