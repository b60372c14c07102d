//! The names of everything a scenario owns, derived in one place from the scenario name and the
//! run id, so the run engine, the generated Flink SQL and cleanup always agree.

use sha2::{Digest, Sha256};

/// PostgreSQL's identifier limit (NAMEDATALEN - 1), which also bounds slot names.
pub const MAX_IDENTIFIER_LEN: usize = 63;

const PREFIX: &str = "s_";
const SLOT_SUFFIX: &str = "_slot";
const PUBLICATION_SUFFIX: &str = "_pub";
const DEBEZIUM_SUFFIX: &str = "_dbz";
/// Hex digits of the hash that keeps truncated names unique.
const HASH_LEN: usize = 6;

/// The isolated names of one scenario in one run. Every name matches `[a-z0-9_]{1,63}`, which
/// is valid unquoted in PostgreSQL, as a replication slot name and as a Kafka topic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IsolatedNames {
    /// `s_<scenario>_<runid>`, shortened with a hash suffix when too long.
    pub base: String,
    /// The scenario's own database (on the harness's PostgreSQL).
    pub database: String,
    /// The scenario's own schema (when isolating inside an existing database).
    pub schema: String,
    pub slot: String,
    pub publication: String,
    pub topic: String,
    /// A Debezium source's connector in Kafka Connect.
    pub connector: String,
    /// A Debezium source's `topic.prefix`: its topics are `<prefix>.<schema>.<table>` (and the
    /// heartbeat topic `__debezium-heartbeat.<prefix>`), none of them the sink's.
    pub topic_prefix: String,
}

impl IsolatedNames {
    /// Whether `topic` is one of the Debezium connector's topics (data, heartbeat, transaction
    /// metadata), all named after the run's own prefix.
    pub fn is_debezium_topic(&self, topic: &str) -> bool {
        let p = &self.topic_prefix;
        topic == p || topic.starts_with(&format!("{p}.")) || topic.ends_with(&format!(".{p}"))
    }

    pub fn derive(scenario: &str, run_id: &str) -> Self {
        let scenario_part = non_empty(sanitize(scenario), "scenario");
        let run_part = non_empty(sanitize(run_id), "run");
        let full = format!("{PREFIX}{scenario_part}_{run_part}");
        let budget = MAX_IDENTIFIER_LEN - SLOT_SUFFIX.len().max(PUBLICATION_SUFFIX.len());
        debug_assert!(DEBEZIUM_SUFFIX.len() <= SLOT_SUFFIX.len());
        let base = if full.len() <= budget {
            full
        } else {
            // The hash covers the raw inputs, so two long names differing only in the cut-off
            // part (or only in characters the sanitizer folded) still get different bases.
            let digest = Sha256::digest(format!("{scenario}\0{run_id}").as_bytes());
            let hash: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let keep = budget - HASH_LEN - 1;
            format!("{}_{}", full[..keep].trim_end_matches('_'), &hash[..HASH_LEN])
        };
        IsolatedNames {
            database: base.clone(),
            schema: base.clone(),
            slot: format!("{base}{SLOT_SUFFIX}"),
            publication: format!("{base}{PUBLICATION_SUFFIX}"),
            topic: base.clone(),
            connector: base.clone(),
            topic_prefix: format!("{base}{DEBEZIUM_SUFFIX}"),
            base,
        }
    }
}

/// Lower-cases and maps every run of characters outside `[a-z0-9]` to one `_`, trimming `_`
/// at both ends: `Orders CDC (v2)` -> `orders_cdc_v2`.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

fn non_empty(text: String, fallback: &str) -> String {
    if text.is_empty() {
        fallback.to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_names_are_readable() {
        let n = IsolatedNames::derive("Orders CDC (v2)", "260521-111338-3f9a");
        assert_eq!(n.base, "s_orders_cdc_v2_260521_111338_3f9a");
        assert_eq!(n.database, n.base);
        assert_eq!(n.topic, n.base);
        assert_eq!(n.slot, "s_orders_cdc_v2_260521_111338_3f9a_slot");
        assert_eq!(n.publication, "s_orders_cdc_v2_260521_111338_3f9a_pub");
        assert_eq!(n.connector, n.base);
        assert_eq!(n.topic_prefix, "s_orders_cdc_v2_260521_111338_3f9a_dbz");
    }

    #[test]
    fn debezium_topics_are_told_from_everyone_elses() {
        let n = IsolatedNames::derive("orders", "r1");
        for ours in [
            "s_orders_r1_dbz.public.orders",
            "__debezium-heartbeat.s_orders_r1_dbz",
            "s_orders_r1_dbz.transaction",
            "s_orders_r1_dbz",
        ] {
            assert!(n.is_debezium_topic(ours), "{ours}");
        }
        for theirs in [
            n.topic.as_str(),
            "s_orders_r1_dbz2.public.orders",
            "other.public.orders",
            "s_orders_r1",
        ] {
            assert!(!n.is_debezium_topic(theirs), "{theirs}");
        }
    }

    #[test]
    fn long_names_are_cut_with_a_hash_that_keeps_them_apart() {
        let long = "a very long scenario name that goes on and on about orders and customers";
        let a = IsolatedNames::derive(&format!("{long} one"), "r1");
        let b = IsolatedNames::derive(&format!("{long} two"), "r1");
        assert_ne!(a.base, b.base);
        assert!(a.slot.len() <= MAX_IDENTIFIER_LEN, "{}", a.slot);
        assert!(a.base.starts_with("s_a_very_long_scenario_name"), "{}", a.base);
        // Names that sanitize alike but differ in the raw text stay apart once hashed.
        let c = IsolatedNames::derive(&format!("{long} ONE!"), "r1");
        assert_ne!(a.base, c.base);
    }

    #[test]
    fn names_without_usable_characters_fall_back() {
        assert_eq!(IsolatedNames::derive("日本", "--").base, "s_scenario_run");
    }

    proptest! {
        #[test]
        fn every_name_is_a_valid_identifier(scenario in ".{0,120}", run in "[ -~]{0,40}") {
            let n = IsolatedNames::derive(&scenario, &run);
            for name in [&n.database, &n.schema, &n.slot, &n.publication, &n.topic, &n.connector, &n.topic_prefix] {
                prop_assert!(!name.is_empty() && name.len() <= MAX_IDENTIFIER_LEN, "{}", name);
                prop_assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{}", name);
                prop_assert!(name.starts_with(PREFIX));
            }
            prop_assert_eq!(n.clone(), IsolatedNames::derive(&scenario, &run));
        }
    }
}
