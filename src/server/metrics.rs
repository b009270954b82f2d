//! Prometheus text metrics at `/metrics`: requests by route and status,
//! latency histograms by route, requests in flight.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::{App, lock};

/// Histogram bucket bounds in seconds (a lookup target is 50 ms p99).
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    in_flight: AtomicI64,
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl Metrics {
    pub fn start(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn finish(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        *lock(&self.requests)
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let secs = took.as_secs_f64();
        let mut lat = lock(&self.latency);
        let h = lat.entry(route.to_string()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let esc = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
        s.push_str("# HELP transmem_http_requests_in_flight Requests being answered.\n");
        s.push_str("# TYPE transmem_http_requests_in_flight gauge\n");
        let _ = writeln!(
            s,
            "transmem_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        s.push_str("# HELP transmem_http_requests_total Requests answered, by route and status.\n");
        s.push_str("# TYPE transmem_http_requests_total counter\n");
        for ((m, r, st), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                s,
                "transmem_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{st}\"}} {n}",
                esc(m),
                esc(r)
            );
        }
        s.push_str("# HELP transmem_http_request_duration_seconds Time to answer, by route.\n");
        s.push_str("# TYPE transmem_http_request_duration_seconds histogram\n");
        for (r, h) in lock(&self.latency).iter() {
            let r = esc(r);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "transmem_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                s,
                "transmem_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                s,
                "transmem_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                s,
                "transmem_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                h.count
            );
        }
        s
    }
}

pub async fn serve(State(app): State<App>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.inner().metrics.render(),
    )
}
