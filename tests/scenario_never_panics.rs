//! Whatever the text, reading a scenario returns findings, never a panic.

use cdc_harness::diagnostics::SourceFile;
use cdc_harness::scenario;
use cdc_harness::sql::generate::{generate, Dialect, Target};
use proptest::prelude::*;

const VALID: [&str; 2] = [
    include_str!("../scenarios/cdc-upsert-kafka.toml"),
    include_str!("../scenarios/seed-guide-cdc.toml"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text(text in "\\PC{0,400}") {
        let _ = scenario::parse(SourceFile::new("fuzz.toml", text));
    }

    /// Cut-outs break TOML, fields and the embedded SQL; whatever still parses must generate
    /// SQL or findings, without panicking.
    #[test]
    fn a_valid_scenario_with_a_slice_cut_out(which in 0usize..2, start in 0usize..1600, len in 0usize..40) {
        let mut text = VALID[which].to_string();
        let start = start % text.len();
        let start = (0..=start).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let end = (start + len..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        text.replace_range(start..end, "");
        match scenario::parse(SourceFile::new("fuzz.toml", text)) {
            Ok(s) => {
                if let Err(e) = generate(&s, &Target::preview(&s), Dialect::Flink, None) {
                    prop_assert!(!e.findings.is_empty());
                    let _ = e.render(false);
                }
            }
            Err(e) => {
                prop_assert!(!e.findings().is_empty());
                let _ = e.render(false);
            }
        }
    }
}
