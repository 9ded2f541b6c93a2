//! S3 locations as EMR takes them (`s3://bucket/key`; EMRFS also reads `s3a://` and `s3n://`)
//! and S3's bucket-naming rules — checked by the pipeline spec before any call, and by the
//! local EMR before it maps a URI onto its folder.

use std::fmt;

/// An `s3://bucket/key` location (key may be empty: the bucket itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct S3Uri<'a> {
    pub scheme: &'a str,
    pub bucket: &'a str,
    pub key: &'a str,
}

/// Why a text is not a usable S3 location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3UriError {
    NotS3 { text: String },
    NoBucket { text: String },
    BadBucket { bucket: String, rule: &'static str },
}

impl fmt::Display for S3UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            S3UriError::NotS3 { text } => {
                write!(
                    f,
                    "'{text}' is not an S3 location (expected s3://bucket/key)"
                )
            }
            S3UriError::NoBucket { text } => write!(f, "'{text}' names no bucket"),
            S3UriError::BadBucket { bucket, rule } => {
                write!(f, "'{bucket}' is not a valid S3 bucket name: {rule}")
            }
        }
    }
}

impl std::error::Error for S3UriError {}

/// The URI schemes EMR reads S3 through.
pub const S3_SCHEMES: [&str; 3] = ["s3", "s3a", "s3n"];

/// Parses `s3://bucket/key` (or s3a://, s3n://) and checks the bucket name.
pub fn parse_s3_uri(text: &str) -> Result<S3Uri<'_>, S3UriError> {
    let (scheme, rest) = text
        .split_once("://")
        .filter(|(scheme, _)| S3_SCHEMES.contains(scheme))
        .ok_or_else(|| S3UriError::NotS3 {
            text: text.to_string(),
        })?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(S3UriError::NoBucket {
            text: text.to_string(),
        });
    }
    check_bucket_name(bucket)?;
    Ok(S3Uri {
        scheme,
        bucket,
        key,
    })
}

/// Whether `text` is meant as an S3 location: it starts with one of [`S3_SCHEMES`] and a
/// colon (`s3:/bucket/x`, a slash short, is meant as one too, and then refused by
/// [`parse_s3_uri`]). An HDFS path, a local file or a command is not.
pub fn looks_like_s3(text: &str) -> bool {
    text.split_once(':')
        .is_some_and(|(scheme, _)| S3_SCHEMES.contains(&scheme.to_ascii_lowercase().as_str()))
}

/// The S3 locations written inside an argument: the argument itself, the value of
/// `--flag=s3://…` or `KEY=s3://…`, and each item of a comma-separated list.
pub fn s3_locations_in(argument: &str) -> impl Iterator<Item = &str> {
    argument
        .split([',', '=', ' '])
        .map(str::trim)
        .filter(|piece| looks_like_s3(piece))
}

/// S3's rules for general purpose bucket names.
pub fn check_bucket_name(bucket: &str) -> Result<(), S3UriError> {
    let bad = |rule: &'static str| {
        Err(S3UriError::BadBucket {
            bucket: bucket.to_string(),
            rule,
        })
    };
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !(3..=63).contains(&bucket.len()) {
        return bad("it must be 3 to 63 characters long");
    }
    if !bucket
        .chars()
        .all(|c| alphanumeric(c) || c == '.' || c == '-')
    {
        return bad("only lowercase letters, digits, dots and hyphens are allowed");
    }
    if !bucket.starts_with(alphanumeric) || !bucket.ends_with(alphanumeric) {
        return bad("it must begin and end with a letter or a digit");
    }
    if bucket.contains("..") {
        return bad("it must not contain two dots in a row");
    }
    if bucket.parse::<std::net::Ipv4Addr>().is_ok() {
        return bad("it must not look like an IP address");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_location_is_split_into_bucket_and_key() {
        // GIVEN locations EMR reads WHEN parsed THEN bucket and key come apart
        let uri = parse_s3_uri("s3://my-data.lake/raw/2026/x.csv").unwrap();
        assert_eq!((uri.bucket, uri.key), ("my-data.lake", "raw/2026/x.csv"));
        assert_eq!(parse_s3_uri("s3a://logs-1").unwrap().key, "");
    }

    #[test]
    fn s3_locations_are_found_inside_arguments_and_typos_count_as_meant() {
        // GIVEN arguments as steps write them WHEN searched THEN every S3 location is found
        let found: Vec<&str> = [
            "s3://a-bucket/x",
            "--input=s3://b-bucket/y",
            "s3://c-bucket/1,s3a://d-bucket/2",
            "s3:/one-slash/z",
            "hdfs:///tmp/x",
            "/home/hadoop/app.py",
            "--date",
        ]
        .into_iter()
        .flat_map(s3_locations_in)
        .collect();
        assert_eq!(
            found,
            [
                "s3://a-bucket/x",
                "s3://b-bucket/y",
                "s3://c-bucket/1",
                "s3a://d-bucket/2",
                "s3:/one-slash/z"
            ]
        );
        // AND a one-slash typo is meant as S3 but is not a usable location
        assert!(looks_like_s3("S3:/x") && parse_s3_uri("s3:/one-slash/z").is_err());
    }

    #[test]
    fn bad_locations_say_which_rule_they_break() {
        // GIVEN texts that are not usable S3 locations WHEN parsed THEN each names its problem
        for (text, expected) in [
            ("/tmp/x.sh", "is not an S3 location"),
            ("https://bucket/x", "is not an S3 location"),
            ("s3:///key", "names no bucket"),
            ("s3://../x", "3 to 63"),
            ("s3://.../x", "begin and end"),
            ("s3://..x/y", "begin and end"),
            ("s3://ab/x", "3 to 63"),
            ("s3://My-Bucket/x", "only lowercase"),
            ("s3://a..b/x", "two dots"),
            ("s3://192.168.1.1/x", "IP address"),
        ] {
            let error = parse_s3_uri(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
