//! The server over real TCP on 127.0.0.1, driven event by event: every service, the
//! limits and timeouts, every kind of bad input, concurrent clients, clients that leave
//! mid-stream, the connection cap and shutdown.

mod common;

use std::time::{Duration, Instant};

use common::{chunks, pcm, quick_config, Client, Fakes, TestServer, HA_FORMAT, STEP};
use serde_json::json;
use voxorder_wyoming::fake::{FakeAsr, FakeTts};
use voxorder_wyoming::protocol::{
    AudioChunk, AudioFormat, AudioStart, AudioStop, Detect, Detection, Event, EventData, Handled,
    Info, Limits, NotDetected, NotHandled, Ping, Pong, Synthesize, SynthesizeChunk,
    SynthesizeStart, SynthesizeStop, SynthesizeStopped, SynthesizeVoice, Transcribe, Transcript,
};
use voxorder_wyoming::{Server, ServerConfig, ServerError, Services};

async fn server() -> (TestServer, Fakes) {
    let fakes = Fakes::new();
    (
        TestServer::start(quick_config(), fakes.services()).await,
        fakes,
    )
}

fn start() -> AudioStart {
    AudioStart {
        format: HA_FORMAT,
        timestamp: None,
    }
}

fn context(value: serde_json::Value) -> Option<serde_json::Map<String, serde_json::Value>> {
    value.as_object().cloned()
}

async fn send_audio(client: &mut Client, audio: &[u8]) {
    for chunk in chunks(audio) {
        client.send(&chunk).await;
    }
}

// ---------------------------------------------------------------------------- describe

#[tokio::test]
async fn describe_lists_every_service_as_installed() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    client.send_event(&Event::new("describe")).await;
    let info: Info = client.expect().await;
    assert_eq!(info.asr[0].artifact.name, "fake-asr");
    assert!(info.asr[0].artifact.installed);
    assert!(info.asr[0].requires_external_vad);
    assert_eq!(info.asr[0].models[0].languages, ["en", "fr"]);
    assert!(info.asr[0].models[0].artifact.installed);
    assert_eq!(info.tts[0].voices.len(), 2);
    assert!(info.tts[0].supports_synthesize_streaming);
    let speakers = info.tts[0].voices[1].speakers.as_ref().expect("speakers");
    assert_eq!(speakers[0].name, "alto");
    assert_eq!(info.tts[0].voices[0].speakers, None);
    assert_eq!(info.handle[0].artifact.name, "fake-agent");
    assert!(!info.handle[0].supports_home_control);
    let words: Vec<_> = info.wake[0]
        .models
        .iter()
        .map(|m| &m.artifact.name)
        .collect();
    assert_eq!(words, ["okay_nabu", "hey_jarvis"]);
    assert_eq!(info.wake[0].models[0].phrase.as_deref(), Some("Okay Nabu"));
    assert!(info.intent.is_empty() && info.mic.is_empty() && info.snd.is_empty());
    // And a connection stays usable after describe.
    client.expect_alive().await;
}

#[tokio::test]
async fn ping_is_answered_with_pong() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    client
        .send(&Ping {
            text: Some("p1".into()),
        })
        .await;
    let pong: Pong = client.expect().await;
    assert_eq!(pong.text.as_deref(), Some("p1"));
}

// ---------------------------------------------------------------------------- asr

#[tokio::test]
async fn recognises_an_utterance_and_serves_the_next_on_the_same_connection() {
    let (server, fakes) = server().await;
    let mut client = server.client().await;
    client
        .send(&Transcribe {
            language: Some("en".into()),
            ..Transcribe::default()
        })
        .await;
    client.send(&start()).await;
    let audio = pcm(&[0, 1234, -77].repeat(1600));
    send_audio(&mut client, &audio).await;
    client.send(&AudioStop::default()).await;
    let transcript: Transcript = client.expect().await;
    // The fake pads its text with spaces: the server trims it.
    assert_eq!(transcript.text, "heard 300 ms, peak 1234");
    assert_eq!(transcript.language.as_deref(), Some("en"));

    // audio-start with no transcribe before it is recognition too.
    client.send(&start()).await;
    send_audio(&mut client, &pcm(&[500; 800])).await;
    client.send(&AudioStop::default()).await;
    let second: Transcript = client.expect().await;
    assert_eq!(second.text, "heard 50 ms, peak 500");
    assert_eq!(second.language, None);
    assert_eq!(fakes.asr.calls(), 2);
}

