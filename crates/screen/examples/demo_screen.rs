//! Plays the scripted demo conversation on a real screen server, so the page can be tried
//! in a browser: `cargo run --example demo_screen -- [ADDR] [PACE]`, then open the printed
//! address. The script waits for the keypad (any order number, then any zip) and for a
//! delivery choice; after it ends, "Start talking" plays it again. PACE scales the pauses
//! (default 1; 0 plays without pauses).

use std::net::SocketAddr;
use std::time::Duration;

use voxorder_screen::script::{Script, DEMO};
use voxorder_screen::{Screen, ScreenConfig, ScreenInput};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let listen: SocketAddr = args.next().as_deref().unwrap_or("127.0.0.1:8090").parse()?;
    let pace: f64 = args.next().as_deref().unwrap_or("1").parse()?;
    let config = ScreenConfig {
        listen,
        token: std::env::var("VOXORDER_SCREEN_TOKEN").ok(),
        idle_clear_secs: 300,
        ..ScreenConfig::default()
    };
    let (screen, inputs) = Screen::start(config)?;
    let script = Script::from_json(DEMO)?;
    println!("screen: open {}", screen.url());
    loop {
        println!("screen: press Start talking on the page to begin");
        while !matches!(inputs.recv(), Some(ScreenInput::StartTalking) | None) {}
        match script.play(&screen.publisher(), &inputs, pace) {
            Ok(received) => println!("screen: conversation over, inputs: {received:?}"),
            Err(e) => {
                println!("screen: {e}");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}
