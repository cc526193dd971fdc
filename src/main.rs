//! The `herald` command: parses the command line and calls into the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use herald::app::{self, Application};
use herald::auth::Tokens;
use herald::config::{Overrides, Settings};
use herald::related::LiveIndex;
use herald::store::Store;
use herald::{commands, telemetry};

/// Herald: articles in, feeds and related stories out.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Config file layered over the embedded defaults [default: config/default.toml if present]
    #[arg(long, env = "HERALD_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Directory of the store (overrides store.data_dir)
    #[arg(long, env = "HERALD_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Address to listen on (overrides server.listen)
    #[arg(long, env = "HERALD_LISTEN", global = true)]
    listen: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (and import a JSON Lines file first, if given).
    Serve {
        /// JSON Lines file to import before serving
        #[arg(long)]
        import: Option<PathBuf>,
    },
    /// Import articles from a JSON Lines file, or - for standard input.
    Import {
        file: String,
        /// Store nothing if any line is invalid
        #[arg(long)]
        strict: bool,
    },
    /// Write every article as JSON Lines to standard output.
    Export,
    /// Verify the time indexes against the articles (server stopped); exit 1 on problems.
    Check,
    /// Rebuild the time indexes from the articles (server stopped).
    Reindex,
    /// Load and validate the configuration, then exit.
    CheckConfig,
    /// Exit 0 if the running service answers /healthz.
    Healthcheck,
}

/// jemalloc, not glibc's malloc: with glibc, sled's I/O threads and the import
/// workers queued on arena locks (import 100,000 articles: 7.1 s, 4.2 s with
/// jemalloc), and an index build left freed memory resident in per-thread arenas.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`: one arena per CPU, and freed pages go back
/// to the system within half a second from a background thread, so a start-up
/// index build's garbage does not stay resident (peak RSS at 100,000 articles 362 ->
/// 267 MB).
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: Option<&'static std::ffi::c_char> = Some(unsafe {
    &*c"percpu_arena:percpu,background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0".as_ptr()
});

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("herald: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let default_path = PathBuf::from("config/default.toml");
    let file = cli
        .config
        .clone()
        .or_else(|| default_path.exists().then_some(default_path));
    let overrides = Overrides {
        listen: cli.listen,
        data_dir: cli.data_dir,
    };
    let settings = Settings::load(file.as_deref(), &overrides)?;
    match cli.command {
        Command::CheckConfig => {
            println!(
                "config ok: {} categories, listening on {}",
                settings.categories.len(),
                settings.server.listen
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Healthcheck => {
            match commands::healthcheck(&settings.server.listen, Duration::from_secs(3)) {
                Ok(()) => Ok(ExitCode::SUCCESS),
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Export => {
            let ingest = app::open_ingest(&settings)?;
            commands::export(&ingest, std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check | Command::Reindex => {
            let store = Store::open(&settings.store.data_dir, settings.store.cache_mb)?;
            let repair = matches!(cli.command, Command::Reindex);
            let ok = commands::check(&store, repair, std::io::stdout(), std::io::stderr())?;
            Ok(exit(ok))
        }
        Command::Import { file, strict } => {
            telemetry::init(&settings.log);
            let ingest = app::open_ingest(&settings)?;
            Ok(exit(commands::import_file(
                &ingest,
                &file,
                strict,
                std::io::stderr(),
            )?))
        }
        Command::Serve { import } => {
            telemetry::init(&settings.log);
            let tokens = Tokens::load(
                std::env::var("HERALD_API_TOKENS").ok().as_deref(),
                &settings.auth.tokens_file,
            )?;
            let ingest = app::open_ingest_with(&settings, LiveIndex::building())?;
            if let Some(path) = import
                && !commands::import_file(
                    &ingest,
                    &path.to_string_lossy(),
                    false,
                    std::io::stderr(),
                )?
            {
                anyhow::bail!(
                    "import of {} had invalid lines; not serving",
                    path.display()
                );
            }
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async {
                let app = Application::with_ingest(settings, tokens, ingest).await?;
                tracing::info!(addr = %app.local_addr(), "herald listening");
                app.run_until(app::shutdown_signal()).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