#[tokio::test]
async fn no_audio_at_all_is_an_empty_transcript() {
    let (server, fakes) = server().await;
    let mut client = server.client().await;
    client.send(&Transcribe::default()).await;
    client.send(&AudioStop::default()).await;
    let transcript: Transcript = client.expect().await;
    assert_eq!(transcript.text, "");
    assert_eq!(fakes.asr.calls(), 0);
}

#[tokio::test]
async fn a_recogniser_error_is_sent_and_the_connection_kept() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    client
        .send(&Transcribe {
            language: Some("de".into()),
            ..Transcribe::default()
        })
        .await;
    client.send(&start()).await;
    send_audio(&mut client, &pcm(&[1; 320])).await;
    client.send(&AudioStop::default()).await;
    client.expect_error("unsupported-language").await;
    client.expect_alive().await;
}

#[tokio::test]
async fn more_audio_than_the_cap_is_refused_and_the_connection_closed() {
    let fakes = Fakes::new();
    let config = ServerConfig {
        max_asr_audio: Duration::from_millis(100),
        ..quick_config()
    };
    let server = TestServer::start(config, fakes.services()).await;
    let mut client = server.client().await;
    client.send(&Transcribe::default()).await;
    client.send(&start()).await;
    // 100 ms is exactly ten 10 ms chunks; the eleventh is over.
    send_audio(&mut client, &pcm(&[3; 1760])).await;
    client.expect_error("audio-too-long").await;
    client.expect_closed().await;
    assert_eq!(fakes.asr.calls(), 0);
    server.wait_connections(0).await;
}

#[tokio::test]
async fn a_silent_client_is_closed_after_the_idle_timeout() {
    let config = ServerConfig {
        idle_timeout: Duration::from_millis(200),
        ..quick_config()
    };
    let server = TestServer::start(config, Fakes::new().services()).await;
    let mut client = server.client().await;
    let started = Instant::now();
    client.expect_error("idle-timeout").await;
    client.expect_closed().await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(190), "{waited:?}");
    assert!(waited < Duration::from_secs(2), "{waited:?}");
}

#[tokio::test]
async fn a_trickling_upload_runs_out_of_request_time() {
    let config = ServerConfig {
        idle_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(300),
        ..quick_config()
    };
    let server = TestServer::start(config, Fakes::new().services()).await;
    let mut client = server.client().await;
    client.send(&Transcribe::default()).await;
    client.send(&start()).await;
    let started = Instant::now();
    // Each chunk arrives well within the idle timeout, but the whole takes too long.
    for chunk in chunks(&pcm(&[1; 1600])) {
        client.send(&chunk).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        if started.elapsed() > Duration::from_millis(240) {
            break;
        }
    }
    client.expect_error("request-timeout").await;
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(1), "{waited:?}");
    client.expect_closed().await;
}

#[tokio::test]
async fn a_slow_recogniser_is_cancelled_when_the_request_runs_out_of_time() {
    let fakes = Fakes::with(FakeAsr::with_delay(Duration::from_secs(30)), FakeTts::new());
    let config = ServerConfig {
        request_timeout: Duration::from_millis(300),
        ..quick_config()
    };
    let server = TestServer::start(config, fakes.services()).await;
    let mut client = server.client().await;
    client.send(&start()).await;
    send_audio(&mut client, &pcm(&[1; 320])).await;
    client.send(&AudioStop::default()).await;
    client.expect_error("request-timeout").await;
    client.expect_closed().await;
    wait_for(|| fakes.asr.cancelled() == 1, "the recogniser to stop").await;
}

