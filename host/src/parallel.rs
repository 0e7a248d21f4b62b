//! Work spread over a few scoped threads, with results seen in input order: the same order,
//! and the same stopping point, as a plain loop over the items.
//!
//! Two shapes are needed: [`map`] (compile these plugins) and [`ordered`] (render these
//! releases, stopping at the first failure unless told to keep going). Both use
//! `std::thread::scope`, so the work may borrow the caller's data; a worker takes the next
//! unstarted item from a shared counter, so a slow item never holds up the others.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// The most threads a run uses (`--concurrency` is capped here; the runtime's instance pool
/// is sized for it).
pub const MAX_THREADS: usize = 64;

/// The default number of threads: the machine's cores (at most [`MAX_THREADS`]).
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
}

/// `work` over every item on up to `threads` threads; the results in item order.
pub fn map<T: Sync, R: Send>(items: &[T], threads: usize, work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let mut out = Vec::with_capacity(items.len());
    ordered(items, threads, work, |_| false, |r| out.push(r));
    out
}

/// `work` over the items on up to `threads` threads, `emit` called on this thread with each
/// result in item order as soon as every earlier one was emitted. After a result for which
/// `stop` holds, nothing more is emitted and no later item is started (items already running
/// finish and are dropped): what `emit` sees is exactly what the serial loop
/// `for item { let r = work(item); emit(r); if stop { break } }` gives, which is what runs when
/// `threads` is 1.
pub fn ordered<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
    stop: impl Fn(&R) -> bool + Sync,
    mut emit: impl FnMut(R),
) {
    let threads = threads.clamp(1, items.len().clamp(1, MAX_THREADS));
    if threads == 1 {
        for item in items {
            let r = work(item);
            let last = stop(&r);
            emit(r);
            if last {
                return;
            }
        }
        return;
    }
    let next = AtomicUsize::new(0);
    // No item past the lowest index whose result stops the run is started.
    let limit = AtomicUsize::new(usize::MAX);
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, limit, work, stop) = (&next, &limit, &work, &stop);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= items.len() || i > limit.load(Ordering::SeqCst) {
                        break;
                    }
                    let r = work(&items[i]);
                    if stop(&r) {
                        limit.fetch_min(i, Ordering::SeqCst);
                    }
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        while let Ok((i, r)) = rx.recv() {
            pending.insert(i, r);
            while let Some(r) = pending.remove(&want) {
                let last = stop(&r);
                emit(r);
                want += 1;
                if last {
                    // Workers see the limit and stop taking items; their sends now fail.
                    drop(rx);
                    return;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The emitted sequence of the serial loop, for comparison.
    fn serial(items: &[u32], stop_at: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        for &i in items {
            out.push(i * 10);
            if stop_at.contains(&i) {
                break;
            }
        }
        out
    }

    #[test]
    fn results_come_in_item_order_and_stop_where_the_serial_loop_stops() {
        let items: Vec<u32> = (0..200).collect();
        for threads in [1, 2, 3, 8] {
            for stop_at in [vec![], vec![0], vec![57], vec![57, 3, 120], vec![199]] {
                let mut seen = Vec::new();
                ordered(
                    &items,
                    threads,
                    |&i| {
                        // Uneven work so later items often finish first.
                        if i % 7 == 0 {
                            std::thread::yield_now();
                        }
                        i * 10
                    },
                    |r| stop_at.contains(&(r / 10)),
                    |r| seen.push(r),
                );
                assert_eq!(
                    seen,
                    serial(&items, &stop_at),
                    "{threads} threads, stop {stop_at:?}"
                );
            }
        }
    }

    #[test]
    fn map_keeps_order() {
        let items: Vec<usize> = (0..50).collect();
        assert_eq!(
            map(&items, 4, |i| i * 2),
            (0..50).map(|i| i * 2).collect::<Vec<_>>()
        );
        assert!(map(&[] as &[usize], 4, |i| *i).is_empty());
    }
}
