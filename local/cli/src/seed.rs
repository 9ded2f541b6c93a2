//! `--s3-from DIR`: a folder of one's own copied into the local S3 before a run, as
//! `DIR/<bucket>/<key>` → `s3://bucket/key`. Its top level is checked before anything is
//! copied: each entry must be a folder named as S3 names buckets (the one rule,
//! `emrflow_vocabulary::s3`), so a typo is said at once rather than found by a step.

use std::path::{Path, PathBuf};

use emrflow_vocabulary::s3::check_bucket_name;

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub buckets: Vec<String>,
    pub files: usize,
}

/// Copies `from/<bucket>/<key>` into the local S3 folder `s3_root`, keeping what is there.
/// Entries whose name starts with a dot (`.DS_Store`, `.gitkeep`) are left out: no bucket
/// name starts with one.
pub fn seed_local_s3(from: &Path, s3_root: &Path) -> Result<Seeded, String> {
    let buckets = buckets_of(from)?;
    let mut files = 0;
    for (bucket, folder) in &buckets {
        let mut pending = vec![folder.clone()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).map_err(|error| copy_error(&dir, error))? {
                let path = entry.map_err(|error| copy_error(&dir, error))?.path();
                let relative = path.strip_prefix(from).map_err(|_| {
                    format!(
                        "--s3-from: {} is outside {}",
                        path.display(),
                        from.display()
                    )
                })?;
                let target = s3_root.join(relative);
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|error| copy_error(parent, error))?;
                }
                std::fs::copy(&path, &target).map_err(|error| copy_error(&path, error))?;
                files += 1;
            }
        }
        std::fs::create_dir_all(s3_root.join(bucket))
            .map_err(|error| copy_error(&s3_root.join(bucket), error))?;
    }
    Ok(Seeded {
        buckets: buckets.into_iter().map(|(bucket, _)| bucket).collect(),
        files,
    })
}

/// The bucket folders at the top of `from`, in name order; anything else there is refused,
/// naming it.
fn buckets_of(from: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let shape = format!(
        "--s3-from {} holds one folder per bucket ({}/<bucket>/<key>)",
        from.display(),
        from.display()
    );
    if !from.is_dir() {
        return Err(format!("--s3-from {}: no such folder", from.display()));
    }
    let mut buckets = Vec::new();
    for entry in std::fs::read_dir(from).map_err(|error| copy_error(from, error))? {
        let path = entry.map_err(|error| copy_error(from, error))?.path();
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if !path.is_dir() {
            return Err(format!(
                "{shape}: '{name}' is a file at its top, outside any bucket; move it into a bucket's folder"
            ));
        }
        check_bucket_name(&name)
            .map_err(|error| format!("{shape}: the folder {error}; rename the folder"))?;
        buckets.push((name, path));
    }
    buckets.sort();
    Ok(buckets)
}

fn copy_error(path: &Path, error: std::io::Error) -> String {
    format!("cannot copy {}: {error}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn bucket_folders_are_copied_into_a_local_s3_that_does_not_exist_yet() {
        // GIVEN a bucket folder with nested keys, and a dot-file at the top
        let from = tempfile::tempdir().expect("temp dir");
        write(&from.path().join("my-bucket/jobs/a.sh"), "echo a");
        write(&from.path().join("my-bucket/raw/date=1/x.csv"), "x");
        write(&from.path().join(".DS_Store"), "");
        let root = tempfile::tempdir().expect("temp dir");
        let s3 = root.path().join("s3");
        // WHEN seeded into a local S3 folder that does not exist yet
        let seeded = seed_local_s3(from.path(), &s3).expect("seeded");
        // THEN every file is at its key
        assert_eq!(seeded.buckets, ["my-bucket"]);
        assert_eq!(seeded.files, 2);
        assert_eq!(
            std::fs::read_to_string(s3.join("my-bucket/raw/date=1/x.csv")).expect("copied"),
            "x"
        );
    }

    #[test]
    fn a_top_level_file_or_a_folder_that_is_no_bucket_name_is_refused_naming_it() {
        // GIVEN a file at the top, and separately a folder named against S3's rules
        for (entry, expected) in [
            (
                "notes.txt",
                "'notes.txt' is a file at its top, outside any bucket",
            ),
            (
                "My_Bucket/x",
                "the folder 'My_Bucket' is not a valid S3 bucket name: only lowercase letters",
            ),
        ] {
            let from = tempfile::tempdir().expect("temp dir");
            write(&from.path().join("good-bucket/a"), "a");
            write(&from.path().join(entry), "x");
            let s3 = tempfile::tempdir().expect("temp dir");
            // WHEN seeded THEN refused, naming it, and nothing copied
            let error = seed_local_s3(from.path(), s3.path()).unwrap_err();
            assert!(error.contains(expected), "{error}");
            assert!(!s3.path().join("good-bucket").exists(), "{error}");
        }
    }
}
