//! The file as serde reads it: every section strict (`deny_unknown_fields`), every value spanned.
//! Enumerations stay strings here so that validation can answer with a did-you-mean.

use serde::Deserialize;
use toml::Spanned as S;

pub type Options = Vec<(S<String>, S<OptionValue>)>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPostgres {
    pub setup: Option<S<String>>,
}

/// `[source]` and `[sink]` share one shape; validation says which fields each kind accepts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    pub connector: Option<S<String>>,
    pub sql: Option<S<String>>,
    /// A Debezium connector's configuration, JSON.
    pub config: Option<S<String>>,
    pub name: Option<S<String>>,
    pub table: Option<S<String>>,
    pub topic: Option<S<String>>,
    pub format: Option<S<String>>,
    pub key_format: Option<S<String>>,
    pub value_format: Option<S<String>>,
    pub columns: Option<S<Vec<S<String>>>>,
    pub primary_key: Option<S<Vec<S<String>>>>,
    #[serde(default, deserialize_with = "ordered_options")]
    pub options: Option<S<Options>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlink {
    #[serde(default, deserialize_with = "ordered_options")]
    pub settings: Option<S<Options>>,
    pub insert: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub name: Option<S<String>>,
    // The action: exactly one of these.
    pub sql: Option<S<String>>,
    pub wait: Option<S<String>>,
    pub wait_until: Option<S<String>>,
    pub generate: Option<S<String>>,
    pub job: Option<S<String>>,
    pub connector: Option<S<String>>,
    pub fault: Option<S<String>>,
    pub verify_slot: Option<S<String>>,
    // Modifiers; validation checks which action accepts which.
    pub timeout: Option<S<String>>,
    pub table: Option<S<String>>,
    pub count: Option<S<u64>>,
    pub from: Option<S<u64>>,
    pub per_transaction: Option<S<u64>>,
    pub values: Option<S<String>>,
    pub set: Option<S<String>>,
    #[serde(rename = "where")]
    pub condition: Option<S<String>>,
    pub size: Option<S<String>>,
    pub slot: Option<S<String>>,
    pub max_retained_wal: Option<S<String>>,
    pub min_retained_wal: Option<S<String>>,
    pub confirmed_flush_advances: Option<S<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub mode: S<String>,
    pub records: Option<S<Vec<S<RawRecord>>>>,
    pub count: Option<S<u64>>,
    pub allow_duplicates: Option<S<bool>>,
    pub group_by: Option<S<Vec<String>>>,
    pub timeout: Option<S<String>>,
    pub quiet_period: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    pub key: Option<S<toml::Value>>,
    pub value: Option<S<toml::Value>>,
    pub tombstone: Option<S<bool>>,
    pub op: Option<S<String>>,
    pub before: Option<S<toml::Value>>,
    pub after: Option<S<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTimeouts {
    pub setup: Option<S<String>>,
    pub job: Option<S<String>>,
    pub step: Option<S<String>>,
    pub expect: Option<S<String>>,
    pub quiet_period: Option<S<String>>,
    pub teardown: Option<S<String>>,
}

/// A Flink option value: a string, or a number or boolean written without quotes (Flink reads
/// every option as a string, so `'port' = 5432` means `'5432'`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionValue(pub String);

impl<'de> Deserialize<'de> for OptionValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = OptionValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, a number or a boolean")
            }
            fn visit_str<E>(self, v: &str) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<OptionValue, E> {
                Ok(OptionValue(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Options keep their file order (the generated WITH clause follows it); a map would sort them.
fn ordered_options<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<S<Options>>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Options;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a table of options such as { 'slot.name' = 'orders' }")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Options, A::Error> {
            let mut out = Options::new();
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            out.sort_by_key(|(k, _)| k.span().start);
            Ok(out)
        }
    }
    struct Wrapper(Options);
    impl<'de> Deserialize<'de> for Wrapper {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_map(Visitor).map(Wrapper)
        }
    }
    let spanned: S<Wrapper> = S::deserialize(d)?;
    let span = spanned.span();
    Ok(Some(S::new(span, spanned.into_inner().0)))
}
