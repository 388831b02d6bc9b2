//! Reading a whole file from a path a user gave (a configuration, an order file), with a
//! size cap. Such a path can name something that never ends — `/dev/zero`, a FIFO, a
//! growing log — and its size on disk says nothing for those (a device reports 0), so the
//! cap is kept while reading, not checked beforehand.

use std::io::Read;
use std::path::Path;

/// Why a capped read failed. A closed set, unlike other error enums: each caller maps
/// both causes to its own error (a configuration, an order file, a token), and a new
/// cause should make them all decide what it means.
#[derive(Debug, thiserror::Error)]
pub enum CappedReadError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The file holds more than `limit` bytes; nothing past the limit was read.
    #[error("larger than {limit} bytes")]
    TooLarge { limit: u64 },
}

/// The whole file at `path`, or [`CappedReadError::TooLarge`] once it goes past `limit`
/// bytes (at most `limit + 1` bytes are read and held).
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, CappedReadError> {
    let file = std::fs::File::open(path)?;
    // A regular file's size sizes the buffer; anything else grows it as it is read.
    let hint = file.metadata().map_or(0, |m| m.len()).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(CappedReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// [`read_capped`] as UTF-8 text, for callers whose errors carry an I/O error: a file
/// over the cap is an `InvalidData` error that says so.
pub fn read_text_capped(path: &Path, limit: u64) -> std::io::Result<String> {
    let bytes = read_capped(path, limit).map_err(|e| match e {
        CappedReadError::Io(e) => e,
        CappedReadError::TooLarge { limit } => std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {}", describe_size(limit)),
        ),
    })?;
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Largest tokens, token or certificate file read (a few thousand devices' lines fit).
pub const SECRETS_FILE_LIMIT: u64 = 4 << 20;

/// A byte count as people read it in a message: `1 MiB`, `256 MiB`, `512 bytes`.
pub fn describe_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_over_the_cap_or_not_utf8_is_an_invalid_data_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").expect("write");
        assert_eq!(read_text_capped(&path, 3).expect("fits"), "abc");
        let err = read_text_capped(&path, 2).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("larger than 2 bytes"), "{err}");
        std::fs::write(&path, [0xff, 0xfe]).expect("write");
        assert_eq!(
            read_text_capped(&path, 9).unwrap_err().kind(),
            std::io::ErrorKind::InvalidData
        );
        let zero = read_text_capped(Path::new("/dev/zero"), 1 << 16).unwrap_err();
        assert!(zero.to_string().contains("larger than 64 KiB"), "{zero}");
    }

    #[test]
    fn a_file_within_the_cap_is_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").expect("write");
        assert_eq!(read_capped(&path, 5).expect("fits"), b"12345");
        assert!(matches!(
            read_capped(&path, 4),
            Err(CappedReadError::TooLarge { limit: 4 })
        ));
    }

    #[test]
    fn an_endless_file_is_refused_at_the_cap() {
        let started = std::time::Instant::now();
        let err = read_capped(Path::new("/dev/zero"), 1 << 20).expect_err("endless");
        assert!(matches!(err, CappedReadError::TooLarge { .. }), "{err}");
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(describe_size(1 << 20), "1 MiB");
        assert_eq!(describe_size(256 << 20), "256 MiB");
        assert_eq!(describe_size(1000), "1000 bytes");
    }
}