async fn wait_for(mut done: impl FnMut() -> bool, what: &str) {
    let until = Instant::now() + STEP;
    while !done() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------------------- bad input

#[tokio::test]
async fn unreadable_events_are_answered_then_the_connection_closed() {
    let config = ServerConfig {
        limits: Limits {
            max_header_bytes: 256,
            max_data_bytes: 64,
            max_payload_bytes: 640,
        },
        ..quick_config()
    };
    let server = TestServer::start(config, Fakes::new().services()).await;
    let long_header = format!(
        "{{\"type\":\"describe\",\"pad\":\"{}\"}}\n",
        "x".repeat(300)
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"this is not json\n".to_vec(), "malformed-header"),
        (b"\n".to_vec(), "malformed-header"),
        (b"{\"data_length\":2}\n{}".to_vec(), "malformed-header"),
        (long_header.into_bytes(), "header-too-long"),
        // A header line that never ends is cut off at the limit, not buffered.
        (vec![b'{'; 4096], "header-too-long"),
        (
            b"{\"type\":\"transcript\",\"data_length\":65}\n".to_vec(),
            "data-too-large",
        ),
        (
            b"{\"type\":\"audio-chunk\",\"data_length\":2,\"payload_length\":641}\n{}".to_vec(),
            "payload-too-large",
        ),
        (
            b"{\"type\":\"transcript\",\"data_length\":3}\n[1]".to_vec(),
            "malformed-data",
        ),
    ];
    for (bytes, code) in cases {
        let mut client = server.client().await;
        client.send_raw(&bytes).await;
        client.expect_error(code).await;
        client.expect_closed().await;
    }
    server.wait_connections(0).await;
    // The server itself is unharmed.
    server.client().await.expect_alive().await;
}

#[tokio::test]
async fn unknown_events_are_ignored_and_the_connection_kept() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    client
        .send_raw(b"{\"type\":\"frobnicate\",\"data\":{\"x\":1},\"payload_length\":3}\nabc")
        .await;
    client.send_event(&Event::new("select-program")).await;
    client.send_event(&Event::new("info")).await;
    // The first answer is to the describe: nothing was said about the others.
    client.expect_alive().await;
}

#[tokio::test]
async fn invalid_data_for_a_known_event_is_an_error_and_the_connection_lives() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    let no_rate = json!({"width": 2, "channels": 1}).as_object().cloned();
    client
        .send_event(&Event::with_data("audio-start", no_rate.expect("object")))
        .await;
    client.expect_error("invalid-data").await;
    let no_text = json!({"language": "en"}).as_object().cloned();
    client
        .send_event(&Event::with_data("transcript", no_text.expect("object")))
        .await;
    client.expect_error("invalid-data").await;
    let absurd = AudioStart {
        format: AudioFormat::new(4_000_000, 2, 1),
        timestamp: None,
    };
    client.send(&absurd).await;
    client.expect_error("unsupported-format").await;
    client.expect_alive().await;
}

#[tokio::test]
async fn audio_before_audio_start_is_reported_once_and_dropped() {
    let (server, fakes) = server().await;
    let mut client = server.client().await;
    client.send(&Transcribe::default()).await;
    send_audio(&mut client, &pcm(&[9; 960])).await;
    client.expect_error("audio-before-start").await;
    // The other two chunks were dropped without more errors.
    client.expect_alive().await;
    // And a proper stream afterwards works.
    client.send(&start()).await;
    send_audio(&mut client, &pcm(&[9; 160])).await;
    client.send(&AudioStop::default()).await;
    let transcript: Transcript = client.expect().await;
    assert_eq!(transcript.text, "heard 10 ms, peak 9");
    assert_eq!(fakes.asr.calls(), 1);
}

#[tokio::test]
async fn a_chunk_in_another_format_or_with_a_partial_sample_ends_the_request() {
    let (server, fakes) = server().await;
    let mut client = server.client().await;
    client.send(&start()).await;
    client
        .send(&AudioChunk {
            format: AudioFormat::new(22050, 2, 1),
            timestamp: None,
            audio: pcm(&[1; 10]),
        })
        .await;
    client.expect_error("audio-format-mismatch").await;
    client.send(&AudioStop::default()).await;
    client.send(&start()).await;
    client
        .send(&AudioChunk {
            format: HA_FORMAT,
            timestamp: None,
            audio: vec![1, 2, 3],
        })
        .await;
    client.expect_error("bad-audio").await;
    client.expect_alive().await;
    assert_eq!(fakes.asr.calls(), 0);
}

