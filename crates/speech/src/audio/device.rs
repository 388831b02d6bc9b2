//! Sound devices through cpal, and the small traits the pipeline reads and plays through
//! so that it runs the same on fakes ([`ClipInput`], [`RecordingOutput`]).
//!
//! Real-time rule: the cpal callbacks only convert samples and move them through a
//! lock-free `rtrb` ring buffer — no allocation, no locks, no logging. Mixing to mono
//! happens in the capture callback (a fixed per-sample average); rate conversion happens
//! on the consumer side ([`MicStream::read_frame`]) and on the producer side
//! ([`Speaker::play`]). cpal streams are not `Send` on every platform, so each one lives
//! on its own named thread for its whole life; the handles here own that thread and the
//! ring buffer ends, and are `Send`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SizedSample};

use super::resample::StreamResampler;
use super::{AudioError, Clip, Direction, ASR_RATE};

/// Live audio in, always 16 kHz mono.
pub trait AudioInput: Send {
    /// Clears `out` and fills it with `n` samples, blocking until they are there.
    /// `Ok(true)`: `out` holds exactly `n` samples. `Ok(false)`: the stream has ended and
    /// `out` holds what was left (fewer than `n`, possibly none).
    fn read_frame(&mut self, out: &mut Vec<f32>, n: usize) -> Result<bool, AudioError>;
}

/// Audio out. Chunks come at any rate and are converted to the output's rate.
pub trait AudioOutput: Send {
    /// The rate the output plays at.
    fn sample_rate(&self) -> u32;
    /// Queues `chunk` (mono, `rate` Hz). May block while the queue is full.
    fn play(&mut self, chunk: &[f32], rate: u32) -> Result<(), AudioError>;
    /// Discards everything queued and silences the output at once (barge-in).
    fn stop(&mut self);
    /// True while queued audio has not been played yet.
    fn is_playing(&self) -> bool;
    /// Blocks until everything queued has been played.
    fn drain(&mut self) -> Result<(), AudioError>;
}

/// One device as the system lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    pub input: bool,
    pub output: bool,
    pub default_input: bool,
    pub default_output: bool,
}

/// Every input and output device of the default host.
pub fn list_devices() -> Result<Vec<DeviceInfo>, AudioError> {
    let host = cpal::default_host();
    let default_in = host.default_input_device().and_then(|d| d.name().ok());
    let default_out = host.default_output_device().and_then(|d| d.name().ok());
    let mut list: Vec<DeviceInfo> = Vec::new();
    let devices = host.devices().map_err(|e| AudioError::NoDevice {
        direction: Direction::Input,
        name: String::new(),
        reason: format!("cannot enumerate devices: {e}"),
    })?;
    for d in devices {
        let Ok(name) = d.name() else { continue };
        let input = d
            .supported_input_configs()
            .map(|mut c| c.next().is_some())
            .unwrap_or(false);
        let output = d
            .supported_output_configs()
            .map(|mut c| c.next().is_some())
            .unwrap_or(false);
        if !input && !output {
            continue;
        }
        list.push(DeviceInfo {
            default_input: default_in.as_deref() == Some(name.as_str()),
            default_output: default_out.as_deref() == Some(name.as_str()),
            name,
            input,
            output,
        });
    }
    Ok(list)
}

