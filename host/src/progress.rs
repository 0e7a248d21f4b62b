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
        Progress::on(Box::new(std::io::stderr()), message, DELAY)
    }

    /// Show `message` on `out` once `delay` has passed, until dropped.
    fn on(mut err: Box<dyn Write + Send>, message: &'static str, delay: Duration) -> Progress {
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("helmwasm-progress".into())
            .spawn(move || {
                if rx.recv_timeout(delay) != Err(RecvTimeoutError::Timeout) {
                    return;
                }
                let frames = ['|', '/', '-', '\\'];
                let mut i = 0;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn text(s: &Sink) -> String {
        String::from_utf8(s.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn quick_work_prints_nothing() {
        let sink = Sink::default();
        drop(Progress::on(
            Box::new(sink.clone()),
            "compiling",
            Duration::from_secs(3600),
        ));
        assert_eq!(text(&sink), "");
    }

    #[test]
    fn slow_work_shows_one_line_then_erases_it() {
        let sink = Sink::default();
        let p = Progress::on(Box::new(sink.clone()), "compiling", Duration::ZERO);
        // Watchdog, not a timing assertion: wait until the line is there.
        let started = std::time::Instant::now();
        while !text(&sink).contains("compiling") {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no progress line"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(p);
        let out = text(&sink);
        assert!(out.starts_with("\r| compiling"), "{out:?}");
        assert!(out.ends_with("\r\x1b[2K"), "{out:?}");
        assert!(!out.contains('\n'), "one line, rewritten in place");
    }

    #[test]
    fn off_a_terminal_nothing_starts() {
        let p = Progress::start(false, "x");
        assert!(p.thread.is_none());
    }
}