#[tokio::test]
async fn a_service_the_server_does_not_offer_is_an_error() {
    let fakes = Fakes::new();
    let services = Services::default().with_tts(fakes.tts.clone());
    let server = TestServer::start(quick_config(), services).await;
    let mut client = server.client().await;
    client.send(&Transcribe::default()).await;
    client.expect_error("unsupported").await;
    // The audio that follows is dropped quietly.
    client.send(&start()).await;
    client.expect_error("unsupported").await;
    send_audio(&mut client, &pcm(&[1; 320])).await;
    client.send(&Detect::default()).await;
    client.expect_error("unsupported").await;
    client
        .send(&Transcript {
            text: "hello".into(),
            ..Transcript::default()
        })
        .await;
    client.expect_error("unsupported").await;
    client.send_event(&Event::new("describe")).await;
    let info: Info = client.expect().await;
    assert!(info.asr.is_empty() && info.handle.is_empty() && info.wake.is_empty());
    assert_eq!(info.tts.len(), 1);
}

// ---------------------------------------------------------------------------- concurrency

#[tokio::test]
async fn two_clients_at_once_each_get_their_own_answer() {
    let (server, fakes) = server().await;
    let mut a = server.client().await;
    let mut b = server.client().await;
    a.send(&Transcribe::default()).await;
    b.send(&Transcribe::default()).await;
    a.send(&start()).await;
    b.send(&start()).await;
    let audio_a = chunks(&pcm(&[1000; 1600]));
    let audio_b = chunks(&pcm(&[2000; 3200]));
    // Interleaved, so both streams are open in the server at the same time.
    for (i, chunk_b) in audio_b.iter().enumerate() {
        if let Some(chunk_a) = audio_a.get(i) {
            a.send(chunk_a).await;
        }
        b.send(chunk_b).await;
    }
    server.wait_connections(2).await;
    let mut c = server.client().await;
    c.expect_alive().await;
    b.send(&AudioStop::default()).await;
    a.send(&AudioStop::default()).await;
    let from_a: Transcript = a.expect().await;
    let from_b: Transcript = b.expect().await;
    assert_eq!(from_a.text, "heard 100 ms, peak 1000");
    assert_eq!(from_b.text, "heard 200 ms, peak 2000");
    assert_eq!(fakes.asr.calls(), 2);
}

#[tokio::test]
async fn clients_leaving_mid_stream_free_everything() {
    let fakes = Fakes::with(
        FakeAsr::with_delay(Duration::from_secs(30)),
        FakeTts::with_chunk_delay(Duration::from_millis(20)),
    );
    let server = TestServer::start(quick_config(), fakes.services()).await;

    // Mid-upload.
    let mut asr = server.client().await;
    asr.send(&Transcribe::default()).await;
    asr.send(&start()).await;
    send_audio(&mut asr, &pcm(&[5; 1600])).await;
    // Mid-recognition: the slow recogniser is told to stop.
    let mut slow = server.client().await;
    slow.send(&start()).await;
    send_audio(&mut slow, &pcm(&[5; 160])).await;
    slow.send(&AudioStop::default()).await;
    // Mid-detection: the detector is dropped.
    let mut wake = server.client().await;
    wake.send(&Detect::default()).await;
    wake.send(&start()).await;
    send_audio(&mut wake, &pcm(&[0; 1600])).await;
    // Mid-speech: the voice stops producing.
    let mut tts = server.client().await;
    tts.send(&Synthesize {
        text: "word ".repeat(200),
        ..Synthesize::default()
    })
    .await;
    let _: AudioStart = tts.expect().await;
    let _: AudioChunk = tts.expect().await;

    server.wait_connections(4).await;
    wait_for(|| fakes.wake.live_detectors() == 1, "the detector to start").await;
    wait_for(|| fakes.asr.calls() == 1, "the recogniser to start").await;
    drop((asr, slow, wake, tts));

    server.wait_connections(0).await;
    wait_for(|| fakes.wake.live_detectors() == 0, "the detector to go").await;
    wait_for(|| fakes.asr.cancelled() == 1, "the recogniser to stop").await;
    wait_for(|| fakes.tts.stopped_early() == 1, "the voice to stop").await;
    assert!(
        fakes.tts.chunks_written() < 100,
        "{}",
        fakes.tts.chunks_written()
    );
    server.client().await.expect_alive().await;
}

