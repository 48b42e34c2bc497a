//! The [`Limiter`]: what keeps a process from hammering a provider. It combines a
//! global concurrency cap (a tokio semaphore), requests-per-minute and
//! estimated-tokens-per-minute buckets (governor's GCRA), and a circuit breaker
//! that fails calls fast after repeated provider failures.
//!
//! One `Limiter` is shared through an `Arc` by every provider and task that should
//! respect the same limits. Rate buckets apply per HTTP attempt (a retry is a
//! request too); the concurrency cap and the circuit breaker apply per call.

use crate::config::RateLimits;
use crate::error::LlmError;
use crate::transport::duration_ms;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Shared rate limits, concurrency cap and circuit breaker.
pub struct Limiter {
    limits: RateLimits,
    concurrency: Arc<Semaphore>,
    requests: Option<DefaultDirectRateLimiter>,
    tokens: Option<(DefaultDirectRateLimiter, NonZeroU32)>,
    circuit: Mutex<CircuitState>,
    clock: DefaultClock,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("limits", &self.limits)
            .field("available_permits", &self.concurrency.available_permits())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct CircuitState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    trial_in_flight: bool,
}

impl Limiter {
    /// A limiter with its own concurrency semaphore.
    pub fn new(limits: RateLimits) -> Limiter {
        let permits = limits.max_concurrency.max(1);
        Limiter::with_shared_concurrency(limits, Arc::new(Semaphore::new(permits)))
    }

    /// A limiter with its own rate buckets and circuit breaker that shares an
    /// existing concurrency semaphore (one global cap over several providers).
    pub fn with_shared_concurrency(limits: RateLimits, concurrency: Arc<Semaphore>) -> Limiter {
        let requests = limits
            .requests_per_minute
            .and_then(NonZeroU32::new)
            .map(|n| RateLimiter::direct(Quota::per_minute(n)));
        let tokens = limits
            .tokens_per_minute
            .and_then(NonZeroU32::new)
            .map(|n| (RateLimiter::direct(Quota::per_minute(n)), n));
        Limiter {
            limits,
            concurrency,
            requests,
            tokens,
            circuit: Mutex::new(CircuitState::default()),
            clock: DefaultClock::default(),
        }
    }

    /// Wait until the rate buckets let one HTTP request of about `estimated_tokens`
    /// tokens go out (called before every attempt, retries included).
    pub async fn pace(&self, estimated_tokens: u64) {
        if let Some(requests) = &self.requests {
            while let Err(not_until) = requests.check() {
                tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
            }
        }
        if let Some((tokens, capacity)) = &self.tokens {
            // A request larger than the whole bucket is let through once the bucket
            // is full, rather than never.
            let wanted = u32::try_from(estimated_tokens)
                .unwrap_or(u32::MAX)
                .clamp(1, capacity.get());
            let n = NonZeroU32::new(wanted).unwrap_or(NonZeroU32::MIN);
            while let Ok(Err(not_until)) = tokens.check_n(n) {
                tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
            }
        }
    }

    /// Wait for a concurrency slot and hold it until the permit is dropped. A call
    /// holds its slot from before its request is built until it ends, backoff
    /// included: calls waiting for a slot cost no memory for request bodies, and a
    /// provider that asks us to back off gets fewer requests, not more.
    pub async fn acquire_slot(&self) -> Result<OwnedSemaphorePermit, LlmError> {
        Arc::clone(&self.concurrency)
            .acquire_owned()
            .await
            .map_err(|_| LlmError::Config {
                reason: "the concurrency semaphore was closed; hint: do not close a semaphore shared with a Limiter".into(),
            })
    }

    /// Ask the circuit breaker whether a call may start. The returned guard must be
    /// told how the call ended; dropping it unrecorded (a cancelled call) counts as
    /// neither success nor failure.
    pub fn begin_call(self: &Arc<Self>) -> Result<CallGuard, LlmError> {
        let threshold = self.limits.circuit_breaker_threshold;
        let mut trial = false;
        if threshold > 0 {
            let mut state = self.lock();
            if let Some(until) = state.open_until {
                let now = Instant::now();
                if now < until || state.trial_in_flight {
                    return Err(LlmError::CircuitOpen {
                        failures: state.consecutive_failures,
                        retry_in: until.saturating_duration_since(now),
                    });
                }
                // Half-open: one trial call decides whether the circuit closes.
                state.trial_in_flight = true;
                trial = true;
            }
        }
        Ok(CallGuard {
            limiter: Arc::clone(self),
            trial,
            recorded: false,
        })
    }

    /// True while the circuit is open (calls fail fast).
    pub fn circuit_open(&self) -> bool {
        let state = self.lock();
        state.open_until.is_some_and(|until| Instant::now() < until) || state.trial_in_flight
    }

    fn record(&self, trial: bool, success: bool) {
        let threshold = self.limits.circuit_breaker_threshold;
        if threshold == 0 {
            return;
        }
        let mut state = self.lock();
        if trial {
            state.trial_in_flight = false;
        }
        if success {
            *state = CircuitState::default();
            return;
        }
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        if trial || state.consecutive_failures >= threshold {
            if state.open_until.is_none() || trial {
                tracing::warn!(
                    failures = state.consecutive_failures,
                    cooldown_ms = duration_ms(self.limits.circuit_breaker_cooldown),
                    "provider circuit breaker opened"
                );
            }
            state.open_until = Some(Instant::now() + self.limits.circuit_breaker_cooldown);
        }
    }

