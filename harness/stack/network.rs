//! The run's own Docker network. Created here rather than by testcontainers because
//! testcontainers creates networks without labels, and `down` finds everything by label;
//! testcontainers then treats it as pre-existing and leaves its removal to `cleanup`.
//! Container names resolve on it (user-defined networks have Docker's embedded DNS).

use super::docker::Run;
use super::error::StackError;
use testcontainers::bollard::models::NetworkCreateRequest;

pub(crate) async fn create(run: &Run) -> Result<(), StackError> {
    let request = NetworkCreateRequest {
        name: run.network(),
        driver: Some("bridge".into()),
        labels: Some(run.labels()),
        ..Default::default()
    };
    run.docker.create_network(request).await.map_err(|source| StackError::Network {
        network: run.network(),
        source: Box::new(source),
    })?;
    Ok(())
}