#[tokio::test]
async fn connections_over_the_cap_are_told_busy_and_closed() {
    let config = ServerConfig {
        max_connections: 1,
        ..quick_config()
    };
    let server = TestServer::start(config, Fakes::new().services()).await;
    let mut first = server.client().await;
    first.expect_alive().await;
    let mut second = server.client().await;
    second.expect_error("busy").await;
    second.expect_closed().await;
    first.expect_alive().await;
    drop(first);
    server.wait_connections(0).await;
    server.client().await.expect_alive().await;
}

#[tokio::test]
async fn shutdown_lets_a_request_finish_and_closes_idle_connections() {
    let fakes = Fakes::with(
        FakeAsr::with_delay(Duration::from_millis(400)),
        FakeTts::new(),
    );
    let server = TestServer::start(quick_config(), fakes.services()).await;
    let mut idle = server.client().await;
    idle.expect_alive().await;
    let mut busy = server.client().await;
    busy.send(&start()).await;
    send_audio(&mut busy, &pcm(&[7; 160])).await;
    busy.send(&AudioStop::default()).await;
    wait_for(|| fakes.asr.calls() == 1, "the recogniser to start").await;
    let addr = server.addr;
    let took = server.stop().await;
    idle.expect_closed().await;
    let transcript: Transcript = busy.expect().await;
    assert_eq!(transcript.text, "heard 10 ms, peak 7");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn a_bad_configuration_or_no_service_is_refused() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let zero = ServerConfig {
        request_timeout: Duration::ZERO,
        ..ServerConfig::default()
    };
    let services = Fakes::new().services();
    assert!(matches!(
        Server::from_listener(listener, zero, services),
        Err(ServerError::InvalidConfig {
            field: "request_timeout"
        })
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    assert!(matches!(
        Server::from_listener(listener, ServerConfig::default(), Services::default()),
        Err(ServerError::NoServices)
    ));
}

// ---------------------------------------------------------------------------- tts

async fn read_speech(client: &mut Client) -> Vec<(Event, Instant)> {
    let mut events = Vec::new();
    loop {
        let event = client.recv().await.expect("speech, not a close");
        let end = event.event_type == "audio-stop" || event.event_type == "synthesize-stopped";
        assert_ne!(event.event_type, "error", "{event:?}");
        events.push((event, Instant::now()));
        if end {
            return events;
        }
    }
}

#[tokio::test]
async fn speech_is_sent_as_the_voice_produces_it_in_one_envelope() {
    let fakes = Fakes::with(
        FakeAsr::new(),
        FakeTts::with_chunk_delay(Duration::from_millis(150)),
    );
    let server = TestServer::start(quick_config(), fakes.services()).await;
    let mut client = server.client().await;
    client
        .send(&Synthesize {
            text: "one two three four".into(),
            ..Synthesize::default()
        })
        .await;
    let events = read_speech(&mut client).await;
    let types: Vec<&str> = events.iter().map(|(e, _)| e.event_type.as_str()).collect();
    assert_eq!(types.first(), Some(&"audio-start"));
    assert_eq!(types.iter().filter(|t| **t == "audio-start").count(), 1);
    assert_eq!(types.iter().filter(|t| **t == "audio-stop").count(), 1);
    let chunks: Vec<(AudioChunk, Instant)> = events
        .iter()
        .filter(|(e, _)| e.event_type == "audio-chunk")
        .map(|(e, at)| (AudioChunk::from_event(e).expect("chunk"), *at))
        .collect();
    let format = AudioFormat::new(22050, 2, 1);
    assert!(chunks.iter().all(|(c, _)| c.format == format));
    assert!(chunks.iter().all(|(c, _)| c.audio.len() <= 1024 * 2));
    let total: usize = chunks.iter().map(|(c, _)| c.audio.len()).sum();
    assert_eq!(total, 4 * 2205 * 2);
    // Three pauses of 150 ms separate the first word from the last: had the server
    // waited for the whole message, everything would arrive at once.
    let spread = chunks.last().expect("chunks").1 - chunks[0].1;
    assert!(spread >= Duration::from_millis(350), "{spread:?}");
}

#[tokio::test]
async fn voices_are_chosen_by_name_and_unknown_ones_refused() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    client
        .send(&Synthesize {
            text: "hi".into(),
            voice: Some(SynthesizeVoice {
                name: Some("fake-low".into()),
                ..SynthesizeVoice::default()
            }),
            ..Synthesize::default()
        })
        .await;
    let start: AudioStart = client.expect().await;
    assert_eq!(start.format.rate, 16000);
    read_speech(&mut client).await;
    client
        .send(&Synthesize {
            text: "hi".into(),
            voice: Some(SynthesizeVoice {
                name: Some("nobody".into()),
                ..SynthesizeVoice::default()
            }),
            ..Synthesize::default()
        })
        .await;
    client.expect_error("unknown-voice").await;
    // Empty text: an empty envelope, as the reference voice sends.
    client
        .send(&Synthesize {
            text: " ".into(),
            ..Synthesize::default()
        })
        .await;
    let _: AudioStop = client.expect().await;
    client.expect_alive().await;
}

#[tokio::test]
async fn streamed_text_is_spoken_sentence_by_sentence() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    client.send(&SynthesizeStart::default()).await;
    client
        .send(&SynthesizeChunk {
            text: "Hello there. How".into(),
        })
        .await;
    // The first sentence is spoken before the rest of the text exists.
    let first = read_speech(&mut client).await;
    assert_eq!(first[0].0.event_type, "audio-start");
    let words: usize = first
        .iter()
        .filter(|(e, _)| e.event_type == "audio-chunk")
        .map(|(e, _)| e.payload.len())
        .sum();
    assert_eq!(words, 2 * 2205 * 2);
    client
        .send(&SynthesizeChunk {
            text: " are you? Fine".into(),
        })
        .await;
    client
        .send(&Synthesize {
            text: "Hello there. How are you? Fine".into(),
            ..Synthesize::default()
        })
        .await;
    client.send(&SynthesizeStop {}).await;
    let second = read_speech(&mut client).await;
    assert_eq!(
        second.last().map(|(e, _)| e.event_type.as_str()),
        Some("audio-stop")
    );
    let third = read_speech(&mut client).await;
    let types: Vec<&str> = third.iter().map(|(e, _)| e.event_type.as_str()).collect();
    assert_eq!(types.first(), Some(&"audio-start"));
    assert_eq!(types.last(), Some(&"audio-stop"));
    let _: SynthesizeStopped = client.expect().await;
    // The compatibility synthesize added nothing: one word ("Fine") in the last group.
    let words: usize = third
        .iter()
        .filter(|(e, _)| e.event_type == "audio-chunk")
        .map(|(e, _)| e.payload.len())
        .sum();
    assert_eq!(words, 2205 * 2);
    client.expect_alive().await;
}