    fn release_trial(&self, trial: bool) {
        if trial {
            self.lock().trial_in_flight = false;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CircuitState> {
        // The state is a few plain fields updated in one step; a panic elsewhere
        // cannot leave it half-written, so a poisoned lock is still usable.
        self.circuit.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One call admitted by the circuit breaker; report its end with [`CallGuard::finish`].
#[derive(Debug)]
pub struct CallGuard {
    limiter: Arc<Limiter>,
    trial: bool,
    recorded: bool,
}

impl CallGuard {
    /// Record how the call ended: a success closes the circuit, a provider failure
    /// counts towards opening it, other errors are ignored.
    pub fn finish<T>(mut self, result: &Result<T, LlmError>) {
        self.recorded = true;
        match result {
            Ok(_) => self.limiter.record(self.trial, true),
            Err(e) if e.counts_against_provider() => self.limiter.record(self.trial, false),
            Err(_) => self.limiter.release_trial(self.trial),
        }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if !self.recorded {
            self.limiter.release_trial(self.trial);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(threshold: u32, cooldown_ms: u64) -> RateLimits {
        RateLimits {
            circuit_breaker_threshold: threshold,
            circuit_breaker_cooldown: Duration::from_millis(cooldown_ms),
            ..RateLimits::default()
        }
    }

    fn fail() -> Result<(), LlmError> {
        Err(LlmError::Timeout {
            timeout: Duration::from_secs(1),
            attempts: 1,
        })
    }

    #[test]
    fn opens_after_threshold_and_closes_on_success() {
        let limiter = Arc::new(Limiter::new(limits(2, 20)));
        limiter.begin_call().unwrap().finish(&fail());
        assert!(!limiter.circuit_open());
        limiter.begin_call().unwrap().finish(&fail());
        assert!(limiter.circuit_open());
        assert!(matches!(
            limiter.begin_call(),
            Err(LlmError::CircuitOpen { failures: 2, .. })
        ));
        std::thread::sleep(Duration::from_millis(30));
        let trial = limiter.begin_call().unwrap();
        // Only one trial at a time while half-open.
        assert!(limiter.begin_call().is_err());
        trial.finish(&Ok::<(), LlmError>(()));
        assert!(!limiter.circuit_open());
        limiter.begin_call().unwrap().finish(&fail());
        assert!(!limiter.circuit_open(), "counter was reset by the success");
    }

    #[test]
    fn failed_trial_reopens_and_cancelled_trial_releases() {
        let limiter = Arc::new(Limiter::new(limits(1, 10)));
        limiter.begin_call().unwrap().finish(&fail());
        std::thread::sleep(Duration::from_millis(15));
        drop(limiter.begin_call().unwrap());
        let trial = limiter.begin_call().unwrap();
        trial.finish(&fail());
        assert!(limiter.begin_call().is_err());
    }

    #[test]
    fn request_errors_do_not_count_and_zero_disables() {
        let limiter = Arc::new(Limiter::new(limits(1, 1000)));
        let bad_request: Result<(), LlmError> = Err(LlmError::Http {
            status: 400,
            message: String::new(),
            attempts: 1,
        });
        limiter.begin_call().unwrap().finish(&bad_request);
        assert!(!limiter.circuit_open());
        let off = Arc::new(Limiter::new(limits(0, 1000)));
        for _ in 0..5 {
            off.begin_call().unwrap().finish(&fail());
        }
        assert!(off.begin_call().is_ok());
    }

    #[tokio::test]
    async fn concurrency_permits_are_shared() {
        let limiter = Limiter::new(RateLimits {
            max_concurrency: 1,
            ..RateLimits::default()
        });
        let first = limiter.acquire_slot().await.unwrap();
        let second = tokio::time::timeout(Duration::from_millis(20), limiter.acquire_slot()).await;
        assert!(second.is_err(), "second admission must wait for the slot");
        drop(first);
        assert!(limiter.acquire_slot().await.is_ok());
    }

    #[tokio::test]
    async fn requests_per_minute_bucket_makes_callers_wait() {
        let limiter = Limiter::new(RateLimits {
            requests_per_minute: Some(1),
            ..RateLimits::default()
        });
        limiter.pace(1).await;
        let next = tokio::time::timeout(Duration::from_millis(50), limiter.pace(1)).await;
        assert!(next.is_err(), "the second request of the minute must wait");
    }

    #[tokio::test]
    async fn tokens_per_minute_bucket_weighs_requests() {
        let limiter = Limiter::new(RateLimits {
            tokens_per_minute: Some(1000),
            ..RateLimits::default()
        });
        // Larger than the bucket: clamped, so it still goes out once.
        limiter.pace(5000).await;
        let next = tokio::time::timeout(Duration::from_millis(50), limiter.pace(10)).await;
        assert!(next.is_err(), "the bucket is spent for now");
    }
}
