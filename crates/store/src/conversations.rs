//! Conversations, their audit events and the operations report (WISMO volume,
//! containment, escalations, cancellations and returns, with their reasons).
//!
//! Architecture invariant: nothing written here holds contact details in clear. Callers
//! build event details redacted; the store masks again, as the last line of defence,
//! whatever still looks like contact data (see [`redact`]).

use chrono::NaiveDateTime;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

use super::{classify, Store, StoreError};
use voxorder_domain::order::format_datetime;
use voxorder_domain::pii;

/// How a conversation ended.
pub(crate) const OUTCOMES: [&str; 3] = ["contained", "escalated", "abandoned"];

/// What callers wanted and how the agent did, over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Conversations started in the period, finished or not.
    pub conversations: u64,
    pub contained: u64,
    pub escalated: u64,
    pub abandoned: u64,
    /// contained / finished; 0 when none finished.
    pub containment_rate: f64,
    /// By primary intent (`none` when none was set), most frequent first.
    pub per_intent: Vec<IntentVolume>,
    /// `hand_off` commands by reason, most frequent first.
    pub escalations_by_reason: Vec<(String, u64)>,
    /// `cancel_order` commands written on the device.
    pub cancellations: u64,
    pub cancellation_reasons: Vec<(String, u64)>,
    /// Returns created in the period (the returns table).
    pub returns: u64,
    pub return_reasons: Vec<(String, u64)>,
    /// Mean turns of the finished conversations; 0 when none finished.
    pub turns_mean: f64,
    /// Turns the agent did not understand (events of kind `turn`, intent `Fallback`).
    pub fallback_turns: u64,
}

/// The conversations of one primary intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntentVolume {
    pub intent: String,
    pub conversations: u64,
    pub contained: u64,
    pub escalated: u64,
    pub abandoned: u64,
}

