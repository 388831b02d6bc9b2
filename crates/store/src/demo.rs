//! The embedded demo store: deterministic orders, catalog, households and subscriptions,
//! generated from the data sources in `assets/demo/` around an anchor date, so the
//! product runs out of the box and tests see the same data every time.

use std::collections::HashSet;
use std::path::Path;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;

use crate::documents::default_documents;
use crate::{NewSubscription, OpenMode, Product, Store, StoreError, SubscriptionStatus};
use voxorder_config::ShippingPolicy;
use voxorder_domain::order::{
    Address, Customer, Money, Order, OrderItem, OrderStatus, Payment, PaymentMethod,
    ShippingMethod, TrackingEvent,
};

const CATALOG_TOML: &str = include_str!("../../../assets/demo/catalog.toml");
const PEOPLE_TOML: &str = include_str!("../../../assets/demo/people.toml");

/// Orders in the demo store.
pub const DEMO_ORDERS: usize = 1000;
/// The demo's random seed: changing it changes every generated value.
pub const DEMO_SEED: u64 = 0x005E_ED0F_0DE5;

/// SplitMix64: tiny, fast, and identical on every platform, which is all a demo needs.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + (self.next_u64() % ((hi - lo) as u64 + 1)) as i64
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next_u64() % 10) as u8))
            .collect()
    }
}

#[derive(Debug, Deserialize)]
struct CatalogFile {
    family: Vec<Family>,
}

#[derive(Debug, Deserialize)]
struct Family {
    code: String,
    name: String,
    category: String,
    price: f64,
    #[serde(default)]
    colors: Vec<String>,
    #[serde(default)]
    sizes: Vec<String>,
    #[serde(default)]
    final_sale: bool,
    #[serde(default)]
    personalised: bool,
    #[serde(default)]
    aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct PeopleFile {
    first_names: Vec<String>,
    last_names: Vec<String>,
    email_domains: Vec<String>,
    streets: Vec<String>,
    places: Vec<[String; 4]>,
    card_brands: Vec<String>,
    carriers: Vec<String>,
}

/// A subscription of the demo, by customer email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSubscription {
    pub email: String,
    pub sku: String,
    pub qty: u32,
    pub frequency_days: u32,
    pub next_date: NaiveDate,
    pub status: SubscriptionStatus,
}

/// Everything the demo store holds.
#[derive(Debug, Clone)]
pub struct DemoData {
    pub anchor: NaiveDate,
    pub products: Vec<Product>,
    pub orders: Vec<Order>,
    /// Household name and the emails of its members.
    pub households: Vec<(String, Vec<String>)>,
    pub subscriptions: Vec<DemoSubscription>,
}

