//! The process's exit codes (sysexits.h where one fits) and the one mapping from an
//! error to its code. The README's table lists the same codes; a test holds them equal.

use voxorder_domain::import::ImportError;
use voxorder_nlu::classifier::ClassifierError;
use voxorder_runtime::onnx::OrtError;
use voxorder_store::StoreError;

/// Every exit code, with the words the README's table gives it. 2 is clap's own, for a
/// command line it cannot parse.
#[cfg(test)]
const CODES: &[(u8, &str)] = &[
    (SUCCESS, "success"),
    (FAILURE, "other failure"),
    (2, "bad command line"),
    (DATA, "invalid data"),
    (NO_INPUT, "missing input"),
    (UNAVAILABLE, "unavailable"),
    (TEMP_FAIL, "the store is locked by another process"),
    (CONFIG, "invalid configuration"),
];

pub const SUCCESS: u8 = 0;
pub const FAILURE: u8 = 1;
pub const DATA: u8 = 65;
pub const NO_INPUT: u8 = 66;
pub const UNAVAILABLE: u8 = 69;
pub const TEMP_FAIL: u8 = 75;
pub const CONFIG: u8 = 78;

/// A looked-up record does not exist.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotFound {
    #[error("no order {number} in {}", store.display())]
    Order {
        number: String,
        store: std::path::PathBuf,
    },
}

/// The exit code for `err`, by the type of the error at its top.
pub fn code(err: &anyhow::Error) -> u8 {
    if refused_model(err) {
        return DATA;
    }
    if let Some(e) = err.downcast_ref::<StoreError>() {
        return match e {
            StoreError::Missing { .. } => NO_INPUT,
            StoreError::Busy { .. } => TEMP_FAIL,
            StoreError::Io { .. } | StoreError::Sql { .. } | StoreError::ReadOnly { .. } => FAILURE,
            _ => DATA,
        };
    }
    if let Some(e) = err.downcast_ref::<ImportError>() {
        return match e {
            ImportError::Read { .. } => NO_INPUT,
            _ => DATA,
        };
    }
    if let Some(e) = err.downcast_ref::<ClassifierError>() {
        return match e {
            ClassifierError::Missing { .. } => NO_INPUT,
            ClassifierError::Runtime(_) => UNAVAILABLE,
            _ => DATA,
        };
    }
    if let Some(e) = err.downcast_ref::<voxorder_sync::SyncError>() {
        return if e.counts_attempt() || matches!(e, voxorder_sync::SyncError::Unreachable { .. }) {
            TEMP_FAIL
        } else {
            UNAVAILABLE
        };
    }
    if err.downcast_ref::<crate::cmd::oms::NoHub>().is_some() {
        return UNAVAILABLE;
    }
    #[cfg(feature = "hub")]
    if let Some(e) = err.downcast_ref::<voxorder_hub::OmsError>() {
        return hub_code(e);
    }
    #[cfg(feature = "hub")]
    if let Some(e) = err.downcast_ref::<voxorder_hub::RegistryError>() {
        return registry_code(e);
    }
    #[cfg(feature = "hub")]
    if let Some(e) = err.downcast_ref::<voxorder_hub::db::OmsDbError>() {
        return hub_store_code(e);
    }
    if let Some(e) = err.downcast_ref::<voxorder_wyoming::ServerError>() {
        return match e {
            voxorder_wyoming::ServerError::InvalidConfig { .. } => CONFIG,
            // The address is taken or not this machine's: the service cannot be offered.
            _ => UNAVAILABLE,
        };
    }
    if err.downcast_ref::<voxorder_config::ConfigError>().is_some() {
        return CONFIG;
    }
    if err.downcast_ref::<NotFound>().is_some() {
        return NO_INPUT;
    }
    FAILURE
}

/// The hub's errors: its files (tokens, TLS) are configuration, its store is data.
#[cfg(feature = "hub")]
fn hub_code(e: &voxorder_hub::OmsError) -> u8 {
    use voxorder_hub::OmsError;
    match e {
        OmsError::Db(db) => hub_store_code(db),
        OmsError::Read { .. } => NO_INPUT,
        OmsError::Tokens { .. }
        | OmsError::TlsCertificate { .. }
        | OmsError::TlsNoCertificate { .. }
        | OmsError::TlsKey { .. }
        | OmsError::TlsConfig(_)
        | OmsError::NoDevices { .. }
        | OmsError::DeviceInBoth { .. } => CONFIG,
        OmsError::Seed(ImportError::Read { .. }) => NO_INPUT,
        OmsError::Seed(_) | OmsError::SeedField { .. } => DATA,
        OmsError::Bind { .. } => UNAVAILABLE,
        _ => FAILURE,
    }
}

/// `oms devices`: a device that is not there is missing input, like an order; what was
/// given and cannot be enrolled is invalid data.
#[cfg(feature = "hub")]
fn registry_code(e: &voxorder_hub::RegistryError) -> u8 {
    use voxorder_hub::RegistryError;
    match e {
        RegistryError::Db(db) => hub_store_code(db),
        RegistryError::Unknown { .. } => NO_INPUT,
        RegistryError::Random(_) => UNAVAILABLE,
        _ => DATA,
    }
}

#[cfg(feature = "hub")]
fn hub_store_code(e: &voxorder_hub::db::OmsDbError) -> u8 {
    if e.is_misconfigured() {
        CONFIG
    } else if e.is_busy() {
        TEMP_FAIL
    } else if e.is_damaged() {
        DATA
    } else {
        FAILURE
    }
}

/// A model or native library failed its check against the manifest and was not loaded.
fn refused_model(err: &anyhow::Error) -> bool {
    use voxorder_runtime::models::IntegrityError;
    use voxorder_speech::asr::ConvertError;
    use voxorder_voice::VoiceError;
    err.downcast_ref::<IntegrityError>().is_some()
        || matches!(
            err.downcast_ref::<ClassifierError>(),
            Some(ClassifierError::Integrity(_) | ClassifierError::Runtime(OrtError::Integrity(_)))
        )
        || matches!(
            err.downcast_ref::<ConvertError>(),
            Some(ConvertError::Integrity(_))
        )
        || err
            .downcast_ref::<VoiceError>()
            .and_then(VoiceError::integrity)
            .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rows of the README's exit-code table: `| code | meaning |`.
    fn readme_table() -> Vec<(u8, String)> {
        let readme = include_str!("../../../README.md");
        let section = readme
            .split("### Exit codes")
            .nth(1)
            .expect("the README has an exit-code section");
        section
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| {
                let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
                Some((cells.first()?.parse().ok()?, cells.get(1)?.to_string()))
            })
            .collect()
    }

    #[test]
    fn the_readme_lists_every_exit_code_and_no_other() {
        let table = readme_table();
        let documented: Vec<u8> = table.iter().map(|(c, _)| *c).collect();
        let coded: Vec<u8> = CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(documented, coded, "README exit codes vs exit::CODES");
        for ((code, meaning), (_, words)) in table.iter().zip(CODES) {
            assert!(
                meaning.starts_with(words),
                "README says {code} is {meaning:?}; the code calls it {words:?}"
            );
        }
    }

    #[test]
    fn the_table_reader_sees_a_missing_code() {
        // The README table parsed, less one row, no longer matches: the test above can fail.
        let mut table = readme_table();
        table.retain(|(c, _)| *c != UNAVAILABLE);
        let coded: Vec<u8> = CODES.iter().map(|(c, _)| *c).collect();
        assert_ne!(table.iter().map(|(c, _)| *c).collect::<Vec<_>>(), coded);
    }
}