// ---------------------------------------------------------------------------- handle

fn turn(text: &str, conversation: Option<&str>) -> Transcript {
    Transcript {
        text: text.into(),
        language: Some("en".into()),
        context: conversation.and_then(|id| {
            context(json!({"conversation_id": id, "satellite_id": "assist_satellite.kitchen"}))
        }),
    }
}

#[tokio::test]
async fn conversation_turns_are_handled_with_their_context() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    for n in 1..=3 {
        client.send(&turn("where is my order", Some("c-1"))).await;
        let handled: Handled = client.expect().await;
        assert_eq!(
            handled.text.as_deref(),
            Some(format!("Turn {n}: you said \"where is my order\".").as_str())
        );
        assert_eq!(handled.context, turn("", Some("c-1")).context);
    }
    // A new connection, as Home Assistant opens for each turn, and another conversation.
    let mut other = server.client().await;
    other.send(&turn("hello", Some("c-2"))).await;
    let handled: Handled = other.expect().await;
    assert!(handled.text.unwrap_or_default().starts_with("Turn 1"));
    // Without language or context, as older clients send.
    other
        .send(&Transcript {
            text: "hi".into(),
            ..Transcript::default()
        })
        .await;
    let handled: Handled = other.expect().await;
    assert_eq!(handled.context, None);
    other.send(&turn("gibberish", Some("c-2"))).await;
    let refused: NotHandled = other.expect().await;
    assert_eq!(
        refused.text.as_deref(),
        Some("Sorry, I did not understand.")
    );
}

