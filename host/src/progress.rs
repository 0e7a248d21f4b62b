//! A one-line progress indicator on stderr for work that may take seconds (compiling
//! plugins on a first run): shown only on a terminal, only once the work has taken longer
//! than [`DELAY`], and erased when it ends. Nothing is printed when stderr is not a terminal.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How long work runs before the indicator appears.
pub const DELAY: Duration = Duration::from_secs(1);

/// Shows `message` with a spinner until dropped.
pub struct Progress {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    /// Start, if `enabled` and stderr is a terminal; otherwise a no-op.
    pub fn start(enabled: bool, message: &'static str) -> Progress {
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress {
                stop: None,
                thread: None,
            };
        }
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("helmwasm-progress".into())
            .spawn(move || {
                if rx.recv_timeout(DELAY) != Err(RecvTimeoutError::Timeout) {
                    return;
                }
                let frames = ['|', '/', '-', '\\'];
                let mut i = 0;
                let mut err = std::io::stderr();
                loop {
                    let _ = write!(err, "\r{} {message}", frames[i % frames.len()]);
                    let _ = err.flush();
                    i += 1;
                    if rx.recv_timeout(Duration::from_millis(120)) != Err(RecvTimeoutError::Timeout)
                    {
                        break;
                    }
                }
                // Erase the line.
                let _ = write!(err, "\r\x1b[2K");
                let _ = err.flush();
            })
            .ok();
        Progress {
            stop: Some(tx),
            thread,
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
