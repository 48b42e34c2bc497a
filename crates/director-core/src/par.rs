//! An ordered map over a slice on all cores, for the per-file work of a run (reading
//! and parsing the files the analyzers look at) that is independent file by file.
//!
//! Compute only: the closure decides what it touches. The results come back in the
//! order of the input, so the output is the same as a sequential map's. A panic in
//! the closure is not swallowed: it is resumed on the calling thread with its own
//! payload once the workers have stopped, exactly as the sequential map would panic.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Most threads one map uses (the calling thread included).
const MAX_WORKERS: usize = 8;

/// `items.iter().map(f).collect()`, with the items shared out over the cores (one
/// at a time, so a few large items do not leave the other workers idle). Runs on
/// the calling thread alone for fewer than two items or on one core.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let workers = cores.min(MAX_WORKERS).min(items.len());
    if workers < 2 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    // Each worker keeps the positions it took; the results are put back in order.
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else { break };
            done.push((i, f(item)));
        }
        done
    };
    let mut tagged: Vec<(usize, R)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
        let mut all = work();
        for helper in helpers {
            match helper.join() {
                Ok(done) => all.extend(done),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        all
    });
    tagged.sort_unstable_by_key(|(i, _)| *i);
    tagged.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn results_come_back_in_input_order() {
        let items: Vec<u64> = (0..5_000).collect();
        // Uneven work, so workers finish out of order.
        let slow_square = |n: &u64| {
            let mut x = *n;
            for _ in 0..(n % 97) * 50 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            std::hint::black_box(x);
            n * n
        };
        assert_eq!(
            map(&items, slow_square),
            items.iter().map(|n| n * n).collect::<Vec<_>>()
        );
        assert_eq!(map(&[] as &[u64], |n| *n), Vec::<u64>::new());
        assert_eq!(map(&[7u64], |n| n + 1), vec![8]);
    }

    #[test]
    fn a_panic_in_a_worker_reaches_the_caller_with_its_message() {
        let items: Vec<u32> = (0..64).collect();
        let caught = std::panic::catch_unwind(|| {
            map(&items, |n| {
                assert!(*n != 41, "item {n} exploded");
                *n
            })
        })
        .expect_err("the panic is resumed on the caller");
        let text = caught.downcast_ref::<String>().cloned().unwrap_or_default();
        assert_eq!(text, "item 41 exploded");
    }
}