// ---------------------------------------------------------------------------- wake

fn loud_at(quiet_ms: usize, loud_ms: usize) -> Vec<u8> {
    let mut samples = vec![0i16; quiet_ms * 16];
    samples.extend(std::iter::repeat_n(20000i16, loud_ms * 16));
    pcm(&samples)
}

#[tokio::test]
async fn wake_words_are_detected_and_listening_goes_on() {
    let (server, fakes) = server().await;
    let mut client = server.client().await;
    client.send(&Detect::default()).await;
    client.send(&start()).await;
    send_audio(&mut client, &loud_at(500, 100)).await;
    let detection: Detection = client.expect().await;
    assert_eq!(detection.name.as_deref(), Some("okay_nabu"));
    assert_eq!(detection.timestamp, Some(500));
    // Past the refractory period it fires again on the same stream.
    send_audio(&mut client, &loud_at(2500, 100)).await;
    let again: Detection = client.expect().await;
    assert_eq!(again.timestamp, Some(600 + 2500));
    // A satellite restarts on the same connection without audio-stop.
    client
        .send(&Detect {
            names: Some(vec!["hey_jarvis".into()]),
            context: None,
        })
        .await;
    client.send(&start()).await;
    send_audio(&mut client, &loud_at(200, 10)).await;
    let restarted: Detection = client.expect().await;
    assert_eq!(restarted.name.as_deref(), Some("hey_jarvis"));
    assert_eq!(restarted.timestamp, Some(200));
    client.send(&AudioStop::default()).await;
    // Detected: no not-detected follows.
    client.expect_alive().await;
    drop(client);
    wait_for(|| fakes.wake.live_detectors() == 0, "the detectors to go").await;
}

#[tokio::test]
async fn a_stream_with_no_wake_word_ends_with_not_detected() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    client
        .send(&Detect {
            names: Some(vec!["okay_nabu".into()]),
            context: None,
        })
        .await;
    client.send(&start()).await;
    send_audio(&mut client, &pcm(&[100; 16000])).await;
    client.send(&AudioStop::default()).await;
    let _: NotDetected = client.expect().await;
    client
        .send(&Detect {
            names: Some(vec!["alexa".into()]),
            context: None,
        })
        .await;
    client.send(&start()).await;
    client.expect_error("unknown-wake-word").await;
    client.expect_alive().await;
}

#[tokio::test]
async fn a_loud_end_of_stream_is_detected_before_audio_stop_is_answered() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    client.send(&Detect::default()).await;
    client.send(&start()).await;
    // Sent in one go, then stopped at once: the detector may still be working on it.
    let mut burst = Vec::new();
    for chunk in chunks(&loud_at(1000, 20)) {
        burst.extend(chunk.to_event().encode());
    }
    burst.extend(AudioStop::default().to_event().encode());
    client.send_raw(&burst).await;
    let detection: Detection = client.expect().await;
    assert_eq!(detection.timestamp, Some(1000));
    client.expect_alive().await;
}

#[tokio::test]
async fn many_events_in_one_write_are_all_served() {
    let (server, _fakes) = server().await;
    let mut client = server.client().await;
    let mut bytes = Vec::new();
    bytes.extend(Event::new("describe").encode());
    bytes.extend(turn("one", Some("x")).to_event().encode());
    bytes.extend(turn("two", Some("x")).to_event().encode());
    client.send_raw(&bytes).await;
    let _: Info = client.expect().await;
    let first: Handled = client.expect().await;
    let second: Handled = client.expect().await;
    assert!(first.text.unwrap_or_default().starts_with("Turn 1"));
    assert!(second.text.unwrap_or_default().starts_with("Turn 2"));
}
