//! Typed configuration: one TOML file, every key documented in
//! `crates/config/assets/default.toml`, checked as a whole at start.
//!
//! Owns the business policy values (return windows, cancellable statuses, verification
//! attempts, shipping rules) so handlers read them instead of carrying literals.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use voxorder_domain::files::CappedReadError;
use voxorder_domain::order::OrderStatus;
pub use voxorder_domain::vocab::{RefundMethod, TimeSlot, VerificationFactor};

/// The commented default configuration, shipped inside the binary.
pub const DEFAULT_TOML: &str = include_str!("../assets/default.toml");

/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "VOXORDER_CONFIG";

/// The largest configuration file read. The documented default with every comment is
/// about 10 KB; a path past this names the wrong file (or `/dev/zero`).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is past [`MAX_CONFIG_BYTES`]; it was not read further.
    #[error("config {path} is larger than {} (a configuration is a few KB); is it the right file?", voxorder_domain::files::describe_size(*.limit))]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {path}: `{key}`: {reason}")]
    Invalid {
        path: PathBuf,
        key: String,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub store: StoreConfig,
    pub policy: PolicyConfig,
    pub nlu: NluConfig,
    pub dialog: DialogConfig,
    pub sync: SyncConfig,
    pub speech: SpeechConfig,
    pub wyoming: WyomingConfig,
    pub screen: ScreenSettings,
}

/// `voxorder wyoming`: where the Wyoming server listens for Home Assistant and its voice
/// satellites, its limits, and which household each satellite speaks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WyomingConfig {
    /// `host:port`; port 0 takes any free port (the address bound is printed).
    pub listen: String,
    pub max_connections: u32,
    pub idle_timeout_seconds: u32,
    pub request_timeout_seconds: u32,
    pub max_audio_seconds: u32,
    pub max_payload_kb: u32,
    pub tts_samples_per_chunk: u32,
    pub tts_streaming: bool,
    pub wake: bool,
    pub max_conversations: u32,
    pub conversation_idle_minutes: u32,
    /// Satellite (Home Assistant `satellite_id`, or `device_id`) → the linked account's
    /// email, as `chat --customer` takes it.
    pub households: BTreeMap<String, String>,
}

impl Default for WyomingConfig {
    fn default() -> Self {
        WyomingConfig {
            listen: "127.0.0.1:10700".into(),
            max_connections: 16,
            idle_timeout_seconds: 30,
            request_timeout_seconds: 60,
            max_audio_seconds: 30,
            max_payload_kb: 1024,
            tts_samples_per_chunk: 1024,
            tts_streaming: true,
            wake: true,
            max_conversations: 32,
            conversation_idle_minutes: 10,
            households: BTreeMap::new(),
        }
    }
}

/// The kiosk screen (`run --screen`, `chat --screen`): where its page is served, when it
/// clears itself, and the token that guards it off loopback. The token is a secret and
/// never lives here: `token_file` names the file that holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScreenSettings {
    /// Where the page is served when `--screen` names no address. Anything but a
    /// loopback address needs `token_file`.
    pub bind: String,
    /// Seconds without anything happening after which the screen clears itself (a shop
    /// is a public place).
    pub idle_clear_seconds: u32,
    /// A file holding the token a browser must show; empty = loopback only.
    pub token_file: String,
}

impl Default for ScreenSettings {
    fn default() -> Self {
        ScreenSettings {
            bind: "127.0.0.1:8090".into(),
            idle_clear_seconds: 120,
            token_file: String::new(),
        }
    }
}

impl ScreenSettings {
    /// The address to serve on: `requested` (from `--screen`) or `bind`; an error names
    /// why it cannot be used: not an address, or off loopback without a token file.
    pub fn address(&self, requested: Option<&str>) -> Result<std::net::SocketAddr, String> {
        let text = requested.unwrap_or(&self.bind);
        let addr: std::net::SocketAddr = text
            .parse()
            .map_err(|_| format!("{text:?} is not an address like 127.0.0.1:8090"))?;
        if !addr.ip().is_loopback() && self.token_file.trim().is_empty() {
            return Err(format!(
                "{addr} is not a loopback address; serving it needs screen.token_file"
            ));
        }
        Ok(addr)
    }
}

