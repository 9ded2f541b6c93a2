//! [`ObjectStore`] on the local S3: `s3://bucket/key` is the file `<root>/s3/bucket/key`, as
//! the local EMR maps it for steps (a key never climbs out of its bucket: `check_object_uri`
//! refuses `..`).

use std::path::PathBuf;

use async_trait::async_trait;

use super::{bucket_and_key, ObjectStore};
use crate::EmrflowError;

/// The local S3 under `s3_root` (`<root>/s3`).
#[derive(Debug, Clone)]
pub struct LocalObjects {
    s3_root: PathBuf,
}

impl LocalObjects {
    pub fn new(s3_root: impl Into<PathBuf>) -> Self {
        LocalObjects {
            s3_root: s3_root.into(),
        }
    }

    /// The file `uri` is in the local S3.
    pub fn path_of(&self, uri: &str) -> Result<PathBuf, EmrflowError> {
        let (bucket, key) = bucket_and_key(uri)?;
        Ok(self.s3_root.join(bucket).join(key))
    }
}

#[async_trait]
impl ObjectStore for LocalObjects {
    async fn exists(&self, uri: &str) -> Result<bool, EmrflowError> {
        Ok(self.path_of(uri)?.is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_object_exists_once_its_file_does() {
        // GIVEN a local S3 with one object
        let root = std::env::temp_dir().join(format!("emrflow-objects-{}", std::process::id()));
        let store = LocalObjects::new(&root);
        let uri = "s3://raw/orders/2026-11-21/_SUCCESS";
        assert!(!store.exists(uri).await.unwrap());
        let path = store.path_of(uri).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "").unwrap();
        // WHEN asked THEN it exists, and a location outside the bucket is refused
        assert!(store.exists(uri).await.unwrap());
        assert!(store.exists("s3://raw/../etc/passwd").await.is_err());
        std::fs::remove_dir_all(root).unwrap();
    }
}