/// The expanded product catalog of the demo (about 200 SKUs).
pub fn catalog(rng: &mut Rng) -> Vec<Product> {
    let file: CatalogFile = toml::from_str(CATALOG_TOML).expect("embedded catalog parses");
    let mut out = Vec::new();
    for f in file.family {
        let colors: Vec<Option<&String>> = if f.colors.is_empty() {
            vec![None]
        } else {
            f.colors.iter().map(Some).collect()
        };
        let sizes: Vec<Option<&String>> = if f.sizes.is_empty() {
            vec![None]
        } else {
            f.sizes.iter().map(Some).collect()
        };
        for color in &colors {
            for size in &sizes {
                let mut sku = f.code.clone();
                let mut name = f.name.clone();
                if let Some(c) = color {
                    sku.push('-');
                    sku.push_str(&c.to_uppercase().replace(' ', ""));
                    name.push_str(&format!(" - {c}"));
                }
                if let Some(s) = size {
                    sku.push('-');
                    sku.push_str(&s.to_uppercase());
                    name.push_str(if color.is_some() { ", " } else { " - " });
                    if f.category == "gift_card" {
                        name.push_str(&format!("${s}"));
                    } else if s.chars().all(|c| c.is_ascii_alphabetic()) && s.len() <= 3 {
                        name.push_str(&format!("Size {s}"));
                    } else {
                        name.push_str(s);
                    }
                }
                // Gift cards are sold at face value.
                let price = if f.category == "gift_card" {
                    size.and_then(|s| s.parse::<f64>().ok()).unwrap_or(f.price)
                } else {
                    f.price
                };
                let stock = if rng.chance(8) { 0 } else { rng.range(3, 240) };
                out.push(Product {
                    sku,
                    name,
                    category: f.category.clone(),
                    family: f.code.clone(),
                    size: size.cloned(),
                    color: color.cloned(),
                    price_cents: Money::from_decimal(price)
                        .expect("catalog prices have cents")
                        .cents(),
                    stock,
                    final_sale: f.final_sale,
                    personalised: f.personalised,
                    active: true,
                    aliases: f.aliases.clone(),
                });
            }
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Person {
    customer: Customer,
    address: Address,
}

/// A named household of the demo, living at one of the places of `people.toml`.
struct NamedHousehold {
    name: &'static str,
    /// (first name, last name) of each member.
    members: &'static [(&'static str, &'static str)],
    place: usize,
}

const HOUSEHOLDS: &[NamedHousehold] = &[
    NamedHousehold {
        name: "Park household",
        members: &[("Ada", "Park"), ("Jonah", "Park")],
        place: 0,
    },
    NamedHousehold {
        name: "Haddad household",
        members: &[("Omar", "Haddad"), ("Aisha", "Haddad")],
        place: 1,
    },
    NamedHousehold {
        name: "Chen household",
        members: &[("Mei", "Chen")],
        place: 2,
    },
    NamedHousehold {
        name: "Garcia household",
        members: &[("Diego", "Garcia"), ("Sofia", "Garcia")],
        place: 3,
    },
];

fn people(rng: &mut Rng, src: &PeopleFile, count: usize) -> Vec<Person> {
    let mut out = Vec::with_capacity(count);
    let address_of = |rng: &mut Rng, place: &[String; 4]| Address {
        line1: format!("{} {}", rng.range(10, 9899), rng.pick(&src.streets)),
        line2: rng.chance(25).then(|| format!("Apt {}", rng.range(1, 40))),
        city: place[0].clone(),
        state: Some(place[1].clone()),
        zip: place[2].clone(),
        country: "US".into(),
    };
    // Named household members first, so the demo and its docs can refer to them.
    for (line, household) in (0u32..).zip(HOUSEHOLDS) {
        let place = &src.places[household.place];
        let address = address_of(rng, place);
        // Members of a household share the home phone.
        let phone = format!("{}555{:04}", place[3], 199 - line);
        for (first, last) in household.members {
            out.push(Person {
                customer: Customer {
                    name: format!("{first} {last}"),
                    email: Some(format!(
                        "{}.{}@example.com",
                        first.to_lowercase(),
                        last.to_lowercase()
                    )),
                    phone: Some(phone.clone()),
                    billing_zip: Some(place[2].clone()),
                },
                address: address.clone(),
            });
        }
    }
    let fictional_range = count <= src.places.len() * 90;
    let mut i = 0usize;
    while out.len() < count {
        let first = rng.pick(&src.first_names).clone();
        let last = rng.pick(&src.last_names).clone();
        let place = &src.places[i % src.places.len()];
        // 555-0100..0199 is reserved for fiction; large benchmark stores need more lines.
        let line = if fictional_range {
            100 + (i / src.places.len()) % 90
        } else {
            (i / src.places.len()) % 10_000
        };
        let domain = rng.pick(&src.email_domains);
        let email = format!(
            "{}.{}{}@{domain}",
            first.to_lowercase(),
            last.to_lowercase(),
            i
        );
        out.push(Person {
            customer: Customer {
                name: format!("{first} {last}"),
                email: Some(email),
                phone: Some(format!("{}555{line:04}", place[3])),
                billing_zip: Some(place[2].clone()),
            },
            address: address_of(rng, place),
        });
        i += 1;
    }
    out
}

fn at(date: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    date.and_time(NaiveTime::from_hms_opt(hour, minute, 0).expect("valid time"))
}

fn tracking_number(rng: &mut Rng, carrier: &str) -> String {
    match carrier {
        "UPS" => {
            const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
            let mut s = String::from("1Z");
            for _ in 0..16 {
                s.push(char::from(*rng.pick(ALNUM)));
            }
            s
        }
        "FedEx" => rng.digits(12),
        _ => format!("9400{}", rng.digits(18)),
    }
}

/// Generates the demo data around `anchor` (the day the store is created).
pub fn generate(anchor: NaiveDate, n_orders: usize, seed: u64) -> DemoData {
    let mut rng = Rng::new(seed);
    let src: PeopleFile = toml::from_str(PEOPLE_TOML).expect("embedded people parse");
    let products = catalog(&mut rng);
    let shipping = ShippingPolicy::default();
    let n_people = (n_orders / 3).max(60);
    let people = people(&mut rng, &src, n_people);
    let named = HOUSEHOLDS.iter().map(|h| h.members.len()).sum::<usize>();

    // Each named customer has a "usual": the items they buy again and again.
    let usual: Vec<Vec<&str>> = vec![
        vec!["COF-BEAN-1KG", "FLT-PITCH"],
        vec!["TEA-ENG", "OAT"],
        vec!["DOG-KIB-12KG", "DOG-TRT"],
        vec!["CAT-LIT"],
        vec!["TEA-GRN", "COF-POD"],
        vec!["DIAPER", "WIPES"],
        vec!["PTOWEL", "DET"],
    ];
    let by_sku = |sku: &str| products.iter().find(|p| p.sku == sku);

    // The named customers' orders walk through every status, newest first.
    let statuses = [
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::PendingConfirmation,
        OrderStatus::OutForDelivery,
        OrderStatus::Delayed,
        OrderStatus::Cancelled,
        OrderStatus::Returned,
    ];
    let weighted: &[(OrderStatus, u64)] = &[
        (OrderStatus::Delivered, 38),
        (OrderStatus::Shipped, 12),
        (OrderStatus::OutForDelivery, 5),
        (OrderStatus::Processing, 13),
        (OrderStatus::PendingConfirmation, 6),
        (OrderStatus::Delayed, 6),
        (OrderStatus::Cancelled, 10),
        (OrderStatus::Returned, 10),
    ];

    let mut seen = HashSet::with_capacity(n_orders);
    let mut orders = Vec::with_capacity(n_orders);
    for i in 0..n_orders {
        let (person_idx, status, history) = if i < named * 4 {
            let p = i % named;
            let round = i / named;
            // Round 0 gives each named customer one order in a live status; later
            // rounds are their delivered history of usual items.
            let st = if round == 0 {
                statuses[p % statuses.len()]
            } else {
                OrderStatus::Delivered
            };
            (p, st, round > 0)
        } else {
            let roll = rng.next_u64() % 100;
            let mut acc = 0;
            let st = weighted
                .iter()
                .find(|(_, w)| {
                    acc += w;
                    roll < acc
                })
                .map_or(OrderStatus::Delivered, |(s, _)| *s);
            (
                named + (rng.next_u64() as usize % (people.len() - named)),
                st,
                false,
            )
        };
        let person = &people[person_idx];

        let mut order_number = format!("{}", rng.range(1_000_000_000_000, 9_999_999_999_999));
        while !seen.insert(order_number.clone()) {
            order_number = format!("{}", rng.range(1_000_000_000_000, 9_999_999_999_999));
        }

        // Items.
        let mut items: Vec<OrderItem> = Vec::new();
        let wanted: Vec<&Product> = if history || (person_idx < named && rng.chance(50)) {
            usual[person_idx % usual.len()]
                .iter()
                .filter_map(|s| by_sku(s).or_else(|| products.iter().find(|p| p.family == *s)))
                .collect()
        } else {
            let n = match rng.next_u64() % 10 {
                0..=5 => 1,
                6..=8 => 2,
                _ => 3,
            };
            (0..n).map(|_| rng.pick(&products)).collect()
        };
        for p in wanted {
            if items.iter().any(|it| it.sku == p.sku) {
                continue;
            }
            items.push(OrderItem {
                sku: p.sku.clone(),
                name: p.name.clone(),
                qty: if rng.chance(80) {
                    1
                } else {
                    rng.range(2, 3) as u32
                },
                price: p.price(),
                category: p.category.clone(),
                final_sale: p.final_sale,
                personalised: p.personalised,
            });
        }
        let subtotal = Money(
            items
                .iter()
                .map(|i| i.price.cents() * i64::from(i.qty))
                .sum(),
        );

        let method = match rng.next_u64() % 10 {
            0..=6 => ShippingMethod::Standard,
            7 | 8 => ShippingMethod::Express,
            _ => ShippingMethod::NextDay,
        };
        let cost = |price: f64| Money::from_decimal(price).expect("policy prices are valid");
        let shipping_cost = match method {
            ShippingMethod::Standard
                if subtotal.to_decimal() >= shipping.free_standard_threshold =>
            {
                Money(0)
            }
            ShippingMethod::Standard => cost(shipping.standard_price),
            ShippingMethod::Express => cost(shipping.express_price),
            ShippingMethod::NextDay => cost(shipping.next_day_price),
            ShippingMethod::International => cost(shipping.standard_price),
        };
        let transit = match method {
            ShippingMethod::NextDay => 1,
            ShippingMethod::Express => 3,
            _ => 7,
        };

        // Dates, consistent with the status and the anchor ("today").
        let day = |d: i64| anchor + Duration::days(d);
        let carrier = rng.pick(&src.carriers).clone();
        let (order_date, shipped, estimated, delivered, cancelled) = match status {
            OrderStatus::PendingConfirmation => {
                let od = day(-rng.range(0, 1));
                (od, None, Some(od + Duration::days(transit + 1)), None, None)
            }
            OrderStatus::Processing => {
                let od = day(-rng.range(0, 2));
                (od, None, Some(od + Duration::days(transit + 1)), None, None)
            }
            OrderStatus::Shipped => {
                let od = day(-rng.range(1, 5));
                let sd = od + Duration::days(1);
                let est = (sd + Duration::days(transit)).max(day(rng.range(1, 3)));
                (od, Some(sd), Some(est), None, None)
            }
            OrderStatus::OutForDelivery => {
                let od = day(-rng.range(2, 6));
                (od, Some(od + Duration::days(1)), Some(anchor), None, None)
            }
            OrderStatus::Delivered | OrderStatus::Returned => {
                let back = if history {
                    rng.range(10, 120)
                } else if status == OrderStatus::Returned {
                    rng.range(25, 90)
                } else {
                    // Recent deliveries matter: some inside, some outside return windows.
                    rng.range(2, 75)
                };
                let od = day(-back);
                let sd = od + Duration::days(1);
                let dd = (sd + Duration::days(rng.range(1, transit))).min(day(-1));
                (od, Some(sd), Some(dd), Some(dd), None)
            }
            OrderStatus::Delayed => {
                let od = day(-rng.range(8, 20));
                let sd = od + Duration::days(1);
                // The new estimate: from a couple of days to well over a week late.
                let est = day(rng.range(1, 10));
                (od, Some(sd), Some(est), None, None)
            }
            OrderStatus::Cancelled => {
                let od = day(-rng.range(1, 60));
                (
                    od,
                    None,
                    None,
                    None,
                    Some(od + Duration::days(rng.range(0, 1))),
                )
            }
        };

        let has_tracking = shipped.is_some();
        let tracking = has_tracking.then(|| tracking_number(&mut rng, &carrier));
        let mut tracking_events = Vec::new();
        if let Some(sd) = shipped {
            let origin = "Columbus, OH";
            tracking_events.push(TrackingEvent {
                at: at(sd, 9, 15),
                status: "label_created".into(),
                location: Some(origin.into()),
                description: Some("Shipping label created".into()),
            });
            tracking_events.push(TrackingEvent {
                at: at(sd, 17, 40),
                status: "picked_up".into(),
                location: Some(origin.into()),
                description: Some("Picked up by carrier".into()),
            });
            let last = delivered.unwrap_or(anchor);
            if last > sd + Duration::days(1) {
                tracking_events.push(TrackingEvent {
                    at: at(sd + Duration::days(1), 4, 5),
                    status: "in_transit".into(),
                    location: Some("Regional hub".into()),
                    description: Some("Departed facility".into()),
                });
            }
            if status == OrderStatus::Delayed {
                tracking_events.push(TrackingEvent {
                    at: at(sd + Duration::days(2), 11, 0),
                    status: "exception".into(),
                    location: Some("Regional hub".into()),
                    description: Some("Delayed: weather and volume at the hub".into()),
                });
            }
            if status == OrderStatus::OutForDelivery {
                tracking_events.push(TrackingEvent {
                    at: at(anchor, 7, 30),
                    status: "out_for_delivery".into(),
                    location: Some(person.address.city.clone()),
                    description: Some("Out for delivery".into()),
                });
            }
            if let Some(dd) = delivered {
                tracking_events.push(TrackingEvent {
                    at: at(dd, rng.range(10, 19) as u32, rng.range(0, 59) as u32),
                    status: "delivered".into(),
                    location: Some(person.address.city.clone()),
                    description: Some("Delivered, left at front door".into()),
                });
            }
        }

        let cod = if status == OrderStatus::PendingConfirmation {
            !rng.chance(15)
        } else {
            rng.chance(5)
        };
        let payment = if cod {
            Payment {
                method: PaymentMethod::Cod,
                brand: None,
                last4: None,
            }
        } else {
            Payment {
                method: PaymentMethod::Card,
                brand: Some(rng.pick(&src.card_brands).clone()),
                last4: Some(rng.digits(4)),
            }
        };

        orders.push(Order {
            order_number,
            status,
            order_date,
            customer: person.customer.clone(),
            subtotal,
            shipping_cost,
            total: Money(subtotal.cents() + shipping_cost.cents()),
            items,
            currency: "USD".into(),
            payment,
            shipping_address: Some(person.address.clone()),
            shipping_method: method,
            carrier: has_tracking.then_some(carrier),
            tracking_number: tracking,
            shipped_at: shipped.map(|d| at(d, 17, 40)),
            estimated_delivery: estimated,
            delivered_at: delivered
                .and_then(|d| tracking_events.last().map(|e| e.at).or(Some(at(d, 12, 0)))),
            cancelled_at: cancelled.map(|d| at(d, 15, 5)),
            tracking_events,
            internal_notes: rng.chance(4).then(|| {
                "Customer asked twice about the delivery window; offered no credit".into()
            }),
            version: 1,
            store: None,
        });
    }

    let households = HOUSEHOLDS
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                h.members
                    .iter()
                    .map(|(f, l)| format!("{}.{}@example.com", f.to_lowercase(), l.to_lowercase()))
                    .collect(),
            )
        })
        .collect();
    let sub = |email: &str, sku: &str, qty, every, next: i64, status| DemoSubscription {
        email: email.into(),
        sku: sku.into(),
        qty,
        frequency_days: every,
        next_date: anchor + Duration::days(next),
        status,
    };
    use SubscriptionStatus::{Active, Paused};
    let subscriptions = vec![
        sub("ada.park@example.com", "COF-BEAN-1KG", 1, 14, 5, Active),
        sub("ada.park@example.com", "FLT-PITCH", 1, 60, 23, Active),
        sub("omar.haddad@example.com", "DOG-KIB-12KG", 1, 30, 9, Active),
        sub("aisha.haddad@example.com", "CAT-LIT", 2, 30, 16, Paused),
        sub("mei.chen@example.com", "TEA-GRN", 2, 30, 3, Active),
        sub("diego.garcia@example.com", "DIAPER", 2, 14, 2, Active),
        sub("sofia.garcia@example.com", "WIPES", 1, 28, 12, Active),
    ];

    DemoData {
        anchor,
        products,
        orders,
        households,
        subscriptions,
    }
}

