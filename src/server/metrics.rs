//! Metrics at `/metrics` through the official Prometheus client
//! (`prometheus-client`, OpenMetrics text): requests by method, route and
//! status, latency histograms by route, requests in flight.
//!
//! Every label a client controls comes from a fixed set, so a flood of
//! made-up methods or paths cannot grow the exposition or the memory: the
//! method is one of [`METHODS`] or "other", the route one of the served
//! route templates or "(no route)".

use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::App;

/// Histogram bucket bounds in seconds (a lookup target is 50 ms p99).
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// The methods counted by name; any other is counted as "other".
pub(crate) const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The route label of a request that matched no route.
const NO_ROUTE: &str = "(no route)";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

type Histograms = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The server's counters.
pub struct Metrics {
    registry: Registry,
    in_flight: Gauge,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::default();
        let in_flight = Gauge::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Histograms = Family::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register(
            "transmem_http_requests_in_flight",
            "Requests being answered",
            in_flight.clone(),
        );
        // A counter's samples get the `_total` suffix.
        registry.register(
            "transmem_http_requests",
            "Requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "transmem_http_request_duration_seconds",
            "Time to answer, by route",
            latency.clone(),
        );
        Metrics {
            registry,
            in_flight,
            requests,
            latency,
        }
    }
}

/// `method` as a label: its name if it is one of [`METHODS`], else "other".
fn method_label(method: &str) -> &'static str {
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}

/// `route` as a label: the served route template it names, else "(no route)".
fn route_label(route: &str) -> &'static str {
    super::ROUTES
        .iter()
        .find(|r| r.path == route)
        .map(|r| r.path)
        .unwrap_or(NO_ROUTE)
}

impl Metrics {
    pub fn start(&self) {
        self.in_flight.inc();
    }

    pub fn finish(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.in_flight.dec();
        let route = route_label(route);
        self.requests
            .get_or_create(&RequestLabels {
                method: method_label(method),
                route,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(took.as_secs_f64());
    }

    /// The OpenMetrics text exposition (Prometheus reads it).
    pub fn render(&self) -> String {
        let mut s = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut s, &self.registry) {
            // Writing to a String fails only on a broken Display impl.
            s = format!("# metrics could not be encoded: {e}\n# EOF\n");
        }
        s
    }
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    summary = "Prometheus text metrics",
    responses((status = 200, description = "OpenMetrics 1.0 text (prometheus-client)", body = String, content_type = "application/openmetrics-text"))
)]
pub async fn serve(State(app): State<App>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.inner().metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_controlled_labels_come_from_a_fixed_set() {
        let m = Metrics::default();
        for i in 0..500 {
            m.start();
            m.finish(
                &format!("M{i}"),
                &format!("/made/up/{i}"),
                404,
                Duration::ZERO,
            );
        }
        m.start();
        m.finish("GET", "/api/v1/health", 200, Duration::from_millis(2));
        let text = m.render();
        assert!(text.len() < 4096, "{} bytes:\n{text}", text.len());
        assert!(text.contains(
            "transmem_http_requests_total{method=\"other\",route=\"(no route)\",status=\"404\"} 500"
        ));
        assert!(text.contains(
            "transmem_http_requests_total{method=\"GET\",route=\"/api/v1/health\",status=\"200\"} 1"
        ));
        assert!(
            text.contains("transmem_http_requests_in_flight 0"),
            "{text}"
        );
    }
}
