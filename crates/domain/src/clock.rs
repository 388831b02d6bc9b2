//! The agent's notion of "now": the device's local time, or a fixed instant given with
//! `--now` / `VOXORDER_NOW` so that policy windows and relative dates are reproducible.

use chrono::{NaiveDate, NaiveDateTime};

/// Environment variable fixing the clock.
pub const NOW_ENV: &str = "VOXORDER_NOW";

/// Parses `YYYY-MM-DDTHH:MM[:SS]`, or a bare date meaning its start. The time is the
/// device's local wall clock, so a zone suffix is not accepted.
pub fn parse_now(s: &str) -> Result<NaiveDateTime, String> {
    crate::order::parse_naive_datetime(s)
        .ok_or_else(|| format!("{s:?} is not a time like 2026-03-10T10:00:00"))
}

/// A clock that is either the system's local time or fixed.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    fixed: Option<NaiveDateTime>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    pub fn fixed(at: NaiveDateTime) -> Clock {
        Clock { fixed: Some(at) }
    }

    pub fn new(fixed: Option<NaiveDateTime>) -> Clock {
        Clock { fixed }
    }

    pub fn now(&self) -> NaiveDateTime {
        self.fixed
            .unwrap_or_else(|| chrono::Local::now().naive_local())
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date()
    }

    pub fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(
            parse_now("2026-03-10T10:00:00").unwrap().to_string(),
            "2026-03-10 10:00:00"
        );
        assert_eq!(
            parse_now("2026-03-10T10:00").unwrap().to_string(),
            "2026-03-10 10:00:00"
        );
        assert_eq!(
            parse_now("2026-03-10").unwrap().to_string(),
            "2026-03-10 00:00:00"
        );
        assert!(parse_now("tuesday").is_err());
        assert!(parse_now("2026-02-30").is_err());
    }

    #[test]
    fn a_fixed_clock_does_not_move() {
        let t = parse_now("2026-03-10T10:00:00").unwrap();
        let c = Clock::fixed(t);
        assert_eq!(c.now(), t);
        assert_eq!(c.today().to_string(), "2026-03-10");
    }
}
