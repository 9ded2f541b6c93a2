//! hadoop-streaming, locally: `cat inputs | mapper | sort | reducer > output/part-00000`,
//! then `_SUCCESS`, as one Hadoop reducer would write it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::files::{shell_quote, walk_files};
use super::layout::Layout;
use super::{ProcessSpec, Refusal, StepContext};

fn usage(message: String) -> Refusal {
    Refusal::new("Step failed: bad hadoop-streaming arguments", message)
}

/// hadoop-streaming's options that take a value; any other option is refused.
const OPTIONS: &[&str] = &[
    "-files",
    "-mapper",
    "-reducer",
    "-input",
    "-output",
    "-cmdenv",
    "-D",
    "-numReduceTasks",
    "-combiner",
    "-inputformat",
    "-outputformat",
    "-partitioner",
    "-archives",
    "-libjars",
];

#[derive(Default)]
struct Options {
    mapper: Option<String>,
    reducer: Option<String>,
    inputs: Vec<String>,
    output: Option<String>,
    files: Vec<String>,
    env: Vec<(String, String)>,
    map_only: bool,
}

fn read_options(layout: &Layout, args: &[String]) -> Result<Options, Refusal> {
    let mut options = Options::default();
    for pair in args.chunks(2) {
        let option = pair[0].as_str();
        if !OPTIONS.contains(&option) {
            return Err(usage(format!(
                "unsupported hadoop-streaming option {option}"
            )));
        }
        let Some(value) = pair.get(1).cloned() else {
            return Err(usage(format!("{option} needs a value")));
        };
        match option {
            "-files" => options.files.extend(value.split(',').map(str::to_string)),
            "-mapper" => options.mapper = Some(value),
            "-reducer" => options.reducer = Some(value),
            "-input" => options.inputs.extend(value.split(',').map(str::to_string)),
            "-output" => options.output = Some(value),
            "-cmdenv" => {
                if let Some((key, val)) = value.split_once('=') {
                    options.env.push((key.to_string(), layout.map_s3(val)));
                }
            }
            "-numReduceTasks" => options.map_only = value.trim() == "0",
            // Hadoop tuning (-D, formats, partitioners) has no local meaning.
            _ => {}
        }
    }
    Ok(options)
}

/// Copies `source` into the work dir under its own name, executable (Hadoop's `-files`).
fn ship_file(source: &Path, work_dir: &Path) -> Result<String, Refusal> {
    let Some(name) = source
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
    else {
        return Err(Refusal::new(
            "Step failed: bad -files entry",
            format!("{} has no file name", source.display()),
        ));
    };
    let target = work_dir.join(&name);
    fs::copy(source, &target)
        .and_then(|_| fs::set_permissions(&target, fs::Permissions::from_mode(0o755)))
        .map_err(|err| {
            Refusal::new(
                "Step failed: could not ship file",
                format!("{}: {err}", source.display()),
            )
        })?;
    Ok(name)
}

/// A mapper/reducer given as a path (s3:// or local) is shipped like `-files` too.
fn resolve_command(layout: &Layout, command: &str, work_dir: &Path) -> Result<String, Refusal> {
    let mapped = layout.map_s3(command);
    let (program, rest) = match mapped.split_once(' ') {
        Some((program, rest)) => (program, Some(rest)),
        None => (mapped.as_str(), None),
    };
    if program.contains('/') && Path::new(program).is_file() {
        let name = ship_file(Path::new(program), work_dir)?;
        return Ok(match rest {
            Some(rest) => format!("./{name} {rest}"),
            None => format!("./{name}"),
        });
    }
    Ok(mapped)
}

/// Hadoop's rule for job input: names starting with `_` or `.` (_SUCCESS, .crc) are not data.
fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .map(|name| name.to_string_lossy().starts_with(['_', '.']))
        .unwrap_or(true)
}

fn failed(message: String) -> Refusal {
    Refusal::new("Step failed with exit code 1", message)
}

/// The job's arguments as one bash pipeline; refuses what Hadoop would refuse before
/// running (a missing input, an existing output).
pub(crate) fn plan_streaming(
    context: &StepContext,
    args: &[String],
) -> Result<ProcessSpec, Refusal> {
    let (layout, work_dir) = (context.layout, context.work_dir);
    let options = read_options(layout, args)?;
    let mapper = options
        .mapper
        .ok_or_else(|| usage("-mapper is required".into()))?;
    let output = options
        .output
        .ok_or_else(|| usage("-output is required".into()))?;
    if options.inputs.is_empty() {
        return Err(usage("-input is required".into()));
    }
    for file in &options.files {
        ship_file(&layout.uri_to_path(file), work_dir)?;
    }
    let mapper = resolve_command(layout, &mapper, work_dir)?;
    let reducer = match options.reducer {
        Some(reducer) if !options.map_only && reducer != "NONE" => {
            Some(resolve_command(layout, &reducer, work_dir)?)
        }
        _ => None,
    };
    let mut input_files = Vec::new();
    for input in &options.inputs {
        let path = layout.uri_to_path(input);
        if !path.exists() {
            return Err(failed(format!("Input path does not exist: {input}")));
        }
        walk_files(&path, &mut input_files, &|entry| !is_hidden(entry))
            .map_err(|err| failed(format!("{input}: {err}")))?;
    }
    let output_dir = layout.uri_to_path(&output);
    if output_dir.exists() {
        return Err(failed(format!("Output directory {output} already exists")));
    }
    fs::create_dir_all(&output_dir).map_err(|err| failed(format!("{output}: {err}")))?;
    let part = shell_quote(&output_dir.join("part-00000").display().to_string());
    let inputs_quoted: Vec<String> = input_files
        .iter()
        .map(|file| shell_quote(&file.display().to_string()))
        .collect();
    let cat = format!("cat -- {}", inputs_quoted.join(" "));
    let pipeline = match reducer {
        Some(reducer) => format!("{cat} | ( {mapper} ) | LC_ALL=C sort | ( {reducer} ) > {part}"),
        None => format!("{cat} | ( {mapper} ) > {part}"),
    };
    let mut spec = ProcessSpec::new(
        "bash",
        vec!["-c".into(), format!("set -o pipefail\n{pipeline}")],
        context,
    );
    spec.env = context.step_env(Some(work_dir));
    spec.env.extend(options.env);
    spec.on_success_touch = vec![output_dir.join("_SUCCESS")];
    Ok(spec)
}
