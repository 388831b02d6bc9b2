//! How the process's heap gives large buffers back to the system. A turn allocates and
//! frees tens of megabytes at a time (the voice's working tensors for each chunk, the
//! recogniser's windows); the device's peak memory depends on those being returned
//! rather than kept in the heap between turns.
//!
//! glibc serves a large request from its own mapping and unmaps it on free, but only above
//! a threshold that it raises each time such a block is freed (up to 32 MiB on 64-bit).
//! After the first few frees, a voice chunk's tensors came from the main heap instead,
//! where freed space stays resident and fragments: with the voice's arena off,
//! `voxorder bench` peaked about 90 MB higher. Fixing the threshold keeps every large
//! block in its own mapping.

/// Requests at least this large get their own mapping: glibc's own starting threshold.
pub const OWN_MAPPING_BYTES: i32 = 128 * 1024;

/// Fixes the allocator's threshold for its own mappings at `OWN_MAPPING_BYTES`, which
/// also stops glibc from raising it. Call once, early in `main`. Returns whether the
/// allocator took the setting (it is glibc's alone; elsewhere it does nothing).
pub fn return_large_buffers() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes glibc's tunables under its own lock; the arguments
        // are a valid parameter and a positive size.
        #[allow(unsafe_code)]
        let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_BYTES) };
        ok == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_threshold() {
        assert!(return_large_buffers());
    }
}
