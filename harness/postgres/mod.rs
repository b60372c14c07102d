//! The PostgreSQL side of a scenario: connect, isolate the scenario in its own database, run
//! setup and step SQL, wait for conditions, generate bulk changes, and keep replication slots
//! and publications tidy.
//!
//! Everything the harness creates is recorded in a [`Cleanup`], and cleanup drops only what is
//! recorded there: against an external database the harness never drops what it did not create.

mod bulk;
mod cleanup;
mod client;
mod error;
mod isolation;
mod names;
mod preflight;
mod publications;
mod recvlogical;
mod script;
mod slots;
mod wait;

pub use bulk::{BulkChange, BulkOp, ValueTemplate};
pub use cleanup::{Cleanup, CleanupReport};
pub use client::{PgClient, PgConfig};
pub use error::{PgError, ServerError};
pub use isolation::{create_database, drop_database};
pub use names::{sanitize, IsolatedNames, MAX_IDENTIFIER_LEN};
pub use preflight::{
    preflight, Check, CheckName, Checklist, PreflightRequest, Status, DEFAULT_PUBLICATION,
};
pub use publications::{create_publication, drop_publication, list_publications, PublicationInfo};
pub use recvlogical::Recvlogical;
pub use script::{run_script, ScriptSummary};
pub use slots::{
    create_logical_slot, drop_slot, find_slot, list_slots, validate_slot_name, walsender_state,
    SlotInfo, Walsender,
};
pub use wait::{wait_until, Wait};

/// Whether a drop found something to drop: cleanup is idempotent, so "already gone" is no error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dropped {
    Dropped,
    Absent,
}

/// Quotes an identifier always: a plain-looking name may still be a keyword (`user`, `order`).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes each part of a possibly schema-qualified name (`schema.table`).
pub(crate) fn quote_qualified(name: &str) -> String {
    name.split('.').map(quote_ident).collect::<Vec<_>>().join(".")
}

pub(crate) fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident("orders"), "\"orders\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_qualified("public.Orders"), "\"public\".\"Orders\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
