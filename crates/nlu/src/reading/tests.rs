//! The structured reading of utterances: what moved here from the agent (corrections)
//! and the dialog (addresses, cities, positions, bare numbers, cues), case by case.

use super::*;
use voxorder_domain::interpretation::{Cue, Ordinal, Period};
use voxorder_domain::order::OrderStatus;

fn heard(text: &str, entities: Entities) -> Heard {
    Heard {
        text: text.to_string(),
        intent: Intent::Fallback,
        confidence: 0.0,
        entities,
        alternatives: Vec::new(),
    }
}

fn reading(text: &str) -> Interpretation {
    read(heard(text, Entities::default()), None)
}

fn expecting(text: &str, zip: Option<&str>, expect: EntityKind) -> Interpretation {
    let entities = Entities {
        zip_code: zip.map(str::to_string),
        ..Entities::default()
    };
    read(heard(text, entities), Some(expect))
}

#[test]
fn the_embedded_lists_parse() {
    let lists =
        lists::Lists::parse(include_str!("../../../../assets/nlu/reading.toml")).expect("parses");
    assert_eq!(lists.ordinals.get("last"), Some(&-1));
    assert!(lists.is("street_types", "drive"));
}

#[test]
fn a_bad_ordinal_is_refused_with_its_word() {
    let err =
        lists::Lists::parse("[lists]\n[tables.ordinals]\nfirst = \"one\"\n").expect_err("refused");
    assert!(err.to_string().contains("first"), "{err}");
}

#[test]
fn what_follows_the_last_correction_is_the_text_that_counts() {
    assert_eq!(
        after_correction("seven eight seven one oh, no wait, seven eight seven oh one"),
        Some("seven eight seven oh one")
    );
    assert_eq!(
        after_correction("make it tuesday, sorry i mean wednesday, no wait thursday"),
        Some("thursday")
    );
    assert_eq!(after_correction("no wait"), None);
    assert_eq!(
        after_correction("put me down for six tins of the salmon cat food sorry eight"),
        Some("eight")
    );
    assert_eq!(
        after_correction("Give me two of the HDMI cables. No, three."),
        Some("three.")
    );
    assert_eq!(after_correction("two of the cables please, no"), None);
    assert_eq!(after_correction("is it one no"), None);
    assert_eq!(
        after_correction("set it to every month no every three weeks"),
        Some("every three weeks")
    );
    assert_eq!(
        after_correction("bring it on friday no on saturday morning"),
        Some("on saturday morning")
    );
    // A "no" that takes nothing back.
    assert_eq!(after_correction("there is no order no"), None);
    assert_eq!(after_correction("i said no to the blue no"), None);
    assert_eq!(after_correction("my zip is 78701"), None);
    // A short question echoing what was heard, then what is wanted.
    assert_eq!(
        after_correction("Wait, the fifteenth? I need it by Tuesday the eighth!"),
        Some("I need it by Tuesday the eighth!")
    );
    assert_eq!(after_correction("can it come on friday?"), None);
    // A bare "no" between commas, "make it", "actually" and a restart after a pause.
    assert_eq!(
        after_correction("three of the mugs, no, four"),
        Some("four")
    );
    assert_eq!(
        after_correction("refund it to my card, actually to a gift card"),
        Some("to a gift card")
    );
    assert_eq!(
        after_correction("two oh six... two oh six five five five"),
        Some("two oh six five five five")
    );
    assert_eq!(after_correction("five one two... three four"), None);
    assert_eq!(
        after_correction("zip is nine eight, um, nine eight one oh four"),
        Some("nine eight one oh four")
    );
    assert_eq!(
        after_correction("I said 40 but it's meant to be 14"),
        Some("14")
    );
    assert_eq!(after_correction("no dots, all lower case"), None);
    // A bare "no" between two numbers, printed without commas.
    assert_eq!(
        after_correction("one two six six ah no one two seven seven four one"),
        Some("one two seven seven four one")
    );
    assert_eq!(
        after_correction("three no four packs of nappies"),
        Some("four packs of nappies")
    );
    assert_eq!(after_correction("seven eight seven no"), None);
    assert_eq!(after_correction("is it five no thanks"), None);
    assert_eq!(after_correction("I want to make items for a fair"), None);
    assert_eq!(
        after_correction("is it possible to change where it goes? to 5 Elm Road"),
        None
    );
}

