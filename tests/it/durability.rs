//! Acknowledged writes survive kill -9, and SIGTERM shuts down cleanly.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{TOKEN, article, serve_binary};

fn put(
    client: &reqwest::blocking::Client,
    addr: std::net::SocketAddr,
    body: &serde_json::Value,
) -> u16 {
    let id = body["id"].as_str().unwrap();
    client
        .put(format!("http://{addr}/api/articles/{id}"))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

fn status_of(client: &reqwest::blocking::Client, addr: std::net::SocketAddr, id: &str) -> u16 {
    client
        .get(format!("http://{addr}/api/articles/{id}"))
        .send()
        .expect("GET")
        .status()
        .as_u16()
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let client = crate::common::blocking_client();
    let mut acknowledged = Vec::new();
    for round in 0..5 {
        let mut served = serve_binary(&data, &[]);
        for i in 0..4 {
            let id = format!("r{round}-a{i}");
            let status = put(&client, served.addr, &article(&id, "thoi-su", i));
            assert!(status == 201, "PUT {id}: {status}");
            acknowledged.push(id);
        }
        // SIGKILL right after the last acknowledgement: no chance to flush on exit.
        served.child.kill().unwrap();
        served.child.wait().unwrap();
    }
    let mut served = serve_binary(&data, &[]);
    for id in &acknowledged {
        assert_eq!(
            status_of(&client, served.addr, id),
            200,
            "{id} lost after kill -9"
        );
    }
    served.child.kill().unwrap();
    served.child.wait().unwrap();
}

#[test]
fn sigterm_drains_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let client = crate::common::blocking_client();
    let mut served = serve_binary(&data, &[]);
    assert_eq!(
        put(
            &client,
            served.addr,
            &article("truoc-khi-tat", "thoi-su", 0)
        ),
        201
    );

    let pid = served.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "herald did not exit on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");

    let mut again = serve_binary(&data, &[]);
    assert_eq!(status_of(&client, again.addr, "truoc-khi-tat"), 200);
    again.child.kill().unwrap();
    again.child.wait().unwrap();
}
