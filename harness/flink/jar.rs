//! Jar upload and run on the JobManager (`/jars/upload`, `/jars/{id}/run`): how SQL reaches a
//! cluster that has no SQL Gateway, through the SQL-runner jar.

use std::time::Duration;

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::error::FlinkError;
use super::jobmanager::JobManager;
use crate::http::segment;

/// Running a jar plans the job inside the JobManager: seconds, more on a cold planner.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// What `POST /jars/{id}/run` runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JarRun {
    /// Overrides the jar manifest's `Main-Class`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    /// Passed as a JSON list, so spaces, quotes and newlines survive.
    pub program_args_list: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// A savepoint or retained checkpoint to restore the job's state from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoint_path: Option<String>,
    /// With a restore path: start even if some of its state belongs to no operator of the job.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_non_restored_state: Option<bool>,
}

/// One entry of `GET /jars`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct JarFile {
    pub id: String,
    pub name: String,
    pub uploaded: i64,
}

#[derive(Deserialize)]
struct UploadBody {
    filename: String,
}

#[derive(Deserialize)]
struct RunBody {
    jobid: String,
}

#[derive(Deserialize)]
struct JarsBody {
    files: Vec<JarFile>,
}

impl JobManager {
    /// Uploads a jar; returns its id on this cluster (the stored file's name).
    pub async fn upload_jar(&self, file_name: &str, bytes: Vec<u8>) -> Result<String, FlinkError> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_string())
            .mime_str("application/x-java-archive")
            .expect("a valid MIME type");
        let form = reqwest::multipart::Form::new().part("jarfile", part);
        let body: UploadBody =
            self.rest.send(reqwest::Method::POST, "/jars/upload", |r| r.multipart(form)).await?;
        // `filename` is the server-side path; the jar id is its last component.
        let id = body.filename.rsplit('/').next().unwrap_or(&body.filename).to_string();
        if id.is_empty() {
            return Err(FlinkError::Decode {
                endpoint: "POST /jars/upload".into(),
                reason: "no file name in the answer".into(),
                body: body.filename,
            });
        }
        Ok(id)
    }

    /// Runs an uploaded jar; returns the id of the job its `main` submitted. When `main` throws,
    /// Flink answers with the program's exception, surfaced as [`FlinkError::Http`] whose
    /// `root_cause` is the program's own error (e.g. a SQL validation message).
    pub async fn run_jar(&self, jar_id: &str, run: &JarRun) -> Result<String, FlinkError> {
        let path = format!("/jars/{}/run", segment(jar_id));
        let body: RunBody = self
            .rest
            .send(reqwest::Method::POST, &path, |r| r.json(run).timeout(RUN_TIMEOUT))
            .await?;
        Ok(body.jobid)
    }

    pub async fn jars(&self) -> Result<Vec<JarFile>, FlinkError> {
        Ok(self.rest.get::<JarsBody>("/jars").await?.files)
    }

    pub async fn delete_jar(&self, jar_id: &str) -> Result<(), FlinkError> {
        self.rest.delete::<IgnoredAny>(&format!("/jars/{}", segment(jar_id))).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_request_follows_the_openapi_names() {
        let run = JarRun {
            entry_class: Some("org.example.SqlRunner".into()),
            program_args_list: vec!["--sql-base64".into(), "U0VU".into()],
            ..JarRun::default()
        };
        assert_eq!(
            serde_json::to_value(&run).unwrap(),
            serde_json::json!({"entryClass": "org.example.SqlRunner", "programArgsList": ["--sql-base64", "U0VU"]})
        );
        let restored = JarRun {
            savepoint_path: Some("file:/state/savepoints/savepoint-1a2b".into()),
            allow_non_restored_state: Some(false),
            ..JarRun::default()
        };
        assert_eq!(
            serde_json::to_value(&restored).unwrap(),
            serde_json::json!({"programArgsList": [], "savepointPath": "file:/state/savepoints/savepoint-1a2b", "allowNonRestoredState": false})
        );
    }
}