impl Store {
    /// Records the start of a conversation; `id` must be new.
    pub fn start_conversation(
        &mut self,
        id: &str,
        channel: &str,
        now: NaiveDateTime,
    ) -> Result<(), StoreError> {
        let inserted = self
            .conn
            .execute(
                "INSERT INTO conversations (id, started_at, channel) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO NOTHING",
                params![id, format_datetime(now), channel],
            )
            .map_err(|e| self.err(e))?;
        if inserted == 0 {
            return Err(StoreError::AlreadyExists {
                what: "conversation",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// Appends an audit event (`kind`: `turn`, `action`, …) to a started conversation.
    /// `detail` is stored after [`redact`].
    pub fn record_conversation_event(
        &mut self,
        id: &str,
        now: NaiveDateTime,
        kind: &str,
        intent: Option<&str>,
        confidence: Option<f32>,
        detail: &Value,
    ) -> Result<(), StoreError> {
        self.require_conversation(id)?;
        let detail = redact(detail).to_string();
        self.conn
            .prepare_cached(
                "INSERT INTO conversation_events (conversation_id, at, kind, intent, confidence,
                    detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(|e| self.err(e))?
            .execute(params![
                id,
                format_datetime(now),
                kind,
                intent,
                confidence.map(f64::from),
                detail
            ])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records how a conversation ended. `outcome`: `contained` | `escalated` |
    /// `abandoned`. Finishing again overwrites (a late hang-up after a hand-off).
    pub fn finish_conversation(
        &mut self,
        id: &str,
        now: NaiveDateTime,
        primary_intent: Option<&str>,
        outcome: &str,
        turns: u32,
    ) -> Result<(), StoreError> {
        if !OUTCOMES.contains(&outcome) {
            return Err(StoreError::Invalid {
                what: "conversation outcome",
                detail: format!("{outcome:?} (expected one of {})", OUTCOMES.join(", ")),
            });
        }
        let updated = self
            .conn
            .execute(
                "UPDATE conversations SET ended_at = ?2, primary_intent = ?3, outcome = ?4,
                    turns = ?5 WHERE id = ?1",
                params![id, format_datetime(now), primary_intent, outcome, turns],
            )
            .map_err(|e| self.err(e))?;
        if updated == 0 {
            return Err(StoreError::NotFound {
                what: "conversation",
                id: id.to_string(),
            });
        }
        Ok(())
    }

    fn require_conversation(&self, id: &str) -> Result<(), StoreError> {
        let found: Option<i64> = self
            .conn
            .prepare_cached("SELECT 1 FROM conversations WHERE id = ?1")
            .map_err(|e| self.err(e))?
            .query_row([id], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound {
                what: "conversation",
                id: id.to_string(),
            }),
        }
    }

    /// The report over everything since `since` (inclusive), or over all time. Each
    /// figure is dated by its own record: conversations by their start, commands by
    /// their creation in the outbox, returns by their creation, fallback turns by the
    /// event's time.
    pub fn report(&self, since: Option<NaiveDateTime>) -> Result<Report, StoreError> {
        // The ISO text timestamps sort as time; the empty string precedes them all.
        let since = since.map(format_datetime).unwrap_or_default();
        let path = self.path.clone();
        let sql = |e| classify(&path, e);

        let (conversations, contained, escalated, abandoned, turns_mean): (
            i64,
            i64,
            i64,
            i64,
            Option<f64>,
        ) = self
            .conn
            .query_row(
                "SELECT count(*),
                        count(*) FILTER (WHERE outcome = 'contained'),
                        count(*) FILTER (WHERE outcome = 'escalated'),
                        count(*) FILTER (WHERE outcome = 'abandoned'),
                        avg(turns) FILTER (WHERE outcome IS NOT NULL)
                 FROM conversations WHERE started_at >= ?1",
                [&since],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .map_err(sql)?;
        let finished = contained + escalated + abandoned;

        let mut per_intent = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT coalesce(primary_intent, 'none'), count(*),
                            count(*) FILTER (WHERE outcome = 'contained'),
                            count(*) FILTER (WHERE outcome = 'escalated'),
                            count(*) FILTER (WHERE outcome = 'abandoned')
                     FROM conversations WHERE started_at >= ?1
                     GROUP BY 1 ORDER BY 2 DESC, 1",
                )
                .map_err(sql)?;
            let rows = stmt
                .query_map([&since], |r| {
                    Ok(IntentVolume {
                        intent: r.get(0)?,
                        conversations: count(r.get(1)?),
                        contained: count(r.get(2)?),
                        escalated: count(r.get(3)?),
                        abandoned: count(r.get(4)?),
                    })
                })
                .map_err(sql)?;
            for row in rows {
                per_intent.push(row.map_err(sql)?);
            }
        }

        let escalations_by_reason = self.outbox_reasons("hand_off", &since)?;
        let cancellation_reasons = self.outbox_reasons("cancel_order", &since)?;
        let return_reasons = self.reasons(
            "SELECT reason, count(*) FROM returns WHERE created_at >= ?1
             GROUP BY 1 ORDER BY 2 DESC, 1",
            &since,
        )?;
        let fallback_turns: i64 = self
            .conn
            .query_row(
                "SELECT count(*) FROM conversation_events
                 WHERE kind = 'turn' AND intent = 'Fallback' AND at >= ?1",
                [&since],
                |r| r.get(0),
            )
            .map_err(sql)?;

        Ok(Report {
            conversations: count(conversations),
            contained: count(contained),
            escalated: count(escalated),
            abandoned: count(abandoned),
            containment_rate: if finished > 0 {
                contained as f64 / finished as f64
            } else {
                0.0
            },
            per_intent,
            escalations_by_reason,
            cancellations: cancellation_reasons.iter().map(|(_, n)| n).sum(),
            cancellation_reasons,
            returns: return_reasons.iter().map(|(_, n)| n).sum(),
            return_reasons,
            turns_mean: turns_mean.unwrap_or(0.0),
            fallback_turns: count(fallback_turns),
        })
    }

    /// Outbox commands of `kind` since `since`, counted by their payload's `reason`
    /// (`unknown` when a payload has none).
    fn outbox_reasons(&self, kind: &str, since: &str) -> Result<Vec<(String, u64)>, StoreError> {
        let sql = format!(
            "SELECT coalesce(json_extract(payload, '$.reason'), 'unknown'), count(*)
             FROM outbox WHERE kind = '{kind}' AND created_at >= ?1
             GROUP BY 1 ORDER BY 2 DESC, 1"
        );
        self.reasons(&sql, since)
    }

    fn reasons(&self, sql: &str, since: &str) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([since], |r| Ok((r.get::<_, String>(0)?, count(r.get(1)?))))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Keys whose values are contact details or free text that may hold them.
const MASKED_KEYS: &[&str] = &[
    "email",
    "phone",
    "phone_number",
    "zip",
    "zip_code",
    "billing_zip",
    "name",
    "customer_name",
    "address",
    "shipping_address",
    "line1",
    "line2",
    "street",
    "last4",
    "card",
    "text",
    "utterance",
    "transcript",
    "user",
];

/// Masks contact data in an audit detail: the values of contact and free-text keys
/// (email, phone, zip, name, address, card, the caller's words) are masked whatever
/// they hold, and in every other string an email address or a run of seven or more
/// digits (a phone, an order or card number) is masked, keeping the last four digits.
/// Numbers, booleans and other strings (intents, reasons, dates) pass through.
pub(crate) fn redact(detail: &Value) -> Value {
    match detail {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = k.to_ascii_lowercase();
                    let masked = if MASKED_KEYS.contains(&key.as_str()) {
                        mask_field(&key, v)
                    } else {
                        redact(v)
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        Value::String(s) => Value::String(mask_text(s)),
        other => other.clone(),
    }
}

fn mask_field(key: &str, v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::String(s) if key == "email" => Value::String(pii::mask_email(s)),
        Value::String(s) if key.starts_with("phone") => {
            Value::String(pii::Masked(pii::Kind::Phone, s).to_string())
        }
        _ => Value::String(pii::Masked(pii::Kind::Other, "").to_string()),
    }
}

fn mask_text(s: &str) -> String {
    let words: Vec<String> = s
        .split(' ')
        .map(|w| {
            if w.contains('@') {
                pii::mask_email(w)
            } else {
                w.to_string()
            }
        })
        .collect();
    mask_number_runs(&words.join(" "))
}

/// Masks every number of seven digits or more, written together or in groups
/// (`512-555-0199`, `(512) 555 0199`), keeping the last four digits and the separators.
/// ISO dates (`2026-03-12`) are not numbers of a person and stay.
fn mask_number_runs(s: &str) -> String {
    const SEPARATORS: &str = " -.()";
    let chars: Vec<char> = s.chars().collect();
    let is_date_at = |i: usize| {
        chars.len() >= i + 10
            && chars[i..i + 10].iter().enumerate().all(|(k, c)| match k {
                4 | 7 => *c == '-',
                _ => c.is_ascii_digit(),
            })
            && chars.get(i + 10).is_none_or(|c| !c.is_ascii_digit())
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        if is_date_at(i) {
            out.extend(&chars[i..i + 10]);
            i += 10;
            continue;
        }
        // The run: digits, joined by at most two separators at a time.
        let mut end = i;
        let mut j = i + 1;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                end = j;
                j += 1;
                continue;
            }
            let mut k = j;
            while k < chars.len() && k - j < 2 && SEPARATORS.contains(chars[k]) {
                k += 1;
            }
            if k > j && k < chars.len() && chars[k].is_ascii_digit() && !is_date_at(k) {
                j = k;
            } else {
                break;
            }
        }
        let run = &chars[i..=end];
        let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
        if digits >= 7 {
            let mut seen = 0;
            for c in run {
                if c.is_ascii_digit() {
                    seen += 1;
                    out.push(if seen + 4 <= digits { '*' } else { *c });
                } else {
                    out.push(*c);
                }
            }
        } else {
            out.extend(run);
        }
        i = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;
    use voxorder_domain::change::{Change, HandOffReason, ReturnLine, ReturnRequest};
    use voxorder_domain::order::OrderRecord;
    use voxorder_domain::vocab::{CancelReason, ReturnReason};

    fn at(d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    fn store_with_orders() -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let records: Vec<OrderRecord> =
            serde_json::from_str(include_str!("../../../tests/data/orders_valid.json")).unwrap();
        let orders: Vec<_> = records.iter().map(|r| r.validate().unwrap()).collect();
        store.upsert_orders(&orders, at(1, 9)).unwrap();
        store
    }

    #[test]
    fn report_counts_outcomes_intents_reasons_and_fallbacks() {
        let mut store = store_with_orders();
        let empty = store.report(None).unwrap();
        assert_eq!(empty.conversations, 0);
        assert_eq!(empty.containment_rate, 0.0);
        assert_eq!(empty.turns_mean, 0.0);

        let convs = [
            ("c1", 2, Some("GetOrderStatus"), Some("contained"), 4),
            ("c2", 3, Some("GetOrderStatus"), Some("contained"), 2),
            ("c3", 4, Some("CancelOrder"), Some("escalated"), 6),
            ("c4", 5, Some("ReturnItem"), Some("abandoned"), 3),
            ("c5", 5, None, None, 0), // still going
        ];
        for (id, day, intent, outcome, turns) in convs {
            store.start_conversation(id, "chat", at(day, 10)).unwrap();
            if let Some(outcome) = outcome {
                store
                    .finish_conversation(id, at(day, 11), intent, outcome, turns)
                    .unwrap();
            }
        }
        let turn = |store: &mut Store, id: &str, day, intent| {
            store
                .record_conversation_event(
                    id,
                    at(day, 10),
                    "turn",
                    Some(intent),
                    Some(0.3),
                    &json!({}),
                )
                .unwrap();
        };
        turn(&mut store, "c1", 2, "Fallback");
        turn(&mut store, "c3", 4, "Fallback");
        turn(&mut store, "c3", 4, "CancelOrder");
        store
            .record_conversation_event(
                "c3",
                at(4, 10),
                "action",
                Some("Fallback"),
                None,
                &json!({}),
            )
            .unwrap();

        store
            .apply_changes(
                &[
                    Change::HandOff {
                        reason: HandOffReason::Complaint,
                        order_number: None,
                        summary: "wants a person".into(),
                    },
                    Change::CancelOrder {
                        order_number: "1234567891234".into(),
                        reason: CancelReason::FoundCheaper,
                    },
                ],
                at(4, 10),
            )
            .unwrap();
        store
            .apply_changes(
                &[
                    Change::HandOff {
                        reason: HandOffReason::Complaint,
                        order_number: None,
                        summary: "again".into(),
                    },
                    Change::HandOff {
                        reason: HandOffReason::LongDelay,
                        order_number: None,
                        summary: "late".into(),
                    },
                ],
                at(5, 10),
            )
            .unwrap();
        store
            .apply_changes(
                &[Change::CreateReturn(ReturnRequest {
                    return_id: "22230001".into(),
                    order_number: "5550001112223".into(),
                    lines: vec![ReturnLine {
                        line_no: 2,
                        qty: 1,
                        exchange_sku: None,
                    }],
                    reason: ReturnReason::Damaged,
                    resolution: voxorder_domain::change::Resolution::Refund,
                    refund_method: None,
                    refund_cents: Some(950),
                    ship_back: false,
                    pickup: None,
                })],
                at(5, 10),
            )
            .unwrap();

        let r = store.report(None).unwrap();
        assert_eq!(r.conversations, 5);
        assert_eq!((r.contained, r.escalated, r.abandoned), (2, 1, 1));
        assert_eq!(r.containment_rate, 0.5);
        assert_eq!(r.turns_mean, (4.0 + 2.0 + 6.0 + 3.0) / 4.0);
        assert_eq!(r.fallback_turns, 2);
        assert_eq!(
            r.per_intent[0],
            IntentVolume {
                intent: "GetOrderStatus".into(),
                conversations: 2,
                contained: 2,
                escalated: 0,
                abandoned: 0
            }
        );
        let intents: Vec<&str> = r.per_intent.iter().map(|v| v.intent.as_str()).collect();
        assert_eq!(
            intents,
            ["GetOrderStatus", "CancelOrder", "ReturnItem", "none"]
        );
        assert_eq!(
            r.escalations_by_reason,
            vec![("complaint".to_string(), 2), ("long_delay".to_string(), 1)]
        );
        assert_eq!(r.cancellations, 1);
        assert_eq!(
            r.cancellation_reasons,
            vec![("found_cheaper".to_string(), 1)]
        );
        assert_eq!(r.returns, 1);
        assert_eq!(r.return_reasons, vec![("damaged".to_string(), 1)]);

        // Since day 5: only what happened from then on.
        let recent = store.report(Some(at(5, 0))).unwrap();
        assert_eq!(recent.conversations, 2);
        assert_eq!(recent.abandoned, 1);
        assert_eq!(recent.containment_rate, 0.0);
        assert_eq!(recent.fallback_turns, 0);
        assert_eq!(recent.cancellations, 0);
        assert_eq!(recent.escalations_by_reason.len(), 2);
        assert_eq!(recent.returns, 1);
        // The report serialises for `--json` consumers.
        let v = serde_json::to_value(&recent).unwrap();
        assert_eq!(v["per_intent"][0]["conversations"], 1);
    }

    #[test]
    fn conversations_refuse_unknown_ids_bad_outcomes_and_reused_ids() {
        let mut store = Store::open_in_memory().unwrap();
        let err = store
            .record_conversation_event("nope", at(1, 1), "turn", None, None, &json!({}))
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "conversation",
                    ..
                }
            ),
            "{err}"
        );
        let err = store
            .finish_conversation("nope", at(1, 1), None, "contained", 1)
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        store.start_conversation("c", "voice", at(1, 1)).unwrap();
        let err = store
            .start_conversation("c", "voice", at(1, 2))
            .unwrap_err();
        assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err}");
        let err = store
            .finish_conversation("c", at(1, 1), None, "won", 1)
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    }

