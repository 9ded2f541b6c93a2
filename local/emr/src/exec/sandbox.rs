//! The `s3://` mapping stays in its sandbox: every S3 URI a request (or a Hive script) holds
//! names a valid bucket, and its key never climbs out of that bucket's folder with `..`
//! segments. Checked before anything runs, so a mapped path is always under `<root>/s3/`.

use super::layout::S3_SCHEMES;

/// Where an S3 URI ends inside a larger text (arguments are comma lists, scripts have
/// words): whitespace and commas. Quotes are kept in the URI on purpose: a path such as
/// `s3://b/x'/../..` must be judged as the file system will read it.
fn ends_uri(c: char) -> bool {
    c.is_whitespace() || c == ','
}

/// Where a bucket name ends: the key's `/`, or a quote or bracket around the URI.
fn ends_bucket(c: char) -> bool {
    ends_uri(c) || matches!(c, '/' | '\'' | '"' | '`' | ';' | '(' | ')')
}

/// EMR's S3 rules for a bucket name: 3–63 characters, lowercase letters, digits, dots and
/// hyphens, starting and ending with a letter or digit, no `..`, not an IP address.
pub(crate) fn valid_bucket_name(name: &str) -> bool {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let looks_like_ip = name.split('.').count() == 4
        && name
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && edge_ok(name.chars().next())
        && edge_ok(name.chars().last())
        && !name.contains("..")
        && !looks_like_ip
}

/// Why `uri` (after its scheme: `rest`) would leave the sandbox, if it would.
fn escape(rest: &str) -> Option<String> {
    let bucket: String = rest.chars().take_while(|c| !ends_bucket(*c)).collect();
    if !valid_bucket_name(&bucket) {
        return Some(format!(
            "'{bucket}' is not a valid bucket name (3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, not an IP address)"
        ));
    }
    // The first segment is the bucket's folder: no `..` may take the path above it.
    let mut depth = 0usize;
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." if depth <= 1 => {
                return Some(format!("its '..' segments leave the bucket '{bucket}'"))
            }
            ".." => depth -= 1,
            _ => depth += 1,
        }
    }
    None
}

/// Every S3 URI in `text` stays inside its bucket; else the offending URI and why, in words.
pub(crate) fn check_s3_uris(text: &str) -> Result<(), String> {
    for scheme in S3_SCHEMES {
        for (start, _) in text.match_indices(scheme) {
            let rest_start = start + scheme.len();
            let end = text[rest_start..]
                .find(ends_uri)
                .map_or(text.len(), |end| rest_start + end);
            if let Some(why) = escape(&text[rest_start..end]) {
                return Err(format!(
                    "The S3 location '{}' is not valid: {why}.",
                    &text[start..end]
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3s_rules() {
        // GIVEN names S3 accepts and names it refuses WHEN checked THEN each is judged so
        for good in ["abc", "logs-bucket", "my.bucket-1", "a1b", &"a".repeat(63)] {
            assert!(valid_bucket_name(good), "{good} should be valid");
        }
        for bad in [
            "..",
            "ab",
            "in",
            &"a".repeat(64),
            "Upper",
            "under_score",
            "-starts",
            "ends-",
            "dot..dot",
            "192.168.1.10",
            ".hidden",
            "",
        ] {
            assert!(!valid_bucket_name(bad), "{bad} should be refused");
        }
    }

    #[test]
    fn a_key_may_not_climb_out_of_its_bucket() {
        // GIVEN URIs inside texts as steps carry them
        let fine = [
            "s3://data/a/../b.txt",
            "--src=s3://data/x,s3a://logs/y",
            "LOCATION 's3://warehouse/t/'",
            "s3://data/./a//b",
        ];
        for text in fine {
            assert_eq!(check_s3_uris(text), Ok(()), "{text}");
        }
        // WHEN a bucket is not one, or `..` leaves the bucket THEN the URI is named
        let refused = [
            ("s3://../bin/sh", "s3://../bin/sh"),
            ("x,s3://data/../../etc/passwd", "s3://data/../../etc/passwd"),
            ("s3n://data/..", "s3n://data/.."),
            ("'s3://data'/../..", "s3://data'/../.."),
            ("--jar=s3a://10.0.0.1/x.jar", "s3a://10.0.0.1/x.jar"),
        ];
        for (text, uri) in refused {
            let error = check_s3_uris(text).expect_err(text);
            assert!(
                error.starts_with(&format!("The S3 location '{uri}' is not valid: ")),
                "{error}"
            );
        }
    }
}
