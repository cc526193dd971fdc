//! kill -9 in the middle of bulk imports, 20 times over: the store always reopens,
//! keeps every acknowledged write, its indexes agree with its articles, and every
//! stored article's last change log entry describes the version stored (no write
//! without its entry, no entry without its write).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{TOKEN, article, herald, serve_binary};

const ROUNDS: u32 = 20;
const BATCH: u32 = 40;

/// What the store may hold for each id: the category of its last acknowledged
/// version, plus those of any later write that died unanswered (which may or may not
/// have landed). `None` stands for "absent": a new article whose write died.
type Acknowledged = Arc<Mutex<HashMap<String, Vec<Option<String>>>>>;

/// Posts batches until the server dies. Each batch adds new articles and moves a
/// few earlier ones to another category, so index entries are removed as well as added.
fn write_until_killed(addr: std::net::SocketAddr, round: u32, acked: Acknowledged) {
    let client = crate::common::blocking_client();
    for batch in 0.. {
        let category = ["thoi-su", "kinh-te", "xa-hoi"][(round + batch) as usize % 3];
        let mut items: Vec<(String, String)> = (0..BATCH)
            .map(|i| (format!("r{round}-b{batch}-{i}"), category.to_string()))
            .collect();
        let earlier: Vec<String> = acked.lock().unwrap().keys().take(5).cloned().collect();
        items.extend(earlier.into_iter().map(|id| (id, category.to_string())));
        let body: String = items
            .iter()
            .enumerate()
            .map(|(i, (id, cat))| article(id, cat, batch * BATCH + i as u32).to_string() + "\n")
            .collect();
        let sent = client
            .post(format!("http://{addr}/api/articles"))
            .bearer_auth(TOKEN)
            .body(body)
            .send();
        match sent {
            Ok(r) if r.status() == 200 => {
                let report: serde_json::Value = r.json().expect("bulk report");
                assert_eq!(report["failed"].as_array().map(Vec::len), Some(0));
                let mut acked = acked.lock().unwrap();
                for (id, cat) in items {
                    acked.insert(id, vec![Some(cat)]);
                }
            }
            Ok(r) => panic!("bulk write answered {}", r.status()),
            Err(_) => {
                // Killed mid-request: unacknowledged, so either outcome is allowed.
                let mut acked = acked.lock().unwrap();
                for (id, cat) in items {
                    acked
                        .entry(id)
                        .or_insert_with(|| vec![None])
                        .push(Some(cat));
                }
                return;
            }
        }
    }
}

#[test]
fn kill_9_during_bulk_imports_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let acked: Acknowledged = Arc::default();
    for round in 0..ROUNDS {
        let mut served = serve_binary(&data, &[]);
        let writer = {
            let acked = acked.clone();
            std::thread::spawn(move || write_until_killed(served.addr, round, acked))
        };
        // Vary the moment of death so it falls at different points of a batch.
        std::thread::sleep(Duration::from_millis(150 + 37 * u64::from(round % 7)));
        served.child.kill().unwrap();
        served.child.wait().unwrap();
        writer.join().expect("writer thread");

        let check = herald(&data, &["check"], "");
        let said = String::from_utf8_lossy(&check.stdout);
        assert!(
            check.status.success(),
            "round {round}: herald check: {said}{}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert!(said.contains("consistent"), "{said}");

        let export = herald(&data, &["export"], "");
        assert!(export.status.success(), "round {round}: export failed");
        let stored: HashMap<String, String> = String::from_utf8_lossy(&export.stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["id"].as_str().unwrap().into(),
                    v["category"].as_str().unwrap().into(),
                )
            })
            .collect();
        assert_log_describes(&data, &stored, round);
        let acked = acked.lock().unwrap();
        assert!(!acked.is_empty(), "round {round}: nothing was written");
        for (id, allowed) in acked.iter() {
            let found = stored.get(id).cloned();
            assert!(
                allowed.contains(&found),
                "round {round}: {id} is {found:?} after kill -9; acknowledged history allows {allowed:?}"
            );
        }
    }
}

/// Every stored article's last change log entry names the section it is stored in.
fn assert_log_describes(data: &std::path::Path, stored: &HashMap<String, String>, round: u32) {
    let store = crate::common::open_store(data);
    let herald::store::Since::Entries { changes, .. } = store.changes(0, usize::MAX).unwrap()
    else {
        panic!("round {round}: the log lost its start");
    };
    let mut last = HashMap::new();
    for c in changes {
        last.insert(c.id.clone(), c);
    }
    for (id, category) in stored {
        let entry = last
            .get(id)
            .unwrap_or_else(|| panic!("round {round}: {id} is stored without a log entry"));
        assert!(
            entry.scopes.contains(&format!("category:{category}")),
            "round {round}: {id} is in {category}, its last entry says {:?}",
            entry.scopes
        );
    }
}