    #[test]
    fn event_details_are_stored_without_contact_details() {
        let mut store = Store::open_in_memory().unwrap();
        store.start_conversation("c", "chat", at(1, 1)).unwrap();
        let detail = json!({
            "intent": "GetOrderStatus",
            "utterance": "my email is ada dot park at example dot com",
            "entities": {"order_number": "1234567891234", "email": "ada.park@example.com",
                         "zip_code": "78701", "phone_number": "5125550199",
                         "date": "2026-03-12"},
            "note": "called from (512) 555-0199 about 1234567891234 on 2026-03-09, mail ada@example.com",
            "actions": [{"kind": "cancel_order", "reason": "found_cheaper"}],
            "confidence": 0.92
        });
        store
            .record_conversation_event(
                "c",
                at(1, 1),
                "turn",
                Some("GetOrderStatus"),
                Some(0.92),
                &detail,
            )
            .unwrap();
        let stored: String = store
            .conn
            .query_row("SELECT detail FROM conversation_events", [], |r| r.get(0))
            .unwrap();
        for secret in [
            "ada.park",
            "ada@",
            "example dot com",
            "78701",
            "5125550199",
            "1234567891234",
        ] {
            assert!(!stored.contains(secret), "{secret} in {stored}");
        }
        let v: Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(v["intent"], "GetOrderStatus");
        assert_eq!(v["entities"]["order_number"], "*********1234");
        assert_eq!(v["entities"]["date"], "2026-03-12");
        assert_eq!(v["entities"]["email"], "a***@e***.com");
        assert_eq!(v["actions"][0]["reason"], "found_cheaper");
        assert_eq!(v["confidence"], 0.92);
        assert_eq!(
            v["note"],
            "called from (***) ***-0199 about *********1234 on 2026-03-09, mail a***@e***.com"
        );
    }

    #[test]
    fn number_masking_keeps_short_numbers_and_dates() {
        assert_eq!(mask_number_runs("2 items, 59.98 USD"), "2 items, 59.98 USD");
        assert_eq!(
            mask_number_runs("2026-03-12 2026-03-13"),
            "2026-03-12 2026-03-13"
        );
        assert_eq!(mask_number_runs("512 555 0199"), "*** *** 0199");
        assert_eq!(mask_number_runs("ref 12345678."), "ref ****5678.");
    }
}