#[test]
fn corrected_entities_replace_only_what_was_said_again() {
    let mut base = Entities {
        zip_code: Some("78710".into()),
        order_number: Some("1234567891234".into()),
        ..Entities::default()
    };
    base.overlay(Entities {
        zip_code: Some("78701".into()),
        ..Entities::default()
    });
    assert_eq!(base.zip_code.as_deref(), Some("78701"));
    assert_eq!(base.order_number.as_deref(), Some("1234567891234"));
}

#[test]
fn a_whole_address_is_cut_into_street_city_and_zip() {
    let i = expecting(
        "2200 Lake Shore Drive, Apt 4, Austin, Texas 78705",
        Some("78705"),
        EntityKind::Street,
    );
    let a = i.address.expect("an address");
    assert!(
        a.street.starts_with("2200 Lake Shore Drive"),
        "{}",
        a.street
    );
    assert!(a.street.contains('4'), "{}", a.street);
    assert_eq!(a.city.as_deref(), Some("Austin"));
    assert_eq!(a.zip.as_deref(), Some("78705"));
}

/// Said with a request, a street without a type ("Broadway") is an address when a zip
/// follows it; a number with no zip after it is not.
#[test]
fn a_street_without_its_type_is_an_address_when_a_zip_follows() {
    let i = reading(
        "change the address on order 1000000000011 to 500 broadway new york new york 10012",
    );
    let a = i.address.expect("an address");
    assert_eq!(a.street, "500 Broadway");
    assert_eq!(a.zip.as_deref(), Some("10012"));
    assert_eq!(a.state.as_deref(), Some("NY"));
    let a = reading("new address is 800 Nicollet Mall apartment 12B Minneapolis 55402")
        .address
        .expect("an address with a unit");
    assert!(a.street.starts_with("800 Nicollet Mall"), "{}", a.street);
    assert!(a.street.contains("12B"), "{}", a.street);
    assert_eq!(a.city.as_deref(), Some("Minneapolis"));
    // A request with an order number, said at the street question, is no street.
    let i = expecting(
        "change the address on my order 1000000000011",
        None,
        EntityKind::Street,
    );
    assert!(i.address.is_none(), "{:?}", i.address);
    let i = reading("i want 2 of the blue mugs please");
    assert!(i.address.is_none(), "{:?}", i.address);
    let i = reading("cancel 2 items from my order, my zip is 78701");
    assert!(i.address.is_none(), "{:?}", i.address);
}

/// What follows a "not" in an address is taken back, not read as its city.
#[test]
fn a_number_taken_back_after_the_street_is_no_city() {
    let i = expecting(
        "no sorry, it's 24 Brattle Street, not 22",
        None,
        EntityKind::Street,
    );
    let a = i.address.expect("an address");
    assert_eq!(a.street, "24 Brattle Street");
    assert_eq!(a.city, None);
    // Said at a read-back, where nothing in particular is expected.
    let a = reading("no sorry, it's 24 Brattle Street, not 22")
        .address
        .expect("an address at a read-back");
    assert_eq!(a.street, "24 Brattle Street");
    assert_eq!(a.city, None);
}

/// A unit said before the street ("apartment 5, 300 Congress Avenue") keeps both, the
/// street first, as an address is written.
#[test]
fn a_unit_said_first_is_written_after_the_street() {
    let i = expecting(
        "apartment 5, 300 Congress Avenue, Austin 78701",
        Some("78701"),
        EntityKind::Street,
    );
    let a = i.address.expect("an address");
    assert!(a.street.starts_with("300 Congress Avenue"), "{}", a.street);
    assert!(a.street.contains('5'), "{}", a.street);
    assert_eq!(a.city.as_deref(), Some("Austin"));
    let a = expecting("Apartment 5, 300 Congress", None, EntityKind::Street)
        .address
        .expect("a street said alone after its unit");
    assert!(a.street.starts_with("300 Congress"), "{}", a.street);
    assert!(!a.street.contains("5300"), "{}", a.street);
}

#[test]
fn the_street_starts_at_its_number_or_the_flat_before_it() {
    let i = expecting("no sorry, it's 27 Kings Road", None, EntityKind::Street);
    assert_eq!(i.address.expect("an address").street, "27 Kings Road");
    let i = reading("it's flat 3 27 Kings Road, London");
    let street = i.address.expect("an address").street;
    assert!(street.starts_with("Flat 3"), "{street}");
}

