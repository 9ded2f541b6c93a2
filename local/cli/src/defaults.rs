//! What `emrflow local run` uses for an option that is not given — the one place that
//! decides, so that a folder written by `emrflow init` runs with no flag at all, and the
//! repository's root runs its sample:
//!
//! - the pipelines deployed: `pipeline.json` in the current directory (a folder of one's
//!   own, as `emrflow init` writes it), else the folder `pipelines/` (the repository's, or a
//!   team's folder of pipelines);
//! - the input: `input.json` in the current directory, else `{}`;
//! - the local S3 to copy in: the folder `s3/` in the current directory, else nothing;
//! - the definition: the one built into the binary ([`crate::definition`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use emrflow_core::deployment::load_pipeline_folder;
use emrflow_core::PipelineSpec;

/// Where `emrflow local run` keeps the local S3, the work folders and the execution records,
/// and where the operate commands' `--local` reads them.
pub const DEFAULT_ROOT: &str = ".local";
/// The pipeline spec a folder of one's own keeps (what `emrflow init` writes).
pub const PIPELINE_FILE: &str = "pipeline.json";
/// The execution input beside it.
pub const INPUT_FILE: &str = "input.json";
/// The local S3 to copy in, one folder per bucket (`s3/<bucket>/<key>`).
pub const S3_FOLDER: &str = "s3";
/// The pipelines folder: every `*.json` in it is deployed, each with a Name of its own.
pub const PIPELINES_FOLDER: &str = "pipelines";
/// The execution input when none is given or found.
pub const EMPTY_INPUT: &str = "{}";

/// Which pipelines `emrflow local run` deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pipelines {
    /// Every `*.json` of a pipelines folder, as `make deploy` deploys it.
    Folder(PathBuf),
    /// One file alone.
    File(PathBuf),
}

impl Pipelines {
    /// The pipelines by Name; a file that is not a valid spec, or two with one Name, refuse
    /// the run as they refuse a deploy.
    pub fn load(&self) -> Result<BTreeMap<String, PipelineSpec>, String> {
        match self {
            Pipelines::Folder(folder) => {
                load_pipeline_folder(folder).map_err(|error| error.to_string())
            }
            Pipelines::File(file) => PipelineSpec::load(file)
                .map(|spec| BTreeMap::from([(spec.name.clone(), spec)]))
                .map_err(|error| format!("{}: {error}", file.display())),
        }
    }
}

/// The files one `emrflow local run` uses, and which of them were found rather than given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFiles {
    pub pipelines: Pipelines,
    /// A JSON file or JSON text, as `--input` takes it.
    pub input: String,
    pub s3_from: Option<PathBuf>,
    /// What was found in the folder, in words, to say at the start of the run.
    pub found: Vec<String>,
}

impl RunFiles {
    /// The options given, the rest found in `dir` (the current directory).
    pub fn resolve(
        dir: &Path,
        pipeline: Option<PathBuf>,
        pipelines: Option<PathBuf>,
        input: Option<String>,
        s3_from: Option<PathBuf>,
    ) -> Result<RunFiles, String> {
        let mut found = Vec::new();
        let pipelines = find_pipelines(dir, pipeline, pipelines, &mut found).ok_or_else(|| {
            format!(
                "no pipeline spec: there is no {PIPELINE_FILE} in {} (nor a {PIPELINES_FOLDER}/ folder); pass --pipeline FILE or --pipelines DIR, or write a working sample to start from with `emrflow init DIR`",
                dir.display()
            )
        })?;
        let input = match input {
            Some(input) => input,
            None if dir.join(INPUT_FILE).is_file() => {
                found.push(format!("the input {INPUT_FILE}"));
                INPUT_FILE.to_string()
            }
            None => EMPTY_INPUT.to_string(),
        };
        let s3_from = match s3_from {
            Some(folder) => Some(folder),
            None if dir.join(S3_FOLDER).is_dir() => {
                found.push(format!("the local S3 folder {S3_FOLDER}/"));
                Some(PathBuf::from(S3_FOLDER))
            }
            None => None,
        };
        Ok(RunFiles {
            pipelines,
            input,
            s3_from,
            found,
        })
    }
}

/// The pipelines deployed: `--pipeline FILE`, else `--pipelines DIR`, else `pipeline.json`
/// in `dir`, else its `pipelines/` folder (what was found is said in `found`); None when
/// there is none.
pub fn find_pipelines(
    dir: &Path,
    pipeline: Option<PathBuf>,
    pipelines: Option<PathBuf>,
    found: &mut Vec<String>,
) -> Option<Pipelines> {
    match (pipeline, pipelines) {
        (Some(file), _) => Some(Pipelines::File(file)),
        (None, Some(folder)) => Some(Pipelines::Folder(folder)),
        (None, None) if dir.join(PIPELINE_FILE).is_file() => {
            found.push(format!("the pipeline {PIPELINE_FILE}"));
            Some(Pipelines::File(dir.join(PIPELINE_FILE)))
        }
        (None, None) if dir.join(PIPELINES_FOLDER).is_dir() => {
            found.push(format!("the pipelines folder {PIPELINES_FOLDER}/"));
            Some(Pipelines::Folder(dir.join(PIPELINES_FOLDER)))
        }
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_of_ones_own_runs_with_no_option() {
        // GIVEN a folder with pipeline.json, input.json and s3/
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(PIPELINE_FILE), "{}").expect("write");
        std::fs::write(dir.path().join(INPUT_FILE), "{}").expect("write");
        std::fs::create_dir(dir.path().join(S3_FOLDER)).expect("mkdir");
        // WHEN nothing is given THEN those three are used, and said
        let files = RunFiles::resolve(dir.path(), None, None, None, None).expect("found");
        assert_eq!(
            files.pipelines,
            Pipelines::File(dir.path().join(PIPELINE_FILE))
        );
        assert_eq!(files.input, INPUT_FILE);
        assert_eq!(files.s3_from, Some(PathBuf::from(S3_FOLDER)));
        assert_eq!(files.found.len(), 3);
        // AND what is given wins, and is not said
        let given = RunFiles::resolve(
            dir.path(),
            Some("other.json".into()),
            None,
            Some("{\"ProcessingDate\":\"2026-11-20\"}".into()),
            Some("elsewhere".into()),
        )
        .expect("given");
        assert_eq!(
            given.pipelines,
            Pipelines::File(PathBuf::from("other.json"))
        );
        assert!(given.found.is_empty());
    }

    #[test]
    fn an_empty_folder_says_how_to_start() {
        // GIVEN an empty folder WHEN no pipeline is given THEN the message names init
        let dir = tempfile::tempdir().expect("temp dir");
        let error = RunFiles::resolve(dir.path(), None, None, None, None).unwrap_err();
        assert!(error.contains("no pipeline spec"), "{error}");
        assert!(error.contains("emrflow init DIR"), "{error}");
        // AND without input.json or s3/ the input is {} and nothing is copied
        std::fs::write(dir.path().join(PIPELINE_FILE), "{}").expect("write");
        let files = RunFiles::resolve(dir.path(), None, None, None, None).expect("found");
        assert_eq!((files.input.as_str(), files.s3_from), (EMPTY_INPUT, None));
    }
}
