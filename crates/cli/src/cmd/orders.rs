//! `voxorder orders show|list`: one order in full, or the orders placed with a phone or
//! an email, as text or JSON.

use std::io::Write;

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};

use voxorder_domain::order::{order_number_from_input, phone_digits, Order, OrderRecord};
use voxorder_store::OpenMode;

use super::Context;
use crate::exit::NotFound;

#[derive(Debug, Subcommand)]
pub enum OrdersCommand {
    /// Show one order in full.
    Show {
        order_number: String,
        /// Print the order in the import/OMS JSON format.
        #[arg(long)]
        json: bool,
    },
    /// List the orders placed with a phone number or an email address, newest first.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Phone number (any punctuation; digits are compared).
    #[arg(long, group = "who", required_unless_present = "email")]
    pub phone: Option<String>,
    /// Email address (case-insensitive).
    #[arg(long, group = "who")]
    pub email: Option<String>,
    /// Print one JSON array.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, command: OrdersCommand, out: &mut impl Write) -> Result<()> {
    match command {
        OrdersCommand::Show { order_number, json } => show(ctx, &order_number, json, out),
        OrdersCommand::List(args) => list(ctx, &args, out),
    }
}

fn show(ctx: &Context, order_number: &str, json: bool, out: &mut impl Write) -> Result<()> {
    let digits =
        order_number_from_input(order_number).map_err(|r| anyhow::anyhow!("order number {r}"))?;
    let store = ctx.open_store(OpenMode::Existing)?;
    let order = store.order(&digits)?.ok_or_else(|| NotFound::Order {
        number: digits.clone(),
        store: store.path().to_path_buf(),
    })?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &OrderRecord::from(&order))?;
        writeln!(out)?;
    } else {
        print_order(out, &order)?;
    }
    Ok(())
}

fn list(ctx: &Context, args: &ListArgs, out: &mut impl Write) -> Result<()> {
    let store = ctx.open_store(OpenMode::Existing)?;
    let list = match (&args.phone, &args.email) {
        (Some(phone), _) => {
            let digits = phone_digits(phone)
                .with_context(|| format!("phone number {phone:?} has too few digits"))?;
            store.orders_by_phone(&digits)?
        }
        (None, Some(email)) => store.orders_by_email(email)?,
        (None, None) => unreachable!("clap requires --phone or --email"),
    };
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &list)?;
        writeln!(out)?;
    } else if list.is_empty() {
        writeln!(out, "no orders")?;
    } else {
        for o in &list {
            let more = if o.item_count > 1 {
                format!(" (+{} more)", o.item_count - 1)
            } else {
                String::new()
            };
            writeln!(
                out,
                "{}  {}  {:<20}  ${:>9}  {}{more}",
                o.order_number,
                o.order_date,
                o.status,
                o.total.to_string(),
                o.first_item
            )?;
        }
    }
    Ok(())
}

fn print_order(out: &mut impl Write, o: &Order) -> std::io::Result<()> {
    writeln!(out, "Order {}  [{}]", o.order_number, o.status)?;
    writeln!(out, "  placed     {}", o.order_date)?;
    let c = &o.customer;
    writeln!(
        out,
        "  customer   {}  email {}  phone {}  billing zip {}",
        c.name,
        c.email.as_deref().unwrap_or("-"),
        c.phone.as_deref().unwrap_or("-"),
        c.billing_zip.as_deref().unwrap_or("-")
    )?;
    for it in &o.items {
        let mut flags = Vec::new();
        if it.final_sale {
            flags.push("final sale");
        }
        if it.personalised {
            flags.push("personalised");
        }
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", flags.join(", "))
        };
        writeln!(
            out,
            "  item       {} x {} ({}, {}) at ${}{flags}",
            it.qty, it.name, it.sku, it.category, it.price
        )?;
    }
    writeln!(
        out,
        "  amounts    subtotal ${}  shipping ${}  total ${} {}",
        o.subtotal, o.shipping_cost, o.total, o.currency
    )?;
    match (&o.payment.brand, &o.payment.last4) {
        (Some(b), Some(l)) => writeln!(
            out,
            "  payment    {} {b} ending {l}",
            o.payment.method.as_str()
        )?,
        _ => writeln!(out, "  payment    {}", o.payment.method.as_str())?,
    }
    if let Some(a) = &o.shipping_address {
        let line2 = a
            .line2
            .as_deref()
            .map(|l| format!(", {l}"))
            .unwrap_or_default();
        let state = a
            .state
            .as_deref()
            .map(|s| format!(", {s}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  ship to    {}{line2}, {}{state} {}, {} ({})",
            a.line1,
            a.city,
            a.zip,
            a.country,
            o.shipping_method.as_str()
        )?;
    }
    if let (Some(c), Some(t)) = (&o.carrier, &o.tracking_number) {
        writeln!(out, "  tracking   {c} {t}")?;
    }
    let dates = [
        ("shipped", o.shipped_at.map(|d| d.to_string())),
        ("estimated", o.estimated_delivery.map(|d| d.to_string())),
        ("delivered", o.delivered_at.map(|d| d.to_string())),
        ("cancelled", o.cancelled_at.map(|d| d.to_string())),
    ];
    for (label, value) in dates {
        if let Some(v) = value {
            writeln!(out, "  {label:<10} {v}")?;
        }
    }
    for e in &o.tracking_events {
        writeln!(
            out,
            "  event      {}  {:<16} {}  {}",
            e.at.format("%Y-%m-%d %H:%M"),
            e.status,
            e.location.as_deref().unwrap_or(""),
            e.description.as_deref().unwrap_or("")
        )?;
    }
    if let Some(n) = &o.internal_notes {
        writeln!(out, "  note       {n}")?;
    }
    Ok(())
}
