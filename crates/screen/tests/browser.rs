//! The page in real headless Chromium, driven through WebDriver as a person would use it:
//! the scripted conversation verified with the keypad (typed on a keyboard and tapped on
//! screen), no order card before that, choices picked by keyboard alone, the screen
//! cleared after the goodbye, axe-core finding nothing serious, and the page still usable
//! at 200% zoom and without motion when reduced motion is asked for. Screenshots of the main states go to `docs/screen/`.
//!
//! Runs when `VOXORDER_BROWSER_TESTS=1`; `scripts/browser-deps.sh` installs what it needs.

mod browser_support;

use std::time::Duration;

use browser_support::{docs_dir, enabled, Browser};
use fantoccini::key::Key;
use voxorder_screen::script::{Script, DEMO};
use voxorder_screen::{Screen, ScreenConfig, ScreenEvent, ScreenInput};

const ORDER: &str = "1234567891234";

/// No serious or critical accessibility violations; the rest is printed for the record.
async fn assert_accessible(browser: &Browser, state: &str) {
    let violations = browser.axe().await;
    println!("axe, {state}: {violations:?}");
    let serious: Vec<_> = violations
        .iter()
        .filter(|(impact, _, _)| impact == "serious" || impact == "critical")
        .collect();
    assert!(serious.is_empty(), "{state}: {serious:?}");
}

