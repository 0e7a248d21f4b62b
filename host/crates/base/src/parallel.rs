//! Work spread over a few scoped threads, with results seen in input order: the same order,
//! and the same stopping point, as a plain loop over the items.
//!
//! Four shapes are needed: [`map`] (compile these plugins), [`map_owned`] (deserialize these
//! releases, moving each), [`ordered`] (render these releases, stopping at the first failure
//! unless told to keep going) and [`piped`] (parse on one thread while another builds from
//! what was parsed). All use `std::thread::scope`, so the work may borrow the caller's data,
//! and the calling thread works too. In [`map`] and [`ordered`] each thread takes the next
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

/// `work` over owned items (moved into it, not copied) on up to `threads` threads, one
/// contiguous share each, this thread taking the first; the results in item order. For
/// many items of about the same cost.
pub fn map_owned<T: Send, R: Send>(
    mut items: Vec<T>,
    threads: usize,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().clamp(1, MAX_THREADS));
    if threads == 1 {
        return items.into_iter().map(work).collect();
    }
    let share = items.len().div_ceil(threads);
    // Split from the end, so each split moves only what it takes.
    let mut later = Vec::with_capacity(threads - 1);
    for i in (1..threads).rev() {
        if i * share < items.len() {
            later.push(items.split_off(i * share));
        }
    }
    later.reverse();
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = later
            .into_iter()
            .map(|share| scope.spawn(move || share.into_iter().map(work).collect::<Vec<R>>()))
            .collect();
        let mut out: Vec<R> = items.into_iter().map(work).collect();
        for h in handles {
            match h.join() {
                Ok(rest) => out.extend(rest),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

/// `work` over the items on up to `threads` threads, this one among them, `emit` called on
/// this thread with each result in item order once every earlier one was emitted (between
/// this thread's own items, then as the others finish). After a result for which
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
    let take = || {
        let i = next.fetch_add(1, Ordering::SeqCst);
        (i < items.len() && i <= limit.load(Ordering::SeqCst)).then_some(i)
    };
    let run = |i: usize| {
        let r = work(&items[i]);
        if stop(&r) {
            limit.fetch_min(i, Ordering::SeqCst);
        }
        r
    };
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 1..threads {
            let tx = tx.clone();
            let (take, run) = (&take, &run);
            scope.spawn(move || {
                while let Some(i) = take() {
                    if tx.send((i, run(i))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut want = 0;
        // Emits every result next in order; true once one of them stops the run.
        let mut flush = |pending: &mut BTreeMap<usize, R>| {
            while let Some(r) = pending.remove(&want) {
                let last = stop(&r);
                emit(r);
                want += 1;
                if last {
                    return true;
                }
            }
            false
        };
        // This thread is a worker too, taking in what the others finished between its own
        // items: it never sleeps while there is work, so the others' results wake no one
        // (each wake-up was a context switch, and on a VM an interrupt between cores).
        while let Some(i) = take() {
            let r = run(i);
            pending.insert(i, r);
            pending.extend(rx.try_iter());
            if flush(&mut pending) {
                // Workers see the limit and stop taking items; their sends now fail.
                drop(rx);
                return;
            }
        }
        // Then it waits for the rest.
        while let Ok((i, r)) = rx.recv() {
            pending.insert(i, r);
            if flush(&mut pending) {
                drop(rx);
                return;
            }
        }
    });
}

/// `m`'s guard, even after a thread panicked holding it: what the run's mutexes guard (caches
/// filled once per key, a value handed over once) is never left half-written.
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Items handed over between the threads of [`piped`] at a time: one hand-over costs about
/// what a few items do.
const BATCH: usize = 1024;

/// `sink` over every item of `source` in order, stopping at its first error. With `threads`
/// above 1, `source` runs on a second thread, a few batches ahead of `sink`; when `sink` fails
/// the second thread stops at its next hand-over. The result is the serial loop's
/// `for item in source { sink(item)? }`, which is what runs when `threads` is 1.
pub fn piped<I, E>(
    source: I,
    threads: usize,
    mut sink: impl FnMut(I::Item) -> Result<(), E>,
) -> Result<(), E>
where
    I: Iterator + Send,
    I::Item: Send,
{
    if threads <= 1 {
        for item in source {
            sink(item)?;
        }
        return Ok(());
    }
    // Batches go one way full and come back empty, so their buffers are reused.
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<I::Item>>(4);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<I::Item>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(BATCH);
            for item in source {
                batch.push(item);
                if batch.len() == BATCH {
                    let empty = empty_rx
                        .try_recv()
                        .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                    if full_tx.send(std::mem::replace(&mut batch, empty)).is_err() {
                        return;
                    }
                }
            }
            if !batch.is_empty() {
                let _ = full_tx.send(batch);
            }
        });
        // On an error `full_rx` is dropped with this closure: the producer's next send fails.
        for mut batch in full_rx {
            for item in batch.drain(..) {
                sink(item)?;
            }
            let _ = empty_tx.send(batch);
        }
        Ok(())
    })
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
    fn ordered_uses_at_most_the_threads_it_is_given_this_one_among_them() {
        // `--concurrency N` means N threads rendering: the calling thread is one of them.
        let items: Vec<u32> = (0..40).collect();
        for threads in [1, 2, 3] {
            let seen = std::sync::Mutex::new(std::collections::HashSet::new());
            ordered(
                &items,
                threads,
                |_| {
                    lock(&seen).insert(std::thread::current().id());
                    // Long enough that every thread there is gets items.
                    std::thread::sleep(std::time::Duration::from_millis(2));
                },
                |_| false,
                |_| {},
            );
            let seen = seen.into_inner().unwrap();
            assert_eq!(seen.len(), threads, "{threads} threads");
            assert!(
                seen.contains(&std::thread::current().id()),
                "{threads} threads"
            );
        }
    }

    #[test]
    fn piped_sees_every_item_in_order_and_stops_at_the_first_error() {
        for threads in [1, 2] {
            for n in [0, 1, BATCH - 1, BATCH, BATCH + 1, 5 * BATCH + 17] {
                let mut seen = Vec::new();
                let done: Result<(), ()> = piped(0..n, threads, |i| {
                    seen.push(i);
                    Ok(())
                });
                assert_eq!(done, Ok(()));
                assert_eq!(
                    seen,
                    (0..n).collect::<Vec<_>>(),
                    "{threads} threads, {n} items"
                );
            }
            // The producer is unbounded: only the sink's error ends the run.
            let mut seen = Vec::new();
            let done = piped(0.., threads, |i: u64| {
                seen.push(i);
                if i == 3 * BATCH as u64 + 5 {
                    Err(i)
                } else {
                    Ok(())
                }
            });
            assert_eq!(done, Err(3 * BATCH as u64 + 5));
            assert_eq!(seen.len(), 3 * BATCH + 6, "{threads} threads");
        }
    }

    #[test]
    fn map_owned_keeps_order_for_any_count_and_thread_number() {
        for threads in [1, 2, 3, 8] {
            for n in [0, 1, 2, 3, 7, 8, 9, 100] {
                let items: Vec<String> = (0..n).map(|i| i.to_string()).collect();
                let out = map_owned(items, threads, |s| s.parse::<usize>().unwrap() * 2);
                assert_eq!(
                    out,
                    (0..n).map(|i| i * 2).collect::<Vec<_>>(),
                    "{threads} threads, {n} items"
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
