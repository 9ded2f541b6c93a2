//! Spawns step processes from one thread that lives as long as the process.
//!
//! PR_SET_PDEATHSIG fires when the *thread* that forked a child exits, not the process:
//! spawned from a runtime's pool thread that later retires, a step would be killed early.

use std::io;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::sync::OnceLock;

struct Request {
    command: Command,
    reply: mpsc::SyncSender<io::Result<Child>>,
}

static SPAWNER: OnceLock<Option<mpsc::Sender<Request>>> = OnceLock::new();

fn start() -> Option<mpsc::Sender<Request>> {
    let (sender, requests) = mpsc::channel::<Request>();
    let started = std::thread::Builder::new()
        .name("emrflow-spawner".into())
        .spawn(move || {
            for mut request in requests {
                let _ = request.reply.send(request.command.spawn());
            }
        });
    match started {
        Ok(_) => Some(sender),
        Err(error) => {
            tracing::warn!(%error, "no spawner thread: step processes are spawned where they are asked for");
            None
        }
    }
}

/// `command.spawn()`, on the lasting spawner thread (or here, if it could not start). Blocks
/// for the few milliseconds a fork and exec take.
pub(crate) fn spawn(command: Command) -> io::Result<Child> {
    let Some(spawner) = SPAWNER.get_or_init(start) else {
        let mut command = command;
        return command.spawn();
    };
    let (reply, answer) = mpsc::sync_channel(1);
    match spawner.send(Request { command, reply }) {
        Ok(()) => answer
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("the spawner thread is gone"))),
        Err(mpsc::SendError(mut request)) => request.command.spawn(),
    }
}
