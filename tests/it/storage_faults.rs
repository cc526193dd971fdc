//! A disk that refuses writes: writes answer 503 with a clear reason, feeds keep serving,
//! nothing panics, and the store reopens intact with every acknowledged write.
//!
//! The fault is real kernel behaviour, without root: the server runs under
//! RLIMIT_FSIZE with SIGXFSZ ignored, so once its store file would outgrow the limit
//! every write(2) fails with EFBIG, just as a full disk fails with ENOSPC and a
//! read-only one with EROFS. All three reach Herald as the same sled I/O error.
//!
//! Two more use a real small tmpfs: a full disk (ENOSPC) while serving, and a
//! read-only one at start. Mounting needs root, so they are `#[ignore]`d (a plain
//! `cargo test` reports them as ignored, never as passed) and `.ci/run`, which runs
//! as root, runs them with `--ignored`.

use std::os::unix::process::CommandExt;

use crate::common::{TOKEN, article, herald, serve_binary, serve_binary_with};

const LIMIT_BYTES: u64 = 1 << 20;

fn limit_file_size(command: &mut std::process::Command) {
    // SAFETY: between fork and exec only async-signal-safe calls are made
    // (signal(2) and setrlimit(2)), with no allocation.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: LIMIT_BYTES,
                rlim_max: LIMIT_BYTES,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

fn big_article(i: u32) -> serde_json::Value {
    let mut a = article(&format!("a{i}"), "kinh-te", i);
    a["content_html"] = format!("<p>{}</p>", "Giá lúa tăng mạnh ở đồng bằng. ".repeat(300)).into();
    a
}

/// PUTs 10 KB articles until one is not acknowledged; returns the acknowledged ids
/// and the answer that refused.
fn fill_until_refused(
    client: &reqwest::blocking::Client,
    base: &str,
) -> (Vec<String>, reqwest::blocking::Response) {
    let mut acknowledged = Vec::new();
    for i in 0..500 {
        let r = client
            .put(format!("{base}/api/articles/a{i}"))
            .bearer_auth(TOKEN)
            .json(&big_article(i))
            .send()
            .expect("the server answers even when its disk fails");
        if r.status() != 201 {
            return (acknowledged, r);
        }
        acknowledged.push(format!("a{i}"));
    }
    panic!("500 writes of 10 KB never filled the disk");
}

/// Every acknowledged article answers 200.
fn assert_all_readable(client: &reqwest::blocking::Client, base: &str, ids: &[String]) {
    for id in ids {
        let r = client
            .get(format!("{base}/api/articles/{id}"))
            .send()
            .unwrap();
        let status = r.status();
        assert_eq!(
            status,
            200,
            "acknowledged {id} unreadable: {}",
            r.text().unwrap()
        );
    }
}

/// While the disk refuses writes, each acknowledged article answers 200 or, where
/// sled must restructure the page that holds it, the same 503 as writes: never a 404,
/// a 500 or a wrong body. sled 0.34 splits a full page on the next read, and cannot
/// once its log has failed; in about one run in ten here the page of a2…a29 needed
/// that, and 17 of 30 answered 503 until the restart.
fn assert_readable_or_unavailable(client: &reqwest::blocking::Client, base: &str, ids: &[String]) {
    for id in ids {
        let r = client
            .get(format!("{base}/api/articles/{id}"))
            .send()
            .unwrap();
        if r.status() == 503 {
            assert_eq!(r.headers()["retry-after"], "60");
            let body: serde_json::Value = r.json().unwrap();
            assert_eq!(body["error"], "storage_unavailable", "{body}");
            continue;
        }
        assert_eq!(r.status(), 200, "acknowledged {id}");
        let body: serde_json::Value = r.json().unwrap();
        assert_eq!(body["id"], id.as_str(), "{body}");
    }
}

#[test]
fn a_disk_that_refuses_writes_gives_503_and_reads_keep_serving() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let client = crate::common::blocking_client();
    let mut served = serve_binary_with(&data, &[], limit_file_size);
    let base = format!("http://{}", served.addr);

    // A feed readers poll, rendered while the disk still worked: once writes fail,
    // sled may fail reads that tidy its pages too, and then the last render serves.
    let feed_url = format!("{base}/feeds/category/kinh-te/atom.xml");
    client
        .put(format!("{base}/api/articles/dau"))
        .bearer_auth(TOKEN)
        .json(&article("dau", "kinh-te", 0))
        .send()
        .unwrap();
    assert_eq!(client.get(&feed_url).send().unwrap().status(), 200);
    let (acknowledged, refused) = fill_until_refused(&client, &base);
    assert!(
        !acknowledged.is_empty(),
        "the limit left no room for any write"
    );
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "60");
    let body: serde_json::Value = refused.json().unwrap();
    assert_eq!(body["error"], "storage_unavailable", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("File too large") && message.contains("full or read-only"),
        "{message}"
    );

    // Later writes fail fast the same way, deletes too; reads are untouched.
    let again = client
        .put(format!("{base}/api/articles/late"))
        .bearer_auth(TOKEN)
        .json(&article("late", "kinh-te", 0))
        .send()
        .unwrap();
    assert_eq!(again.status(), 503);
    let delete = client
        .delete(format!("{base}/api/articles/{}", acknowledged[0]))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(delete.status(), 503);
    assert_readable_or_unavailable(&client, &base, &acknowledged);
    let feed = client.get(&feed_url).send().unwrap();
    assert_eq!(feed.status(), 200);
    let ready: serde_json::Value = client
        .get(format!("{base}/readyz"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ready["writable"], false, "{ready}");
    assert!(
        ready["write_failure"]
            .as_str()
            .unwrap()
            .contains("File too large")
    );
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains("\nherald_store_writable 0\n"), "{metrics}");

    served.child.kill().unwrap();
    served.child.wait().unwrap();
    let log = served.log.lock().unwrap().join("\n");
    assert!(!log.contains("panicked"), "{log}");

    // With room again, the store opens intact and takes writes.
    let check = herald(&data, &["check"], "");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let mut healed = serve_binary(&data, &[]);
    let base = format!("http://{}", healed.addr);
    assert_all_readable(&client, &base, &acknowledged);
    let r = client
        .put(format!("{base}/api/articles/late"))
        .bearer_auth(TOKEN)
        .json(&article("late", "kinh-te", 0))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    healed.child.kill().unwrap();
    healed.child.wait().unwrap();
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs with `options` on a new directory; fails the test where that is
    /// not permitted (the tests that mount are `#[ignore]`d, and run on purpose).
    fn mount(options: &str) -> (tempfile::TempDir, Tmpfs) {
        let dir = tempfile::tempdir().unwrap();
        let point = dir.path().join("mnt");
        std::fs::create_dir(&point).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(&point)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "mount -t tmpfs is not permitted here: run this test as root (as .ci/run does)"
        );
        (dir, Tmpfs(point))
    }

    fn remount(&self, options: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {options}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
#[ignore = "mounts a tmpfs, which needs root; .ci/run runs it with --ignored"]
fn a_full_disk_gives_503_with_no_space_left() {
    let (_dir, fs) = Tmpfs::mount("size=1m");
    let data = fs.0.join("data");
    let client = crate::common::blocking_client();
    let mut served = serve_binary(&data, &[]);
    let base = format!("http://{}", served.addr);
    let (acknowledged, refused) = fill_until_refused(&client, &base);
    assert_eq!(refused.status(), 503);
    let body: serde_json::Value = refused.json().unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("No space left on device"),
        "{body}"
    );
    assert_readable_or_unavailable(&client, &base, &acknowledged);
    served.child.kill().unwrap();
    served.child.wait().unwrap();
    let log = served.log.lock().unwrap().join("\n");
    assert!(!log.contains("panicked"), "{log}");

    // Grow the disk: the store reopens with everything acknowledged, and consistent.
    fs.remount("size=64m");
    let check = herald(&data, &["check"], "");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let export = herald(&data, &["export"], "");
    let stored = String::from_utf8_lossy(&export.stdout).lines().count();
    assert!(
        stored >= acknowledged.len(),
        "{stored} < {}",
        acknowledged.len()
    );
    let mut healed = serve_binary(&data, &[]);
    assert_all_readable(&client, &format!("http://{}", healed.addr), &acknowledged);
    healed.child.kill().unwrap();
    healed.child.wait().unwrap();
}

#[test]
#[ignore = "mounts a tmpfs, which needs root; .ci/run runs it with --ignored"]
fn a_read_only_data_directory_is_refused_at_start_with_the_reason() {
    let (_dir, fs) = Tmpfs::mount("size=4m");
    let data = fs.0.join("data");
    let mut served = serve_binary(&data, &[]);
    let client = crate::common::blocking_client();
    let r = client
        .put(format!("http://{}/api/articles/a0", served.addr))
        .bearer_auth(TOKEN)
        .json(&article("a0", "kinh-te", 0))
        .send()
        .unwrap();
    assert_eq!(r.status(), 201);
    served.child.kill().unwrap();
    served.child.wait().unwrap();

    fs.remount("ro");
    let out = std::process::Command::new(crate::common::herald_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("HERALD_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("Read-only file system") && said.contains("writable"),
        "{said}"
    );
    assert!(!said.contains("panicked"), "{said}");

    fs.remount("rw");
    let check = herald(&data, &["check"], "");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
}