#[test]
fn a_correction_inside_an_address_replaces_only_the_part_said_again() {
    let street = |text: &str| {
        expecting(text, None, EntityKind::Street)
            .address
            .expect("an address")
    };
    let a = street("12 Oak Street apartment 3, sorry, apartment 5, Austin 78702");
    assert_eq!(a.street, "12 Oak Street Apartment 5");
    assert_eq!(a.city.as_deref(), Some("Austin"));
    let a = street("12 Oak Street apartment 3, sorry, 5, Austin");
    assert_eq!(a.street, "12 Oak Street Apartment 5");
    assert_eq!(a.city.as_deref(), Some("Austin"));
    let a = street("40 Elm Road, I mean 44 Elm Road, Austin");
    assert_eq!(a.street, "44 Elm Road");
    // "281 not 218": the number said first is meant; the one after "not" is taken back.
    let a = street("oh wait, sorry, it's 281 not 218. 281 Willow Street.");
    assert_eq!(a.street, "281 Willow Street");
    let a = street("it's 281 not 218 Willow Street");
    assert_eq!(a.street, "281 Willow Street");
    let a = street("40 Elm Road, Austin, no sorry, Round Rock");
    assert_eq!(a.street, "40 Elm Road");
    assert_eq!(a.city.as_deref(), Some("Round Rock"));
    let a = street("12 Oak Street, Austin, oh actually make that Round Rock");
    assert_eq!(a.city.as_deref(), Some("Round Rock"));
    // Said first, a correction takes back nothing of the address.
    assert_eq!(street("sorry, it's 27 Kings Road").street, "27 Kings Road");
    // Said asking for a city, a correction keeps only the city meant.
    let i = expecting("Austin, sorry, Round Rock", None, EntityKind::City);
    assert_eq!(i.city.as_deref(), Some("Round Rock"));
}

#[test]
fn a_house_number_is_not_taken_for_the_zip() {
    let i = expecting("12345 Oak Street", Some("12345"), EntityKind::Street);
    let a = i.address.expect("an address");
    assert_eq!(a.zip, None);
}

#[test]
fn a_street_without_its_type_counts_only_when_a_street_was_asked() {
    let text = "forty two maple, austin";
    assert!(reading(text).address.is_none());
    let asked = expecting(text, None, EntityKind::Street);
    assert!(asked.address.is_some(), "{asked:?}");
    // A request that names no street holds no address.
    assert!(reading("cancel order 1234567891234 please")
        .address
        .is_none());
}

#[test]
fn a_city_is_read_only_when_asked_and_without_remarks_or_state() {
    assert_eq!(
        expecting("it's round rock", None, EntityKind::City)
            .city
            .as_deref(),
        Some("Round Rock")
    );
    assert_eq!(
        expecting("austin, same city", None, EntityKind::City)
            .city
            .as_deref(),
        Some("Austin")
    );
    assert_eq!(
        expecting("austin texas", None, EntityKind::City)
            .city
            .as_deref(),
        Some("Austin")
    );
    assert_eq!(
        expecting("new york", None, EntityKind::City)
            .city
            .as_deref(),
        Some("New York")
    );
    assert_eq!(reading("it's round rock").city, None);
}

#[test]
fn a_database_query_is_no_city() {
    let city = |text: &str| expecting(text, None, EntityKind::City).city;
    assert_eq!(city("Drop Table Orders"), None);
    assert_eq!(city("'); DELETE FROM orders;--"), None);
    assert_eq!(city("x' OR '1'='1"), None);
    assert_eq!(city("<b>Cambridge</b>"), None);
    // One such word is a place's own.
    assert_eq!(city("table rock").as_deref(), Some("Table Rock"));
    assert_eq!(city("union").as_deref(), Some("Union"));
}

#[test]
fn positions_are_read_from_either_end_and_not_from_pronouns_or_periods() {
    assert_eq!(reading("the second one").ordinals, vec![Ordinal(2)]);
    assert_eq!(reading("the last").ordinals, vec![Ordinal(-1)]);
    assert_eq!(reading("number two").ordinals, vec![Ordinal(2)]);
    assert_eq!(reading("two").ordinals, vec![Ordinal(2)]);
    assert!(reading("the blue one").ordinals.is_empty());
    assert!(reading("the one from last week").ordinals.is_empty());
}

