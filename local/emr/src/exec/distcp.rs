//! A local `s3-dist-cp`: copies `--src` to `--dest` in the local S3, filtered by
//! `--srcPattern`, optionally gzipped (`--outputCodec`).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use regex::Regex;

use super::files::walk_files;
use super::layout::Layout;
use super::Refusal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputCodec {
    Keep,
    Gzip,
}

/// A local `s3-dist-cp`: copies `--src` to `--dest`, filtered by `--srcPattern`.
#[derive(Debug)]
pub(crate) struct DistCp {
    src_uri: String,
    src: PathBuf,
    dest: PathBuf,
    pattern: Option<Regex>,
    codec: OutputCodec,
    ignored: Vec<String>,
}

fn usage(message: String) -> Refusal {
    Refusal::new("Step failed: bad s3-dist-cp arguments", message)
}

/// `--key=value` and `--key value` pairs (a flag without value gets an empty one).
fn long_options(args: &[String]) -> Result<Vec<(String, String)>, Refusal> {
    let mut options = Vec::new();
    let mut index = 0;
    while index < args.len() {
        let arg = &args[index];
        if let Some((key, value)) = arg.split_once('=').filter(|_| arg.starts_with("--")) {
            options.push((key.to_string(), value.to_string()));
        } else if arg.starts_with("--") {
            match args.get(index + 1).filter(|next| !next.starts_with("--")) {
                Some(value) => {
                    options.push((arg.clone(), value.clone()));
                    index += 1;
                }
                None => options.push((arg.clone(), String::new())),
            }
        } else {
            return Err(usage(format!("unexpected argument {arg}")));
        }
        index += 1;
    }
    Ok(options)
}

/// s3-dist-cp's arguments as a local copy; options without a local meaning are noted.
pub(crate) fn plan_distcp(layout: &Layout, args: &[String]) -> Result<DistCp, Refusal> {
    let mut ignored = Vec::new();
    let mut src_uri = None;
    let mut dest_uri = None;
    let mut pattern = None;
    let mut codec = OutputCodec::Keep;
    for (key, value) in long_options(args)? {
        match key.as_str() {
            "--src" => src_uri = Some(value),
            "--dest" => dest_uri = Some(value),
            "--srcPattern" => {
                let regex = Regex::new(&format!("^(?:{value})$")).map_err(|err| {
                    usage(format!("--srcPattern {value} is not a valid regex: {err}"))
                })?;
                pattern = Some(regex);
            }
            "--outputCodec" => {
                codec = match value.to_ascii_lowercase().as_str() {
                    "gzip" | "gz" => OutputCodec::Gzip,
                    "none" | "keep" => OutputCodec::Keep,
                    other => {
                        return Err(Refusal::new(
                            "Step failed: unsupported outputCodec",
                            format!(
                        "the local s3-dist-cp supports --outputCodec gzip, none, keep; not {other}"
                    ),
                        ))
                    }
                }
            }
            _ => ignored.push(key),
        }
    }
    let src_uri = src_uri.ok_or_else(|| usage("--src is required".into()))?;
    let dest_uri = dest_uri.ok_or_else(|| usage("--dest is required".into()))?;
    Ok(DistCp {
        src: layout.uri_to_path(&src_uri),
        dest: layout.uri_to_path(&dest_uri),
        src_uri,
        pattern,
        codec,
        ignored,
    })
}

impl DistCp {
    /// Copies; returns the report for stdout. Runs on a blocking thread.
    pub fn run(&self) -> Result<String, String> {
        let mut files = Vec::new();
        walk_files(&self.src, &mut files, &|_| true)
            .map_err(|err| format!("cannot read --src {}: {err}", self.src_uri))?;
        let mut report = Vec::new();
        for ignored in &self.ignored {
            report.push(format!(
                "note: option {ignored} has no local effect and was ignored"
            ));
        }
        let mut copied = 0usize;
        for file in files {
            let relative = file
                .strip_prefix(&self.src)
                .ok()
                .filter(|rel| !rel.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .or_else(|| file.file_name().map(PathBuf::from))
                .unwrap_or_default();
            // srcPattern is matched against the full source URI, as on EMR.
            let source_uri = format!(
                "{}/{}",
                self.src_uri.trim_end_matches('/'),
                relative.display()
            );
            if let Some(pattern) = &self.pattern {
                if !pattern.is_match(&source_uri) {
                    continue;
                }
            }
            let mut target = self.dest.join(&relative);
            if self.codec == OutputCodec::Gzip && target.extension().is_none_or(|ext| ext != "gz") {
                target.as_mut_os_string().push(".gz");
            }
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|err| format!("{}: {err}", parent.display()))?;
            }
            copy_file(&file, &target, self.codec)
                .map_err(|err| format!("copying {source_uri}: {err}"))?;
            report.push(format!("copied {source_uri} -> {}", target.display()));
            copied += 1;
        }
        report.push(format!("s3-dist-cp: {copied} file(s) copied"));
        Ok(report.join("\n"))
    }
}

fn copy_file(source: &Path, target: &Path, codec: OutputCodec) -> std::io::Result<()> {
    let already_gzipped = source.extension().is_some_and(|ext| ext == "gz");
    if codec == OutputCodec::Keep || already_gzipped {
        return fs::copy(source, target).map(|_| ());
    }
    let mut input = File::open(source)?;
    let mut encoder = GzEncoder::new(File::create(target)?, Compression::default());
    std::io::copy(&mut input, &mut encoder)?;
    encoder.finish()?.flush()
}