async fn assert_no_policy_violations(browser: &Browser) {
    let violations = browser.js("return window.voxScreen.violations;").await;
    assert_eq!(violations, serde_json::json!([]), "CSP blocked something");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scripted_conversation_works_by_keyboard_and_touch() {
    if !enabled("the_scripted_conversation_works_by_keyboard_and_touch") {
        return;
    }
    let config = ScreenConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..ScreenConfig::default()
    };
    let (screen, inputs) = Screen::start(config).expect("the screen starts");
    let publisher = screen.publisher();
    // The conversation starts when the person asks for it, as on a kiosk.
    let player = std::thread::spawn(move || {
        let first = inputs.recv_timeout(Duration::from_secs(30));
        assert_eq!(first, Some(ScreenInput::StartTalking));
        let script = Script::from_json(DEMO).expect("the demo script");
        (script.play(&publisher, &inputs, 1.0), inputs)
    });
    // A kiosk's landscape screen, tall enough for the keypad and the card in one view.
    let browser = Browser::launch(1024, 1000).await;
    let docs = docs_dir();
    browser.client.goto(&screen.url()).await.expect("the page");
    browser
        .wait_for("the first state", "return window.voxScreen.seq >= 0;")
        .await;
    assert!(browser.visible("welcome").await);
    assert!(!browser.visible("order").await);
    browser.screenshot(&docs.join("idle.png")).await;
    assert_accessible(&browser, "idle").await;

    // Keyboard alone: the first Tab stop is "Start talking".
    browser.keys(&Key::Tab.to_string()).await;
    assert_eq!(browser.focused().await, "#talk");
    browser.keys(&Key::Enter.to_string()).await;

    browser
        .wait_for(
            "the order number keypad",
            "return document.getElementById('digits-label').textContent.startsWith('Order number')
                && !document.getElementById('keypad').hidden
                && document.getElementById('status').dataset.phase === 'listening';",
        )
        .await;
    assert_eq!(
        browser.focused().await,
        "#digits",
        "the keypad takes the focus"
    );
    let pulse = browser
        .js("return getComputedStyle(document.querySelector('.dot')).animationName;")
        .await;
    assert_eq!(pulse, "pulse", "the indicator moves while listening");
    assert!(
        !browser.visible("order").await,
        "no card before verification"
    );
    assert!(!browser.text().await.to_lowercase().contains("classic tee"));
    browser.screenshot(&docs.join("listening-keypad.png")).await;
    assert_accessible(&browser, "keypad").await;

    // Every key of the on-screen keypad is reachable with Tab, in order.
    let mut stops = Vec::new();
    for _ in 0..12 {
        browser.keys(&Key::Tab.to_string()).await;
        stops.push(browser.focused().await);
    }
    let expected: Vec<String> = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0"]
        .iter()
        .map(|k| format!("key:{k}"))
        .chain(["#send".to_string()])
        .collect();
    assert_eq!(stops, expected, "tab order over the keypad");
    // Back to the field and type the order number on a physical keyboard; Enter sends.
    browser
        .js("document.getElementById('digits').focus(); return true;")
        .await;
    browser.keys(&format!("{ORDER}{}", Key::Enter)).await;

    browser
        .wait_for(
            "the zip keypad",
            "return document.getElementById('digits-label').textContent.startsWith('Billing zip');",
        )
        .await;
    assert!(
        !browser.visible("order").await,
        "no card after the number alone"
    );
    assert!(browser.text().await.contains(&format!("Typed {ORDER}")));
    // A key pressed with the keyboard, the rest tapped, then Send tapped.
    browser.keys(&Key::Tab.to_string().repeat(7)).await;
    assert_eq!(browser.focused().await, "key:7");
    browser.keys(&Key::Enter.to_string()).await;
    for digit in ["8", "7", "0", "1"] {
        browser.click(&format!("button[data-key='{digit}']")).await;
    }
    let typed = browser
        .js("return document.getElementById('digits').value;")
        .await;
    assert_eq!(typed, "78701");
    browser.click("#keypad-form .send").await;

    browser
        .wait_for(
            "the order card",
            "return !document.getElementById('order').hidden;",
        )
        .await;
    let card = browser.text().await;
    for shown in [
        ORDER,
        "Classic Tee - Navy, Size M",
        "Visa ending in 4242",
        "ending in 99",
        "a•••@e•••.com",
        "Austin 78701",
    ] {
        assert!(card.contains(shown), "{shown} missing from the card");
    }
    for hidden in ["5125550199", "ada.park@example.com"] {
        assert!(!card.contains(hidden), "{hidden} shown in clear");
    }

    // The choices take the focus; the second one is picked with the keyboard.
    browser
        .wait_for(
            "the delivery choices",
            "return !document.getElementById('choices').hidden;",
        )
        .await;
    assert_eq!(browser.focused().await, "choice:keep");
    browser.keys(&Key::Tab.to_string()).await;
    assert_eq!(browser.focused().await, "choice:2026-03-16/morning");
    browser.keys(" ").await;
    browser
        .wait_for(
            "the changed card",
            "return !document.getElementById('order-changed').hidden;",
        )
        .await;
    assert!(browser
        .text()
        .await
        .contains("Just changed: Delivery moved"));
    // The focus left with the choices; it went to the controls, not into nowhere.
    assert_eq!(browser.focused().await, "#talk");
    browser
        .screenshot(&docs.join("verified-order-card.png"))
        .await;
    assert_accessible(&browser, "order card").await;

    // "Stop speaking" is one Tab away and works from the keyboard.
    browser.keys(&Key::Tab.to_string()).await;
    assert_eq!(browser.focused().await, "#stop");
    browser.keys(&Key::Enter.to_string()).await;

    browser
        .wait_for(
            "the cleared screen",
            "return !document.getElementById('welcome').hidden
                && document.getElementById('welcome-title').textContent.startsWith('Thank you');",
        )
        .await;
    let after = browser.text().await;
    assert!(
        !after.contains(ORDER) && !after.to_lowercase().contains("classic tee"),
        "{after}"
    );
    assert!(!browser.visible("order").await && !browser.visible("conversation").await);
    let announcer = browser
        .js("return document.getElementById('announcer').textContent;")
        .await;
    assert_eq!(announcer, "");
    browser.screenshot(&docs.join("ended-cleared.png")).await;
    assert_accessible(&browser, "cleared").await;
    assert_no_policy_violations(&browser).await;

    let (played, inputs) = player.join().expect("the player");
    let received = played.expect("the script played to its end");
    assert_eq!(
        received,
        [
            ScreenInput::Keypad {
                digits: ORDER.into()
            },
            ScreenInput::Keypad {
                digits: "78701".into()
            },
            ScreenInput::Choice {
                value: "2026-03-16/morning".into()
            },
        ]
    );
    // Pressed after the script's last wait, so still queued for the conversation.
    assert_eq!(inputs.try_recv(), Some(ScreenInput::StopSpeaking));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_200_percent_zoom_nothing_is_cut_off_and_the_live_region_speaks() {
    if !enabled("at_200_percent_zoom_nothing_is_cut_off_and_the_live_region_speaks") {
        return;
    }
    let config = ScreenConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        ..ScreenConfig::default()
    };
    let (screen, _inputs) = Screen::start(config).expect("the screen starts");
    // A 1280 × 800 kiosk at 200% zoom lays out like a 640 × 400 window; this person also
    // asked their system for less motion.
    let browser = Browser::launch_with(640, 400, &["--force-prefers-reduced-motion"]).await;
    browser.client.goto(&screen.url()).await.expect("the page");
    browser
        .wait_for("the first state", "return window.voxScreen.seq >= 0;")
        .await;
    let script = Script::from_json(DEMO).expect("the demo script");
    for step in script.steps {
        if let voxorder_screen::script::Step::Event { event, .. } = step {
            let is_card = matches!(event, ScreenEvent::ShowOrder { .. });
            screen.publish(event).expect("published");
            if is_card {
                break;
            }
        }
    }
    browser
        .wait_for(
            "the card",
            "return !document.getElementById('order').hidden;",
        )
        .await;
    let overflow = browser
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        .await;
    assert_eq!(overflow, 0, "the page scrolls sideways at 200%");
    // Both controls can be reached on screen (the bar stops floating on a short window).
    for id in ["talk", "stop"] {
        let reachable = browser
            .js(&format!(
                "const b = document.getElementById('{id}'); b.scrollIntoView();
                 const r = b.getBoundingClientRect();
                 return r.width > 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;"
            ))
            .await;
        assert_eq!(reachable, true, "{id} is not reachable");
    }
    let live = browser
        .js("const a = document.getElementById('announcer');
             return [a.getAttribute('aria-live'), a.textContent];")
        .await;
    assert_eq!(live[0], "polite");
    assert!(live[1]
        .as_str()
        .is_some_and(|t| t.starts_with("Thank you, you're verified")));
    let motion = browser
        .js(
            "return [matchMedia('(prefers-reduced-motion: reduce)').matches,
                     document.getElementById('status').dataset.phase,
                     getComputedStyle(document.querySelector('.dot')).animationName];",
        )
        .await;
    assert_eq!(
        motion,
        serde_json::json!([true, "speaking", "none"]),
        "reduced motion"
    );
    assert_accessible(&browser, "200% zoom").await;
    browser.close().await;
}
