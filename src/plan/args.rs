//! Command-line flags the way RKE builds them: the component's own defaults, then RKE1's
//! per-version service options, then the user's `extra_args` (an empty value removes a flag),
//! rendered sorted as `--key=value`, then `extra_args_array` as repeated flags.
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Flags(BTreeMap<String, String>);

impl Flags {
    pub fn set(&mut self, k: &str, v: impl Into<String>) -> &mut Self {
        self.0.insert(k.to_string(), v.into());
        self
    }

    /// Layers a map over the current flags; an empty value removes the flag (RKE's rule).
    pub fn layer(&mut self, over: &BTreeMap<String, String>) -> &mut Self {
        for (k, v) in over {
            if v.is_empty() {
                self.0.remove(k);
            } else {
                self.0.insert(k.clone(), v.clone());
            }
        }
        self
    }

    /// Appends `,value` to the first of `keys` that is set (RKE1 adds admission plugins to
    /// whichever of `enable-admission-plugins` / the older `admission-control` the options use).
    pub fn append_to_first(&mut self, keys: &[&str], value: &str) -> &mut Self {
        if let Some(k) = keys.iter().find(|k| self.0.contains_key(**k)) {
            let v = self.0.entry(k.to_string()).or_default();
            v.push(',');
            v.push_str(value);
        }
        self
    }

    /// `--k=v` sorted by key, then every `extra_args_array` value as its own `--k=v`.
    pub fn render(&self, arrays: &BTreeMap<String, Vec<String>>) -> Vec<String> {
        let mut out: Vec<String> = self.0.iter().map(|(k, v)| format!("--{k}={v}")).collect();
        for (k, values) in arrays {
            out.extend(values.iter().map(|v| format!("--{k}={v}")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn empty_value_removes_and_arrays_repeat() {
        let mut f = Flags::default();
        f.set("b", "1").set("a", "2");
        f.layer(&BTreeMap::from([("b".to_string(), String::new()), ("c".to_string(), "3".to_string())]));
        let arrays = BTreeMap::from([("x".to_string(), vec!["1".to_string(), "2".to_string()])]);
        assert_eq!(f.render(&arrays), vec!["--a=2", "--c=3", "--x=1", "--x=2"]);
    }
}
