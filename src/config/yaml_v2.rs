//! The YAML tree as yaml.v2 (RKE1's reader) built it when a key is repeated in one mapping: a
//! later scalar or list wins, a repeated mapping (a second `services:` block) is merged into the
//! first. serde_yaml's own `Value` refuses duplicates, hence this visitor.
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_yaml::{Mapping, Value};
use std::cell::RefCell;
use std::fmt;

/// Collects the repeated keys (as `path.key`) while building the tree.
pub struct Tree<'a> {
    pub duplicates: &'a RefCell<Vec<String>>,
    pub path: String,
}

impl<'de> DeserializeSeed<'de> for Tree<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

fn merge(into: &mut Value, later: Value) {
    match (into, later) {
        (Value::Mapping(a), Value::Mapping(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(old) => merge(old, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (slot, later) => *slot = later,
    }
}

impl<'de> Visitor<'de> for Tree<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Tree { duplicates: self.duplicates, path: self.path.clone() })? {
            out.push(v);
        }
        Ok(Value::Sequence(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Mapping::new();
        while let Some(k) = map.next_key::<Value>()? {
            let name = k.as_str().map(str::to_string).unwrap_or_else(|| format!("{k:?}"));
            let path = if self.path.is_empty() { name.clone() } else { format!("{}.{name}", self.path) };
            let v = map.next_value_seed(Tree { duplicates: self.duplicates, path: path.clone() })?;
            match out.get_mut(&k) {
                Some(old) => {
                    self.duplicates.borrow_mut().push(path);
                    merge(old, v);
                }
                None => {
                    out.insert(k, v);
                }
            }
        }
        Ok(Value::Mapping(out))
    }
}