/// The uplink to the central OMS: where it is, how this device names itself, batch and
/// page sizes, timeouts, retry policy, and whether a speaker announces delivery news.
/// The bearer token is a secret and never lives here: `--oms-token`, the
/// `VOXORDER_OMS_TOKEN` variable, or the file named by `token_file`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    pub oms_url: String,
    pub device_id: String,
    pub token_file: String,
    pub interval_seconds: u32,
    pub push_batch_size: u32,
    pub pull_page_size: u32,
    pub connect_timeout_ms: u32,
    pub request_timeout_ms: u32,
    pub max_response_mb: u32,
    pub max_attempts: u32,
    pub backoff_base_ms: u32,
    pub backoff_max_seconds: u32,
    pub announce_updates: bool,
    /// Order details downloaded longer ago than this are said with their age ("my order
    /// information was last updated three hours ago"); 0 never says it.
    pub stale_after_minutes: u32,
    /// PEM file of a private certificate authority the OMS's certificate is signed by
    /// (empty: the system's trusted roots only).
    pub ca_file: String,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            oms_url: String::new(),
            device_id: "device-1".into(),
            token_file: String::new(),
            interval_seconds: 30,
            push_batch_size: 100,
            pull_page_size: 1000,
            connect_timeout_ms: 3000,
            request_timeout_ms: 15_000,
            max_response_mb: 64,
            max_attempts: 12,
            backoff_base_ms: 500,
            backoff_max_seconds: 300,
            announce_updates: true,
            stale_after_minutes: 120,
            ca_file: String::new(),
        }
    }
}

/// How the device listens and speaks: mode, voice-activity and endpointing, recogniser,
/// voice and wake word. Model paths are relative to the models directory.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpeechConfig {
    pub mode: DeviceMode,
    pub audio: AudioConfig,
    pub vad: VadConfig,
    pub asr: AsrConfig,
    pub tts: TtsConfig,
    pub wake: WakeConfig,
}

