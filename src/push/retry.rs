//! Retrying a failing target: exponential backoff with jitter, up to a time after
//! which the work for it is given up (and counted, and logged with the target).

use std::future::Future;
use std::time::{Duration, Instant};

use super::stats::PushStats;
use crate::config::PushSettings;

/// When to try again, and when to stop.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub initial: Duration,
    pub max: Duration,
    pub give_up_after: Duration,
}

impl Retry {
    /// The policy `push.*` sets.
    pub fn from_settings(settings: &PushSettings) -> Retry {
        Retry {
            initial: Duration::from_millis(settings.backoff_initial_ms),
            max: Duration::from_millis(settings.backoff_max_ms),
            give_up_after: Duration::from_secs(settings.give_up_after_secs),
        }
    }

    /// Runs `attempt` until it succeeds or the policy gives up; true on success.
    /// Every outcome is counted under `job` and `target` in `stats`.
    pub async fn run<F, Fut>(
        &self,
        stats: &PushStats,
        job: &str,
        target: &str,
        mut attempt: F,
    ) -> bool
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        let started = Instant::now();
        let mut delay = self.initial;
        loop {
            match attempt().await {
                Ok(()) => {
                    stats.record(job, target, Ok(()));
                    return true;
                }
                Err(error) => {
                    stats.record(job, target, Err(&error));
                    if started.elapsed() + delay > self.give_up_after {
                        stats.gave_up(job, target);
                        tracing::error!(%job, %target, %error, "giving up after retries");
                        return false;
                    }
                    tracing::warn!(%job, %target, %error, retry_in_ms = delay.as_millis() as u64, "push failed; will retry");
                    tokio::time::sleep(jitter(delay)).await;
                    delay = (delay * 2).min(self.max);
                }
            }
        }
    }
}

/// `d` scaled by a factor in [0.5, 1.5), so that targets that failed together do
/// not all retry at the same instant.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos() as u64);
    let mut x = nanos ^ 0x9E37_79B9_7F4A_7C15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    d.mul_f64(0.5 + (x % 1000) as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_target_is_retried_until_it_answers_or_the_time_is_up() {
        let stats = PushStats::default();
        let retry = Retry {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(20),
            give_up_after: Duration::from_millis(300),
        };
        let tries = AtomicU32::new(0);
        let ok = retry
            .run(&stats, "purge", "v", || async {
                let n = tries.fetch_add(1, Ordering::Relaxed);
                if n < 3 {
                    Err("down".to_string())
                } else {
                    Ok(())
                }
            })
            .await;
        assert!(ok);
        assert_eq!(tries.load(Ordering::Relaxed), 4);
        let started = Instant::now();
        let gave_up = !retry
            .run(&stats, "purge", "w", || async { Err("down".to_string()) })
            .await;
        assert!(gave_up && started.elapsed() < Duration::from_secs(1));
        let v = stats.get("purge", "v").unwrap();
        assert_eq!((v.ok, v.failed, v.given_up), (1, 3, 0));
        let w = stats.get("purge", "w").unwrap();
        assert!(w.failed >= 3 && w.given_up == 1, "{w:?}");
    }
}
