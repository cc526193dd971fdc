//! What pushes did, per job and target, for `/metrics` and the operators' API.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Outcomes for one target of one job.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetStats {
    pub ok: u64,
    pub failed: u64,
    pub given_up: u64,
    /// The last outcome, and when: `None` on success, else the error.
    pub last: Option<(DateTime<Utc>, Option<String>)>,
}

/// Counters for every (job, target).
#[derive(Debug, Default)]
pub struct PushStats {
    targets: Mutex<BTreeMap<(String, String), TargetStats>>,
}

impl PushStats {
    /// Counts one attempt.
    pub fn record(&self, job: &str, target: &str, outcome: Result<(), &str>) {
        let mut targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        let t = targets
            .entry((job.to_string(), target.to_string()))
            .or_default();
        match outcome {
            Ok(()) => t.ok += 1,
            Err(_) => t.failed += 1,
        }
        t.last = Some((Utc::now(), outcome.err().map(str::to_string)));
    }

    /// Counts work given up.
    pub fn gave_up(&self, job: &str, target: &str) {
        let mut targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        targets
            .entry((job.to_string(), target.to_string()))
            .or_default()
            .given_up += 1;
    }

    /// The counters of one target.
    pub fn get(&self, job: &str, target: &str) -> Option<TargetStats> {
        let targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        targets.get(&(job.to_string(), target.to_string())).cloned()
    }

    /// Every target's counters, by job and target.
    pub fn all(&self) -> Vec<((String, String), TargetStats)> {
        let targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        targets
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
