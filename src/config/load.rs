//! Reading cluster.yml: every error is one line naming file:line:column, and an unknown key
//! comes with a "did you mean" hint built from the keys that are valid at that spot.
use super::rke_reading;
use super::schema::ClusterConfig;
use super::yaml_v2;
use serde::de::DeserializeSeed;
use serde_yaml::Value;
use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};

/// An error in the user's input, printed as `file:line:column: message`.
#[derive(Debug)]
pub struct InputError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

impl InputError {
    pub fn at(file: &Path, loc: Option<(usize, usize)>, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            line: loc.map(|l| l.0),
            column: loc.map(|l| l.1),
            message: message.into(),
        }
    }
}

/// Parses as RKE1 read the file (see `rke_reading`), with unknown keys that are not near-typos
/// ignored; the warnings are returned by `parse_with`.
pub fn parse(path: &Path, text: &str) -> Result<ClusterConfig, InputError> {
    parse_with(path, text, false).map(|(c, _)| c)
}

/// The file's tree as yaml.v2 read it: the first non-empty document (a trailing `---` or empty
/// document is allowed), repeated keys merged (`yaml_v2`), merge keys applied. Returns the
/// repeated keys too.
fn read_tree(path: &Path, text: &str) -> Result<(Value, Vec<String>), InputError> {
    let located = |e: serde_yaml::Error| {
        let loc = e.location().map(|l| (l.line(), l.column()));
        InputError::at(path, loc, explain(&e.to_string()))
    };
    let duplicates = RefCell::new(Vec::new());
    let mut tree = Value::Null;
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = yaml_v2::Tree { duplicates: &duplicates, path: String::new() }.deserialize(doc).map_err(located)?;
        if tree.is_null() {
            tree = v;
        }
    }
    tree.apply_merge().map_err(located)?;
    Ok((tree, duplicates.into_inner()))
}

/// Where a repeated key is written the first and the second time: the first two lines that set
/// its last segment at the same indentation.
fn locate_duplicate(text: &str, path: &str) -> Option<((usize, usize), (usize, usize))> {
    let key = path.rsplit('.').next()?;
    let mut first: Option<(usize, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start().trim_start_matches("- ");
        if t.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':')) {
            let col = line.find(key)? + 1;
            match first {
                Some(f) if f.1 == col => return Some((f, (i + 1, col))),
                Some(_) => {}
                None => first = Some((i + 1, col)),
            }
        }
    }
    None
}

/// Parses with RKE1's reading rules. Returns the config and the warnings (each
/// `file:line:column: ...`). `strict` turns every unknown key into an error.
pub fn parse_with(path: &Path, text: &str, strict: bool) -> Result<(ClusterConfig, Vec<String>), InputError> {
    if text.trim().is_empty() {
        return Err(InputError::at(path, None, "the file is empty: it needs at least a `nodes:` list"));
    }
    let (mut tree, duplicates) = read_tree(path, text)?;
    if !tree.is_mapping() {
        return Err(InputError::at(path, Some((1, 1)), "the file is not a YAML mapping: it needs at least a `nodes:` list"));
    }
    let mut warnings = Vec::new();
    for d in duplicates {
        let (first, second) = match locate_duplicate(text, &d) {
            Some((f, s)) => (Some(s), format!(" (first set at line {}, again at line {})", f.0, s.0)),
            None => (None, String::new()),
        };
        let msg = format!("duplicate key `{d}`{second}: read as RKE1 read it, the later value wins and a repeated mapping is merged");
        if strict {
            return Err(InputError::at(path, first, format!("duplicate key `{d}`{second} (--strict refuses duplicates)")));
        }
        warnings.push(InputError::at(path, first, msg).to_string());
    }
    let read = rke_reading::normalize(&mut tree, text).map_err(|(loc, msg)| InputError::at(path, Some(loc), msg))?;
    if strict && let Some((loc, w)) = read.first() {
        return Err(InputError::at(path, *loc, format!("{w} (--strict)")));
    }
    warnings.extend(read.into_iter().map(|(loc, w)| InputError::at(path, loc, w).to_string()));
    // Each round either parses or drops one unknown key, so the loop ends.
    loop {
        let canonical = serde_yaml::to_string(&tree).map_err(|e| InputError::at(path, None, e.to_string()))?;
        let e = match serde_yaml::from_str::<ClusterConfig>(&canonical) {
            Ok(c) => return Ok((c, warnings)),
            Err(e) => e.to_string(),
        };
        let msg = explain(&e);
        let Some(u) = UnknownKey::from_message(&e) else {
            // the position in the canonical text is not the user's: find the key in theirs
            let key = msg.split(':').next().unwrap_or_default().rsplit(['.', ']']).next().unwrap_or_default();
            let key = key.split('[').next().unwrap_or_default();
            let loc = if key.is_empty() || key.contains(' ') { None } else { locate(text, key, "", 0) };
            return Err(InputError::at(path, loc, msg));
        };
        let loc = locate(text, &u.key, "", 0);
        if strict || u.near.is_some() {
            let why = if u.near.is_some() { "" } else { " (--strict refuses unknown keys)" };
            return Err(InputError::at(path, loc, format!("{msg}{why}")));
        }
        if !rke_reading::remove_at(&mut tree, &u.path, &u.key) {
            return Err(InputError::at(path, loc, msg));
        }
        let full = if u.path.is_empty() { u.key.clone() } else { format!("{}.{}", u.path, u.key) };
        warnings.push(InputError::at(path, loc, format!("unknown key `{full}` ignored, as RKE1 ignored it (--strict refuses it)")).to_string());
    }
}

