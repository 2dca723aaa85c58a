//! Prometheus metrics (`metrics.listen`): a registry owned by the binary,
//! the HTTP middleware that counts requests per route template and status,
//! the app's counters (`orthrus_app::metrics`) and figures read from the
//! database at scrape time, served on their own listener behind an
//! optional bearer token.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use orthrus_app::App;
use orthrus_core::SecretString;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::{Arc, Mutex};

type Labels = Vec<(&'static str, String)>;

/// Request counts and latencies, labelled by the matched route template
/// (`/api/v1/accounts/{id}`, never the raw path: bounded cardinality).
#[derive(Clone)]
pub struct HttpMetrics {
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram>,
}

fn latency_histogram() -> Histogram {
    // 5 ms to ~10 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 12))
}

/// The methods the router serves; anything else is one label value.
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts one request; the route is the template axum matched, or
/// `unmatched` for the fallback (404s for made-up paths).
pub async fn track(State(m): State<HttpMetrics>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(req.method());
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    let took = started.elapsed().as_secs_f64();
    m.requests
        .get_or_create(&vec![
            ("route", route.clone()),
            ("method", method.to_owned()),
            ("status", response.status().as_u16().to_string()),
        ])
        .inc();
    m.latency
        .get_or_create(&vec![("route", route), ("method", method.to_owned())])
        .observe(took);
    response
}

/// The app's counters and the database's figures, read at each scrape.
#[derive(Debug)]
struct AppCollector {
    app: AppHandle,
    /// The database figures of the scrape under way (filled just before
    /// encoding, which is synchronous).
    stats: Arc<Mutex<Option<(orthrus_store::OpsStats, f64, i64)>>>,
}

/// `App` without a `Debug` the collector trait wants.
struct AppHandle(App);

impl std::fmt::Debug for AppHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("App")
    }
}

fn gauge(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    values: &[(Labels, i64)],
) -> Result<(), std::fmt::Error> {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, v) in values {
        if labels.is_empty() {
            ConstGauge::new(*v).encode(m.encode_family(&Vec::<(&str, String)>::new())?)?;
        } else {
            ConstGauge::new(*v).encode(m.encode_family(labels)?)?;
        }
    }
    Ok(())
}

impl Collector for AppCollector {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        for f in self.app.0.metrics().families() {
            let mut m = enc.encode_descriptor(f.name, f.help, None, MetricType::Counter)?;
            for (value, n) in &f.values {
                let labels: Labels = f
                    .label
                    .map(|l| vec![(l, (*value).to_owned())])
                    .unwrap_or_default();
                ConstCounter::new(*n).encode(m.encode_family(&labels)?)?;
            }
        }
        let stats = self.stats.lock().ok().and_then(|s| s.clone());
        gauge(
            &mut enc,
            "orthrus_database_up",
            "1 when the database answered this scrape's queries",
            &[(vec![], i64::from(stats.is_some()))],
        )?;
        let Some((s, took, now_ms)) = stats else {
            return Ok(());
        };
        gauge(
            &mut enc,
            "orthrus_inbox_messages",
            "Messages kept in the shared inbox (email and SMS)",
            &[(vec![], s.inbox_messages)],
        )?;
        gauge(
            &mut enc,
            "orthrus_inbox_bytes",
            "Sealed size of the messages kept in the shared inbox",
            &[(vec![], s.inbox_bytes)],
        )?;
        let labels = |kind: &String, state: &orthrus_core::JobState| {
            vec![("kind", kind.clone()), ("state", state.as_str().to_owned())]
        };
        let jobs: Vec<(Labels, i64)> = s
            .jobs
            .iter()
            .map(|(kind, state, n, _)| (labels(kind, state), *n))
            .collect();
        gauge(
            &mut enc,
            "orthrus_jobs",
            "Automation jobs kept, by kind and state",
            &jobs,
        )?;
        let durations: Vec<(Labels, i64)> = s
            .jobs
            .iter()
            .filter(|(_, _, _, ms)| *ms > 0)
            .map(|(kind, state, _, ms)| (labels(kind, state), ms / 1000))
            .collect();
        gauge(
            &mut enc,
            "orthrus_jobs_duration_seconds",
            "Time the kept finished jobs took from request to end, summed by kind and state (divide by orthrus_jobs for the mean)",
            &durations,
        )?;
        gauge(
            &mut enc,
            "orthrus_job_queue_depth",
            "Queued automation jobs that are due (a worker could take them now)",
            &[(vec![], s.queue_depth)],
        )?;
        let age = s.oldest_due.map_or(0, |t| ((now_ms - t.0) / 1000).max(0));
        gauge(
            &mut enc,
            "orthrus_job_queue_oldest_age_seconds",
            "How long the longest-waiting due job has waited (0: none waits)",
            &[(vec![], age)],
        )?;
        let busy = i64::from(s.pool_size.saturating_sub(s.pool_idle));
        gauge(
            &mut enc,
            "orthrus_db_pool_connections",
            "Database connections this node holds, by state",
            &[
                (vec![("state", "busy".to_owned())], busy),
                (vec![("state", "idle".to_owned())], i64::from(s.pool_idle)),
            ],
        )?;
        gauge(
            &mut enc,
            "orthrus_db_pool_max_connections",
            "The most database connections this node opens",
            &[(vec![], i64::from(s.pool_max))],
        )?;
        let mut m = enc.encode_descriptor(
            "orthrus_db_scrape_query_seconds",
            "How long this scrape's database queries took (a probe of query latency)",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(took).encode(m.encode_family(&Vec::<(&str, String)>::new())?)?;
        Ok(())
    }
}

