//! `cargo xtask tidy` (an alias in `.cargo/config.toml`): runs the tidy rules over the
//! workspace and lists every violation. `cargo test --workspace` runs the same rules.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        None | Some("tidy") => {}
        Some(other) => {
            eprintln!("xtask: unknown task {other:?} (known: tidy)");
            return ExitCode::from(2);
        }
    }
    let root = voxorder_tidy::workspace_root();
    match voxorder_tidy::check(&root) {
        Ok(problems) if problems.is_empty() => {
            println!("tidy: ok");
            ExitCode::SUCCESS
        }
        Ok(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!("tidy: {} problem(s)", problems.len());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("tidy: {e}");
            ExitCode::FAILURE
        }
    }
}
