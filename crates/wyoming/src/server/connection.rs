//! One client connection: reading its events under the limits and timeouts, the state of
//! the request under way (a recognition, a streamed synthesis, a wake word stream; a
//! conversation turn needs none), running services on blocking threads, and answering.
//!
//! Nothing here logs what was said or heard: only event types, sizes and error codes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep_until, timeout, Instant};
use tracing::{debug, trace, warn};

use super::sentences::SentenceBuffer;
use super::{info, Shared};
use crate::protocol::{
    write_event, AudioChunk, AudioFormat, AudioStart, AudioStop, Context, Describe, Detect,
    Detection, Error as ErrorEvent, Event, EventData, EventReader, Handled, NotDetected,
    NotHandled, Ping, Pong, ProtocolError, Synthesize, SynthesizeChunk, SynthesizeStart,
    SynthesizeStop, SynthesizeStopped, SynthesizeVoice, Transcribe, Transcript,
};
use crate::service::{
    AudioSink, Cancellation, Reply, ServiceError, SinkClosed, SynthesisRequest, Tts, Turn,
    Utterance, WakeHit, WakeStream,
};

/// Pieces of synthesised audio that may wait for the socket before the voice is paused.
const SINK_DEPTH: usize = 8;
/// Audio chunks that may wait for a wake word detector (64 of Home Assistant's 10 ms).
const WAKE_QUEUE: usize = 64;
/// Client audio beyond these is not what a voice client sends, and would let one
/// recognition request claim too much memory under `max_asr_audio`.
const MAX_RATE: u32 = 48_000;
const MAX_WIDTH: u16 = 4;
const MAX_CHANNELS: u16 = 2;
/// How long a connection closed for an error keeps draining what the client sends.
const LINGER: Duration = Duration::from_secs(1);

