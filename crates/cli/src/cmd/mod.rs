//! One module per subcommand (the speech subcommands share `speech`), and what several
//! of them need: the store named by `--db` or the demo store, the NLU loaded once, and
//! background sync for the conversation commands.

pub mod chat;
pub mod config;
pub mod import;
#[cfg(feature = "hub")]
pub mod loadtest;
pub mod models;
pub mod nlu;
pub mod oms;
pub mod orders;
pub mod report;
pub mod screen;
pub mod speech;
pub mod store;
pub mod sync;
pub mod wyoming;

use std::path::PathBuf;

use anyhow::Result;

use voxorder_config::Config;
use voxorder_domain::clock::Clock;
use voxorder_nlu::classifier::OnnxIntentClassifier;
use voxorder_nlu::Nlu;
use voxorder_runtime::paths;
use voxorder_store::{demo, OpenMode, Store};

/// What every subcommand gets from the global options besides the configuration.
#[derive(Debug)]
pub struct Context {
    /// `--db`: the store, or the OMS's store for `oms`.
    pub db: Option<PathBuf>,
    pub clock: Clock,
}

impl Context {
    /// Opens the store named by `--db`, or the demo store (created on first use). A
    /// store opened read-only (`OpenMode::ExistingOrReadOnly`) is said so on one line of
    /// stderr.
    pub fn open_store(&self, mode: OpenMode) -> Result<Store> {
        let demo = paths::demo_db();
        let store = match &self.db {
            Some(path) => Store::open(path, mode)?,
            None if mode == OpenMode::ExistingOrReadOnly && demo.exists() => {
                Store::open(&demo, mode)?
            }
            None => demo::open_or_create(&demo, self.clock.now())?,
        };
        if let Some(reason) = store.read_only() {
            eprintln!(
                "warning: {} cannot be written ({reason}); look-ups work, but changes are unavailable \
                 and a failed identity check locks at once",
                store.path().display()
            );
        }
        Ok(store)
    }
}

/// Loads the intent model and ONNX Runtime, with the store's catalog for products.
pub fn load_nlu(config: &Config, store: &Store) -> Result<Nlu> {
    let models = paths::models_dir();
    let classifier = OnnxIntentClassifier::load(&models.join("intent"), &paths::ort_lib(&models))?;
    tracing::info!(load_ms = classifier.load_ms, "intent model loaded");
    Ok(Nlu::new(
        Box::new(classifier),
        &store.products()?,
        config.nlu.confidence_threshold,
    ))
}

/// Starts syncing with the OMS in the background when one is configured. Sync is a
/// convenience for `chat` and `run`: without it the agent answers from the cache, so a
/// failure to start is logged, not fatal. The handle stops the sync when dropped. A
/// store that cannot be written cannot take what sync downloads, so it is not started.
pub fn background_sync(
    config: &Config,
    store: &Store,
    clock: Clock,
) -> Option<voxorder_sync::SyncHandle> {
    if store.read_only().is_some() {
        return None;
    }
    voxorder_sync::spawn_background(config, store.path(), clock).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "background sync not started");
        None
    })
}
