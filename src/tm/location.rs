//! Where a memory lives: a file, a PostgreSQL database or a team server,
//! told apart by the form of what the user wrote.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Local, Tm};
use crate::error::{Error, Result};
use crate::memory::Memory;

/// Where a memory lives, as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A memory file (SQLite).
    File(PathBuf),
    /// A PostgreSQL database: `postgresql://…` or `postgres://…`.
    Database(String),
    /// A `transmem serve`: `http://…` or `https://…`.
    Server(String),
}

impl Location {
    /// The location `s` names: a URL by its scheme (any case), else a path.
    pub fn parse(s: &str) -> Location {
        let t = s.trim();
        let lower = t.to_ascii_lowercase();
        if Memory::is_database_url(t) {
            Location::Database(t.to_string())
        } else if lower.starts_with("http://") || lower.starts_with("https://") {
            Location::Server(t.trim_end_matches('/').to_string())
        } else {
            Location::File(PathBuf::from(s))
        }
    }

    /// The memory file, for a file location.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            _ => None,
        }
    }

    /// True for a server.
    pub fn is_server(&self) -> bool {
        matches!(self, Location::Server(_))
    }

    /// How messages name it: a file by its absolute path, a URL as given
    /// with any password replaced by `***`.
    pub fn shown(&self) -> String {
        match self {
            Location::File(p) => std::path::absolute(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string(),
            Location::Database(u) | Location::Server(u) => redact(u),
        }
    }

    /// Opens the memory here. With `create`, a missing file or database
    /// memory is created; without, it is [`Error::NotFound`] (a reading
    /// command never creates one). A server is reached with `token`; its
    /// memory exists whenever the server runs.
    pub fn open(&self, create: bool, token: Option<&str>) -> Result<Box<dyn Tm>> {
        match self {
            Location::File(p) => {
                let mem = if create {
                    Memory::open(p)?
                } else {
                    Memory::open_existing(p)?
                };
                Ok(Box::new(Local::new(mem, self.clone())))
            }
            Location::Database(url) => {
                let mem = if create {
                    Memory::open_database(url)?
                } else {
                    Memory::open_database_existing(url)?
                };
                Ok(Box::new(Local::new(mem, self.clone())))
            }
            #[cfg(feature = "remote")]
            Location::Server(url) => Ok(Box::new(crate::remote::Remote::new(url, token)?)),
            #[cfg(not(feature = "remote"))]
            Location::Server(url) => {
                let _ = token;
                Err(Error::Invalid(format!(
                    "{}: this build of transmem has no HTTP client (feature `remote`)",
                    redact(url)
                )))
            }
        }
    }

    /// Opens the memory here as a [`Memory`] (a file or a database): what
    /// a server serves. A server location is [`Error::Invalid`].
    pub fn open_memory(&self, create: bool) -> Result<Memory> {
        match self {
            Location::File(p) if create => Memory::open(p),
            Location::File(p) => Memory::open_existing(p),
            Location::Database(u) if create => Memory::open_database(u),
            Location::Database(u) => Memory::open_database_existing(u),
            Location::Server(u) => Err(Error::Invalid(format!(
                "{} is a transmem server, not a memory file or database",
                redact(u)
            ))),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())
    }
}

/// A URL with any password replaced by `***` (`scheme://user:***@host/…`).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (auth, tail) = rest.split_at(end);
    match auth.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}{tail}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_decides_the_kind() {
        assert_eq!(
            Location::parse("team.sqlite"),
            Location::File("team.sqlite".into())
        );
        assert_eq!(
            Location::parse("postgresql://u@h/db"),
            Location::Database("postgresql://u@h/db".into())
        );
        assert_eq!(
            Location::parse("Postgres://u@h/db"),
            Location::Database("Postgres://u@h/db".into())
        );
        assert_eq!(
            Location::parse("HTTPS://tm.example.org/"),
            Location::Server("HTTPS://tm.example.org".into())
        );
        assert_eq!(
            Location::parse("http://127.0.0.1:8080"),
            Location::Server("http://127.0.0.1:8080".into())
        );
        // A file that merely mentions a scheme is a file.
        assert_eq!(
            Location::parse("./http://x"),
            Location::File("./http://x".into())
        );
    }

    #[test]
    fn passwords_are_never_shown() {
        assert_eq!(
            Location::parse("postgresql://ann:s3cret@db:5432/tm?x=1").shown(),
            "postgresql://ann:***@db:5432/tm?x=1"
        );
        assert_eq!(
            Location::parse("https://bot:pw@tm.example.org/api").shown(),
            "https://bot:***@tm.example.org/api"
        );
        assert_eq!(redact("http://host:8080/x@y"), "http://host:8080/x@y");
        assert!(Location::parse("m.sqlite").shown().ends_with("m.sqlite"));
        assert!(std::path::Path::new(&Location::parse("m.sqlite").shown()).is_absolute());
    }

    #[test]
    fn a_server_is_not_a_memory_to_serve() {
        let e = Location::parse("http://127.0.0.1:1")
            .open_memory(true)
            .unwrap_err();
        assert!(e.to_string().contains("is a transmem server"), "{e}");
    }
}
