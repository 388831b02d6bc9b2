//! What every conversation reads besides the store, built once per process and lent to
//! each one: `chat`, `run`, `simulate` and `bench` all start from an [`AgentAssets`].

use std::sync::Arc;

use voxorder_config::Config;
use voxorder_dialog::Catalog;
use voxorder_nlu::knowledge::KnowledgeBase;
use voxorder_nlu::Nlu;
use voxorder_store::Store;

use voxorder_dialog::LocaleError;
use voxorder_store::StoreError;

/// The assets could not be built. Caller: report and stop; nothing was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssetsError {
    /// The configured locale has no usable catalog.
    #[error(transparent)]
    Locale(#[from] LocaleError),
    /// The store's documents or products could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The configuration, the locale's prompt catalog, the NLU, the store's documents as a
/// knowledge base, and the catalog's product names (what the recogniser is biased with
/// when the agent asks which product).
pub struct AgentAssets {
    pub config: Arc<Config>,
    pub catalog: Arc<Catalog>,
    pub nlu: Nlu,
    pub knowledge: KnowledgeBase,
    pub product_names: Vec<String>,
}

impl std::fmt::Debug for AgentAssets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentAssets")
            .field("locale", &self.config.store.locale)
            .field("products", &self.product_names.len())
            .finish()
    }
}

impl AgentAssets {
    /// Builds the assets over `store` (its documents and products) with a loaded NLU.
    pub fn new(config: Config, store: &Store, nlu: Nlu) -> Result<AgentAssets, AssetsError> {
        let catalog = Arc::new(Catalog::load(&config.store.locale)?);
        let knowledge = KnowledgeBase::new(&store.documents()?);
        let product_names = store.products()?.into_iter().map(|p| p.name).collect();
        Ok(AgentAssets {
            config: Arc::new(config),
            catalog,
            nlu,
            knowledge,
            product_names,
        })
    }
}
