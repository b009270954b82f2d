//! `transmem token`: API tokens for `transmem serve`.
//!
//! A token is 32 random bytes from the OS, shown once as 64 hex digits; the
//! memory keeps only its SHA-256, so a copy of the memory (or a backup)
//! cannot be used to call the server.

use std::io::Write;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};

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

impl From<Role> for transmem::tm::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Read => transmem::tm::Role::Read,
            Role::Write => transmem::tm::Role::Write,
            Role::Admin => transmem::tm::Role::Admin,
        }
    }
}

/// How long a server remembers a token's role: a revoked token stops
/// working within this many seconds (`transmem serve`'s token cache).
const TOKEN_CACHE_SECS: u64 = 5;

pub fn run(args: Args, g: &Global) -> anyhow::Result<u8> {
    let mut out = stdout();
    match args.action {
        Action::Create { role, name } => {
            let mut tm = g.open(true)?;
            let secret = super::new_secret()?;
            let role = transmem::tm::Role::from(role);
            // Only the hash is stored (on a server: only the hash is sent).
            let id = tm
                .add_token(&super::token_hash(&secret), role, name.as_deref())
                .context("storing the token")?;
            writeln!(out, "{secret}")?;
            out.flush()?;
            eprintln!(
                "stored {} token #{id} (its SHA-256 only) in {}; keep the token: it is not shown again",
                role.as_str(),
                tm.location()
            );
        }
        Action::List => {
            let tm = g.open(false)?;
            for t in tm.tokens()? {
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
            let mut tm = g.open(false)?;
            if !tm.revoke_token(id)? {
                anyhow::bail!("no token #{id} in {}", tm.location());
            }
            eprintln!(
                "revoked token #{id} in {} (servers stop accepting it within {TOKEN_CACHE_SECS} s)",
                tm.location()
            );
        }
    }
    Ok(0)
}
