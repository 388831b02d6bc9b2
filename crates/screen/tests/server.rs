//! The screen's server over real loopback sockets: what it serves, the limits it keeps,
//! the token rule, the event stream, the inputs it accepts, and the safety rules (masking,
//! no card before verification, clearing) seen from the outside, with the scripted demo
//! conversation played against it.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{connect, exchange, get, post_input, read_response, start, Events, IO_TIMEOUT};
use voxorder_screen::script::{Script, DEMO};
use voxorder_screen::{
    Choice, DigitsKind, EventError, Limits, OrderCard, Payment, ScreenConfig, ScreenEvent,
    ScreenInput, StartError, ASSETS, CONTENT_SECURITY_POLICY,
};

const TOKEN: &str = "kiosk-7f3a9c2e1b5d4a60";

fn limits(f: impl FnOnce(&mut Limits)) -> ScreenConfig {
    let mut config = ScreenConfig::default();
    f(&mut config.limits);
    config
}

fn card() -> OrderCard {
    OrderCard {
        order_number: "1234567891234".into(),
        status: "Shipped".into(),
        payment: Some(Payment {
            method: "Visa".into(),
            last4: Some("4242424242424242".into()),
        }),
        phone: Some("5125550199".into()),
        email: Some("ada.park@example.com".into()),
        ..OrderCard::default()
    }
}

#[test]
fn the_page_and_its_files_are_served_under_a_strict_policy() {
    let (screen, _inputs) = start(ScreenConfig::default());
    let addr = screen.local_addr();
    for asset in ASSETS {
        let r = get(addr, asset.path, &[]);
        assert_eq!(r.status, 200, "{}", asset.path);
        assert_eq!(r.body, asset.body, "{}", asset.path);
        assert_eq!(
            r.header("Content-Security-Policy"),
            Some(CONTENT_SECURITY_POLICY)
        );
        assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
    }
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    assert!(CONTENT_SECURITY_POLICY.starts_with("default-src 'none'"));
    // Nothing from elsewhere: no absolute URLs but the SVG namespace, no CSS imports.
    for asset in ASSETS {
        let text = String::from_utf8_lossy(asset.body).replace("http://www.w3.org/2000/svg", "");
        for banned in [
            "http://",
            "https://",
            "//cdn",
            "@import",
            "url(",
            "@font-face",
        ] {
            assert!(!text.contains(banned), "{} holds {banned}", asset.path);
        }
    }
    let html = String::from_utf8_lossy(ASSETS[0].body).into_owned();
    assert!(!html.contains("<script>") && !html.contains("style="));
    assert!(voxorder_screen::page_bytes() < 200 * 1024);
    assert_eq!(get(addr, "/nothing-here", &[]).status, 404);
    assert_eq!(post_input(addr, "{}", &[]).status, 400);
}

