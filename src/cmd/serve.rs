//! `transmem serve`: the memory over HTTP, for a team and for CAT tools.
//! Glue only: the options become a [`transmem::server::Config`], the
//! library's server does the rest (src/server/).

use std::time::Duration;

use transmem::server::{Config, Limits, Server};

use super::Global;

/// Serve the memory over HTTP: JSON API, tmserver protocol, review pages
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  transmem serve --listen 127.0.0.1:8080\n  \
    transmem serve --listen 127.0.0.1:8080 --anonymous-read   (Weblate without a token)\n\n\
    Create tokens with `transmem token create --role read|write|admin`; \
    put TLS in a reverse proxy (docs/server.md).")]
pub struct Args {
    /// Address and port to listen on (port 0: any free port, printed on stderr)
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: String,
    /// Lookups and the tmserver endpoints need no token
    #[arg(long)]
    pub anonymous_read: bool,
    /// Largest JSON request body, in bytes
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_body_bytes: usize,
    /// Largest import upload, in bytes
    #[arg(long, default_value_t = 512 << 20, value_name = "BYTES")]
    pub max_upload_bytes: u64,
    /// Longest a request may take, in seconds (imports and exports excepted)
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub request_timeout: u64,
    /// Longest an import or export may take, in seconds
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    pub transfer_timeout: u64,
    /// Longest a client may take to send a request's line and headers, in
    /// seconds; a slower connection is closed
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub header_timeout: u64,
    /// Most connections served at once; more wait, and the oldest one that
    /// has not sent a whole request head yet is closed for them
    #[arg(long, default_value_t = 512, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// On SIGTERM, how long requests in flight may take to finish, in
    /// seconds (idle and half-sent connections are closed at once)
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    pub drain_timeout: u64,
    /// Most language directions whose matcher is kept loaded (each holds
    /// open files and its index); the least recently used is closed first
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_matchers: u32,
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let location = g.location()?;
    let memory = location.open_memory(true)?;
    let config = Config {
        listen: args.listen,
        anonymous_read: args.anonymous_read,
        limits: Limits {
            body: args.max_body_bytes,
            upload: args.max_upload_bytes,
            request: Duration::from_secs(args.request_timeout),
            transfer: Duration::from_secs(args.transfer_timeout),
            header: Duration::from_secs(args.header_timeout),
            connections: args.max_connections as usize,
            drain: Duration::from_secs(args.drain_timeout),
            matchers: args.max_matchers as usize,
        },
    };
    let server = Server::bind(config, memory, &location)?;
    eprintln!(
        "transmem serve: listening on http://{} (memory {location}){}",
        server.local_addr()?,
        if args.anonymous_read {
            "; lookups and tmserver open to anonymous read"
        } else {
            ""
        }
    );
    server.run()?;
    eprintln!("transmem serve: stopped");
    Ok(0)
}