/// Kiosk: a turn starts on voice or a key. Speaker: a turn starts after the wake word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceMode {
    #[default]
    Kiosk,
    Speaker,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AudioConfig {
    pub input_device: String,
    pub output_device: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VadEngine {
    #[default]
    Silero,
    Webrtc,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VadConfig {
    pub engine: VadEngine,
    pub silero_model: String,
    pub threshold: f32,
    pub end_silence_ms: u32,
    pub min_speech_ms: u32,
    pub max_utterance_seconds: u32,
    pub pre_roll_ms: u32,
    pub no_input_timeout_seconds: u32,
    pub barge_in: bool,
}

impl Default for VadConfig {
    fn default() -> Self {
        VadConfig {
            engine: VadEngine::Silero,
            silero_model: "vad/silero_vad.onnx".into(),
            threshold: 0.5,
            end_silence_ms: 600,
            min_speech_ms: 150,
            max_utterance_seconds: 15,
            pre_roll_ms: 300,
            no_input_timeout_seconds: 8,
            barge_in: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsrEngine {
    #[default]
    Whisper,
    Vosk,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AsrConfig {
    pub engine: AsrEngine,
    pub whisper_model: String,
    pub vosk_model_dir: String,
    pub threads: u32,
    pub no_speech_threshold: f32,
    pub use_grammar: bool,
    pub number_window_seconds: u32,
}

impl Default for AsrConfig {
    fn default() -> Self {
        AsrConfig {
            engine: AsrEngine::Whisper,
            whisper_model: "whisper/ggml-tiny.en.bin".into(),
            vosk_model_dir: String::new(),
            threads: 2,
            no_speech_threshold: 0.6,
            use_grammar: true,
            number_window_seconds: 20,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TtsConfig {
    pub voice: String,
    pub length_scale: f32,
    pub slow_length_scale: f32,
    pub sentence_silence_ms: u32,
    pub cache_prompts: bool,
}

impl Default for TtsConfig {
    fn default() -> Self {
        TtsConfig {
            voice: "piper/en_US-joe-medium.onnx".into(),
            length_scale: 1.0,
            slow_length_scale: 1.3,
            sentence_silence_ms: 200,
            cache_prompts: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WakeConfig {
    pub model: String,
    pub threshold: f32,
}

impl Default for WakeConfig {
    fn default() -> Self {
        WakeConfig {
            model: "wake/hey_jarvis_v0.1.onnx".into(),
            threshold: 0.5,
        }
    }
}

/// How the conversation copes with misses, silences and long lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialogConfig {
    pub max_misses: u32,
    pub max_fallbacks: u32,
    pub max_timeouts: u32,
    pub switch_confidence: f32,
    /// Confidence above which a store-policy question asked instead of an answer is
    /// answered before the question is asked again. Lower than `switch_confidence`: it
    /// leaves nothing, and the policy documents must also hold an answer.
    pub aside_confidence: f32,
    pub clarify_confidence: f32,
    pub max_listed_orders: usize,
}

impl Default for DialogConfig {
    fn default() -> Self {
        DialogConfig {
            max_misses: 2,
            max_fallbacks: 2,
            max_timeouts: 2,
            switch_confidence: 0.8,
            aside_confidence: 0.6,
            clarify_confidence: 0.2,
            max_listed_orders: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NluConfig {
    pub confidence_threshold: f32,
}

impl Default for NluConfig {
    fn default() -> Self {
        NluConfig {
            confidence_threshold: 0.45,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    pub name: String,
    pub locale: String,
    pub currency: String,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            name: "Harbor Lane Goods".into(),
            locale: "en-US".into(),
            currency: "USD".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    pub returns: ReturnPolicy,
    pub orders: OrderPolicy,
    pub verification: VerificationPolicy,
    pub shipping: ShippingPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReturnPolicy {
    pub window_days: u32,
    pub category_window_days: BTreeMap<String, u32>,
    pub non_returnable_categories: Vec<String>,
    pub final_sale_returnable: bool,
    pub personalised_returnable: bool,
    pub damaged_any_time: bool,
    pub ship_back_days: u32,
    pub refund_business_days_min: u32,
    pub refund_business_days_max: u32,
    pub refund_methods: Vec<RefundMethod>,
    pub pickup_time_slots: Vec<TimeSlot>,
}

impl Default for ReturnPolicy {
    fn default() -> Self {
        ReturnPolicy {
            window_days: 30,
            category_window_days: BTreeMap::from([("electronics".to_string(), 15)]),
            non_returnable_categories: vec!["gift_card".into()],
            final_sale_returnable: false,
            personalised_returnable: false,
            damaged_any_time: true,
            ship_back_days: 7,
            refund_business_days_min: 5,
            refund_business_days_max: 7,
            refund_methods: vec![
                RefundMethod::OriginalPayment,
                RefundMethod::StoreCredit,
                RefundMethod::BankTransfer,
            ],
            pickup_time_slots: vec![TimeSlot::Morning, TimeSlot::Afternoon, TimeSlot::Evening],
        }
    }
}

impl ReturnPolicy {
    /// The return window for an item category.
    pub fn window_for(&self, category: &str) -> u32 {
        self.category_window_days
            .get(&category.to_lowercase())
            .copied()
            .unwrap_or(self.window_days)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrderPolicy {
    pub cancellable_statuses: Vec<OrderStatus>,
    pub address_change_statuses: Vec<OrderStatus>,
    pub reschedule_statuses: Vec<OrderStatus>,
    pub delay_handoff_days: u32,
    pub not_received_wait_hours: u32,
    pub reschedule_max_days_ahead: u32,
    pub max_voice_quantity: u32,
    /// The most one order by voice may spend on gift cards, in whole currency units:
    /// they pass for cash, so whoever speaks near a household's speaker cannot turn its
    /// saved card into a stack of them.
    pub max_voice_gift_card_value: u32,
    /// The shortest and longest interval between subscription deliveries, in days.
    pub subscription_frequency_days: [u32; 2],
    /// A card is charged when the order ships, so an order cancelled before it shipped
    /// was never charged and has nothing to refund.
    pub card_charged_at_shipping: bool,
}

impl Default for OrderPolicy {
    fn default() -> Self {
        use OrderStatus::*;
        OrderPolicy {
            cancellable_statuses: vec![PendingConfirmation, Processing],
            address_change_statuses: vec![PendingConfirmation, Processing],
            reschedule_statuses: vec![PendingConfirmation, Processing, Shipped, Delayed],
            delay_handoff_days: 7,
            not_received_wait_hours: 48,
            reschedule_max_days_ahead: 14,
            max_voice_quantity: 20,
            max_voice_gift_card_value: 200,
            subscription_frequency_days: [1, 365],
            card_charged_at_shipping: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerificationPolicy {
    pub max_attempts: u32,
    pub lock_minutes: u32,
    pub factors: Vec<VerificationFactor>,
    pub order_number_digits: Vec<usize>,
}

impl Default for VerificationPolicy {
    fn default() -> Self {
        VerificationPolicy {
            max_attempts: 2,
            lock_minutes: 30,
            factors: vec![
                VerificationFactor::BillingZip,
                VerificationFactor::Email,
                VerificationFactor::Phone,
            ],
            order_number_digits: vec![13],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShippingPolicy {
    pub free_standard_threshold: f64,
    pub standard_price: f64,
    pub standard_business_days: [u32; 2],
    pub express_price: f64,
    pub express_business_days: [u32; 2],
    pub next_day_price: f64,
    pub next_day_cutoff_hour: u32,
    pub international_business_days: [u32; 2],
    pub international_countries: Vec<String>,
    pub tracking_email_within_hours: u32,
}

impl Default for ShippingPolicy {
    fn default() -> Self {
        ShippingPolicy {
            free_standard_threshold: 50.0,
            standard_price: 5.99,
            standard_business_days: [5, 7],
            express_price: 9.99,
            express_business_days: [2, 3],
            next_day_price: 19.99,
            next_day_cutoff_hour: 14,
            international_business_days: [10, 21],
            international_countries: vec!["CA".into(), "GB".into(), "AU".into(), "EU".into()],
            tracking_email_within_hours: 24,
        }
    }
}

/// Locales that have a prompt catalog in this build.
pub const SUPPORTED_LOCALES: &[&str] = &["en-US"];

impl Config {
    /// Loads the file named by `path`, else by `VOXORDER_CONFIG`, else the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let from_env = std::env::var_os(CONFIG_ENV).map(PathBuf::from);
        match path.map(Path::to_path_buf).or(from_env) {
            None => Ok(Config::default()),
            Some(p) => {
                let bytes = voxorder_domain::files::read_capped(&p, MAX_CONFIG_BYTES).map_err(
                    |e| match e {
                        CappedReadError::TooLarge { limit } => ConfigError::TooLarge {
                            path: p.clone(),
                            limit,
                        },
                        CappedReadError::Io(source) => ConfigError::Read {
                            path: p.clone(),
                            source,
                        },
                    },
                )?;
                let text = String::from_utf8(bytes).map_err(|e| ConfigError::Parse {
                    path: p.clone(),
                    message: format!(
                        "not UTF-8 text (bad byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                })?;
                Config::from_toml(&text, &p)
            }
        }
    }

    /// Parses and validates TOML text; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_path_buf(),
            // toml's message spans several lines with a caret; keep the error on one line.
            message: e
                .message()
                .to_string()
                .lines()
                .collect::<Vec<_>>()
                .join(" ")
                + &e.span()
                    .map(|s| format!(" (at {})", line_col(text, s.start)))
                    .unwrap_or_default(),
        })?;
        cfg.validate()
            .map_err(|(key, reason)| ConfigError::Invalid {
                path: origin.to_path_buf(),
                key,
                reason,
            })?;
        Ok(cfg)
    }

    /// Every whole-number setting with the range it must fall in, both ends included:
    /// wide enough for any store's policy, narrow enough that a typo (a lock of
    /// 4294967295 minutes, a window of 100 years) stops the device at start instead of
    /// shaping its answers. `crates/config/assets/default.toml` documents each range.
    fn whole_number_ranges(&self) -> Vec<(&'static str, u64, u64, u64)> {
        let (r, o, v, sh) = (
            &self.policy.returns,
            &self.policy.orders,
            &self.policy.verification,
            &self.policy.shipping,
        );
        let (d, sy, sp, wy) = (&self.dialog, &self.sync, &self.speech, &self.wyoming);
        let n = u64::from;
        vec![
            ("policy.returns.window_days", n(r.window_days), 1, 365),
            ("policy.returns.ship_back_days", n(r.ship_back_days), 1, 90),
            (
                "policy.returns.refund_business_days_min",
                n(r.refund_business_days_min),
                0,
                60,
            ),
            (
                "policy.returns.refund_business_days_max",
                n(r.refund_business_days_max),
                1,
                60,
            ),
            (
                "policy.orders.delay_handoff_days",
                n(o.delay_handoff_days),
                1,
                90,
            ),
            (
                "policy.orders.not_received_wait_hours",
                n(o.not_received_wait_hours),
                0,
                720,
            ),
            (
                "policy.orders.reschedule_max_days_ahead",
                n(o.reschedule_max_days_ahead),
                1,
                90,
            ),
            (
                "policy.orders.max_voice_quantity",
                n(o.max_voice_quantity),
                1,
                1000,
            ),
            (
                "policy.orders.max_voice_gift_card_value",
                n(o.max_voice_gift_card_value),
                0,
                100_000,
            ),
            ("policy.verification.max_attempts", n(v.max_attempts), 1, 10),
            (
                "policy.verification.lock_minutes",
                n(v.lock_minutes),
                1,
                43_200,
            ),
            (
                "policy.shipping.standard_business_days",
                n(sh.standard_business_days[1]),
                1,
                90,
            ),
            (
                "policy.shipping.express_business_days",
                n(sh.express_business_days[1]),
                1,
                90,
            ),
            (
                "policy.shipping.international_business_days",
                n(sh.international_business_days[1]),
                1,
                90,
            ),
            (
                "policy.shipping.next_day_cutoff_hour",
                n(sh.next_day_cutoff_hour),
                0,
                23,
            ),
            (
                "policy.shipping.tracking_email_within_hours",
                n(sh.tracking_email_within_hours),
                1,
                168,
            ),
            ("dialog.max_misses", n(d.max_misses), 1, 10),
            ("dialog.max_fallbacks", n(d.max_fallbacks), 1, 10),
            ("dialog.max_timeouts", n(d.max_timeouts), 1, 10),
            (
                "dialog.max_listed_orders",
                d.max_listed_orders as u64,
                1,
                20,
            ),
            ("sync.interval_seconds", n(sy.interval_seconds), 1, 86_400),
            ("sync.push_batch_size", n(sy.push_batch_size), 1, 200),
            ("sync.pull_page_size", n(sy.pull_page_size), 1, 10_000),
            (
                "screen.idle_clear_seconds",
                n(self.screen.idle_clear_seconds),
                5,
                86_400,
            ),
            (
                "sync.connect_timeout_ms",
                n(sy.connect_timeout_ms),
                50,
                600_000,
            ),
            (
                "sync.request_timeout_ms",
                n(sy.request_timeout_ms),
                50,
                600_000,
            ),
            ("sync.max_response_mb", n(sy.max_response_mb), 1, 1024),
            ("sync.max_attempts", n(sy.max_attempts), 1, 1000),
            ("sync.backoff_base_ms", n(sy.backoff_base_ms), 1, 3_600_000),
            (
                "sync.backoff_max_seconds",
                n(sy.backoff_max_seconds),
                1,
                86_400,
            ),
            (
                "sync.stale_after_minutes",
                n(sy.stale_after_minutes),
                0,
                43_200,
            ),
            (
                "speech.vad.end_silence_ms",
                n(sp.vad.end_silence_ms),
                100,
                5000,
            ),
            ("speech.vad.min_speech_ms", n(sp.vad.min_speech_ms), 0, 2000),
            (
                "speech.vad.max_utterance_seconds",
                n(sp.vad.max_utterance_seconds),
                1,
                120,
            ),
            ("speech.vad.pre_roll_ms", n(sp.vad.pre_roll_ms), 0, 2000),
            (
                "speech.vad.no_input_timeout_seconds",
                n(sp.vad.no_input_timeout_seconds),
                1,
                300,
            ),
            ("speech.asr.threads", n(sp.asr.threads), 1, 16),
            (
                "speech.asr.number_window_seconds",
                n(sp.asr.number_window_seconds),
                0,
                30,
            ),
            (
                "speech.tts.sentence_silence_ms",
                n(sp.tts.sentence_silence_ms),
                0,
                3000,
            ),
            ("wyoming.max_connections", n(wy.max_connections), 1, 256),
            (
                "wyoming.idle_timeout_seconds",
                n(wy.idle_timeout_seconds),
                1,
                3600,
            ),
            (
                "wyoming.request_timeout_seconds",
                n(wy.request_timeout_seconds),
                1,
                600,
            ),
            ("wyoming.max_audio_seconds", n(wy.max_audio_seconds), 1, 120),
            ("wyoming.max_payload_kb", n(wy.max_payload_kb), 1, 16_384),
            (
                "wyoming.tts_samples_per_chunk",
                n(wy.tts_samples_per_chunk),
                64,
                16_384,
            ),
            (
                "wyoming.max_conversations",
                n(wy.max_conversations),
                1,
                1024,
            ),
            (
                "wyoming.conversation_idle_minutes",
                n(wy.conversation_idle_minutes),
                1,
                1440,
            ),
        ]
    }

    /// Checks values that parse but make no sense together; returns the key and reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, r: String| Err((k.to_string(), r));
        for (key, value, lo, hi) in self.whole_number_ranges() {
            if !(lo..=hi).contains(&value) {
                return bad(key, format!("must be {lo} to {hi} (is {value})"));
            }
        }
        let s = &self.store;
        if s.name.trim().is_empty() {
            return bad("store.name", "must not be empty".into());
        }
        if !SUPPORTED_LOCALES.contains(&s.locale.as_str()) {
            return bad(
                "store.locale",
                format!(
                    "{:?} has no prompt catalog (available: {})",
                    s.locale,
                    SUPPORTED_LOCALES.join(", ")
                ),
            );
        }
        if s.currency.len() != 3 || !s.currency.chars().all(|c| c.is_ascii_uppercase()) {
            return bad(
                "store.currency",
                format!("{:?} is not a three-letter code like USD", s.currency),
            );
        }

        let v = &self.speech.vad;
        if !(0.05..=0.95).contains(&v.threshold) {
            return bad(
                "speech.vad.threshold",
                format!("must be 0.05 to 0.95 (is {})", v.threshold),
            );
        }
        let a = &self.speech.asr;
        if !(0.0..=1.0).contains(&a.no_speech_threshold) {
            return bad(
                "speech.asr.no_speech_threshold",
                format!("must be 0 to 1 (is {})", a.no_speech_threshold),
            );
        }
        let t = &self.speech.tts;
        for (key, scale) in [
            ("speech.tts.length_scale", t.length_scale),
            ("speech.tts.slow_length_scale", t.slow_length_scale),
        ] {
            if !(0.5..=2.0).contains(&scale) {
                return bad(key, format!("must be 0.5 to 2.0 (is {scale})"));
            }
        }
        if !(0.05..=0.99).contains(&self.speech.wake.threshold) {
            return bad(
                "speech.wake.threshold",
                format!("must be 0.05 to 0.99 (is {})", self.speech.wake.threshold),
            );
        }

        let r = &self.policy.returns;
        for (cat, days) in &r.category_window_days {
            if !(1..=365).contains(days) {
                return bad(
                    &format!("policy.returns.category_window_days.{cat}"),
                    format!("must be 1 to 365 (is {days})"),
                );
            }
        }
        if r.refund_business_days_min > r.refund_business_days_max {
            return bad(
                "policy.returns.refund_business_days_min",
                format!(
                    "is above refund_business_days_max ({} > {})",
                    r.refund_business_days_min, r.refund_business_days_max
                ),
            );
        }
        if r.refund_methods.is_empty() {
            return bad(
                "policy.returns.refund_methods",
                "needs at least one method".into(),
            );
        }

        let o = &self.policy.orders;
        for (key, list) in [
            (
                "policy.orders.cancellable_statuses",
                &o.cancellable_statuses,
            ),
            (
                "policy.orders.address_change_statuses",
                &o.address_change_statuses,
            ),
        ] {
            if let Some(st) = list.iter().find(|st| st.has_shipped()) {
                return bad(
                    key,
                    format!("{st} orders have left the warehouse and cannot be changed here"),
                );
            }
        }

        let v = &self.policy.verification;
        if v.factors.is_empty() {
            return bad(
                "policy.verification.factors",
                "needs at least one factor besides the order number".into(),
            );
        }

        let sh = &self.policy.shipping;
        for (key, price) in [
            (
                "policy.shipping.free_standard_threshold",
                sh.free_standard_threshold,
            ),
            ("policy.shipping.standard_price", sh.standard_price),
            ("policy.shipping.express_price", sh.express_price),
            ("policy.shipping.next_day_price", sh.next_day_price),
        ] {
            if let Err(reason) = voxorder_domain::order::Money::from_decimal(price) {
                return bad(key, format!("price {reason}"));
            }
        }
        if o.subscription_frequency_days[1] > 3650 {
            return bad(
                "policy.orders.subscription_frequency_days",
                "the longest interval may be at most 3650 days".into(),
            );
        }
        for (key, [lo, hi]) in [
            (
                "policy.orders.subscription_frequency_days",
                o.subscription_frequency_days,
            ),
            (
                "policy.shipping.standard_business_days",
                sh.standard_business_days,
            ),
            (
                "policy.shipping.express_business_days",
                sh.express_business_days,
            ),
            (
                "policy.shipping.international_business_days",
                sh.international_business_days,
            ),
        ] {
            if lo == 0 || lo > hi {
                return bad(
                    key,
                    format!("must be [min, max] with 1 <= min <= max (is [{lo}, {hi}])"),
                );
            }
        }
        let t = self.nlu.confidence_threshold;
        if !(0.0..1.0).contains(&t) {
            return bad(
                "nlu.confidence_threshold",
                format!("must be at least 0 and below 1 (is {t})"),
            );
        }
        let d = &self.dialog;
        for (key, v) in [
            ("dialog.switch_confidence", d.switch_confidence),
            ("dialog.aside_confidence", d.aside_confidence),
            ("dialog.clarify_confidence", d.clarify_confidence),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(key, format!("must be between 0 and 1 (is {v})"));
            }
        }
        let sy = &self.sync;
        let scheme_ok = ["http://", "https://"]
            .iter()
            .any(|p| sy.oms_url.starts_with(p));
        if !sy.oms_url.is_empty() && !scheme_ok {
            return bad(
                "sync.oms_url",
                format!("must start with http:// or https:// (is {:?})", sy.oms_url),
            );
        }
        if sy.device_id.trim().is_empty() {
            return bad("sync.device_id", "is empty".into());
        }
        if u64::from(sy.backoff_base_ms) > u64::from(sy.backoff_max_seconds) * 1000 {
            return bad(
                "sync.backoff_base_ms",
                "is above backoff_max_seconds".into(),
            );
        }
        let wy = &self.wyoming;
        if wy.listen.parse::<std::net::SocketAddr>().is_err() {
            return bad(
                "wyoming.listen",
                format!(
                    "must be an address and port like 127.0.0.1:10700 (is {:?})",
                    wy.listen
                ),
            );
        }
        for (satellite, email) in &wy.households {
            if satellite.trim().is_empty() {
                return bad("wyoming.households", "a satellite id is empty".into());
            }
            // The address itself stays out of the message: errors reach logs.
            if !voxorder_domain::order::is_plausible_email(email) {
                return bad(
                    &format!("wyoming.households.{satellite}"),
                    "is not an email address".into(),
                );
            }
        }
        if let Err(reason) = self.screen.address(None) {
            return bad("screen.bind", reason);
        }
        if let Some(n) = self
            .policy
            .verification
            .order_number_digits
            .iter()
            .find(|n| !(4..=20).contains(*n))
        {
            return bad(
                "policy.verification.order_number_digits",
                format!("lengths must be 4 to 20 (found {n})"),
            );
        }
        Ok(())
    }
}

fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, str::len) + 1;
    format!("line {line}, column {col}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("test.toml"))
    }

    #[test]
    fn documented_defaults_match_the_code_defaults() {
        assert_eq!(
            parse(DEFAULT_TOML).expect("default file parses"),
            Config::default()
        );
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let cfg = parse("[policy.returns]\nwindow_days = 60\n").unwrap();
        assert_eq!(cfg.policy.returns.window_days, 60);
        assert_eq!(cfg.policy.returns.window_for("electronics"), 15);
        assert_eq!(cfg.policy.returns.window_for("Apparel"), 60);
        assert_eq!(cfg.policy.verification.max_attempts, 2);
    }

    #[test]
    fn invalid_value_names_key_and_reason() {
        let err = parse("[policy.verification]\nmax_attempts = 0\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("policy.verification.max_attempts"), "{msg}");
        assert!(msg.contains("must be 1 to 10"), "{msg}");
    }

    /// `lock_minutes = 4294967295` was accepted; every whole number now has a range, and
    /// a value just outside it, at either end, is refused with the key and the range.
    #[test]
    fn every_whole_number_is_bounded_at_both_ends() {
        let ranges = Config::default().whole_number_ranges();
        assert!(ranges.len() >= 35, "{}", ranges.len());
        for (key, default, lo, hi) in ranges {
            assert!(
                (lo..=hi).contains(&default),
                "{key}: default {default} out of range"
            );
            let (table, name) = key.rsplit_once('.').expect("a dotted key");
            let outside = [Some(hi + 1), lo.checked_sub(1)];
            for value in outside.into_iter().flatten() {
                let value = if name.ends_with("business_days") {
                    format!("[{}, {value}]", value.min(1))
                } else {
                    value.to_string()
                };
                let text = format!("[{table}]\n{name} = {value}\n");
                let msg = parse(&text).expect_err(&text).to_string();
                assert!(msg.contains(key), "{text}: {msg}");
                assert!(
                    msg.contains(&format!("must be {lo} to {hi}")),
                    "{text}: {msg}"
                );
            }
        }
        let msg = parse("[policy.verification]\nlock_minutes = 4294967295\n")
            .expect_err("a lock of 8171 years")
            .to_string();
        assert!(msg.contains("policy.verification.lock_minutes"), "{msg}");
    }

    #[test]
    fn shipped_status_cannot_be_cancellable() {
        let err = parse("[policy.orders]\ncancellable_statuses = [\"shipped\"]\n").unwrap_err();
        assert!(
            err.to_string()
                .contains("policy.orders.cancellable_statuses"),
            "{err}"
        );
    }

    #[test]
    fn unknown_key_and_unknown_status_are_refused_on_one_line() {
        let err = parse("[policy.returns]\nwindow_dayz = 3\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("window_dayz"), "{msg}");
        assert!(msg.contains("line 2"), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        let err = parse("[policy.orders]\ncancellable_statuses = [\"teleported\"]\n").unwrap_err();
        assert!(err.to_string().contains("teleported"), "{err}");
    }

    #[test]
    fn wyoming_address_and_households_are_checked() {
        let cfg = parse(
            "[wyoming]\nlisten = \"0.0.0.0:10700\"\n[wyoming.households]\n\"assist_satellite.kitchen\" = \"ana@example.com\"\n",
        )
        .unwrap();
        assert_eq!(cfg.wyoming.listen, "0.0.0.0:10700");
        assert_eq!(
            cfg.wyoming.households["assist_satellite.kitchen"],
            "ana@example.com"
        );
        for listen in ["localhost", "10700", "127.0.0.1:70000", ""] {
            let msg = parse(&format!("[wyoming]\nlisten = \"{listen}\"\n"))
                .expect_err(listen)
                .to_string();
            assert!(msg.contains("wyoming.listen"), "{msg}");
        }
        let msg = parse("[wyoming.households]\nkitchen = \"ana at example\"\n")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("wyoming.households.kitchen"), "{msg}");
        assert!(!msg.contains("ana at example"), "{msg}");
    }

    #[test]
    fn unsupported_locale_is_refused() {
        let err = parse("[store]\nlocale = \"xx-XX\"\n").unwrap_err();
        assert!(err.to_string().contains("store.locale"));
    }

    #[test]
    fn a_screen_off_loopback_needs_a_token_file() {
        let err = parse("[screen]\nbind = \"0.0.0.0:8090\"\n").unwrap_err();
        assert!(err.to_string().contains("screen.bind"), "{err}");
        assert!(err.to_string().contains("token_file"), "{err}");
        let cfg =
            parse("[screen]\nbind = \"0.0.0.0:8090\"\ntoken_file = \"/etc/voxorder/screen\"\n")
                .expect("a token file allows any address");
        assert_eq!(cfg.screen.address(None).map(|a| a.port()), Ok(8090));
        let err = parse("[screen]\nbind = \"kiosk\"\n").unwrap_err();
        assert!(err.to_string().contains("not an address"), "{err}");
        let loopback = ScreenSettings::default();
        assert!(loopback.address(Some("192.168.1.9:80")).is_err());
        assert!(loopback.address(Some("[::1]:9000")).is_ok());
    }
}