#[test]
fn oversized_and_unsupported_requests_are_refused() {
    let (screen, _inputs) = start(ScreenConfig::default());
    let addr = screen.local_addr();
    let long = format!("X-Filler: {}", "a".repeat(9000));
    assert_eq!(get(addr, "/", &[&long]).status, 431);
    let r = exchange(
        addr,
        format!(
            "POST /input HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: 5000\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 413);
    let r = exchange(
        addr,
        format!(
            "POST /input HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 501);
    assert_eq!(exchange(addr, b"NONSENSE\r\n\r\n").status, 400);
    assert_eq!(
        exchange(
            addr,
            format!("DELETE /input HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()
        )
        .status,
        405
    );
}

#[test]
fn a_slow_client_is_cut_off_when_its_time_is_up() {
    let (screen, _inputs) = start(limits(|l| l.request_timeout_ms = 300));
    let mut stream = connect(screen.local_addr());
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1")
        .expect("send");
    let started = Instant::now();
    let r = read_response(&mut stream);
    assert_eq!(r.status, 408);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
}

#[test]
fn connections_beyond_the_limit_are_refused_until_slots_free() {
    let (screen, _inputs) = start(limits(|l| {
        l.max_connections = 2;
        l.request_timeout_ms = 400;
    }));
    let addr = screen.local_addr();
    // Two clients that say nothing hold both slots.
    let idle: Vec<_> = (0..2).map(|_| connect(addr)).collect();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(get(addr, "/state", &[]).status, 503);
    // Their time runs out (400 ms, then at most 300 ms for a last word), their slots
    // come back.
    std::thread::sleep(Duration::from_millis(1000));
    assert_eq!(get(addr, "/state", &[]).status, 200);
    drop(idle);
}

#[test]
fn event_streams_are_limited_and_a_closed_page_frees_its_stream() {
    let (screen, _inputs) = start(limits(|l| l.max_streams = 1));
    let addr = screen.local_addr();
    let first = Events::open(addr, &[]);
    assert_eq!(first.status, 200);
    assert_eq!(Events::open(addr, &[]).status, 503);
    drop(first);
    // The server notices the page went away within its check interval.
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let again = Events::open(addr, &[]);
        if again.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the stream slot never came back");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn another_address_than_loopback_needs_a_token() {
    let open = ScreenConfig {
        listen: "0.0.0.0:0".parse().expect("address"),
        ..ScreenConfig::default()
    };
    let err = voxorder_screen::Screen::start(open.clone()).expect_err("refused without a token");
    assert!(matches!(err, StartError::TokenRequired { .. }), "{err}");
    assert!(err.to_string().contains("not a loopback address"));
    let weak = ScreenConfig {
        token: Some("short".into()),
        ..open
    };
    assert!(matches!(
        voxorder_screen::Screen::start(weak),
        Err(StartError::WeakToken)
    ));
    let zero = limits(|l| l.max_streams = 0);
    assert!(matches!(
        voxorder_screen::Screen::start(zero),
        Err(StartError::ZeroLimit {
            name: "max_streams"
        })
    ));
}

#[test]
fn the_token_guards_every_path_and_the_link_sets_a_cookie() {
    let (screen, inputs) = start(ScreenConfig {
        token: Some(TOKEN.into()),
        ..ScreenConfig::default()
    });
    let addr = screen.local_addr();
    assert!(screen.url().ends_with(&format!("/?token={TOKEN}")));
    assert_eq!(get(addr, "/", &[]).status, 401);
    assert_eq!(get(addr, "/app.js", &[]).status, 401);
    assert_eq!(get(addr, "/state", &[]).status, 401);
    assert_eq!(Events::open(addr, &[]).status, 401);
    assert_eq!(
        post_input(addr, r#"{"type":"start_talking"}"#, &[]).status,
        401
    );
    assert_eq!(get(addr, "/?token=kiosk-wrong-token-000", &[]).status, 401);

    let link = get(addr, &format!("/?token={TOKEN}"), &[]);
    assert_eq!(link.status, 303);
    assert_eq!(link.header("Location"), Some("/"));
    let cookie = link.header("Set-Cookie").expect("a cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().expect("name=value");
    let with_cookie = format!("Cookie: theme=dark; {pair}");
    assert_eq!(get(addr, "/", &[&with_cookie]).status, 200);
    assert_eq!(Events::open(addr, &[&with_cookie]).status, 200);
    let bearer = format!("Authorization: Bearer {TOKEN}");
    assert_eq!(get(addr, "/state", &[&bearer]).status, 200);
    assert_eq!(
        post_input(addr, r#"{"type":"stop_speaking"}"#, &[&bearer]).status,
        204
    );
    assert_eq!(inputs.try_recv(), Some(ScreenInput::StopSpeaking));
}

#[test]
fn without_a_token_only_requests_for_loopback_names_are_answered() {
    let (screen, _inputs) = start(ScreenConfig::default());
    let addr = screen.local_addr();
    let port = addr.port();
    let r = exchange(
        addr,
        format!("GET / HTTP/1.1\r\nHost: rebound.example:{port}\r\n\r\n").as_bytes(),
    );
    assert_eq!(r.status, 421);
    assert_eq!(exchange(addr, b"GET / HTTP/1.1\r\n\r\n").status, 421);
    let r = exchange(
        addr,
        format!("GET / HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n").as_bytes(),
    );
    assert_eq!(r.status, 200);
}

#[test]
fn posts_must_be_json_from_the_page_itself() {
    let (screen, inputs) = start(ScreenConfig::default());
    let addr = screen.local_addr();
    let body = r#"{"type":"start_talking"}"#;
    let form = exchange(
        addr,
        format!(
            "POST /input HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(form.status, 415);
    let raw = format!(
        "POST /input HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Origin: http://elsewhere.example\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(exchange(addr, raw.as_bytes()).status, 403);
    assert_eq!(inputs.try_recv(), None);
    assert_eq!(post_input(addr, body, &[]).status, 204);
    assert_eq!(inputs.try_recv(), Some(ScreenInput::StartTalking));
}

#[test]
fn inputs_reach_the_conversation_only_when_valid() {
    let (screen, inputs) = start(ScreenConfig::default());
    let addr = screen.local_addr();
    assert_eq!(
        post_input(addr, r#"{"type":"keypad","digits":"78701"}"#, &[]).status,
        204
    );
    assert_eq!(
        inputs.recv_timeout(IO_TIMEOUT),
        Some(ScreenInput::Keypad {
            digits: "78701".into()
        })
    );
    for bad in [
        r#"{"type":"keypad","digits":"78a01"}"#,
        r#"{"type":"keypad","digits":""}"#,
        r#"{"type":"keypad","digits":"123456789012345678901234567890123"}"#,
        r#"{"type":"format_disk"}"#,
        "not json",
    ] {
        assert_eq!(post_input(addr, bad, &[]).status, 400, "{bad}");
    }
    // A choice counts only while it is offered.
    let choice = r#"{"type":"choice","value":"yes"}"#;
    assert_eq!(post_input(addr, choice, &[]).status, 409);
    screen
        .publish(ScreenEvent::OfferChoices {
            prompt: "Cancel the order?".into(),
            choices: vec![
                Choice {
                    label: "Yes, cancel".into(),
                    value: "yes".into(),
                },
                Choice {
                    label: "No, keep it".into(),
                    value: "no".into(),
                },
            ],
        })
        .expect("choices shown");
    assert_eq!(post_input(addr, choice, &[]).status, 204);
    assert_eq!(
        post_input(addr, r#"{"type":"start_talking"}"#, &[]).status,
        204
    );
    assert_eq!(
        post_input(addr, r#"{"type":"stop_speaking"}"#, &[]).status,
        204
    );
    let got: Vec<_> = std::iter::from_fn(|| inputs.try_recv()).collect();
    assert_eq!(
        got,
        [
            ScreenInput::Choice {
                value: "yes".into()
            },
            ScreenInput::StartTalking,
            ScreenInput::StopSpeaking
        ]
    );
}

#[test]
fn a_full_input_queue_answers_busy_instead_of_dropping() {
    let (screen, inputs) = start(limits(|l| l.input_queue = 1));
    let addr = screen.local_addr();
    assert_eq!(
        post_input(addr, r#"{"type":"start_talking"}"#, &[]).status,
        204
    );
    assert_eq!(
        post_input(addr, r#"{"type":"stop_speaking"}"#, &[]).status,
        503
    );
    assert_eq!(inputs.try_recv(), Some(ScreenInput::StartTalking));
    assert_eq!(inputs.try_recv(), None);
}

#[test]
fn a_late_page_gets_the_current_state_then_every_change_in_order() {
    let (screen, _inputs) = start(ScreenConfig::default());
    let addr = screen.local_addr();
    screen
        .publish(ScreenEvent::ConversationStarted)
        .expect("ok");
    screen
        .publish(ScreenEvent::AgentSays {
            text: "What is your order number?".into(),
        })
        .expect("ok");
    screen
        .publish(ScreenEvent::AskDigits {
            kind: DigitsKind::OrderNumber,
            length: 13,
        })
        .expect("ok");
    let mut late = Events::open(addr, &[]);
    let first = late
        .next_state(IO_TIMEOUT)
        .expect("the current state at once");
    assert_eq!(first["seq"], 3);
    assert_eq!(first["transcript"][0]["text"], "What is your order number?");
    assert_eq!(first["digits"]["length"], 13);
    for k in 0..20 {
        screen
            .publish(ScreenEvent::CallerSaid {
                text: format!("line {k}"),
            })
            .expect("ok");
    }
    let mut last = 3;
    while last < 23 {
        let state = late.next_state(IO_TIMEOUT).expect("a change");
        let seq = state["seq"].as_u64().expect("seq");
        // A slow page may skip states it no longer needs, never go back.
        assert!(seq > last, "{seq} after {last}");
        last = seq;
    }
    let state = serde_json::to_value(screen.snapshot()).expect("json");
    assert_eq!(state["transcript"].as_array().map(Vec::len), Some(21));
}

#[test]
fn the_screen_never_shows_card_numbers_phones_or_emails() {
    let (screen, _inputs) = start(ScreenConfig::default());
    let addr = screen.local_addr();
    screen
        .publish(ScreenEvent::CallerSaid {
            text: "my card is 4242 4242 4242 4242, phone 512-555-0199, ada.park@example.com".into(),
        })
        .expect("ok");
    screen
        .publish(ScreenEvent::ShowOrder {
            caller_verified: true,
            order: Box::new(card()),
        })
        .expect("ok");
    let mut events = Events::open(addr, &[]);
    let streamed = events.next_state(IO_TIMEOUT).expect("state").to_string();
    let polled = get(addr, "/state", &[]).text();
    for shown in [streamed, polled] {
        for secret in [
            "4242 4242",
            "4242424242",
            "555-0199",
            "5125550199",
            "ada.park",
            "example.com",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("•••• 4242"));
        assert!(shown.contains(r#""last4":"4242""#));
        assert!(shown.contains("••••••••99"));
        assert!(shown.contains("a•••@e•••.com"));
        assert!(shown.contains("1234567891234"));
    }
}

#[test]
fn no_order_card_is_shown_before_verification() {
    let (screen, _inputs) = start(ScreenConfig::default());
    let addr = screen.local_addr();
    let mut events = Events::open(addr, &[]);
    events.next_state(IO_TIMEOUT).expect("the blank screen");
    screen
        .publish(ScreenEvent::ConversationStarted)
        .expect("ok");
    let refused = screen.publish(ScreenEvent::ShowOrder {
        caller_verified: false,
        order: Box::new(card()),
    });
    assert!(matches!(refused, Err(EventError::NotVerified { .. })));
    let state = events.next_state(IO_TIMEOUT).expect("the started state");
    assert!(state["order"].is_null());
    // The refused event sent nothing at all.
    assert!(events.next_state(Duration::from_millis(300)).is_none());
    assert!(get(addr, "/state", &[]).json()["order"].is_null());
    let body = get(addr, "/state", &[]).text();
    assert!(!body.contains("1234567891234"));
}

#[test]
fn the_screen_clears_when_the_conversation_ends_and_when_it_goes_idle() {
    let (screen, _inputs) = start(ScreenConfig {
        idle_clear_secs: 1,
        ..ScreenConfig::default()
    });
    let addr = screen.local_addr();
    let mut events = Events::open(addr, &[]);
    screen
        .publish(ScreenEvent::ShowOrder {
            caller_verified: true,
            order: Box::new(card()),
        })
        .expect("ok");
    events.until(IO_TIMEOUT, |s| !s["order"].is_null());
    screen.publish(ScreenEvent::ConversationEnded).expect("ok");
    let ended = events.until(IO_TIMEOUT, |s| s["cleared"] == "ended");
    assert!(ended["order"].is_null() && ended["transcript"].as_array().is_some_and(Vec::is_empty));
    assert_eq!(ended["active"], false);

    screen
        .publish(ScreenEvent::AgentSays {
            text: "Are you still there?".into(),
        })
        .expect("ok");
    let started = Instant::now();
    let idle = events.until(IO_TIMEOUT, |s| s["cleared"] == "idle");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert!(idle["transcript"].as_array().is_some_and(Vec::is_empty));
    assert_eq!(idle["phase"], "idle");
}

#[test]
fn the_scripted_conversation_shows_the_card_only_after_the_keypad_check() {
    let (screen, inputs) = start(ScreenConfig::default());
    let addr = screen.local_addr();
    let script = Script::from_json(DEMO).expect("the demo script");
    let publisher = screen.publisher();
    let player = std::thread::spawn(move || script.play(&publisher, &inputs, 0.0));

    // A person at the screen: types what is asked, picks the second choice.
    let mut events = Events::open(addr, &[]);
    let mut typed = Vec::new();
    let mut answered = None;
    let mut card_seen_after = None;
    let mut picked = false;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "the script did not finish");
        let Some(state) = events.next_state(IO_TIMEOUT) else {
            panic!("the stream ended early")
        };
        if !state["order"].is_null() && card_seen_after.is_none() {
            card_seen_after = Some(typed.len());
        }
        if let Some(kind) = state["digits"]["kind"].as_str() {
            let seq = state["seq"].as_u64();
            // One answer per question: the question is the agent's latest line.
            let asked_in = state["transcript"]
                .as_array()
                .and_then(|lines| lines.iter().rev().find(|l| l["speaker"] == "agent"))
                .map(|l| l["id"].clone());
            let question = Some((kind.to_string(), asked_in));
            if answered != question {
                answered = question;
                let digits = if kind == "order_number" {
                    "1234567891234"
                } else {
                    "78701"
                };
                let body = format!(r#"{{"type":"keypad","digits":"{digits}"}}"#);
                assert_eq!(post_input(addr, &body, &[]).status, 204, "at {seq:?}");
                typed.push(digits);
            }
        }
        if let Some(choices) = state["choices"]["choices"].as_array().filter(|_| !picked) {
            picked = true;
            let value = choices[1]["value"].as_str().expect("a value");
            let body = format!(r#"{{"type":"choice","value":"{value}"}}"#);
            assert_eq!(post_input(addr, &body, &[]).status, 204);
        }
        if state["cleared"] == "ended" {
            break;
        }
    }
    let received = player
        .join()
        .expect("the player")
        .expect("the script played");
    assert_eq!(typed, ["1234567891234", "78701"]);
    assert_eq!(card_seen_after, Some(2), "the card came before both checks");
    assert!(received.contains(&ScreenInput::Choice {
        value: "2026-03-16/morning".into()
    }));
    let end = get(addr, "/state", &[]).json();
    assert_eq!(end["active"], false);
    assert!(end["order"].is_null());
}
