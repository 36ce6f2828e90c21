//! Exit codes, and the typed errors that choose them. An error's class is decided where the
//! error is made (a refusal in `ops::up`, a bad value in `config`), carried through `anyhow`
//! unchanged, and mapped to the process's exit code in one place (`code_of`), so every command
//! keeps the same codes. The table (`CODES`) is printed by `--help`, the man page and README.md.
use std::fmt;

/// What the process's exit status says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Code {
    /// the command did what was asked (a check found nothing to report)
    Ok = 0,
    /// an operation failed: a host could not be reached, a step on a host failed, a file
    /// could not be written
    Failed = 1,
    /// the input is wrong (cluster.yml, the state file, flags), or a check command found what it
    /// checks for (`validate`: invalid; `cert check-expiration`: a certificate expires soon)
    Invalid = 2,
    /// refused as unsafe: going on could lose data or split a cluster (etcd quorum, a departed
    /// host that is a kept machine, another cluster's etcd, a changed SSH host key, ...)
    Refused = 3,
}

impl Code {
    pub fn as_i32(self) -> i32 {
        self as i32
    }
}

/// The exit codes with what each means, for `--help`, the man page and README.md.
pub const CODES: [(Code, &str); 4] = [
    (Code::Ok, "success"),
    (Code::Failed, "an operation failed (a host unreachable, a step on a host failed)"),
    (
        Code::Invalid,
        "bad input: cluster.yml, the state file or flags (nothing was changed); for checks (`validate`, `cert check-expiration`) also: the check found a problem",
    ),
    (
        Code::Refused,
        "refused as unsafe (etcd quorum, a departed host that is still a kept machine, another cluster's etcd, a dropped encryption key, an unverified or changed SSH host key, another run holding the lock, a mount below a directory to delete, a Kubernetes downgrade or a skipped minor version); nothing was changed on the host that was refused",
    ),
];

/// The table as `--help` shows it, wrapped to 100 columns.
pub fn help() -> String {
    let mut out = String::from("Exit status:\n");
    for (code, what) in CODES {
        let mut line = format!("  {} ", code.as_i32());
        for word in what.split(' ') {
            if line.len() + 1 + word.len() > 100 {
                out.push_str(&line);
                out.push('\n');
                line = "    ".to_string();
            }
            line.push(' ');
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// Bad input: cluster.yml, the state file or a flag value. Exit 2.
#[derive(Debug)]
pub struct Invalid(pub String);

/// Refused because going on would be unsafe. Exit 3.
#[derive(Debug)]
pub struct Refused(pub String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Invalid {}
impl std::error::Error for Refused {}

/// `Err(Refused)` as an `anyhow::Error`, for `return refused(...)`.
pub fn refused<T>(msg: impl Into<String>) -> anyhow::Result<T> {
    Err(Refused(msg.into()).into())
}

/// `Err(Invalid)` as an `anyhow::Error`.
pub fn invalid<T>(msg: impl Into<String>) -> anyhow::Result<T> {
    Err(Invalid(msg.into()).into())
}

/// An error about local input (a key file, an archive named by a flag) marked as bad input.
pub fn as_invalid(e: anyhow::Error) -> anyhow::Error {
    Invalid(format!("{e:#}")).into()
}

/// The exit code an error stands for: its class anywhere in its chain (context added on the
/// way up does not change it), else "failed".
pub fn code_of(err: &anyhow::Error) -> Code {
    err.chain()
        .map(|e| {
            if e.is::<Refused>() {
                Code::Refused
            } else if e.is::<Invalid>() || e.is::<crate::config::InputError>() {
                Code::Invalid
            } else {
                Code::Failed
            }
        })
        .max()
        .unwrap_or(Code::Failed)
}

/// Several hosts' errors as one, one per line, of the gravest class among them: one host
/// refused as unsafe makes the whole step a refusal.
pub fn combine(errors: Vec<anyhow::Error>) -> anyhow::Error {
    let code = errors.iter().map(code_of).max().unwrap_or(Code::Failed);
    let text = errors.iter().map(|e| format!("{e:#}")).collect::<Vec<_>>().join("\n");
    match code {
        Code::Refused => Refused(text).into(),
        Code::Invalid => Invalid(text).into(),
        _ => anyhow::anyhow!("{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn the_class_survives_context_and_combining() {
        let refused: anyhow::Error = Refused("etcd quorum".into()).into();
        assert_eq!(code_of(&refused.context("host h1")), Code::Refused);
        let input: anyhow::Error = crate::config::InputError::at(std::path::Path::new("c.yml"), Some((1, 1)), "bad").into();
        assert_eq!(code_of(&input), Code::Invalid);
        assert_eq!(code_of(&anyhow::anyhow!("ssh failed")), Code::Failed);
        let r: anyhow::Result<()> = Err(anyhow::anyhow!("x")).context("y");
        assert_eq!(code_of(&r.unwrap_err()), Code::Failed);
        let both = combine(vec![anyhow::anyhow!("h1: timeout"), Refused("h2: mounted inside".into()).into()]);
        assert_eq!(code_of(&both), Code::Refused);
        assert_eq!(format!("{both:#}"), "h1: timeout\nh2: mounted inside");
        assert_eq!(code_of(&combine(vec![anyhow::anyhow!("a")])), Code::Failed);
    }
}
