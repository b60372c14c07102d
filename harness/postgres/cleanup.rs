//! What the harness owns on a PostgreSQL server, and dropping exactly that.
//!
//! "Owns" means created, or named and handed to the job (the slot a CDC source creates under
//! the name the harness chose). Nothing else is ever dropped, so running against an external
//! database leaves everyone else's slots and publications alone.

use super::client::PgClient;
use super::error::PgError;
use super::{isolation, publications, slots, Dropped};
use std::time::Duration;

/// Owned objects, in creation order. Serializable so an interrupted run can save it and a later
/// `down` can finish the job.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cleanup {
    slots: Vec<String>,
    publications: Vec<OwnedPublication>,
    databases: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct OwnedPublication {
    database: String,
    name: String,
}

/// What [`Cleanup::run`] did. Errors do not stop it: each object is tried.
#[derive(Debug, Default)]
pub struct CleanupReport {
    /// `slot x`, `publication db.x`, `database x`.
    pub dropped: Vec<String>,
    pub already_gone: Vec<String>,
    pub errors: Vec<PgError>,
}

impl CleanupReport {
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    fn record(&mut self, what: String, outcome: Result<Dropped, PgError>) -> bool {
        match outcome {
            Ok(Dropped::Dropped) => self.dropped.push(what),
            Ok(Dropped::Absent) => self.already_gone.push(what),
            Err(e) => {
                self.errors.push(e);
                return false;
            }
        }
        true
    }
}

impl Cleanup {
    pub fn own_slot(&mut self, name: &str) {
        push_unique(&mut self.slots, name.to_string());
    }

    pub fn own_publication(&mut self, database: &str, name: &str) {
        let owned = OwnedPublication { database: database.into(), name: name.into() };
        push_unique(&mut self.publications, owned);
    }

    pub fn own_database(&mut self, name: &str) {
        push_unique(&mut self.databases, name.to_string());
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty() && self.publications.is_empty() && self.databases.is_empty()
    }

    /// Drops slots (terminating their readers: the scenario's job is over), then publications,
    /// then databases. `admin` connects to any database other than the owned ones (e.g.
    /// `postgres`); publications are reached through the same server and credentials.
    /// What was dropped or found gone leaves the record; what failed stays for a later try.
    pub async fn run(&mut self, admin: &PgClient, timeout: Duration) -> CleanupReport {
        let mut report = CleanupReport::default();
        let slots = std::mem::take(&mut self.slots);
        for slot in slots {
            let outcome = slots::drop_slot(admin, &slot, true, timeout).await;
            if !report.record(format!("slot {slot}"), outcome) {
                self.slots.push(slot);
            }
        }
        let publications = std::mem::take(&mut self.publications);
        for publication in publications {
            // Dropping the database takes its publications with it.
            if self.databases.contains(&publication.database) {
                continue;
            }
            let outcome = drop_publication_in(admin, &publication).await;
            let what = format!("publication {}.{}", publication.database, publication.name);
            if !report.record(what, outcome) {
                self.publications.push(publication);
            }
        }
        let databases = std::mem::take(&mut self.databases);
        for database in databases {
            let outcome = isolation::drop_database(admin, &database, timeout).await;
            if !report.record(format!("database {database}"), outcome) {
                self.databases.push(database);
            }
        }
        report
    }
}

async fn drop_publication_in(
    admin: &PgClient,
    owned: &OwnedPublication,
) -> Result<Dropped, PgError> {
    if admin.config().database == owned.database {
        return publications::drop_publication(admin, &owned.name).await;
    }
    let pg = match PgClient::connect(&admin.config().with_database(&owned.database)).await {
        Ok(pg) => pg,
        Err(e) if e.code().as_deref() == Some("3D000") => return Ok(Dropped::Absent),
        Err(e) => return Err(e),
    };
    publications::drop_publication(&pg, &owned.name).await
}

fn push_unique<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}
