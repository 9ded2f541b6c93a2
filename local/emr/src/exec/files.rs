//! File helpers the step plans share.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

pub(crate) fn is_executable(path: &Path) -> bool {
    fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// `text` as one word for bash, whatever it holds.
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `path` itself if it is a file, else the files below it (in name order) whose every folder
/// and name `include` accepts.
pub(crate) fn walk_files(
    path: &Path,
    files: &mut Vec<PathBuf>,
    include: &dyn Fn(&Path) -> bool,
) -> std::io::Result<()> {
    if path.is_file() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(path)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for entry in entries.into_iter().filter(|entry| include(entry)) {
        walk_files(&entry, files, include)?;
    }
    Ok(())
}