#[test]
fn a_number_on_its_own_is_bare_and_a_request_with_one_is_not() {
    assert!(reading("it's one oh oh oh two three").bare_number);
    assert!(reading("yeah the number is 1 2 3").bare_number);
    assert!(!reading("cancel 1 2 3").bare_number);
    assert!(!reading("yes please").bare_number);
}

#[test]
fn another_order_named_alone_asks_nothing_else_of_it() {
    for only in [
        "and the other one?",
        "no, just tell me about the other one",
        "what's the other one's status",
        "how about my other order",
        "i have another order too, one oh oh oh double oh 42",
        "can you also check my other one 1000000000042",
    ] {
        assert!(reading(only).has(Cue::OnlyOtherOrder), "{only}");
    }
    for more in [
        "cancel my other order",
        "return the jeans from my other order",
        "is the other one coming on friday",
        "i want to place a new order",
        "my other order never arrived",
    ] {
        let r = reading(more);
        assert!(
            r.has(Cue::OtherOrder) && !r.has(Cue::OnlyOtherOrder),
            "{more}"
        );
    }
}

#[test]
fn cues_are_typed() {
    let yes = reading("yeah go ahead");
    assert!(yes.has(Cue::Yes) && !yes.has(Cue::No));
    let no = reading("no thanks, that's all");
    assert!(no.has(Cue::No) && no.has(Cue::Negated) && no.has(Cue::Goodbye));
    assert!(reading("it's not that one").has(Cue::Negated));
    assert!(reading("forget it").has(Cue::Withdraw));
    assert!(reading("can someone come and pick it up").has(Cue::Pickup));
    assert!(reading("my other order").has(Cue::OtherOrder));
    assert!(reading("i don't have it").has(Cue::NoNumber));
    assert!(reading("what's the full card number").has(Cue::CardNumber));
    assert!(reading("the one from last week").has(Cue::Period(Period::LastWeek)));
    assert!(reading("the delayed one").has(Cue::Status(OrderStatus::Delayed)));
    assert!(reading("this is her husband, she's not in").has(Cue::NotThem));
    assert!(reading("could you call me back later").has(Cue::CallBack));
    assert!(reading("can i pay by card instead").has(Cue::OtherPayment));
    assert!(reading("any time, doesn't matter").has(Cue::AnyTime));
    assert!(reading("whichever is quickest, up to you").has(Cue::AnyTime));
    assert!(reading("ok laters, gotta run").has(Cue::Goodbye));
    assert!(reading("no that's all, thanks").has(Cue::Goodbye));
    assert!(reading("that's all").has(Cue::Goodbye));
    assert!(
        !reading("just put 59 dollars store credit on my account, that's all i'm asking")
            .has(Cue::Goodbye)
    );
    assert!(!reading("that's all i want, a refund").has(Cue::Goodbye));
    assert!(!reading("yes that's me").has(Cue::NotThem));
    assert!(!reading("yes this is her").has(Cue::NotThem));
    // Where the customer themself will be is no one else answering.
    assert!(
        !reading("yes I confirm, but tomorrow I'm not home, can it come monday").has(Cue::NotThem)
    );
    assert!(reading("she's not home right now").has(Cue::NotThem));
}

#[test]
fn not_shipped_names_processing_and_shipped_alone_names_shipped() {
    let i = reading("the one that hasn't shipped");
    assert!(i.has(Cue::Status(OrderStatus::Processing)));
    assert!(!i.has(Cue::Status(OrderStatus::Shipped)));
    assert!(reading("the shipped one").has(Cue::Status(OrderStatus::Shipped)));
}

#[test]
fn a_state_asked_about_describes_no_order() {
    let asked = reading("he wants to know if the order he placed got delivered");
    assert!(!asked.has(Cue::Status(OrderStatus::Delivered)));
    assert!(!reading("has it shipped yet").has(Cue::Status(OrderStatus::Shipped)));
    let described = reading("the one that was delivered last week");
    assert!(described.has(Cue::Status(OrderStatus::Delivered)));
}