pub(crate) async fn run(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    // Audio events are small and latency-bound; Nagle's algorithm would hold them back.
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let limits = shared.config.limits;
    let mut connection = Connection {
        shared,
        reader: EventReader::new(BufReader::new(read), limits),
        writer: write,
        mode: Mode::Idle,
        deadline: None,
        skip_audio: false,
    };
    debug!(%peer, "connection opened");
    match connection.serve(&mut stop).await {
        End::Refused(code) => {
            connection.linger().await;
            debug!(%peer, code, "connection closed after an error");
        }
        end => debug!(%peer, ?end, "connection closed"),
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum End {
    /// The client closed between two events.
    ClientClosed,
    /// The client vanished mid-event or mid-request, or stopped taking our events.
    ClientGone,
    Shutdown,
    /// We closed it after sending an `error` with this code.
    Refused(&'static str),
}

/// `Err` closes the connection.
type Flow = Result<(), End>;

enum Mode {
    Idle,
    Asr(AsrRequest),
    Wake(WakeState),
    TtsStream(TtsStream),
}

struct AsrRequest {
    transcribe: Transcribe,
    audio: Option<AsrAudio>,
}

struct AsrAudio {
    format: AudioFormat,
    pcm: Vec<u8>,
    cap: u64,
}

struct WakeState {
    names: Option<Vec<String>>,
    context: Option<Context>,
    run: Option<WakeRun>,
}

/// A detector on its blocking thread: audio goes in, hits come out. Dropping this ends
/// the thread (its audio queue closes) and with it the detector.
struct WakeRun {
    format: AudioFormat,
    audio: mpsc::Sender<Vec<u8>>,
    hits: mpsc::UnboundedReceiver<Result<Vec<WakeHit>, ServiceError>>,
    detected: bool,
}

struct TtsStream {
    voice: Option<SynthesizeVoice>,
    context: Option<Context>,
    sentences: SentenceBuffer,
    /// Set by the first audio of the stream: every later sentence must match it, since
    /// Home Assistant builds its WAV header from the first `audio-start` only.
    format: Option<AudioFormat>,
    /// After an error the rest of the stream is not spoken, but still closed properly.
    failed: bool,
}

enum Input {
    Read(Result<Option<Event>, ProtocolError>),
    Hits(Option<Result<Vec<WakeHit>, ServiceError>>),
    Timeout { request: bool },
}

enum Job<T> {
    Done(T),
    Failed(ServiceError),
    TimedOut,
    ClientGone,
}

enum Spoken {
    Audio(AudioFormat),
    Silent,
    Failed,
}

struct ChannelSink(mpsc::Sender<(AudioFormat, Vec<u8>)>);

impl AudioSink for ChannelSink {
    fn write(&mut self, format: AudioFormat, pcm: Vec<u8>) -> Result<(), SinkClosed> {
        if pcm.is_empty() {
            return Ok(());
        }
        self.0.blocking_send((format, pcm)).map_err(|_| SinkClosed)
    }
}

fn check_format(format: AudioFormat) -> Result<(), ServiceError> {
    let plausible = (1..=MAX_RATE).contains(&format.rate)
        && (1..=MAX_WIDTH).contains(&format.width)
        && (1..=MAX_CHANNELS).contains(&format.channels);
    if plausible {
        Ok(())
    } else {
        Err(ServiceError::UnsupportedFormat { format })
    }
}

fn synthesis_request(
    text: String,
    voice: Option<&SynthesizeVoice>,
    context: Option<Context>,
) -> SynthesisRequest {
    // Python's precedence: a name (with its speaker) wins and the language is dropped.
    let name = voice.and_then(|v| v.name.clone());
    let (speaker, language) = match (&name, voice) {
        (Some(_), Some(v)) => (v.speaker.clone(), None),
        (None, Some(v)) => (None, v.language.clone()),
        _ => (None, None),
    };
    SynthesisRequest {
        text,
        voice: name,
        speaker,
        language,
        context,
    }
}

struct Connection {
    shared: Arc<Shared>,
    reader: EventReader<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
    mode: Mode,
    /// When the request under way must be answered by.
    deadline: Option<Instant>,
    /// Set once audio without a stream has been reported, so the rest of it is dropped
    /// quietly instead of answering each of up to 100 chunks a second.
    skip_audio: bool,
}

async fn next_hits(mode: &mut Mode) -> Option<Result<Vec<WakeHit>, ServiceError>> {
    match mode {
        Mode::Wake(WakeState { run: Some(run), .. }) => run.hits.recv().await,
        _ => std::future::pending().await,
    }
}

impl Connection {
    /// After an error that closes the connection: ends our side, then reads and drops
    /// what the client still sends for a moment. Closing with its bytes unread would
    /// reset the connection, and a reset can destroy the error before the client reads it.
    async fn linger(&mut self) {
        let _ = self.writer.shutdown().await;
        let mut scrap = [0u8; 4096];
        let _ = timeout(LINGER, async {
            while matches!(self.reader.get_mut().read(&mut scrap).await, Ok(n) if n > 0) {}
        })
        .await;
    }

    async fn serve(&mut self, stop: &mut watch::Receiver<bool>) -> End {
        loop {
            let idle_until = Instant::now() + self.shared.config.idle_timeout;
            let (until, request) = match self.deadline {
                Some(deadline) if deadline < idle_until => (deadline, true),
                _ => (idle_until, false),
            };
            let input = tokio::select! {
                biased;
                _ = stop.wait_for(|stopping| *stopping) => return End::Shutdown,
                hits = next_hits(&mut self.mode) => Input::Hits(hits),
                read = self.reader.read_event() => Input::Read(read),
                () = sleep_until(until) => Input::Timeout { request },
            };
            let flow = match input {
                Input::Read(Ok(Some(event))) => self.dispatch(event).await,
                Input::Read(Ok(None)) => Err(End::ClientClosed),
                Input::Read(Err(error)) => self.read_failed(error).await,
                Input::Hits(hits) => self.on_hits(hits).await,
                Input::Timeout { request: true } => self.timed_out().await,
                Input::Timeout { request: false } => {
                    self.refuse("idle-timeout", "no event from the client in time")
                        .await
                }
            };
            if let Err(end) = flow {
                return end;
            }
        }
    }

    async fn read_failed(&mut self, error: ProtocolError) -> Flow {
        match error {
            ProtocolError::Truncated { .. } | ProtocolError::Io { .. } => {
                debug!(%error, "client gone");
                Err(End::ClientGone)
            }
            // The stream is out of step with event boundaries: say why, then close.
            error => {
                debug!(code = error.code(), %error, "unreadable event");
                self.refuse(error.code(), error.to_string()).await
            }
        }
    }

    async fn dispatch(&mut self, event: Event) -> Flow {
        trace!(event_type = %event.event_type, data = event.data.len(), payload = event.payload.len(), "event");
        match event.event_type.as_str() {
            Describe::TYPE => {
                let info = info::build(&self.shared.services, &self.shared.config);
                self.send(&info).await
            }
            Ping::TYPE => match self.decode::<Ping>(&event).await? {
                Some(ping) => self.send(&Pong { text: ping.text }).await,
                None => Ok(()),
            },
            Transcribe::TYPE => self.on_transcribe(&event).await,
            AudioStart::TYPE => self.on_audio_start(&event).await,
            AudioChunk::TYPE => self.on_audio_chunk(event).await,
            AudioStop::TYPE => self.on_audio_stop().await,
            // A client's transcript is a turn for the agent (ours go the other way).
            Transcript::TYPE => self.on_turn(&event).await,
            Synthesize::TYPE => self.on_synthesize(&event).await,
            SynthesizeStart::TYPE => self.on_synthesize_start(&event).await,
            SynthesizeChunk::TYPE => self.on_synthesize_chunk(&event).await,
            SynthesizeStop::TYPE => self.on_synthesize_stop().await,
            Detect::TYPE => self.on_detect(&event).await,
            // Unknown types are ignored and the connection kept, as every reference
            // server does: new clients send events old servers do not know.
            other => {
                debug!(
                    event_type = other,
                    "ignored an event this server does not serve"
                );
                Ok(())
            }
        }
    }

    // ------------------------------------------------------------------------ plumbing

    /// Writes one event; a client that does not take it within the idle timeout is
    /// treated as gone.
    async fn send_event(&mut self, event: &Event) -> Flow {
        let limit = self.shared.config.idle_timeout;
        match timeout(limit, write_event(&mut self.writer, event)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => {
                debug!(%error, "client gone while writing");
                Err(End::ClientGone)
            }
            Err(_) => {
                debug!("client stopped reading");
                Err(End::ClientGone)
            }
        }
    }

    async fn send<T: EventData>(&mut self, data: &T) -> Flow {
        self.send_event(&data.to_event()).await
    }

    async fn send_error(&mut self, code: &'static str, text: impl Into<String>) -> Flow {
        debug!(code, "answering with an error");
        let error = ErrorEvent {
            text: text.into(),
            code: Some(code.into()),
        };
        self.send(&error).await
    }

    /// Sends an error and closes the connection.
    async fn refuse(&mut self, code: &'static str, text: impl Into<String>) -> Flow {
        self.send_error(code, text).await?;
        Err(End::Refused(code))
    }

    async fn timed_out(&mut self) -> Flow {
        self.refuse("request-timeout", "the request took longer than allowed")
            .await
    }

    /// Ends the request under way with an error, keeping the connection.
    async fn abandon(&mut self, code: &'static str, text: impl Into<String>) -> Flow {
        self.mode = Mode::Idle;
        self.deadline = None;
        self.skip_audio = true;
        self.send_error(code, text).await
    }

    async fn service_failed(&mut self, error: ServiceError) -> Flow {
        warn!(code = error.code(), %error, "service error");
        self.abandon(error.code(), error.to_string()).await
    }

    async fn unsupported(&mut self, what: &str) -> Flow {
        self.abandon("unsupported", format!("this server offers no {what}"))
            .await
    }

    /// Decodes a known event; bad data is answered with an error and `None`.
    async fn decode<T: EventData>(&mut self, event: &Event) -> Result<Option<T>, End> {
        match T::from_event(event) {
            Ok(data) => Ok(Some(data)),
            Err(error) => {
                self.abandon(error.code(), error.to_string()).await?;
                Ok(None)
            }
        }
    }

    /// Starts a new request, dropping whatever was under way.
    fn begin(&mut self, mode: Mode, timed: bool) {
        self.mode = mode;
        self.skip_audio = false;
        self.deadline = timed.then(|| Instant::now() + self.shared.config.request_timeout);
    }

    /// Runs service work on a blocking thread until it ends, the request's time runs out,
    /// or the client hangs up. In the last two cases the work is told to stop (and its
    /// result, if it still comes, is dropped).
    async fn run_blocking<T: Send + 'static>(
        &mut self,
        cancel: Cancellation,
        work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
    ) -> Job<T> {
        let deadline = self
            .deadline
            .unwrap_or_else(|| Instant::now() + self.shared.config.request_timeout);
        let task = tokio::task::spawn_blocking(work);
        tokio::select! {
            joined = task => match joined {
                Ok(Ok(value)) => Job::Done(value),
                Ok(Err(error)) => Job::Failed(error),
                Err(error) => {
                    warn!(%error, "a service panicked");
                    Job::Failed(ServiceError::failed("the service failed unexpectedly"))
                }
            },
            () = sleep_until(deadline) => {
                cancel.cancel();
                Job::TimedOut
            }
            () = self.reader.closed() => {
                cancel.cancel();
                Job::ClientGone
            }
        }
    }

    // ------------------------------------------------------------------------ asr

    async fn on_transcribe(&mut self, event: &Event) -> Flow {
        if self.shared.services.asr.is_none() {
            return self.unsupported("speech recognition").await;
        }
        let Some(transcribe) = self.decode::<Transcribe>(event).await? else {
            return Ok(());
        };
        let request = AsrRequest {
            transcribe,
            audio: None,
        };
        self.begin(Mode::Asr(request), true);
        Ok(())
    }

    fn asr_audio(&self, format: AudioFormat) -> AsrAudio {
        let seconds = self.shared.config.max_asr_audio.as_secs_f64();
        AsrAudio {
            format,
            pcm: Vec::new(),
            cap: (seconds * format.bytes_per_second() as f64) as u64,
        }
    }

    async fn on_audio_start(&mut self, event: &Event) -> Flow {
        let Some(start) = self.decode::<AudioStart>(event).await? else {
            return Ok(());
        };
        if let Err(error) = check_format(start.format) {
            return self.abandon(error.code(), error.to_string()).await;
        }
        self.skip_audio = false;
        match self.mode {
            Mode::Wake(_) => self.start_wake(start.format),
            Mode::Asr(_) => {
                let audio = self.asr_audio(start.format);
                if let Mode::Asr(request) = &mut self.mode {
                    request.audio = Some(audio);
                }
                Ok(())
            }
            // Audio with no `detect` before it is speech to recognise.
            Mode::Idle | Mode::TtsStream(_) => {
                if self.shared.services.asr.is_none() {
                    return self.unsupported("speech recognition").await;
                }
                let request = AsrRequest {
                    transcribe: Transcribe::default(),
                    audio: Some(self.asr_audio(start.format)),
                };
                self.begin(Mode::Asr(request), true);
                Ok(())
            }
        }
    }

    async fn on_audio_chunk(&mut self, event: Event) -> Flow {
        let Some(chunk) = self.decode::<AudioChunk>(&event).await? else {
            return Ok(());
        };
        drop(event);
        let (format, cap, have) = match &self.mode {
            Mode::Asr(AsrRequest {
                audio: Some(audio), ..
            }) => (audio.format, Some(audio.cap), audio.pcm.len() as u64),
            Mode::Wake(WakeState { run: Some(run), .. }) => (run.format, None, 0),
            _ if self.skip_audio => return Ok(()),
            _ => {
                self.skip_audio = true;
                return self
                    .send_error("audio-before-start", "audio-chunk before audio-start")
                    .await;
            }
        };
        if chunk.format != format {
            return self
                .abandon(
                    "audio-format-mismatch",
                    "an audio-chunk's format differs from its audio-start",
                )
                .await;
        }
        if chunk.audio.len() % format.frame_bytes() != 0 {
            return self
                .abandon("bad-audio", "an audio-chunk holds a partial sample")
                .await;
        }
        if let Some(cap) = cap {
            if have + chunk.audio.len() as u64 > cap {
                let seconds = self.shared.config.max_asr_audio.as_secs_f64();
                return self
                    .refuse(
                        "audio-too-long",
                        format!("more than {seconds} s of audio in one request"),
                    )
                    .await;
            }
        }
        match &mut self.mode {
            Mode::Asr(AsrRequest {
                audio: Some(audio), ..
            }) => {
                audio.pcm.extend_from_slice(&chunk.audio);
                Ok(())
            }
            Mode::Wake(WakeState { run: Some(run), .. }) => {
                let queue = run.audio.clone();
                let limit = self.shared.config.idle_timeout;
                match timeout(limit, queue.send(chunk.audio)).await {
                    // A detector that ended reports why through its hits.
                    Ok(_) => Ok(()),
                    Err(_) => {
                        self.refuse("wake-stalled", "the wake word detector fell behind")
                            .await
                    }
                }
            }
            _ => Ok(()),
        }
    }

    async fn on_audio_stop(&mut self) -> Flow {
        self.skip_audio = false;
        match std::mem::replace(&mut self.mode, Mode::Idle) {
            Mode::Asr(request) => self.finish_asr(request).await,
            Mode::Wake(mut wake) => {
                let run = wake.run.take();
                self.mode = Mode::Wake(wake);
                match run {
                    Some(run) => self.finish_wake(run).await,
                    None => Ok(()),
                }
            }
            other => {
                self.mode = other;
                Ok(())
            }
        }
    }

    async fn finish_asr(&mut self, request: AsrRequest) -> Flow {
        let AsrRequest { transcribe, audio } = request;
        let language = transcribe.language.clone();
        let text = match (audio, self.shared.services.asr.clone()) {
            (Some(audio), Some(asr)) => {
                debug!(bytes = audio.pcm.len(), "recognising");
                let utterance = Utterance {
                    format: audio.format,
                    audio: audio.pcm,
                    language: transcribe.language,
                    model: transcribe.name,
                    names: transcribe.transcript_names.unwrap_or_default(),
                    terms: transcribe.transcript_terms.unwrap_or_default(),
                    context: transcribe.context,
                };
                let cancel = Cancellation::new();
                let work_cancel = cancel.clone();
                let job = self
                    .run_blocking(cancel, move || asr.transcribe(&utterance, &work_cancel))
                    .await;
                match job {
                    Job::Done(text) => text,
                    Job::Failed(error) => return self.service_failed(error).await,
                    Job::TimedOut => return self.timed_out().await,
                    Job::ClientGone => return Err(End::ClientGone),
                }
            }
            // No audio at all: nothing was said.
            _ => String::new(),
        };
        self.deadline = None;
        let transcript = Transcript {
            text: text.trim().to_string(),
            language,
            context: None,
        };
        debug!(chars = transcript.text.chars().count(), "transcript");
        self.send(&transcript).await
    }

    // ------------------------------------------------------------------------ handle

    async fn on_turn(&mut self, event: &Event) -> Flow {
        let Some(agent) = self.shared.services.conversation.clone() else {
            return self.unsupported("conversation agent").await;
        };
        let Some(transcript) = self.decode::<Transcript>(event).await? else {
            return Ok(());
        };
        self.begin(Mode::Idle, true);
        let context = transcript.context;
        let whole = context.clone().unwrap_or_default();
        let id = |key: &str| whole.get(key).and_then(Value::as_str).map(String::from);
        let turn = Turn {
            text: transcript.text,
            language: transcript.language,
            conversation_id: id("conversation_id"),
            device_id: id("device_id"),
            satellite_id: id("satellite_id"),
            context: whole.clone(),
        };
        // The turn is not cancellable: it may already have changed an order.
        let job = self
            .run_blocking(Cancellation::new(), move || agent.handle(&turn))
            .await;
        self.deadline = None;
        match job {
            Job::Done(Reply::Handled(text)) => {
                self.send(&Handled {
                    text: Some(text),
                    context,
                })
                .await
            }
            Job::Done(Reply::NotHandled(text)) => {
                self.send(&NotHandled {
                    text: Some(text),
                    context,
                })
                .await
            }
            Job::Failed(error) => self.service_failed(error).await,
            Job::TimedOut => self.timed_out().await,
            Job::ClientGone => Err(End::ClientGone),
        }
    }

    // ------------------------------------------------------------------------ tts

    async fn on_synthesize(&mut self, event: &Event) -> Flow {
        if matches!(self.mode, Mode::TtsStream(_)) {
            // The full text a streaming client repeats for old servers: already spoken.
            trace!("ignored the compatibility synthesize inside a stream");
            return Ok(());
        }
        let Some(tts) = self.shared.services.tts.clone() else {
            return self.unsupported("speech synthesis").await;
        };
        let Some(synthesize) = self.decode::<Synthesize>(event).await? else {
            return Ok(());
        };
        self.begin(Mode::Idle, true);
        let request = synthesis_request(
            synthesize.text,
            synthesize.voice.as_ref(),
            synthesize.context,
        );
        let spoken = self.speak(tts, request, None).await?;
        self.deadline = None;
        match spoken {
            // One envelope per message, even an empty one, as the reference voice does.
            Spoken::Silent => self.send(&AudioStop::default()).await,
            Spoken::Audio(_) | Spoken::Failed => Ok(()),
        }
    }

    async fn on_synthesize_start(&mut self, event: &Event) -> Flow {
        if self.shared.services.tts.is_none() {
            return self.unsupported("speech synthesis").await;
        }
        let Some(start) = self.decode::<SynthesizeStart>(event).await? else {
            return Ok(());
        };
        let stream = TtsStream {
            voice: start.voice,
            context: start.context,
            sentences: SentenceBuffer::default(),
            format: None,
            failed: false,
        };
        self.begin(Mode::TtsStream(stream), true);
        Ok(())
    }

    async fn on_synthesize_chunk(&mut self, event: &Event) -> Flow {
        if !matches!(self.mode, Mode::TtsStream(_)) {
            debug!("ignored a synthesize-chunk outside a stream");
            return Ok(());
        }
        let Some(chunk) = self.decode::<SynthesizeChunk>(event).await? else {
            return Ok(());
        };
        let limit = self.shared.config.limits.max_data_bytes;
        let Mode::TtsStream(stream) = &mut self.mode else {
            return Ok(());
        };
        if stream.failed {
            return Ok(());
        }
        let sentences = stream.sentences.push(&chunk.text);
        if stream.sentences.len() > limit {
            stream.failed = true;
            return self
                .send_error(
                    "text-too-long",
                    "too much streamed text without a sentence end",
                )
                .await;
        }
        for sentence in sentences {
            self.speak_in_stream(sentence).await?;
        }
        Ok(())
    }

    async fn on_synthesize_stop(&mut self) -> Flow {
        let Mode::TtsStream(stream) = &mut self.mode else {
            debug!("ignored a synthesize-stop outside a stream");
            return Ok(());
        };
        if let Some(rest) = stream.sentences.finish() {
            self.speak_in_stream(rest).await?;
        }
        self.mode = Mode::Idle;
        self.deadline = None;
        self.send(&SynthesizeStopped {}).await
    }

    /// Speaks one sentence of a stream as its own audio-start/chunks/stop group.
    async fn speak_in_stream(&mut self, sentence: String) -> Flow {
        let Some(tts) = self.shared.services.tts.clone() else {
            return Ok(());
        };
        let Mode::TtsStream(stream) = &self.mode else {
            return Ok(());
        };
        if stream.failed {
            return Ok(());
        }
        let request = synthesis_request(sentence, stream.voice.as_ref(), stream.context.clone());
        let required = stream.format;
        let spoken = self.speak(tts, request, required).await?;
        if let Mode::TtsStream(stream) = &mut self.mode {
            match spoken {
                Spoken::Audio(format) => stream.format = Some(format),
                Spoken::Failed => stream.failed = true,
                Spoken::Silent => {}
            }
        }
        Ok(())
    }

    /// Runs the voice and forwards its audio as it comes: `audio-start` with the first
    /// piece, re-cut into chunks of the configured size, `audio-stop` after the last.
    /// A failure is answered with an error event and reported as [`Spoken::Failed`].
    async fn speak(
        &mut self,
        tts: Arc<dyn Tts>,
        request: SynthesisRequest,
        required: Option<AudioFormat>,
    ) -> Result<Spoken, End> {
        let deadline = self
            .deadline
            .unwrap_or_else(|| Instant::now() + self.shared.config.request_timeout);
        let (tx, mut rx) = mpsc::channel(SINK_DEPTH);
        let mut sink = ChannelSink(tx);
        debug!(chars = request.text.chars().count(), "speaking");
        let task = tokio::task::spawn_blocking(move || tts.synthesize(&request, &mut sink));
        let mut started: Option<AudioFormat> = None;
        loop {
            let piece = tokio::select! {
                piece = rx.recv() => piece,
                () = sleep_until(deadline) => {
                    self.timed_out().await?;
                    return Ok(Spoken::Failed);
                }
                () = self.reader.closed() => return Err(End::ClientGone),
            };
            // The sink is gone: the voice has returned.
            let Some((format, pcm)) = piece else { break };
            let expected = started.or(required);
            if expected.is_some_and(|expected| expected != format) {
                self.send_error(
                    "audio-format-changed",
                    "the voice changed its audio format within one message",
                )
                .await?;
                return Ok(Spoken::Failed);
            }
            if started.is_none() {
                self.send(&AudioStart {
                    format,
                    timestamp: None,
                })
                .await?;
                started = Some(format);
            }
            let step = self.shared.config.tts_samples_per_chunk * format.frame_bytes().max(1);
            for part in pcm.chunks(step) {
                let chunk = AudioChunk {
                    format,
                    timestamp: None,
                    audio: part.to_vec(),
                };
                self.send(&chunk).await?;
            }
        }
        let outcome = match task.await {
            Ok(result) => result,
            Err(error) => {
                warn!(%error, "the voice panicked");
                Err(ServiceError::failed("the voice failed unexpectedly"))
            }
        };
        if let Err(error) = outcome {
            warn!(code = error.code(), %error, "voice error");
            self.send_error(error.code(), error.to_string()).await?;
            return Ok(Spoken::Failed);
        }
        match started {
            Some(format) => {
                self.send(&AudioStop::default()).await?;
                Ok(Spoken::Audio(format))
            }
            None => Ok(Spoken::Silent),
        }
    }

    // ------------------------------------------------------------------------ wake

    async fn on_detect(&mut self, event: &Event) -> Flow {
        if self.shared.services.wake.is_none() {
            return self.unsupported("wake word detection").await;
        }
        let Some(detect) = self.decode::<Detect>(event).await? else {
            return Ok(());
        };
        let wake = WakeState {
            names: detect.names,
            context: detect.context,
            run: None,
        };
        // A wake stream lasts as long as the client wants: no request deadline.
        self.begin(Mode::Wake(wake), false);
        Ok(())
    }

    /// Starts a fresh detector for the stream that `audio-start` opens (a satellite
    /// re-sends `detect`/`audio-start` on one connection without `audio-stop`).
    fn start_wake(&mut self, format: AudioFormat) -> Flow {
        let Mode::Wake(state) = &mut self.mode else {
            return Ok(());
        };
        let Some(wake) = self.shared.services.wake.clone() else {
            return Ok(());
        };
        state.run = None;
        let stream = WakeStream {
            names: state.names.clone(),
            format,
            context: state.context.clone(),
        };
        let (audio_tx, mut audio_rx) = mpsc::channel::<Vec<u8>>(WAKE_QUEUE);
        // Unbounded, so the detector never waits on us while we wait on it; hits are few.
        let (hits_tx, hits_rx) = mpsc::unbounded_channel();
        tokio::task::spawn_blocking(move || {
            let mut detector = match wake.detector(&stream) {
                Ok(detector) => detector,
                Err(error) => {
                    let _ = hits_tx.send(Err(error));
                    return;
                }
            };
            while let Some(audio) = audio_rx.blocking_recv() {
                match detector.process(&audio) {
                    Ok(hits) if hits.is_empty() => {}
                    Ok(hits) => {
                        if hits_tx.send(Ok(hits)).is_err() {
                            return;
                        }
                    }
                    Err(error) => {
                        let _ = hits_tx.send(Err(error));
                        return;
                    }
                }
            }
        });
        state.run = Some(WakeRun {
            format,
            audio: audio_tx,
            hits: hits_rx,
            detected: false,
        });
        Ok(())
    }

    async fn on_hits(&mut self, hits: Option<Result<Vec<WakeHit>, ServiceError>>) -> Flow {
        match hits {
            Some(Ok(hits)) => {
                let sent = self.send_detections(hits).await?;
                if let Mode::Wake(WakeState { run: Some(run), .. }) = &mut self.mode {
                    run.detected |= sent;
                }
                Ok(())
            }
            Some(Err(error)) => self.service_failed(error).await,
            None => {
                self.service_failed(ServiceError::failed(
                    "the wake word detector stopped unexpectedly",
                ))
                .await
            }
        }
    }

    /// Sends the hits the client asked for (Home Assistant skips any other name), and
    /// tells whether there was one.
    async fn send_detections(&mut self, hits: Vec<WakeHit>) -> Result<bool, End> {
        let Mode::Wake(state) = &self.mode else {
            return Ok(false);
        };
        let wanted: Vec<WakeHit> = hits
            .into_iter()
            .filter(|hit| {
                state
                    .names
                    .as_ref()
                    .is_none_or(|names| names.contains(&hit.name))
            })
            .collect();
        let any = !wanted.is_empty();
        for hit in wanted {
            debug!(name = %hit.name, timestamp = hit.timestamp_ms, "wake word detected");
            let detection = Detection {
                name: Some(hit.name),
                timestamp: Some(hit.timestamp_ms),
                speaker: None,
                context: None,
            };
            self.send(&detection).await?;
        }
        Ok(any)
    }

    /// Ends a wake stream at `audio-stop`: lets the detector finish the queued audio,
    /// reports what it heard, and says `not-detected` if nothing fired all stream long.
    async fn finish_wake(&mut self, run: WakeRun) -> Flow {
        let WakeRun {
            audio,
            mut hits,
            mut detected,
            ..
        } = run;
        // Closing the queue lets the detector end once it has heard everything.
        drop(audio);
        let limit = self.shared.config.idle_timeout;
        loop {
            match timeout(limit, hits.recv()).await {
                Ok(Some(Ok(found))) => detected |= self.send_detections(found).await?,
                Ok(Some(Err(error))) => return self.service_failed(error).await,
                Ok(None) => break,
                Err(_) => {
                    return self
                        .refuse("wake-stalled", "the wake word detector fell behind")
                        .await
                }
            }
        }
        if detected {
            Ok(())
        } else {
            self.send(&NotDetected::default()).await
        }
    }
}
