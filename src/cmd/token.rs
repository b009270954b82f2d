//! `transmem token`: API tokens for `transmem serve`.
//!
//! A token is 32 random bytes from the OS, shown once as 64 hex digits; the
//! memory keeps only its SHA-256, so a copy of the memory (or a backup)
//! cannot be used to call the server.

use std::io::Write;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use sha2::{Digest, Sha256};

use super::{Global, stdout};

/// Create, list and revoke API tokens of `transmem serve`
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do with tokens.
#[derive(Subcommand, Debug)]
pub enum Action {
    /// Create a token and print it (it is shown only this once)
    Create {
        /// read: lookups, concordance, export, stats; write: also add and
        /// import units; admin: everything
        #[arg(long, value_enum)]
        role: Role,
        /// A label for people (who or what uses the token)
        #[arg(long)]
        name: Option<String>,
    },
    /// List tokens (id, role, name, created; never the secret)
    List,
    /// Revoke a token by its id (from `token list`)
    Revoke {
        /// The token's id
        id: i64,
    },
}

/// What a token may do; each role includes the ones before it.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Read,
    Write,
    Admin,
}

impl Role {
    /// The name stored in the memory.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }

    /// A stored role name; `None` for a name this build does not know
    /// (such a token grants nothing).
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "read" => Some(Role::Read),
            "write" => Some(Role::Write),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Hex SHA-256 of a presented token: what the memory stores.
pub fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new secret: 32 bytes from the OS random source, as hex.
fn new_secret() -> anyhow::Result<String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no OS random source: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let mut out = stdout();
    match args.action {
        Action::Create { role, name } => {
            let mut mem = g.open_memory(true)?;
            let path = mem.path().to_path_buf();
            let secret = new_secret()?;
            let id = mem
                .add_token(&hash(&secret), role.as_str(), name.as_deref())
                .context("storing the token")?;
            writeln!(out, "{secret}")?;
            out.flush()?;
            let shown = std::path::absolute(&path).unwrap_or(path);
            eprintln!(
                "stored {} token #{id} (its SHA-256 only) in {}; keep the token: it is not shown again",
                role.as_str(),
                shown.display()
            );
        }
        Action::List => {
            let mem = g.open_memory(false)?;
            for t in mem.tokens()? {
                writeln!(
                    out,
                    "{:>4}  {:<5}  {}  {}",
                    t.id,
                    t.role,
                    t.created,
                    super::terminal_safe(t.name.as_deref().unwrap_or("-"))
                )?;
            }
            out.flush()?;
        }
        Action::Revoke { id } => {
            let mut mem = g.open_memory(false)?;
            let path = mem.path().to_path_buf();
            if !mem.revoke_token(id)? {
                anyhow::bail!("no token #{id} in {}", path.display());
            }
            eprintln!(
                "revoked token #{id} in {} (servers stop accepting it within {} s)",
                path.display(),
                super::serve::TOKEN_CACHE.as_secs()
            );
        }
    }
    Ok(0)
}