#[test]
fn a_second_request_is_cut_only_at_a_clear_joining_phrase() {
    assert_eq!(
        second_request("it's 40 Elm Road and can you also tell me when it will arrive"),
        Some((
            "it's 40 Elm Road",
            "can you also tell me when it will arrive"
        ))
    );
    assert_eq!(
        second_request("No thanks. Oh and while I have you, check order 1000000000080"),
        Some(("No thanks", "check order 1000000000080"))
    );
    assert_eq!(
        second_request("sure cancel that, and then order me two of the grey mugs"),
        Some(("sure cancel that", "order me two of the grey mugs"))
    );
    assert_eq!(second_request("cancel it and then refund me"), None);
    assert_eq!(
        second_request("where are my desk lamps, and has the candle shipped?"),
        Some(("where are my desk lamps", "has the candle shipped?"))
    );
    assert_eq!(
        second_request("cancel order 1000000000011, and also what's your return policy"),
        Some(("cancel order 1000000000011", "what's your return policy"))
    );
    assert_eq!(
        second_request("restart the cat litter one, and make the dog food every six weeks"),
        Some((
            "restart the cat litter one",
            "make the dog food every six weeks"
        ))
    );
    assert_eq!(
        second_request(
            "Could you start my cat litter deliveries again? And actually make them every six weeks"
        ),
        Some((
            "Could you start my cat litter deliveries again?",
            "make them every six weeks"
        ))
    );
    assert_eq!(
        second_request("send it to my work address instead, and have it come on Monday"),
        Some((
            "send it to my work address instead",
            "have it come on Monday"
        ))
    );
    // One request with "and" in it, a phrase inside a word, nothing before it.
    assert_eq!(
        second_request("cancel order 1000000000011 please, and has my beanie order arrived"),
        Some((
            "cancel order 1000000000011 please",
            "has my beanie order arrived"
        ))
    );
    assert_eq!(second_request("where is it and is it late"), None);
    assert_eq!(second_request("cancel it and refund me"), None);
    assert_eq!(second_request("the band also played"), None);
    assert_eq!(second_request("and can you check my order"), None);
}

#[test]
fn a_state_said_with_the_city_is_read_but_a_city_named_like_a_state_is_not_one() {
    let a = expecting(
        "55 Elm Street, Columbus Ohio, 43215",
        Some("43215"),
        EntityKind::Street,
    )
    .address
    .expect("an address");
    assert_eq!(a.city.as_deref(), Some("Columbus"));
    assert_eq!(a.state.as_deref(), Some("OH"));
    let i = expecting("Brooklyn, New York", None, EntityKind::City);
    assert_eq!(i.city_state.as_deref(), Some("NY"));
    let i = expecting("new york", None, EntityKind::City);
    assert_eq!(i.city.as_deref(), Some("New York"));
    assert_eq!(i.city_state, None);
}

#[test]
fn an_address_said_after_the_order_number_and_the_billing_zip_is_only_the_address() {
    let text = "yes, order 1241803805391. Chloe Hughes, 02139. New address is 9 Harbor Way, Boston MA 02110";
    let i = expecting(text, Some("02139"), EntityKind::Street);
    let a = i.address.expect("an address");
    assert_eq!(a.street, "9 Harbor Way");
    assert_eq!(a.city.as_deref(), Some("Boston"));
    // The billing zip said before the street is not the new zip.
    assert_eq!(a.zip.as_deref(), Some("02110"));
    // Not asked for a street, the request still finds it after its introduction.
    let a = reading("change the address on 1241803805391, zip 27601, the new one is 15 Pine Road")
        .address
        .expect("an address");
    assert_eq!(a.street, "15 Pine Road");
}

/// A floor said as an ordinal before its unit word ("fifth floor", "3rd floor") stays in
/// the street line, and the city is the one said after it, if any.
#[test]
fn a_floor_said_as_an_ordinal_is_part_of_the_street() {
    let a = expecting(
        "1200 Seventeenth Street, fifth floor",
        None,
        EntityKind::Street,
    )
    .address
    .expect("an address");
    assert!(
        a.street.to_lowercase().ends_with("fifth floor"),
        "{}",
        a.street
    );
    assert_eq!(a.city, None);
    let a = expecting(
        "1200 Seventeenth Street, 3rd floor, Denver 80202",
        Some("80202"),
        EntityKind::Street,
    )
    .address
    .expect("an address with a city");
    assert!(
        a.street.to_lowercase().ends_with("3rd floor"),
        "{}",
        a.street
    );
    assert_eq!(a.city.as_deref(), Some("Denver"));
}

