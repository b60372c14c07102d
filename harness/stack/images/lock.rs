//! One build at a time per machine: parallel tests and several harness processes wait on one
//! file lock instead of racing to build the same images.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Held while images are built or pulled; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct BuildLock {
    _file: File,
}

/// Takes the lock at `path`, waiting (and saying so) while another build holds it.
pub async fn acquire(path: &Path) -> std::io::Result<BuildLock> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
    match file.try_lock() {
        Ok(()) => return Ok(BuildLock { _file: file }),
        Err(TryLockError::WouldBlock) => {}
        Err(TryLockError::Error(err)) => return Err(err),
    }
    tracing::info!(
        "another cdc-harness process is building images; waiting for {}",
        path.display()
    );
    let path: PathBuf = path.to_path_buf();
    tokio::task::spawn_blocking(move || file.lock().map(|()| BuildLock { _file: file }))
        .await
        .map_err(|join| std::io::Error::other(format!("waiting for {}: {join}", path.display())))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_second_taker_waits_until_the_first_lets_go() {
        let dir =
            std::env::temp_dir().join(format!("cdc-harness-lock-test-{}", std::process::id()));
        let path = dir.join("images.lock");
        let first = acquire(&path).await.unwrap();
        let waiter = tokio::spawn({
            let path = path.clone();
            async move { acquire(&path).await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiter.is_finished(), "the lock is held, so the second taker must wait");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), waiter).await.unwrap().unwrap();
        drop(second);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
