//! A string that must never reach logs, errors or `--debug` output.
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Private keys, passwords, S3 keys. `Debug` and `Display` print a placeholder; the value is
/// only reachable through [`Secret::expose`], which makes every use easy to audit.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "<redacted>" })
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Reads a scalar of any type as the secret's text (a password of digits is written unquoted
/// in YAML and reads as a number); an error never contains the value, whatever it was.
impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string (the value is not shown)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Secret, E> {
                Ok(Secret(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Secret, E> {
                Ok(Secret(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Secret, E> {
                Err(E::custom("a secret written as a decimal number loses digits in YAML: quote it"))
            }
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Secret, E> {
                Err(E::custom("a secret must be a string, not a boolean: quote it"))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Secret, E> {
                Ok(Secret(String::new()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
                Err(serde::de::Error::custom("a secret must be a string, not a mapping"))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
                Err(serde::de::Error::custom("a secret must be a string, not a list"))
            }
        }
        d.deserialize_any(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("-----BEGIN OPENSSH PRIVATE KEY-----");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(s.expose(), "-----BEGIN OPENSSH PRIVATE KEY-----");
    }

    /// Review of issue 7 item 13: a numeric password was echoed by the YAML error.
    #[test]
    fn numbers_are_read_as_text_and_errors_never_echo_the_value() {
        #[derive(Deserialize)]
        struct R {
            password: Secret,
        }
        let r: R = serde_yaml::from_str("password: 734592\n").unwrap();
        assert_eq!(r.password.expose(), "734592");
        for bad in ["password: 734.5921\n", "password: true\n", "password: {a: 9182736}\n", "password: [9182736]\n"] {
            let e = serde_yaml::from_str::<R>(bad).err().unwrap().to_string();
            for secret in ["734.5921", "9182736"] {
                assert!(!e.contains(secret), "{bad}: {e}");
            }
        }
    }
}