#[test]
fn the_first_sentence_of_several_is_cut_off() {
    assert_eq!(
        after_first_sentence("No, forget that one. Cancel my headphones order"),
        Some(("No, forget that one", "Cancel my headphones order"))
    );
    assert_eq!(
        after_first_sentence("no! where is it?"),
        Some(("no", "where is it?"))
    );
    assert_eq!(
        after_first_sentence("actually no, cancel that one, my sister got him one"),
        Some(("actually no", "cancel that one, my sister got him one"))
    );
    assert_eq!(
        after_first_sentence("no, that's all, thanks"),
        Some(("no", "that's all, thanks"))
    );
    assert_eq!(after_first_sentence("the blue one, not the red"), None);
    assert_eq!(
        after_first_sentence("no wait, I don't want to change it, leave it as it is"),
        None
    );
    // One sentence, a decimal point, or nothing on one side: no cut.
    assert_eq!(after_first_sentence("cancel order 1.5 please"), None);
    assert_eq!(after_first_sentence("where is my order?"), None);
    assert_eq!(after_first_sentence(". where is it"), None);
}

#[test]
fn a_number_said_again_before_the_street_is_its_house_number() {
    let a = expecting(
        "no, it's twelve forty. 1240 Harrison Boulevard, apartment 3B",
        None,
        EntityKind::Street,
    )
    .address
    .expect("an address");
    assert_eq!(a.street, "1240 Harrison Boulevard Apartment 3B");
}

#[test]
fn a_request_taken_back_leaves_the_one_said_after_it() {
    let t = "What? No, I don't want to change the address. I want to cancel the order.";
    assert_eq!(after_denied_request(t), Some("I want to cancel the order."));
    // Nothing after the denial, or no denial: nothing to take instead.
    assert_eq!(
        after_denied_request("No, I don't want to change the address."),
        None
    );
    assert_eq!(
        after_denied_request("I want to change the address. It's 5 Elm Road."),
        None
    );
}

#[test]
fn details_alone_ask_for_nothing() {
    assert!(only_identifiers(
        "Yeah it's 3841177902892 and the zip's 95814"
    ));
    assert!(only_identifiers(
        "order number 1000000000011, zip code 78701"
    ));
    assert!(!only_identifiers(
        "change the address on 3841177902892 please"
    ));
    assert!(!only_identifiers("it's the zip that's wrong"));
}

#[test]
fn where_an_order_goes_is_asked_not_changed() {
    assert!(asks_where_it_goes("which address are they being sent to"));
    assert!(asks_where_it_goes("hang on, where's it being delivered?"));
    assert!(!asks_where_it_goes(
        "what address is it going to, I need to change it"
    ));
    assert!(!asks_where_it_goes("send it to 12 Oak Road instead"));
    assert!(!asks_where_it_goes(
        "what address is it going to? 5 Elm Road is the new one"
    ));
}

#[test]
fn a_buy_made_once_is_no_subscription_change() {
    assert!(buys_once("i'll stock up on the candles then, six of them"));
    assert!(buys_once("just a one-time order of ten bags of coffee"));
    assert!(buys_once("a single order, not every month"));
    assert!(buys_once(
        "no, not my subscription, just send me two boxes today"
    ));
    assert!(!buys_once("change my coffee subscription to two bags"));
    assert!(!buys_once("pause it one time, the next delivery"));
    assert!(!buys_once("skip just once my next delivery"));
}

#[test]
fn a_request_after_an_acknowledgement_is_found() {
    assert_eq!(
        after_acknowledgement("Yes, I know. I want to order another of the tees"),
        Some("I want to order another of the tees")
    );
    assert_eq!(
        after_acknowledgement("ok thanks, and can you cancel the other one"),
        Some("and can you cancel the other one")
    );
    // Too little follows to be a request of its own, or nothing acknowledges first.
    assert_eq!(after_acknowledgement("yes that's right"), None);
    assert_eq!(after_acknowledgement("I want to order another tee"), None);
}

#[test]
fn a_subscription_set_aside_for_an_order_is_a_status_question() {
    assert!(asks_order_not_subscription(
        "not the subscription, the order I placed with the dog food, has it arrived"
    ));
    assert!(!asks_order_not_subscription(
        "pause the subscription until june"
    ));
    assert!(!asks_order_not_subscription(
        "not the subscription, cancel the order"
    ));
}

