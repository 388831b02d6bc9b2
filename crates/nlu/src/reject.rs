//! The decision on top of the classifier's probabilities: which intent the caller meant,
//! or that the request is out of scope or not understood.
//!
//! A request that would change an order needs more evidence than a question: taking "cancel
//! my gym membership" for CancelOrder starts a cancellation, while taking it for a status
//! question costs one wrong answer. So the reject mass (OutOfScope + Fallback) is tested
//! against a lower bar for order-changing intents. The thresholds are policy (config);
//! their defaults are the operating point chosen with the model (its manifest's `rule`).

use crate::intent::Intent;

/// Intents that change or create an order. The model's manifest lists the same set,
/// checked at load, so the model and this rule cannot disagree.
pub const ORDER_CHANGING: &[Intent] = &[
    Intent::CancelOrder,
    Intent::ChangeAddress,
    Intent::ConfirmOrder,
    Intent::ExchangeItem,
    Intent::ManageSubscription,
    Intent::PlaceOrder,
    Intent::Reorder,
    Intent::RescheduleDelivery,
    Intent::ReturnItem,
];

/// Whether the intent would change or create an order.
pub fn changes_orders(intent: Intent) -> bool {
    ORDER_CHANGING.contains(&intent)
}

/// Whether the label is a rejection rather than something to act on.
pub fn is_reject(intent: Intent) -> bool {
    matches!(intent, Intent::OutOfScope | Intent::Fallback)
}

/// Thresholds of the decision (`nlu.*` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RejectRule {
    /// An order-changing intent is rejected when the reject mass reaches this.
    pub change_max_reject: f32,
    /// An order-changing intent below this probability is rejected.
    pub change_min_confidence: f32,
    /// Any other intent below this probability is rejected.
    pub min_confidence: f32,
}

impl RejectRule {
    /// The label to act on, from the probabilities of every label (any order).
    pub fn decide(&self, scores: &[(Intent, f32)]) -> Intent {
        let p = |want: Intent| {
            scores
                .iter()
                .find(|(i, _)| *i == want)
                .map_or(0.0, |&(_, p)| p)
        };
        let (oos, fallback) = (p(Intent::OutOfScope), p(Intent::Fallback));
        let reject_mass = oos + fallback;
        let best = scores
            .iter()
            .filter(|(i, _)| !is_reject(*i))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let reject = match best {
            None => true,
            Some(&(intent, p_best)) => {
                reject_mass >= p_best
                    || if changes_orders(intent) {
                        reject_mass >= self.change_max_reject || p_best < self.change_min_confidence
                    } else {
                        p_best < self.min_confidence
                    }
            }
        };
        match best {
            Some(&(intent, _)) if !reject => intent,
            // Ties go to OutOfScope, as in training's rule; no score at all is not
            // understood.
            _ if oos >= fallback && oos > 0.0 => Intent::OutOfScope,
            _ => Intent::Fallback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: RejectRule = RejectRule {
        change_max_reject: 0.15,
        change_min_confidence: 0.3,
        min_confidence: 0.0,
    };

    #[test]
    fn a_clear_intent_is_kept() {
        let s = [
            (Intent::GetOrderStatus, 0.9),
            (Intent::Fallback, 0.05),
            (Intent::OutOfScope, 0.05),
        ];
        assert_eq!(STRICT.decide(&s), Intent::GetOrderStatus);
    }

    #[test]
    fn an_order_change_needs_more_evidence_than_a_question() {
        let change = [
            (Intent::CancelOrder, 0.8),
            (Intent::OutOfScope, 0.12),
            (Intent::Fallback, 0.08),
        ];
        assert_eq!(STRICT.decide(&change), Intent::OutOfScope);
        let question = [
            (Intent::PolicyQuestion, 0.8),
            (Intent::OutOfScope, 0.12),
            (Intent::Fallback, 0.08),
        ];
        assert_eq!(STRICT.decide(&question), Intent::PolicyQuestion);
        let unsure_change = [
            (Intent::PlaceOrder, 0.29),
            (Intent::Reorder, 0.28),
            (Intent::Help, 0.43),
        ];
        assert_eq!(STRICT.decide(&unsure_change), Intent::Help);
        let unsure = [
            (Intent::PlaceOrder, 0.29),
            (Intent::Reorder, 0.28),
            (Intent::Help, 0.27),
            (Intent::Fallback, 0.16),
        ];
        assert_eq!(STRICT.decide(&unsure), Intent::Fallback);
    }

    #[test]
    fn the_likelier_reject_label_is_the_answer() {
        let s = [
            (Intent::Fallback, 0.6),
            (Intent::OutOfScope, 0.3),
            (Intent::Help, 0.1),
        ];
        assert_eq!(STRICT.decide(&s), Intent::Fallback);
        let s = [
            (Intent::Fallback, 0.3),
            (Intent::OutOfScope, 0.6),
            (Intent::Help, 0.1),
        ];
        assert_eq!(STRICT.decide(&s), Intent::OutOfScope);
    }

    #[test]
    fn the_other_threshold_applies_to_questions_only() {
        let rule = RejectRule {
            min_confidence: 0.5,
            ..STRICT
        };
        let s = [
            (Intent::TrackPackage, 0.45),
            (Intent::GetOrderStatus, 0.44),
            (Intent::Fallback, 0.11),
        ];
        assert_eq!(rule.decide(&s), Intent::Fallback);
        assert_eq!(STRICT.decide(&s), Intent::TrackPackage);
    }

    #[test]
    fn nothing_scored_is_not_understood() {
        assert_eq!(STRICT.decide(&[]), Intent::Fallback);
        assert_eq!(STRICT.decide(&[(Intent::Fallback, 1.0)]), Intent::Fallback);
    }
}