/// The device called `name` (exact, else the only case-insensitive substring match), or
/// the system default when `name` is empty.
fn find_device(direction: Direction, name: &str) -> Result<cpal::Device, AudioError> {
    let host = cpal::default_host();
    let none = |reason: String| AudioError::NoDevice {
        direction,
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        let d = match direction {
            Direction::Input => host.default_input_device(),
            Direction::Output => host.default_output_device(),
        };
        return d.ok_or_else(|| none("the system reports no default device".into()));
    }
    let devices: Vec<cpal::Device> = match direction {
        Direction::Input => host.input_devices().map(|d| d.collect()),
        Direction::Output => host.output_devices().map(|d| d.collect()),
    }
    .map_err(|e| none(format!("cannot enumerate devices: {e}")))?;
    let named: Vec<(String, cpal::Device)> = devices
        .into_iter()
        .filter_map(|d| d.name().ok().map(|n| (n, d)))
        .collect();
    if let Some(i) = named.iter().position(|(n, _)| n == name) {
        if let Some((_, d)) = named.into_iter().nth(i) {
            return Ok(d);
        }
        return Err(none("the device disappeared while listing".into()));
    }
    let lower = name.to_lowercase();
    let mut partial: Vec<(String, cpal::Device)> = named
        .into_iter()
        .filter(|(n, _)| n.to_lowercase().contains(&lower))
        .collect();
    match partial.len() {
        1 => Ok(partial.remove(0).1),
        0 => Err(none("no device has that name (see the device list)".into())),
        _ => Err(none(format!(
            "the name matches several devices: {}",
            partial
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// How long a stream may deliver or take nothing before it counts as dead.
const STALL: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(5);

/// State the capture callback shares with [`MicStream`] (atomics only).
#[derive(Debug, Default)]
struct CaptureShared {
    dropped: AtomicU64,
    failed: AtomicBool,
}

/// The microphone, delivering 16 kHz mono.
pub struct MicStream {
    consumer: rtrb::Consumer<f32>,
    resampler: StreamResampler,
    device_rate: u32,
    device_name: String,
    raw: Vec<f32>,
    pending: Vec<f32>,
    shared: Arc<CaptureShared>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MicStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MicStream")
            .field("device", &self.device_name)
            .field("device_rate", &self.device_rate)
            .finish_non_exhaustive()
    }
}

struct Opened<E> {
    rate: u32,
    name: String,
    end: E,
}

impl MicStream {
    /// Opens the input device called `name` (empty: the default) and starts capturing.
    pub fn open(name: &str) -> Result<MicStream, AudioError> {
        let shared = Arc::new(CaptureShared::default());
        let cb_shared = Arc::clone(&shared);
        let wanted = name.to_string();
        let (consumer, opened, stop, thread) =
            run_stream_thread("voxorder-mic", Direction::Input, name, move || {
                open_capture(&wanted, cb_shared)
            })?;
        let resampler = StreamResampler::new(opened.rate, ASR_RATE)?;
        tracing::info!(device = %opened.name, rate = opened.rate, "microphone open");
        Ok(MicStream {
            consumer,
            resampler,
            device_rate: opened.rate,
            device_name: opened.name,
            raw: Vec::new(),
            pending: Vec::new(),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn device_name(&self) -> &str {
        &self.device_name
    }

    pub fn device_rate(&self) -> u32 {
        self.device_rate
    }

    /// Samples the callback had to drop because the reader fell behind.
    pub fn dropped_samples(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Discards audio captured so far (e.g. the agent's own voice before a turn).
    pub fn clear(&mut self) {
        let n = self.consumer.slots();
        if let Ok(chunk) = self.consumer.read_chunk(n) {
            chunk.commit_all();
        }
        self.pending.clear();
        self.resampler.reset();
    }

    /// The next `n` samples at 16 kHz.
    pub fn next_frame(&mut self, n: usize) -> Result<Vec<f32>, AudioError> {
        let mut out = Vec::with_capacity(n);
        self.read_frame(&mut out, n)?;
        Ok(out)
    }

    /// Moves everything captured so far through the resampler.
    fn pull(&mut self) -> usize {
        let n = self.consumer.slots();
        if n == 0 {
            return 0;
        }
        self.raw.resize(n, 0.0);
        let (got, _) = self.consumer.pop_partial_slice(&mut self.raw);
        let got = got.len();
        self.resampler.process(&self.raw[..got], &mut self.pending);
        got
    }
}

impl AudioInput for MicStream {
    fn read_frame(&mut self, out: &mut Vec<f32>, n: usize) -> Result<bool, AudioError> {
        let mut last_data = Instant::now();
        while self.pending.len() < n {
            if self.pull() > 0 {
                last_data = Instant::now();
                continue;
            }
            if self.shared.failed.load(Ordering::Acquire) {
                return Err(AudioError::Stream {
                    direction: Direction::Input,
                    reason: format!("device {:?} reported an error", self.device_name),
                });
            }
            if last_data.elapsed() > STALL {
                return Err(AudioError::Stream {
                    direction: Direction::Input,
                    reason: format!(
                        "no audio from {:?} for {} s",
                        self.device_name,
                        STALL.as_secs()
                    ),
                });
            }
            std::thread::sleep(POLL);
        }
        out.clear();
        out.extend(self.pending.drain(..n));
        Ok(true)
    }
}

impl Drop for MicStream {
    fn drop(&mut self) {
        stop_thread(&mut self.stop, &mut self.thread);
    }
}

fn stop_thread(stop: &mut Option<mpsc::Sender<()>>, thread: &mut Option<JoinHandle<()>>) {
    // Dropping the sender wakes the stream thread, which then drops the cpal stream.
    stop.take();
    if let Some(t) = thread.take() {
        let _ = t.join();
    }
}

type ThreadParts<E> = (E, Opened<()>, mpsc::Sender<()>, JoinHandle<()>);

/// Opens a cpal stream on its own thread (streams are not `Send` everywhere) and keeps
/// it alive there until the returned sender is dropped. `open` returns the stream, the
/// device's rate and name, and the ring-buffer end the caller keeps.
fn run_stream_thread<E, F>(
    thread_name: &str,
    direction: Direction,
    name: &str,
    open: F,
) -> Result<ThreadParts<E>, AudioError>
where
    E: Send + 'static,
    F: FnOnce() -> Result<(cpal::Stream, Opened<E>), AudioError> + Send + 'static,
{
    let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<Opened<E>, AudioError>>(1);
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(thread_name.into())
        .spawn(move || match open() {
            Ok((stream, opened)) => {
                if ready_tx.send(Ok(opened)).is_ok() {
                    // Blocks until the handle is dropped (the sender disconnects).
                    let _ = stop_rx.recv();
                }
                drop(stream);
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
            }
        })
        .map_err(|e| AudioError::Device {
            direction,
            name: name.to_string(),
            reason: format!("cannot start the audio thread: {e}"),
        })?;
    let opened = match ready_rx.recv() {
        Ok(r) => r,
        Err(_) => Err(AudioError::Device {
            direction,
            name: name.to_string(),
            reason: "the audio thread ended while opening the device".into(),
        }),
    };
    match opened {
        Ok(o) => Ok((
            o.end,
            Opened {
                rate: o.rate,
                name: o.name,
                end: (),
            },
            stop_tx,
            thread,
        )),
        Err(e) => {
            let _ = thread.join();
            Err(e)
        }
    }
}

/// Calls the generic stream builder `$build::<T>(args…)` with `T` the Rust type of the
/// device's sample format.
macro_rules! for_sample_format {
    ($format:expr, $build:ident($($arg:expr),* $(,)?)) => {{
        use cpal::SampleFormat as F;
        match $format {
            F::F32 => $build::<f32>($($arg),*),
            F::F64 => $build::<f64>($($arg),*),
            F::I16 => $build::<i16>($($arg),*),
            F::U16 => $build::<u16>($($arg),*),
            F::I32 => $build::<i32>($($arg),*),
            F::U32 => $build::<u32>($($arg),*),
            F::I8 => $build::<i8>($($arg),*),
            F::U8 => $build::<u8>($($arg),*),
            other => Err(format!("unsupported sample format {other}")),
        }
    }};
}

/// The named device for `direction`, its own name and its default stream configuration.
fn default_config(
    direction: Direction,
    name: &str,
) -> Result<(cpal::Device, String, cpal::SupportedStreamConfig), AudioError> {
    let device = find_device(direction, name)?;
    let dev_name = device.name().unwrap_or_else(|_| name.to_string());
    let supported = match direction {
        Direction::Input => device.default_input_config(),
        Direction::Output => device.default_output_config(),
    };
    let supported = supported.map_err(|e| AudioError::NoDevice {
        direction,
        name: name.to_string(),
        reason: format!("{dev_name}: no usable {direction} configuration: {e}"),
    })?;
    Ok((device, dev_name, supported))
}

fn device_error(direction: Direction, name: &str, reason: String) -> AudioError {
    AudioError::Device {
        direction,
        name: name.to_string(),
        reason,
    }
}

fn open_capture(
    name: &str,
    shared: Arc<CaptureShared>,
) -> Result<(cpal::Stream, Opened<rtrb::Consumer<f32>>), AudioError> {
    let dir = Direction::Input;
    let (device, dev_name, supported) = default_config(dir, name)?;
    let config = supported.config();
    let rate = config.sample_rate.0;
    let channels = usize::from(config.channels.max(1));
    // Two seconds of slack for a reader that is busy (an ASR run) between reads.
    let (producer, consumer) = rtrb::RingBuffer::<f32>::new(rate as usize * 2);
    let stream = for_sample_format!(
        supported.sample_format(),
        capture_stream(&device, &config, channels, producer, shared)
    )
    .map_err(|e| device_error(dir, &dev_name, e))?;
    stream
        .play()
        .map_err(|e| device_error(dir, &dev_name, format!("cannot start capture: {e}")))?;
    Ok((
        stream,
        Opened {
            rate,
            name: dev_name,
            end: consumer,
        },
    ))
}

fn capture_stream<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    channels: usize,
    mut producer: rtrb::Producer<f32>,
    shared: Arc<CaptureShared>,
) -> Result<cpal::Stream, String>
where
    T: SizedSample,
    f32: FromSample<T>,
{
    let err_shared = Arc::clone(&shared);
    let inv = 1.0 / channels as f32;
    device
        .build_input_stream(
            config,
            move |data: &[T], _: &cpal::InputCallbackInfo| {
                // Real-time context: convert and push only.
                for frame in data.chunks(channels) {
                    let sum: f32 = frame.iter().map(|&s| s.to_sample::<f32>()).sum();
                    if producer.push(sum * inv).is_err() {
                        shared.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            },
            move |e| {
                err_shared.failed.store(true, Ordering::Release);
                tracing::warn!(error = %e, "audio capture error");
            },
            None,
        )
        .map_err(|e| format!("cannot open the capture stream: {e}"))
}

/// State the playback callback shares with [`Speaker`] and its [`StopHandle`]s.
#[derive(Debug, Default)]
struct PlaybackShared {
    /// Set by `stop`; the callback discards the queue and clears it.
    flush: AtomicBool,
    /// Samples taken from the queue by the callback, played or discarded.
    consumed: AtomicU64,
    /// Bumped by every `stop`, so a `play` blocked on a full queue gives up its chunk.
    generation: AtomicU64,
    failed: AtomicBool,
}

/// Stops a [`Speaker`] from another thread (the VAD thread on barge-in).
#[derive(Debug, Clone)]
pub struct StopHandle {
    shared: Arc<PlaybackShared>,
}

impl StopHandle {
    pub fn stop(&self) {
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
        self.shared.flush.store(true, Ordering::Release);
    }
}

/// The loudspeaker: queued mono audio at any rate, resampled to the device's rate.
pub struct Speaker {
    producer: rtrb::Producer<f32>,
    adapter: RateAdapter,
    device_rate: u32,
    device_name: String,
    pushed: u64,
    seen_generation: u64,
    converted: Vec<f32>,
    shared: Arc<PlaybackShared>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Speaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Speaker")
            .field("device", &self.device_name)
            .field("device_rate", &self.device_rate)
            .finish_non_exhaustive()
    }
}

impl Speaker {
    /// Opens the output device called `name` (empty: the default).
    pub fn open(name: &str) -> Result<Speaker, AudioError> {
        let shared = Arc::new(PlaybackShared::default());
        let cb_shared = Arc::clone(&shared);
        let wanted = name.to_string();
        let (producer, opened, stop, thread) =
            run_stream_thread("voxorder-speaker", Direction::Output, name, move || {
                open_playback(&wanted, cb_shared)
            })?;
        tracing::info!(device = %opened.name, rate = opened.rate, "speaker open");
        Ok(Speaker {
            producer,
            adapter: RateAdapter::new(opened.rate),
            device_rate: opened.rate,
            device_name: opened.name,
            pushed: 0,
            seen_generation: 0,
            converted: Vec::new(),
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    pub fn device_name(&self) -> &str {
        &self.device_name
    }

    /// A handle that stops playback from another thread.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Same as [`AudioOutput::drain`].
    pub fn wait_done(&mut self) -> Result<(), AudioError> {
        self.drain()
    }

    fn stopped_since_last_call(&mut self) -> bool {
        let g = self.shared.generation.load(Ordering::Acquire);
        if g != self.seen_generation {
            self.seen_generation = g;
            self.adapter.reset();
            return true;
        }
        false
    }

    fn stream_error(&self, reason: String) -> AudioError {
        AudioError::Stream {
            direction: Direction::Output,
            reason: format!("{:?}: {reason}", self.device_name),
        }
    }

    /// Pushes `self.converted` into the ring, waiting for room; gives up on a stop.
    fn push_converted(&mut self) -> Result<(), AudioError> {
        let mut offset = 0;
        let mut watch = StallWatch::new(&self.shared);
        while offset < self.converted.len() {
            if self.stopped_since_last_call() {
                return Ok(());
            }
            let (done, _) = self.producer.push_partial_slice(&self.converted[offset..]);
            let n = done.len();
            offset += n;
            self.pushed += n as u64;
            if n > 0 {
                continue;
            }
            watch
                .check(&self.shared)
                .map_err(|r| self.stream_error(r.into()))?;
            std::thread::sleep(POLL);
        }
        Ok(())
    }
}

impl AudioOutput for Speaker {
    fn sample_rate(&self) -> u32 {
        self.device_rate
    }

    fn play(&mut self, chunk: &[f32], rate: u32) -> Result<(), AudioError> {
        self.stopped_since_last_call();
        let mut converted = std::mem::take(&mut self.converted);
        converted.clear();
        self.adapter.convert(chunk, rate, &mut converted)?;
        self.converted = converted;
        self.push_converted()
    }

    fn stop(&mut self) {
        self.stop_handle().stop();
        self.stopped_since_last_call();
    }

    fn is_playing(&self) -> bool {
        self.shared.consumed.load(Ordering::Acquire) < self.pushed
    }

    fn drain(&mut self) -> Result<(), AudioError> {
        self.converted.clear();
        let mut tail = std::mem::take(&mut self.converted);
        self.adapter.finish(&mut tail);
        self.converted = tail;
        self.push_converted()?;
        let mut watch = StallWatch::new(&self.shared);
        while self.is_playing() {
            watch
                .check(&self.shared)
                .map_err(|r| self.stream_error(r.into()))?;
            std::thread::sleep(POLL);
        }
        Ok(())
    }
}

/// The speaker waiting on the device: an error the device reported, or no audio taken
/// for `STALL`, ends the wait.
struct StallWatch {
    last_consumed: u64,
    last_progress: Instant,
}

impl StallWatch {
    fn new(shared: &PlaybackShared) -> StallWatch {
        StallWatch {
            last_consumed: shared.consumed.load(Ordering::Acquire),
            last_progress: Instant::now(),
        }
    }

    fn check(&mut self, shared: &PlaybackShared) -> Result<(), &'static str> {
        if shared.failed.load(Ordering::Acquire) {
            return Err("the device reported an error");
        }
        let consumed = shared.consumed.load(Ordering::Acquire);
        if consumed != self.last_consumed {
            self.last_consumed = consumed;
            self.last_progress = Instant::now();
        } else if self.last_progress.elapsed() > STALL {
            return Err("the device stopped taking audio");
        }
        Ok(())
    }
}

impl Drop for Speaker {
    fn drop(&mut self) {
        stop_thread(&mut self.stop, &mut self.thread);
    }
}

fn open_playback(
    name: &str,
    shared: Arc<PlaybackShared>,
) -> Result<(cpal::Stream, Opened<rtrb::Producer<f32>>), AudioError> {
    let dir = Direction::Output;
    let (device, dev_name, supported) = default_config(dir, name)?;
    let config = supported.config();
    let rate = config.sample_rate.0;
    let channels = usize::from(config.channels.max(1));
    // Half a second queued keeps `stop` latency low while riding out synthesis jitter.
    let (producer, consumer) = rtrb::RingBuffer::<f32>::new((rate as usize / 2).max(1024));
    let stream = for_sample_format!(
        supported.sample_format(),
        playback_stream(&device, &config, channels, consumer, shared)
    )
    .map_err(|e| device_error(dir, &dev_name, e))?;
    stream
        .play()
        .map_err(|e| device_error(dir, &dev_name, format!("cannot start playback: {e}")))?;
    Ok((
        stream,
        Opened {
            rate,
            name: dev_name,
            end: producer,
        },
    ))
}

fn playback_stream<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    channels: usize,
    mut consumer: rtrb::Consumer<f32>,
    shared: Arc<PlaybackShared>,
) -> Result<cpal::Stream, String>
where
    T: SizedSample + FromSample<f32>,
{
    let err_shared = Arc::clone(&shared);
    device
        .build_output_stream(
            config,
            move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
                // Real-time context: pop and convert only.
                if shared.flush.swap(false, Ordering::AcqRel) {
                    let n = consumer.slots();
                    if let Ok(chunk) = consumer.read_chunk(n) {
                        chunk.commit_all();
                    }
                    shared.consumed.fetch_add(n as u64, Ordering::AcqRel);
                }
                let mut taken = 0u64;
                for frame in data.chunks_mut(channels) {
                    let s = match consumer.pop() {
                        Ok(s) => {
                            taken += 1;
                            s
                        }
                        Err(_) => 0.0,
                    };
                    let v = T::from_sample(s);
                    frame.iter_mut().for_each(|o| *o = v);
                }
                shared.consumed.fetch_add(taken, Ordering::AcqRel);
            },
            move |e| {
                err_shared.failed.store(true, Ordering::Release);
                tracing::warn!(error = %e, "audio playback error");
            },
            None,
        )
        .map_err(|e| format!("cannot open the playback stream: {e}"))
}

/// Converts chunks arriving at any rate to one output rate, keeping filter state across
/// chunks of the same rate.
#[derive(Debug)]
struct RateAdapter {
    target: u32,
    resampler: Option<StreamResampler>,
}

impl RateAdapter {
    fn new(target: u32) -> RateAdapter {
        RateAdapter {
            target,
            resampler: None,
        }
    }

    fn convert(&mut self, chunk: &[f32], rate: u32, out: &mut Vec<f32>) -> Result<(), AudioError> {
        if self.resampler.as_ref().map(|r| r.input_rate()) != Some(rate) {
            self.finish(out);
            self.resampler = Some(StreamResampler::new(rate, self.target)?);
        }
        if let Some(r) = self.resampler.as_mut() {
            r.process(chunk, out);
        }
        Ok(())
    }

    /// Appends the tail of the current stream.
    fn finish(&mut self, out: &mut Vec<f32>) {
        if let Some(r) = self.resampler.as_mut() {
            r.flush(out);
        }
    }

    fn reset(&mut self) {
        if let Some(r) = self.resampler.as_mut() {
            r.reset();
        }
    }
}

/// What a [`ClipInput`] delivers after its clip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tail {
    /// The stream ends.
    End,
    /// This much silence, then the stream ends.
    Silence(Duration),
    /// Silence for ever (the reader's own timeouts must end the session).
    EndlessSilence,
}

/// A fake microphone playing a clip (resampled to 16 kHz), optionally at real-time pace.
#[derive(Debug, Clone)]
pub struct ClipInput {
    samples: Vec<f32>,
    pos: usize,
    tail: Tail,
    tail_left: Option<u64>,
    realtime: bool,
    started: Option<Instant>,
    delivered: u64,
}

impl ClipInput {
    /// Plays `clip` once and ends.
    pub fn new(clip: &Clip) -> Result<ClipInput, AudioError> {
        let samples = super::resample::resample(&clip.samples, clip.sample_rate, ASR_RATE)?;
        Ok(ClipInput {
            samples,
            pos: 0,
            tail: Tail::End,
            tail_left: None,
            realtime: false,
            started: None,
            delivered: 0,
        })
    }

    /// What follows the clip.
    pub fn with_tail(mut self, tail: Tail) -> ClipInput {
        self.tail = tail;
        self.tail_left = match tail {
            Tail::End => Some(0),
            Tail::Silence(d) => Some((d.as_secs_f64() * f64::from(ASR_RATE)).round() as u64),
            Tail::EndlessSilence => None,
        };
        self
    }

    /// Delivers samples no faster than a real microphone would.
    pub fn realtime(mut self, on: bool) -> ClipInput {
        self.realtime = on;
        self
    }

    /// Seconds of audio delivered so far.
    pub fn position_seconds(&self) -> f64 {
        self.delivered as f64 / f64::from(ASR_RATE)
    }
}

impl AudioInput for ClipInput {
    fn read_frame(&mut self, out: &mut Vec<f32>, n: usize) -> Result<bool, AudioError> {
        out.clear();
        let from_clip = n.min(self.samples.len() - self.pos);
        out.extend_from_slice(&self.samples[self.pos..self.pos + from_clip]);
        self.pos += from_clip;
        let mut silence = n - from_clip;
        let tail_left = if self.tail == Tail::End {
            Some(0)
        } else {
            self.tail_left
        };
        if let Some(left) = tail_left {
            silence = silence.min(usize::try_from(left).unwrap_or(usize::MAX));
            self.tail_left = Some(left - silence as u64);
        }
        out.resize(out.len() + silence, 0.0);
        self.delivered += out.len() as u64;
        if self.realtime {
            let start = *self.started.get_or_insert_with(Instant::now);
            let due = Duration::from_secs_f64(self.delivered as f64 / f64::from(ASR_RATE));
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        Ok(out.len() == n)
    }
}

/// What a [`RecordingOutput`] has received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    /// Everything played, at the output's rate, stopped-away audio excluded.
    pub samples: Vec<f32>,
    /// Chunks passed to `play`.
    pub chunks: usize,
    /// Length of `samples` at each `stop` call.
    pub stops: Vec<usize>,
    /// `drain` calls.
    pub drains: usize,
}

/// A fake speaker that keeps what it is given. It plays instantly: `is_playing` is
/// always false.
#[derive(Debug)]
pub struct RecordingOutput {
    rate: u32,
    adapter: RateAdapter,
    state: Arc<Mutex<Recording>>,
}

/// Reads a [`RecordingOutput`]'s recording after the output was handed away.
#[derive(Debug, Clone)]
pub struct RecordingHandle {
    state: Arc<Mutex<Recording>>,
}

impl RecordingHandle {
    /// A copy of the recording so far.
    pub fn snapshot(&self) -> Recording {
        self.state
            .lock()
            .map(|r| r.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }
}

impl RecordingOutput {
    pub fn new(rate: u32) -> RecordingOutput {
        RecordingOutput {
            rate,
            adapter: RateAdapter::new(rate),
            state: Arc::new(Mutex::new(Recording::default())),
        }
    }

    pub fn handle(&self) -> RecordingHandle {
        RecordingHandle {
            state: Arc::clone(&self.state),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Recording) -> R) -> R {
        match self.state.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }
}

impl AudioOutput for RecordingOutput {
    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn play(&mut self, chunk: &[f32], rate: u32) -> Result<(), AudioError> {
        let mut converted = Vec::with_capacity(chunk.len() * 3);
        self.adapter.convert(chunk, rate, &mut converted)?;
        self.with(|r| {
            r.samples.extend_from_slice(&converted);
            r.chunks += 1;
        });
        Ok(())
    }

    fn stop(&mut self) {
        self.adapter.reset();
        self.with(|r| {
            let n = r.samples.len();
            r.stops.push(n);
        });
    }

    fn is_playing(&self) -> bool {
        false
    }

    fn drain(&mut self) -> Result<(), AudioError> {
        let mut tail = Vec::new();
        self.adapter.finish(&mut tail);
        self.with(|r| {
            r.samples.extend_from_slice(&tail);
            r.drains += 1;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_input_delivers_the_clip_then_ends() {
        let clip = Clip::new((0..1000).map(|i| i as f32 / 1000.0).collect(), ASR_RATE);
        let mut input = ClipInput::new(&clip).expect("input");
        let mut buf = Vec::new();
        assert!(input.read_frame(&mut buf, 400).expect("read"));
        assert_eq!(buf.len(), 400);
        assert_eq!(buf[10], clip.samples[10]);
        assert!(input.read_frame(&mut buf, 400).expect("read"));
        assert!(!input.read_frame(&mut buf, 400).expect("read"));
        assert_eq!(buf.len(), 200);
        assert_eq!(buf[199], clip.samples[999]);
        assert!(!input.read_frame(&mut buf, 400).expect("read"));
        assert!(buf.is_empty());
    }

    #[test]
    fn clip_input_pads_with_silence_and_resamples() {
        let clip = Clip::new(vec![0.25; 4410], 44_100);
        let mut input = ClipInput::new(&clip)
            .expect("input")
            .with_tail(Tail::Silence(Duration::from_millis(100)));
        let mut buf = Vec::new();
        let mut all = Vec::new();
        while input.read_frame(&mut buf, 512).expect("read") {
            all.extend_from_slice(&buf);
        }
        all.extend_from_slice(&buf);
        // 0.1 s of clip + 0.1 s of silence at 16 kHz.
        assert_eq!(all.len(), 1600 + 1600);
        assert!((all[800] - 0.25).abs() < 1e-3);
        assert!(all[2500].abs() < 1e-6);

        let mut endless = ClipInput::new(&clip)
            .expect("input")
            .with_tail(Tail::EndlessSilence);
        for _ in 0..100 {
            assert!(endless.read_frame(&mut buf, 512).expect("read"));
        }
        assert!((endless.position_seconds() - 3.2).abs() < 1e-9);
    }

    #[test]
    fn clip_input_can_pace_in_real_time() {
        let clip = Clip::new(vec![0.0; 1600], ASR_RATE);
        let mut input = ClipInput::new(&clip).expect("input").realtime(true);
        let start = Instant::now();
        let mut buf = Vec::new();
        while input.read_frame(&mut buf, 160).expect("read") {}
        // A lower bound only: 0.1 s of audio cannot arrive sooner than 0.1 s.
        assert!(start.elapsed() >= Duration::from_millis(95));
    }

    #[test]
    fn recording_output_keeps_audio_stops_and_resamples() {
        let mut out = RecordingOutput::new(48_000);
        let handle = out.handle();
        let boxed: &mut dyn AudioOutput = &mut out;
        assert_eq!(boxed.sample_rate(), 48_000);
        boxed.play(&vec![0.5; 2205], 22_050).expect("play");
        boxed.play(&vec![0.5; 2205], 22_050).expect("play");
        boxed.drain().expect("drain");
        let rec = handle.snapshot();
        assert_eq!(rec.chunks, 2);
        assert_eq!(rec.drains, 1);
        // 0.2 s at 48 kHz, continuous across the chunk boundary.
        assert_eq!(rec.samples.len(), 9600);
        assert!(rec.samples[2000..7000]
            .iter()
            .all(|&s| (s - 0.5).abs() < 1e-3));
        boxed.stop();
        boxed.play(&[0.1; 480], 48_000).expect("play");
        let rec = handle.snapshot();
        assert_eq!(rec.stops, vec![9600]);
        assert_eq!(rec.samples.len(), 9600 + 480);
        assert!(!boxed.is_playing());
    }

    #[test]
    fn fakes_are_send() {
        fn is_send<T: Send>() {}
        is_send::<ClipInput>();
        is_send::<RecordingOutput>();
        is_send::<MicStream>();
        is_send::<Speaker>();
        is_send::<Box<dyn AudioInput>>();
    }

    /// Whether this machine has sound hardware or not, opening must not panic, and a
    /// failure must be a typed device error with a message.
    #[test]
    fn opening_devices_returns_ok_or_a_typed_error() {
        match MicStream::open("") {
            Ok(mic) => assert!(mic.device_rate() > 0),
            Err(e @ (AudioError::NoDevice { .. } | AudioError::Device { .. })) => {
                assert!(!e.to_string().is_empty())
            }
            Err(other) => panic!("unexpected error kind: {other:?}"),
        }
        match Speaker::open("") {
            Ok(sp) => assert!(sp.sample_rate() > 0),
            Err(e @ (AudioError::NoDevice { .. } | AudioError::Device { .. })) => {
                assert!(!e.to_string().is_empty())
            }
            Err(other) => panic!("unexpected error kind: {other:?}"),
        }
        let err = MicStream::open("no such device 7f3a").expect_err("bogus name");
        assert!(matches!(err, AudioError::NoDevice { .. }), "{err}");
        let _ = list_devices();
    }
}
