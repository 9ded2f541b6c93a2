//! The process groups of a local EMR's steps, and the watcher that ends them when the
//! endpoint process itself dies.
//!
//! Every step (and bootstrap action) runs as its own process group: its leader is spawned
//! with `setpgid(0, 0)`, so the group id is the leader's pid and a shell's `sleep &`, or
//! spark-submit's JVM, is in it too. The endpoint ends a whole group when its step is
//! cancelled, its cluster terminates, its leader exits (leftover children of a finished
//! step do not outlive it) and when the endpoint shuts down ([`ProcessGroups::stop_all`]).
//!
//! An endpoint killed by SIGKILL runs none of that. Two things still end its groups:
//! - **The watcher**: one small bash process per local EMR, outside the endpoint (it is
//!   reparented to init and ignores SIGINT/SIGHUP, so Ctrl-C on a terminal does not take it
//!   along). The endpoint writes `+<pgid>` when a group starts and `-<pgid>` when it has
//!   ended; the write end of that pipe is close-on-exec and held by the endpoint alone, so
//!   the watcher reads end-of-file exactly when the endpoint is gone (killed, crashed, or a
//!   dropped `LocalEmr`). It then sends SIGTERM to every group still listed and SIGKILL after
//!   a grace period.
//! - **PR_SET_PDEATHSIG** on each group leader (Linux): the leader gets SIGKILL when the
//!   thread that spawned it dies. Spawns therefore happen on one thread that lives as long as
//!   the process (`super::spawner`), never on a pool thread that may retire.
//!
//! Why a killed group id cannot be someone else's: a pgid stays taken while any member lives
//! or its leader is an unreaped zombie. The endpoint waits for a leader's exit without
//! reaping it (`waitid(WNOWAIT)`), ends the rest of the group, writes `-<pgid>`, and only
//! then reaps the leader, so every pgid the watcher holds is still that group's. The window
//! left: the endpoint dies, init reaps an already empty group's zombie leader, and the pid
//! wraps around to a new group leader before the watcher reads end-of-file.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// How long the watcher waits between SIGTERM and SIGKILL (it cannot ask the endpoint).
const WATCHER_GRACE_SECONDS: u32 = 2;

