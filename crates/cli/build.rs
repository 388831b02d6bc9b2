//! Links libvosk (from the PyPI wheel, in `models/lib/`) when the `vosk` feature is on;
//! does nothing otherwise.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_VOSK").is_none() {
        return;
    }
    let Some(root) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let lib = std::path::Path::new(&root).join("../../models/lib");
    println!("cargo:rustc-link-search=native={}", lib.display());
    // Found at run time: beside an installed bundle (`<exe dir>/models/lib`), from
    // target/{debug,release} of a source tree, and in this source tree itself.
    println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN/models/lib");
    println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN/../../models/lib");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
}