/// The registry and what the `/metrics` handler needs.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    app: App,
    stats: Arc<Mutex<Option<(orthrus_store::OpsStats, f64, i64)>>>,
    token: SecretString,
    /// One scrape at a time (the database figures are shared).
    scrape: Arc<tokio::sync::Mutex<()>>,
    pub http: HttpMetrics,
}

impl Metrics {
    pub fn new(app: &App, token: SecretString) -> Self {
        let http = HttpMetrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
        };
        let stats = Arc::new(Mutex::new(None));
        let mut registry = Registry::default();
        registry.register(
            "orthrus_http_requests",
            "HTTP requests by route template, method and status",
            http.requests.clone(),
        );
        registry.register(
            "orthrus_http_request_duration_seconds",
            "HTTP request latency by route template and method",
            http.latency.clone(),
        );
        registry.register_collector(Box::new(AppCollector {
            app: AppHandle(app.clone()),
            stats: Arc::clone(&stats),
        }));
        Self {
            registry: Arc::new(registry),
            app: app.clone(),
            stats,
            token,
            scrape: Arc::new(tokio::sync::Mutex::new(())),
            http,
        }
    }

    /// The metrics listener's router: `GET /metrics` only.
    pub fn router(self) -> axum::Router {
        axum::Router::new()
            .route("/metrics", axum::routing::get(scrape))
            .with_state(self)
    }
}

fn authorized(token: &SecretString, headers: &HeaderMap) -> bool {
    let want = token.expose();
    if want.is_empty() {
        return true;
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    orthrus_crypto::constant_time_eq(want, given.trim())
}

async fn scrape(State(m): State<Metrics>, headers: HeaderMap) -> Response {
    if !authorized(&m.token, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a metrics token is required\n",
        )
            .into_response();
    }
    let _one = m.scrape.lock().await;
    let started = std::time::Instant::now();
    let figures = match m.app.ops_stats().await {
        Ok(s) => Some((s, started.elapsed().as_secs_f64(), m.app.now().0)),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database figures could not be read");
            None
        }
    };
    if let Ok(mut s) = m.stats.lock() {
        *s = figures;
    }
    let mut body = String::new();
    if let Err(e) = prometheus_client::encoding::prometheus_text::encode(&mut body, &m.registry) {
        tracing::warn!(error = %e, "metrics: encoding failed");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