#[test]
fn what_may_be_returned_of_a_kind_is_a_question() {
    assert!(asks_what_may_be_returned("can I return sale items?"));
    assert!(asks_what_may_be_returned(
        "and what about stuff that was on sale, can I return that too?"
    ));
    assert!(asks_what_may_be_returned(
        "do you take back opened electronics"
    ));
    assert!(asks_what_may_be_returned(
        "are personalised mugs returnable?"
    ));
    assert!(asks_what_may_be_returned(
        "can he return them without the receipt, it's a gift?"
    ));
    assert!(!asks_what_may_be_returned(
        "I want to return the cardigan I bought on sale"
    ));
    assert!(!asks_what_may_be_returned(
        "can I return the sale jacket from my order 1000000000066"
    ));
    assert!(!asks_what_may_be_returned(
        "can I return the blue mug please"
    ));
}

#[test]
fn what_a_return_costs_is_a_question_of_the_rule() {
    assert!(asks_what_return_costs(
        "would I have to pay to post it back"
    ));
    assert!(asks_what_return_costs(
        "is return shipping free with you lot"
    ));
    assert!(!asks_what_return_costs(
        "I want to return order 1000000000042"
    ));
    assert!(!asks_what_return_costs("I'd like to send the lamp back"));
}

#[test]
fn one_digit_named_again_corrects_the_number() {
    assert_eq!(
        digit_corrected("6836711404289... no wait, sorry, the last digit is an 8, not a 9"),
        Some((DigitAt::Last, "8".to_string()))
    );
    assert_eq!(
        digit_corrected("1000000000042, sorry it ends in four three"),
        Some((DigitAt::Last, "43".to_string()))
    );
    assert_eq!(
        digit_corrected("78710 actually the first digit is seven"),
        Some((DigitAt::First, "7".to_string()))
    );
    assert_eq!(
        digit_corrected("two oh one five, nine nine... wait the last one's a six"),
        Some((DigitAt::Last, "6".to_string()))
    );
    assert_eq!(
        digit_corrected("5 5 1 2 0 8 7 7 3 4 1 1 0 ... hang on, the last two are 0 9"),
        Some((DigitAt::Last, "09".to_string()))
    );
    // Nothing said before, or no digit after: no correction.
    assert_eq!(digit_corrected("it ends in 8"), None);
    assert_eq!(digit_corrected("42 and the last one is broken"), None);
}

#[test]
fn the_request_after_a_story_led_by_so() {
    assert_eq!(
        request_after_so(
            "We're away in Lebanon for the whole of January, so please pause the dog food deliveries"
        ),
        Some("please pause the dog food deliveries")
    );
    assert_eq!(
        request_after_so("it's for my brother. So can you tell me when it comes"),
        Some("can you tell me when it comes")
    );
    assert_eq!(request_after_so("so where is it"), None);
    assert_eq!(request_after_so("it's late, so what"), None);
}

/// A city said where none was asked counts only in the shape "city, state zip": a yes,
/// a no or a zip alone names no city.
#[test]
fn a_city_unasked_needs_its_state_and_zip() {
    assert_eq!(
        reading("Cambridge, Massachusetts 02139").city.as_deref(),
        Some("Cambridge")
    );
    assert_eq!(
        reading("round rock texas 78664").city.as_deref(),
        Some("Round Rock")
    );
    for text in [
        "no, 02139",
        "yes that's right",
        "Cambridge 02139",
        "no it's texas",
    ] {
        assert_eq!(reading(text).city, None, "{text}");
    }
    // A street said with them keeps its city in the address, not here.
    let said = reading("88 Pearl Street, Cambridge, Massachusetts 02139");
    assert_eq!(said.city, None);
    assert!(said.address.is_some());
}

/// "Just apartment 14. 88 Pearl Street apartment 14": the unit said again with the
/// street is written once.
#[test]
fn a_unit_said_before_and_with_the_street_is_written_once() {
    let said = expecting(
        "no, that's wrong. just apartment 14. 88 Pearl Street apartment 14",
        None,
        EntityKind::Street,
    );
    assert_eq!(
        said.address.map(|a| a.street).as_deref(),
        Some("88 Pearl Street Apartment 14")
    );
}

/// The interjections before a yes are not the answer: "oh sorry, yes" is a yes; "oh
/// no" is dismay, no answer.
#[test]
fn a_yes_after_interjections_is_still_one() {
    assert!(reading("oh sorry, yes, cancel it").cues.contains(&Cue::Yes));
    assert!(!reading("oh the tee please").cues.contains(&Cue::Yes));
    assert!(!reading("oh no. what about a medium in black?")
        .cues
        .contains(&Cue::No));
    assert!(reading("no, keep it").cues.contains(&Cue::No));
}

