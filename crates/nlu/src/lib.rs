//! Understanding: what the caller wants (intent, with a calibrated confidence), the
//! values they said (entities, self-corrections applied) and what else the words say
//! (`reading`: addresses, positions, cues), from recogniser text; and answers to policy questions
//! found in the store's documents (`knowledge`).
//!
//! Architecture invariant: understanding knows no store. It reads the catalog and the
//! documents as records it is handed, and the vocabulary it produces is the domain's.

pub mod classifier;
pub mod encoder;
pub mod entities;
pub mod eval;
pub mod features;
pub mod knowledge;
pub mod reading;
pub mod reject;

use chrono::NaiveDateTime;

use classifier::{ClassifierError, IntentClassifier};
use entities::{EntityContext, EntityKind, ProductMatcher};
use reject::RejectRule;
pub use voxorder_domain::intent;
use voxorder_domain::records::Product;
pub use voxorder_domain::vocab::{Entities, Interpretation, ScoredIntent};
pub use voxorder_domain::Intent;

/// Text longer than this is cut before understanding: nobody says 4,000 characters in
/// one turn, and the bound keeps a runaway transcript from costing anything.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// How many runner-up intents an interpretation keeps for a clarifying question.
const ALTERNATIVES: usize = 3;

/// Intent classification plus entity extraction, loaded once and shared.
pub struct Nlu {
    classifier: Box<dyn IntentClassifier>,
    products: ProductMatcher,
    rule: RejectRule,
}

impl std::fmt::Debug for Nlu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nlu").field("rule", &self.rule).finish()
    }
}

impl Nlu {
    /// `rule`: when the best intent is set aside as out of scope or not understood
    /// (from configuration).
    pub fn new(
        classifier: Box<dyn IntentClassifier>,
        catalog: &[Product],
        rule: RejectRule,
    ) -> Nlu {
        Nlu {
            classifier,
            products: ProductMatcher::new(catalog),
            rule,
        }
    }

    /// Understands one utterance. `expect` is what the dialog just asked for, if anything.
    pub fn understand(
        &self,
        text: &str,
        now: NaiveDateTime,
        expect: Option<EntityKind>,
    ) -> Result<Interpretation, ClassifierError> {
        let text = match text.char_indices().nth(MAX_TEXT_CHARS) {
            Some((cut, _)) => &text[..cut],
            None => text,
        };
        let scores = self.classifier.classify(text)?;
        let confidence = scores.first().map_or(0.0, |s| s.1);
        let intent = self.rule.decide(&scores);
        let ctx = EntityContext {
            now,
            products: Some(&self.products),
            expect,
        };
        let mut entities = entities::extract(text, &ctx);
        if let Some(tail) = reading::after_correction(text) {
            reading::overlay(&mut entities, entities::extract(tail, &ctx));
        }
        let heard = reading::Heard {
            text: text.to_string(),
            intent,
            confidence,
            entities,
            // The in-scope intents only: they are what a clarifying question offers.
            alternatives: scores
                .iter()
                .filter(|s| !reject::is_reject(s.0))
                .take(ALTERNATIVES)
                .map(|&(intent, confidence)| ScoredIntent { intent, confidence })
                .collect(),
        };
        Ok(reading::read(heard, expect))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use classifier::Scores;

    /// A classifier that returns fixed scores: the NLU logic around it is what is tested.
    struct FixedScores(Scores);

    impl IntentClassifier for FixedScores {
        fn classify(&self, _text: &str) -> Result<Scores, ClassifierError> {
            Ok(self.0.clone())
        }
    }

    const RULE: RejectRule = RejectRule {
        change_max_reject: 0.15,
        change_min_confidence: 0.3,
        min_confidence: 0.0,
    };

    fn now() -> NaiveDateTime {
        voxorder_domain::clock::parse_now("2026-03-10T10:00:00").unwrap()
    }

    #[test]
    fn an_unsure_order_change_is_fallback_with_the_in_scope_runner_ups_kept() {
        let nlu = Nlu::new(
            Box::new(FixedScores(vec![
                (Intent::ReturnItem, 0.40),
                (Intent::ExchangeItem, 0.30),
                (Intent::Fallback, 0.20),
                (Intent::ReportProblem, 0.10),
            ])),
            &[],
            RULE,
        );
        let i = nlu
            .understand("i want to send it back or swap it", now(), None)
            .unwrap();
        assert_eq!(i.intent, Intent::Fallback);
        assert!((i.confidence - 0.40).abs() < 1e-6);
        let alts: Vec<_> = i.alternatives.iter().map(|a| a.intent).collect();
        assert_eq!(
            alts,
            vec![
                Intent::ReturnItem,
                Intent::ExchangeItem,
                Intent::ReportProblem
            ]
        );
    }

    #[test]
    fn above_threshold_keeps_the_intent_and_extracts_entities() {
        let nlu = Nlu::new(
            Box::new(FixedScores(vec![
                (Intent::GetOrderStatus, 0.9),
                (Intent::Fallback, 0.1),
            ])),
            &[],
            RULE,
        );
        let i = nlu
            .understand("where is order 1234 56789 1234", now(), None)
            .unwrap();
        assert_eq!(i.intent, Intent::GetOrderStatus);
        assert_eq!(i.entities.order_number.as_deref(), Some("1234567891234"));
    }

    #[test]
    fn huge_text_is_cut_not_refused() {
        let nlu = Nlu::new(
            Box::new(FixedScores(vec![(Intent::Fallback, 1.0)])),
            &[],
            RULE,
        );
        let text = "é".repeat(100_000);
        let i = nlu.understand(&text, now(), None).unwrap();
        assert_eq!(i.intent, Intent::Fallback);
    }
}