/// Reads `+pgid` / `-pgid` lines; at end-of-file ends every group still listed. It runs in a
/// background subshell so that the bash we spawn exits at once (and init reaps the watcher);
/// an indexed array keeps it to bash 3.
const WATCHER: &str = r#"exec 3<&0 </dev/null >/dev/null 2>&1
(
  trap '' INT HUP
  live=()
  while IFS= read -r line <&3; do
    case "$line" in
      +[0-9]*) live[${line#+}]=1 ;;
      -[0-9]*) unset "live[${line#-}]" ;;
    esac
  done
  [ ${#live[@]} -eq 0 ] && exit 0
  for group in "${!live[@]}"; do kill -TERM -- "-$group"; done
  sleep GRACE
  for group in "${!live[@]}"; do kill -KILL -- "-$group"; done
) &
"#;

/// The live process groups of one local EMR, by owner (a cluster id).
pub(crate) struct ProcessGroups {
    live: Mutex<HashMap<i32, String>>,
    /// The watcher's stdin; None when it could not start (the groups are then ended only
    /// by the endpoint itself and by PR_SET_PDEATHSIG).
    watcher: Mutex<Option<ChildStdin>>,
}

impl ProcessGroups {
    pub fn new() -> Self {
        let watcher = match start_watcher() {
            Ok(stdin) => Some(stdin),
            Err(error) => {
                tracing::warn!(%error, "could not start the process watcher: step processes may outlive a killed endpoint");
                None
            }
        };
        ProcessGroups {
            live: Mutex::new(HashMap::new()),
            watcher: Mutex::new(watcher),
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<i32, String>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn tell_watcher(&self, line: String) {
        let mut watcher = self
            .watcher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(stdin) = watcher.as_mut() {
            if stdin.write_all(line.as_bytes()).is_err() {
                tracing::warn!(
                    "the process watcher is gone: step processes may outlive a killed endpoint"
                );
                *watcher = None;
            }
        }
    }

    /// A group started (its leader is `pgid`), on behalf of `owner`.
    pub fn register(&self, pgid: i32, owner: &str) {
        self.live().insert(pgid, owner.to_string());
        self.tell_watcher(format!("+{pgid}\n"));
    }

    /// The group has ended and its leader is not reaped yet (see the module's note on reuse).
    pub fn unregister(&self, pgid: i32) {
        self.live().remove(&pgid);
        self.tell_watcher(format!("-{pgid}\n"));
    }

    /// How many groups of `owner` are still running.
    pub fn count_of(&self, owner: &str) -> usize {
        self.live().values().filter(|o| o.as_str() == owner).count()
    }

    pub fn count(&self) -> usize {
        self.live().len()
    }

    /// SIGTERM to every live group, now: the endpoint is stopping (its step tasks, or the
    /// watcher if the process exits first, follow up with SIGKILL).
    pub fn stop_all(&self) {
        for pgid in self.live().keys() {
            signal_group(*pgid, libc::SIGTERM);
        }
    }
}

fn start_watcher() -> std::io::Result<ChildStdin> {
    let script = WATCHER.replace("GRACE", &WATCHER_GRACE_SECONDS.to_string());
    let mut launcher = Command::new("bash")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own group: a terminal's Ctrl-C reaches the endpoint, not the watcher.
        .process_group(0)
        .spawn()?;
    let stdin = launcher
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("the watcher has no stdin"))?;
    // The launcher exits once the watcher runs in the background.
    launcher.wait()?;
    Ok(stdin)
}

pub(crate) fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: kill(2) with a negative pid signals the process group we created.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Whether any process of the group is still alive (a zombie is not).
pub(crate) fn group_alive(pgid: i32) -> bool {
    #[cfg(target_os = "linux")]
    {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return true;
        };
        entries
            .filter_map(Result::ok)
            .filter(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .bytes()
                    .all(|b| b.is_ascii_digit())
            })
            .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
            .any(|stat| live_member_of(&stat, pgid))
    }
    #[cfg(not(target_os = "linux"))]
    {
        // Without /proc, a zombie leader still answers: assume alive (the caller's grace
        // then ends in SIGKILL).
        // SAFETY: signal 0 only checks that the group exists.
        unsafe { libc::kill(-pgid, 0) == 0 }
    }
}

/// `/proc/<pid>/stat` is `pid (comm) state ppid pgrp …`; comm may hold spaces and parens.
#[cfg(target_os = "linux")]
fn live_member_of(stat: &str, pgid: i32) -> bool {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return false;
    };
    let mut fields = rest.split_whitespace();
    let state = fields.next();
    let group = fields.nth(1).and_then(|pgrp| pgrp.parse::<i32>().ok());
    group == Some(pgid) && state != Some("Z")
}

/// Ends what is left of a group: SIGTERM, then SIGKILL if anything lives after `grace`.
pub(crate) async fn end_group(pgid: i32, grace: Duration) {
    const POLL: Duration = Duration::from_millis(20);
    if !group_alive(pgid) {
        return;
    }
    signal_group(pgid, libc::SIGTERM);
    let deadline = tokio::time::Instant::now() + grace;
    while group_alive(pgid) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
    }
    if group_alive(pgid) {
        signal_group(pgid, libc::SIGKILL);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while group_alive(pgid) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_is_read_past_a_command_name_with_parens_and_spaces() {
        // GIVEN stat lines of a live member, a zombie member and another group's process
        let live = "4242 (my (odd) name) S 1 4242 4242 0 -1";
        let zombie = "4243 (sleep) Z 4242 4242 4242 0 -1";
        let other = "4244 (sleep) S 1 99 99 0 -1";
        // WHEN asked about group 4242 THEN only the live member counts
        assert!(live_member_of(live, 4242));
        assert!(!live_member_of(zombie, 4242));
        assert!(!live_member_of(other, 4242));
    }
}
