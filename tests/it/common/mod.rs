//! Test helpers: spawn the real server on port 0 with a temporary store, and
//! build articles.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use herald::app::Application;
use herald::auth::Tokens;
use herald::config::{Overrides, Settings};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;

mod binary;
pub mod partners;

pub use binary::{herald, herald_bin, serve_binary, serve_binary_with};

pub const TOKEN: &str = "test-token-5f2c";

/// A running server and what it needs to stay alive.
///
/// The server runs on a runtime of its own, on its own thread, as `herald serve`
/// does, and a test's end (drop) stops it as `herald serve` stops: gracefully, to
/// its last flush. On the test's runtime it would be torn down mid-shutdown when the
/// test returns, and a flush cut off that way can leave sled 0.34 waiting forever
/// (with its one process-wide lock held, for every other test too).
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub dir: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<std::thread::JoinHandle<()>>,
}

/// Settings for a test: port 0, a store in `dir`, quiet logs unless TEST_LOG is set,
/// and the transport of `HERALD_SERVER__IO` when it is set (`.ci/run` runs the suite
/// under both).
pub fn test_settings(dir: &Path) -> Settings {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.join("data")),
    };
    let env: HashMap<String, String> = std::env::vars()
        .filter(|(k, _)| k == "HERALD_SERVER__IO")
        .collect();
    let settings = Settings::load_from(None, &env, &overrides).expect("test settings");
    if std::env::var_os("TEST_LOG").is_some() {
        herald::telemetry::init(&settings.log);
    }
    settings
}

/// True when this run serves over the plain transport (`HERALD_SERVER__IO=plain`).
pub fn plain_io() -> bool {
    std::env::var("HERALD_SERVER__IO").is_ok_and(|v| v == "plain")
}

/// Spawns the app with the default test settings and one token.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, Tokens::from_list([TOKEN])).await
}

/// Spawns the app after letting the caller adjust the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings), tokens: Tokens) -> TestApp {
    spawn_app_in(tempfile::tempdir().expect("temp dir"), adjust, tokens).await
}

/// Spawns the app over the store in `dir` (for restarts).
pub async fn spawn_app_in(
    dir: TempDir,
    adjust: impl FnOnce(&mut Settings),
    tokens: Tokens,
) -> TestApp {
    let mut settings = test_settings(dir.path());
    adjust(&mut settings);
    let (tx, rx) = oneshot::channel();
    let (bound, addr) = oneshot::channel();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let app = Application::build(settings, tokens)
                .await
                .expect("app builds");
            let _ = bound.send(app.local_addr());
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
    });
    let Ok(addr) = addr.await else {
        let _ = server.join();
        panic!("the server did not start");
    };
    let app = TestApp {
        addr,
        client: client(),
        dir,
        shutdown: Some(tx),
        server: Some(server),
    };
    app.wait_until_related_ready().await;
    app
}

impl TestApp {
    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Waits until related stories answer: the index builds once the server runs.
    pub async fn wait_until_related_ready(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        // A client of its own that keeps no connection, which tests of connection
        // limits would find taken.
        let client = client_builder().pool_max_idle_per_host(0).build().unwrap();
        let url = self.url("/readyz?require=related");
        while client.get(&url).send().await.unwrap().status() != 200 {
            assert!(std::time::Instant::now() < deadline, "related never ready");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET `path` and parse the JSON body, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status().as_u16(), status, "GET {path}");
        r.json().await.expect("JSON body")
    }

    /// PUT a JSON article with the test token.
    pub async fn put_article(&self, id: &str, body: &Value) -> reqwest::Response {
        self.client
            .put(self.url(&format!("/api/articles/{id}")))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await
            .expect("PUT")
    }

    /// PUT an article and assert it was accepted.
    pub async fn put_ok(&self, body: &Value) {
        let id = body["id"].as_str().expect("id");
        let r = self.put_article(id, body).await;
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        assert!(status == 200 || status == 201, "PUT {id}: {status} {text}");
    }

    /// POST articles as one JSON array with the test token; every one must be taken.
    pub async fn post_articles(&self, articles: &[Value]) {
        let r = self
            .client
            .post(self.url("/api/articles"))
            .bearer_auth(TOKEN)
            .json(articles)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        let report: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 200, "{report}");
        let failed = report["failed"].as_array();
        assert!(failed.is_none_or(|f| f.is_empty()), "{report}");
    }

    /// POST a bulk body (JSON array or JSON Lines) with the test token.
    pub async fn post_bulk(&self, body: String) -> reqwest::Response {
        self.client
            .post(self.url("/api/articles"))
            .bearer_auth(TOKEN)
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    /// DELETE an article with the test token; returns the status.
    pub async fn delete_article(&self, id: &str) -> u16 {
        self.client
            .delete(self.url(&format!("/api/articles/{id}")))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("DELETE")
            .status()
            .as_u16()
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            tokio::task::spawn_blocking(move || server.join())
                .await
                .expect("joined")
                .expect("the server stopped without a panic");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.dir, dir)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            // Blocks the test's thread for the shutdown; a panic there is already
            // the test's failure, so it is not raised twice.
            let _ = server.join();
        }
    }
}

/// A valid Vietnamese article in `category`, published `minute` minutes after a base time.
pub fn article(id: &str, category: &str, minute: u32) -> Value {
    json!({
        "id": id,
        "url": format!("https://news.example.vn/{category}/{id}.html"),
        "title": format!("Tin {id}: tăng cường dân vận ở vùng cao"),
        "summary": "Bản tin tóm tắt.",
        "content_html": "<p>Nội dung bài viết.</p>",
        "category": category,
        "tags": ["dân vận", "Lào Cai"],
        "authors": [{"name": "Nguyễn Văn A", "email": "a@news.example.vn"}],
        "published": published_at(minute),
        "images": [{"url": "https://news.example.vn/img/1.jpg", "caption": "Quang cảnh hội nghị.",
                    "credit": "Ảnh: Lê Minh", "width": 1200, "height": 800, "mime": "image/jpeg"}]
    })
}

/// 2024-12-06T08:00:00+07:00 plus `minute` minutes, in RFC 3339.
pub fn published_at(minute: u32) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2024-12-06T08:00:00+07:00").unwrap();
    (base + chrono::Duration::minutes(minute.into())).to_rfc3339()
}

/// Opens the store in `dir` from the test, waiting while a server or store that
/// just stopped still holds its lock.
pub fn open_store(dir: &Path) -> herald::store::Store {
    herald::store::Store::open_waiting(dir, 8, std::time::Duration::from_secs(10))
        .expect("open the store")
}

/// GET `path` with extra request headers.
pub async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

/// A response header as text, or "" when absent.
pub fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The value of the unlabelled metric `name` in a `/metrics` text.
pub fn metric(text: &str, name: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.split(' ').next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in /metrics"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// An HTTP client for tests. The library's outbound client chooses rustls's crypto
/// provider for the process, and reqwest (the same crate for both) wants it chosen
/// before any client is built, so every test client is built through here.
pub fn client() -> reqwest::Client {
    client_builder().build().unwrap()
}

/// A builder of [`client`]s.
pub fn client_builder() -> reqwest::ClientBuilder {
    herald::push::install_crypto();
    reqwest::Client::builder()
}

/// A blocking [`client`].
pub fn blocking_client() -> reqwest::blocking::Client {
    herald::push::install_crypto();
    reqwest::blocking::Client::new()
}