/// Writes demo data into a store: catalog, orders, households, subscriptions, documents.
pub fn load_into(store: &mut Store, data: &DemoData, now: NaiveDateTime) -> Result<(), StoreError> {
    store.upsert_products(&data.products, now)?;
    store.upsert_orders(&data.orders, now)?;
    store.upsert_documents(&default_documents(), now)?;
    for (name, emails) in &data.households {
        store.create_household(name, emails)?;
    }
    for s in &data.subscriptions {
        if let Some(customer) = store.customer_id_by_email(&s.email)? {
            store.insert_subscription(
                &NewSubscription {
                    customer_id: customer,
                    sku: s.sku.clone(),
                    qty: s.qty,
                    frequency_days: s.frequency_days,
                    next_date: Some(s.next_date),
                    status: s.status,
                },
                now,
            )?;
        }
    }
    store.set_meta("demo_anchor", &data.anchor.to_string())?;
    Ok(())
}

/// Opens the demo store at `path`, creating it first if it does not exist. Creation goes
/// through [`Store::create_with`], so an interrupted first run leaves no half store.
pub fn open_or_create(path: &Path, now: NaiveDateTime) -> Result<Store, StoreError> {
    if path.exists() {
        return Store::open(path, OpenMode::Existing);
    }
    let store = Store::create_with(path, |store| {
        load_into(store, &generate(now.date(), DEMO_ORDERS, DEMO_SEED), now)
    })?;
    tracing::info!(path = %path.display(), "demo store created");
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
    }

    #[test]
    fn same_anchor_and_seed_give_the_same_store() {
        let a = generate(anchor(), 200, DEMO_SEED);
        let b = generate(anchor(), 200, DEMO_SEED);
        assert_eq!(a.orders, b.orders);
        assert_eq!(a.products, b.products);
    }

    #[test]
    fn demo_has_the_promised_breadth() {
        let d = generate(anchor(), DEMO_ORDERS, DEMO_SEED);
        assert_eq!(d.orders.len(), DEMO_ORDERS);
        assert!(
            (180..=230).contains(&d.products.len()),
            "{}",
            d.products.len()
        );
        for st in OrderStatus::ALL {
            let n = d.orders.iter().filter(|o| o.status == st).count();
            assert!(n >= 20, "only {n} {st} orders");
        }
        let skus: HashSet<_> = d.products.iter().map(|p| p.sku.as_str()).collect();
        for s in &d.subscriptions {
            assert!(skus.contains(s.sku.as_str()), "unknown sku {}", s.sku);
        }
        assert!(d
            .orders
            .iter()
            .any(|o| o.payment.method == PaymentMethod::Cod));
        assert!(d.products.iter().any(|p| p.stock == 0));
    }

    #[test]
    fn generated_orders_are_internally_consistent() {
        let d = generate(anchor(), DEMO_ORDERS, DEMO_SEED);
        let mut numbers = HashSet::new();
        for o in &d.orders {
            assert!(numbers.insert(&o.order_number));
            assert_eq!(o.order_number.len(), 13);
            let sum: i64 = o
                .items
                .iter()
                .map(|i| i.price.cents() * i64::from(i.qty))
                .sum();
            assert_eq!(o.subtotal.cents(), sum);
            assert_eq!(o.total.cents(), sum + o.shipping_cost.cents());
            assert!(o.order_date <= anchor());
            assert_eq!(o.tracking_number.is_some(), o.status.has_shipped());
            if let Some(d) = o.delivered_at {
                assert!(d.date() < anchor());
                assert!(matches!(
                    o.status,
                    OrderStatus::Delivered | OrderStatus::Returned
                ));
            }
            // Every generated order passes the same validation as an imported one.
            let rec = voxorder_domain::order::OrderRecord::from(o);
            assert_eq!(&rec.validate().unwrap(), o);
        }
    }

    #[test]
    fn named_households_share_a_phone_and_see_each_status() {
        let d = generate(anchor(), DEMO_ORDERS, DEMO_SEED);
        let ada: Vec<_> = d
            .orders
            .iter()
            .filter(|o| o.customer.email.as_deref() == Some("ada.park@example.com"))
            .collect();
        assert!(ada.len() >= 4);
        let jonah_phone = d
            .orders
            .iter()
            .find(|o| o.customer.email.as_deref() == Some("jonah.park@example.com"))
            .and_then(|o| o.customer.phone.clone());
        assert_eq!(ada[0].customer.phone, jonah_phone);
        assert_eq!(ada[0].status, OrderStatus::Processing);
    }
}