/// What is taken back in the same breath is not the request: the words after the last
/// retraction are.
#[test]
fn the_request_follows_the_last_retraction() {
    assert_eq!(
        after_retraction("cancel it. Actually wait, keep it, yes I confirm"),
        Some("keep it, yes I confirm")
    );
    assert_eq!(
        after_retraction("I want to cancel, no wait, I want to return it"),
        Some("I want to return it")
    );
    // What follows only says how much: the request is still the one before it.
    assert_eq!(
        after_retraction("cancel the order no wait the whole order not just the socks"),
        None
    );
    assert_eq!(
        after_retraction("i want to send these jeans back no wait both pairs of jeans"),
        None
    );
    // Nothing after it, or nothing before it: nothing to take.
    assert_eq!(after_retraction("cancel it. actually wait"), None);
    assert_eq!(after_retraction("cancel my order"), None);
    // Inside another word is no retraction ("snow waiting").
    assert_eq!(
        after_retraction("the snow waiting outside, where's my parcel"),
        None
    );
}

#[test]
fn markup_is_taken_out_of_typed_text() {
    let clean = |t: &str| {
        without_markup(t)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        clean("<speak><prosody rate='slow'>hello there</prosody></speak> 9 Elm Road"),
        "hello there 9 Elm Road"
    );
    assert_eq!(
        clean("4 Oak Lane <script>fetch('x')</script>, Austin"),
        "4 Oak Lane , Austin"
    );
    assert_eq!(clean("<SCRIPT>alert(1)"), "");
    assert_eq!(clean("is 3 < 5 and {x} > 2"), "is 3 5 and x 2");
    assert_eq!(
        without_markup("plain words, unchanged"),
        "plain words, unchanged"
    );
    // Any text at all comes back whole, however its brackets are placed.
    for t in [
        "<",
        "<<",
        "<a",
        "</",
        "é<b>ü",
        "İ<script>x",
        "<style",
        "a>b<",
    ] {
        let _ = without_markup(t);
    }
}

/// A number far before the street's type is not its house number ("tell them five
/// thousand people signed up 14 Cedar Avenue"): the street starts at the one nearest.
#[test]
fn the_house_number_is_the_one_nearest_the_street() {
    let i = expecting(
        "tell them five thousand people have signed the petition 14 Cedar Avenue, Boise ID 83702",
        Some("83702"),
        EntityKind::Street,
    );
    let a = i.address.expect("an address");
    assert_eq!(a.street, "14 Cedar Avenue");
    let i = expecting(
        "Flat 3, 27 Kings Road, Austin, Texas 78705",
        Some("78705"),
        EntityKind::Street,
    );
    let a = i.address.expect("an address");
    assert!(a.street.contains("27 Kings Road"), "{}", a.street);
    assert!(a.street.contains('3'), "{}", a.street);
}

#[test]
fn a_request_taken_back_then_undone_leaves_the_one_after() {
    assert_eq!(
        after_retraction("skip the next tea delivery. no wait, don't skip, just move it to friday"),
        Some("just move it to friday")
    );
    assert_eq!(
        after_retraction("cancel it, actually no, not cancel, just pause it for a month please"),
        Some("just pause it for a month please")
    );
    assert_eq!(
        after_retraction("cancel it. actually no, don't cancel it, i'll keep it"),
        Some("don't cancel it, i'll keep it")
    );
}

#[test]
fn the_request_before_how_the_caller_proves_who_they_are() {
    assert_eq!(
        before_identity_clause(
            "can you check on my order, I don't have the number but my phone is 617 555 0123"
        ),
        Some("can you check on my order")
    );
    assert_eq!(
        before_identity_clause("i want to cancel my order my email is ada at example dot com"),
        Some("i want to cancel my order")
    );
    // Too little before the clause to be a request of its own.
    assert_eq!(before_identity_clause("hi, my phone is 617 555 0123"), None);
    assert_eq!(before_identity_clause("where is my parcel please"), None);
}

#[test]
fn a_long_story_opens_with_its_first_seven_words() {
    assert_eq!(
        opening_of_a_story(
            "i want to return the dress my daughter picked for prom she's decided to wear \
             her sister's instead"
        ),
        Some("i want to return the dress my")
    );
    assert_eq!(
        opening_of_a_story("i want to return the dress please"),
        None
    );
}