/// An unknown key named by serde: where it is, and the valid key one or two edits away if any.
struct UnknownKey {
    path: String,
    key: String,
    near: Option<String>,
}

impl UnknownKey {
    fn from_message(raw: &str) -> Option<Self> {
        let msg = raw.lines().next()?;
        let i = msg.find("unknown field `")?;
        let path = msg[..i].trim_end().trim_end_matches(':').to_string();
        let rest = &msg[i + "unknown field `".len()..];
        let key = rest.split('`').next()?.to_string();
        let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        let near = closest(&key, &expected).map(str::to_string);
        Some(UnknownKey { path, key, near })
    }
}

/// Turns serde's message into one line with a hint: strips the location serde appends (we
/// print our own in front) and, for an unknown key, suggests the nearest valid key.
fn explain(raw: &str) -> String {
    let msg = match raw.find(" at line ") {
        Some(i) => raw[..i].to_string(),
        None => raw.to_string(),
    };
    let msg = msg.lines().next().unwrap_or_default().to_string();
    if let Some(i) = msg.find("unknown field `") {
        let (path, rest) = msg.split_at(i);
        let rest = &rest["unknown field `".len()..];
        let key = rest.split('`').next().unwrap_or_default();
        let expected: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
        let hint = match closest(key, &expected) {
            Some(k) => format!(" (did you mean `{k}`?)"),
            None if !expected.is_empty() => format!(" (valid keys here: {})", expected.join(", ")),
            None => String::new(),
        };
        return format!("{path}unknown key `{key}`{hint}");
    }
    msg
}

/// The candidate within a small edit distance of `key`, if any.
pub fn closest<'a>(key: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // one or two edits: almost certainly a typo of that key
    let limit = 2;
    candidates
        .iter()
        .map(|c| (edit_distance(key, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Best-effort position of the `nth` (0-based) `key: value` pair in the raw text, for errors
/// found after parsing (duplicates, bad values). Returns 1-based line and column of the value.
pub fn locate(text: &str, key: &str, value: &str, nth: usize) -> Option<(usize, usize)> {
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start().trim_start_matches("- ");
        let Some(rest) = t.strip_prefix(key) else { continue };
        let Some(v) = rest.trim_start().strip_prefix(':') else { continue };
        let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
        let v = v.split(" #").next().unwrap_or(v).trim();
        if v == value || value.is_empty() {
            if seen == nth {
                let col = line.find(key).map(|c| c + 1).unwrap_or(1);
                return Some((i + 1, col));
            }
            seen += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("cluster.yml"), text).unwrap_err().to_string()
    }

    #[test]
    fn unknown_top_level_key_has_location_and_hint() {
        let e = err("nodes:\n  - address: 1.2.3.4\n    user: root\n    role: [etcd]\nnetwrok:\n  plugin: canal\n");
        assert_eq!(e, "cluster.yml:5:1: unknown key `netwrok` (did you mean `network`?)");
    }

    #[test]
    fn unknown_node_key_has_hint() {
        let e = err("nodes:\n  - address: 1.2.3.4\n    usr: root\n");
        assert_eq!(e, "cluster.yml:3:5: nodes[0]: unknown key `usr` (did you mean `user`?)");
    }

    #[test]
    fn malformed_yaml_is_located() {
        let e = err("nodes:\n  - address: [1.2.3.4\n    user: root\n");
        assert!(e.starts_with("cluster.yml:"), "{e}");
        assert!(e.split(':').nth(1).unwrap().parse::<usize>().is_ok(), "{e}");
        assert_eq!(e.lines().count(), 1);
    }

    #[test]
    fn rke_service_names_parse() {
        let c = parse(
            Path::new("c.yml"),
            "nodes: []\nservices:\n  kube-api:\n    service_cluster_ip_range: 10.43.0.0/16\n  kube-controller:\n    cluster_cidr: 10.42.0.0/16\n  etcd:\n    backup_config:\n      s3backupconfig:\n        secret_key: abc\n",
        )
        .unwrap();
        assert_eq!(c.services.kube_controller.cluster_cidr.as_deref(), Some("10.42.0.0/16"));
        let s3 = c.services.etcd.backup_config.unwrap().s3backupconfig.unwrap();
        assert_eq!(format!("{:?}", s3.secret_key), "Some(<redacted>)");
    }

    #[test]
    fn locate_finds_nth_occurrence() {
        let t = "nodes:\n  - address: a\n  - address: b\n  - address: a\n";
        assert_eq!(locate(t, "address", "a", 1), Some((4, 5)));
    }
}
