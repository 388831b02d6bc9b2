#!/usr/bin/env python3
"""Write texts.jsonl: the spoken test items (what a caller SAYS, as words).

Intent and short-answer sentences are written by hand below. Digit items
(order numbers, zip codes, phone numbers) are drawn from a seeded RNG and read
the way people read them: in groups, "oh" or "zero", "double"/"triple" for
runs, sometimes as pairs ("forty eight"), sometimes with words around them.
Deterministic: the same file on every run.

Usage: python3 write_texts.py [OUT]   (default: tests/data/spoken/texts.jsonl)
"""
import json
import random
import sys
from pathlib import Path

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
         "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

# --- intents: 20 in-scope intents of the labelling guide + out-of-scope requests ---
INTENTS = {
    "GetOrderStatus": [
        "Hi, um, where's my order? I placed it last Thursday.",
        "Has my order shipped yet?",
        "I'm just calling to check on an order, when's it going to get here?",
        "Is my click and collect order ready to pick up?",
        "Can you tell me the status of my order please?",
        "I ordered a rain jacket a week ago and I haven't heard anything, what's going on with it?",
        "When will my headphones arrive?",
        "Yeah hi, has the order gone out or is it still being packed?",
        "What's happening with my delivery? It said it would come today.",
        "Could you check if my coffee pods have been sent out yet?",
    ],
    "TrackPackage": [
        "Can I get the tracking number for my parcel?",
        "Which courier is delivering my package?",
        "Could you text me the tracking link please?",
        "I want to track my package.",
        "Who's the carrier for my order, is it UPS or FedEx?",
        "The tracking number you sent me doesn't work, can you read it out again?",
        "How do I follow my parcel with the delivery company?",
        "Um, is there a tracking code for the sneakers I ordered?",
        "Send me the tracking details for the dog food order.",
    ],
    "CancelOrder": [
        "I need to cancel my order.",
        "Please cancel the order I placed this morning.",
        "Can you stop my order before it ships? I don't want it anymore.",
        "I'd like to cancel the keyboard from my order, just that one item.",
        "Cancel it, I found it cheaper somewhere else.",
        "Is it too late to cancel? I ordered it by mistake.",
        "I changed my mind, please don't send the yoga mat.",
        "Yeah, I want to call off the whole order.",
        "Can I still cancel yesterday's order? It's taking way too long.",
    ],
    "ReturnItem": [
        "I want to return a pair of jeans.",
        "How do I send back the earbuds? I don't need them anymore.",
        "Can I get a return label for the hoodie?",
        "I'd like a refund for the lamp, I just don't like it.",
        "The jumper doesn't really suit me so I'd like to send it back.",
        "I need to return something I bought last week.",
        "Could you set up a return for the backpack please?",
        "I bought the towels as a gift and they didn't want them, can I return them for my money back?",
        "Hi, I'd like to return the water bottle and get the refund on my card.",
    ],
    "ExchangeItem": [
        "Can I swap these sneakers for a size ten?",
        "I'd like to exchange the tee for a medium instead of a small.",
        "The hoodie's too big, could I change it for a smaller one?",
        "Can I exchange the black headphones for the silver ones?",
        "I want to trade the jeans in for a thirty two waist.",
        "Is it possible to get the rain jacket in navy instead of yellow?",
        "I need an exchange, the socks are too small, I need a large.",
        "Could you send me the next size up in the sneakers and I'll send these back?",
        "Um, can I switch the beanie for a different colour?",
    ],
    "ReportProblem": [
        "My package says delivered but it's not here.",
        "The mug arrived smashed.",
        "You sent me the wrong item, I ordered a desk lamp and got a candle.",
        "There's a charger missing from my box.",
        "The headphones I got don't turn on at all.",
        "My parcel never arrived and it's been two weeks.",
        "The water bottle leaks, I think it's faulty.",
        "Half the coffee pods were crushed when the box came.",
        "The earbuds box was open and one of the earbuds is missing.",
    ],
    "RescheduleDelivery": [
        "Can you deliver it on Friday instead?",
        "I won't be home tomorrow, can we move the delivery to next week?",
        "Could the delivery come in the afternoon rather than the morning?",
        "Please hold my parcel until Monday, I'm away.",
        "Can I change the delivery date?",
        "Is it possible to have it delivered after work, like in the evening?",
        "I need to reschedule my delivery to the twentieth.",
        "Can you push the delivery back a couple of days?",
        "Saturday would be better for me, can you bring it then?",
    ],
    "ChangeAddress": [
        "I need to change my delivery address.",
        "Can you send it to my work address instead?",
        "I've moved, please update the shipping address on my order.",
        "Could you ship it to my mum's place? It's twelve Oak Street.",
        "The address on the order is wrong, it should be flat four, not flat five.",
        "Can I have the parcel sent to a different postcode?",
        "Please deliver it to my neighbour's house at number twenty two instead.",
        "I'd like to change where my order is going.",
        "Can you redirect my package to my new apartment?",
    ],
    "ConfirmOrder": [
        "I'm calling to confirm my order.",
        "Yes, please confirm the order.",
        "I got a message asking me to confirm my cash on delivery order.",
        "I want to confirm the order I placed yesterday.",
        "Go ahead and confirm my order, everything looks fine.",
        "Hi, I'm confirming the order for the bath towels.",
        "Confirm my order please, I'll pay cash when it arrives.",
        "Yeah, I'd like to confirm that order.",
    ],
    "PlaceOrder": [
        "I'd like to order two bags of coffee beans.",
        "Can I buy a pair of wireless headphones?",
        "I want to get a yoga mat.",
        "I'd like a bluetooth speaker please, a new order.",
        "Could I order three packs of paper towels?",
        "I'd like to buy a large navy t shirt.",
        "Um, I need some dog food, the chicken and rice one.",
        "Can you order me a phone charger and a cable?",
        "I want to buy a gift card for my sister.",
    ],
    "Reorder": [
        "Can I reorder my usual?",
        "Same as last time please.",
        "I'd like to buy the cat litter again.",
        "Just repeat my last order.",
        "Can you send me the same coffee pods I got last month?",
        "Order my regular stuff again please.",
        "Reorder the diapers I bought before.",
        "I want the exact same order as last week.",
        "Can I get my previous order again?",
    ],
    "ManageSubscription": [
        "I want to pause my coffee subscription.",
        "Can you skip next month's delivery of my dog food subscription?",
        "Change my water filter subscription to every two months.",
        "Cancel my subscription for the razor blades.",
        "I'd like to set up a monthly delivery of toilet paper.",
        "Can I restart my tea subscription?",
        "Please make my cat food auto delivery every two weeks instead of weekly.",
        "How do I stop my auto delivery?",
        "Skip my next subscription box please.",
    ],
    "CheckReturnStatus": [
        "Where's my refund?",
        "Did you get the return I sent last week?",
        "I sent the jeans back ten days ago and I haven't got my money yet.",
        "What's the status of my return?",
        "Has my refund gone through?",
        "I returned the headphones, when will I see the money on my card?",
        "Can you check if my return has reached your warehouse?",
        "I'm still waiting for my store credit from the return.",
        "Any news on the refund for the lamp I sent back?",
    ],
    "PolicyQuestion": [
        "What's your return policy?",
        "How long do I have to return something?",
        "Do you ship abroad?",
        "How much is shipping?",
        "Do you take cash on delivery?",
        "Can I pay with a gift card?",
        "Do you price match?",
        "How long does standard delivery usually take?",
        "Can clearance items be returned?",
        "What payment methods do you accept?",
    ],
    "SpeakToAgent": [
        "Can I speak to a real person please?",
        "Put me through to an agent.",
        "I want to talk to a human.",
        "Get me a manager.",
        "Is there someone I can actually talk to?",
        "Transfer me to customer service please.",
        "Let me speak with a representative.",
        "Operator, please.",
        "I'd rather talk to a supervisor about this.",
    ],
    "Affirm": [
        "Yes, that's right.",
        "Yeah, go ahead.",
        "Sure, that sounds good.",
        "Yes please.",
        "Correct, that's the one.",
        "Yep, that's it.",
        "Absolutely.",
        "Uh huh, yes.",
        "That's correct, thank you.",
    ],
    "Deny": [
        "No, that's not right.",
        "Nope, not that one.",
        "No thanks.",
        "That's wrong.",
        "No, I didn't say that.",
        "Nah, leave it.",
        "No, it's a different one.",
        "Definitely not.",
        "No, don't do that.",
    ],
    "Repeat": [
        "Sorry, can you say that again?",
        "Pardon?",
        "What was that?",
        "Could you repeat that more slowly?",
        "I didn't catch that.",
        "Say it one more time please.",
        "Sorry, I missed the last part.",
        "Can you go over that again?",
        "Come again?",
    ],
    "Help": [
        "What can you do?",
        "Help me please.",
        "What are my options?",
        "How does this work?",
        "I don't know what to say.",
        "What kind of things can I ask you?",
        "I'm confused, can you help me?",
        "What can I do here?",
        "Um, how do I use this thing?",
    ],
    "EndConversation": [
        "That's all, thanks.",
        "Goodbye.",
        "No, that's everything, bye.",
        "Thanks, that's it.",
        "I'm done, you can hang up.",
        "Nothing else, thank you.",
        "Okay, bye bye.",
        "That's all I needed, cheers.",
        "Great, thanks for your help, goodbye.",
    ],
}

OUT_OF_SCOPE = [
    "What's the weather like tomorrow?",
    "Play some music.",
    "Tell me a joke.",
    "Who won the football last night?",
    "What time does the pharmacy next door close?",
    "Can you book me a taxi?",
    "How do I make pancakes?",
    "What's the capital of Australia?",
    "Set an alarm for seven in the morning.",
    "Do you know a good pizza place near here?",
    "What's my bank balance?",
    "Is the bus running late today?",
    "Turn on the lights in the kitchen.",
    "How old are you?",
    "Can you renew my car insurance?",
    "What's on TV tonight?",
    "I need a doctor's appointment.",
    "How do you say hello in French?",
    "How many calories are in a banana?",
    "Remind me to call my mum at six.",
]

# --- short answers: (text, canonical intent, expect) ---
SHORT = [
    ("Yes.", "Affirm", "yes-no"), ("Yeah.", "Affirm", "yes-no"), ("Yep.", "Affirm", "yes-no"),
    ("Yup.", "Affirm", "yes-no"), ("Sure.", "Affirm", "yes-no"), ("Correct.", "Affirm", "yes-no"),
    ("That's right.", "Affirm", "yes-no"), ("Yes please.", "Affirm", "yes-no"),
    ("Uh huh.", "Affirm", "yes-no"), ("Okay.", "Affirm", "yes-no"), ("Exactly.", "Affirm", "yes-no"),
    ("Of course.", "Affirm", "yes-no"), ("Right.", "Affirm", "yes-no"),
    ("No.", "Deny", "yes-no"), ("Nope.", "Deny", "yes-no"), ("Nah.", "Deny", "yes-no"),
    ("Not really.", "Deny", "yes-no"), ("No thanks.", "Deny", "yes-no"), ("Wrong.", "Deny", "yes-no"),
    ("No way.", "Deny", "yes-no"), ("Not quite.", "Deny", "yes-no"), ("Incorrect.", "Deny", "yes-no"),
    ("Help.", "Help", "menu"), ("Menu.", "Help", "menu"), ("Main menu.", "Help", "menu"),
    ("Options.", "Help", "menu"), ("Help me.", "Help", "menu"),
    ("Operator.", "SpeakToAgent", "menu"), ("Agent.", "SpeakToAgent", "menu"),
    ("A person.", "SpeakToAgent", "menu"), ("Representative.", "SpeakToAgent", "menu"),
    ("Human.", "SpeakToAgent", "menu"), ("Real person.", "SpeakToAgent", "menu"),
    ("Repeat that.", "Repeat", "menu"), ("Say that again.", "Repeat", "menu"),
    ("Pardon?", "Repeat", "menu"), ("Come again?", "Repeat", "menu"), ("Sorry?", "Repeat", "menu"),
    ("Repeat.", "Repeat", "menu"),
    ("Goodbye.", "EndConversation", "menu"), ("Bye.", "EndConversation", "menu"),
    ("Thanks.", "EndConversation", "menu"), ("That's all.", "EndConversation", "menu"),
    ("Cancel.", "EndConversation", "menu"), ("Stop.", "EndConversation", "menu"),
    ("I'm done.", "EndConversation", "menu"), ("Never mind.", "EndConversation", "menu"),
]


def pair_words(a: int, b: int, zero_word: str) -> str:
    """Two digits read as one number the way people do: 48 forty eight, 07 oh seven."""
    if a == 0:
        return f"{zero_word} {zero_word if b == 0 else ONES[b]}"
    if a == 1:
        return TEENS[b]
    return TENS[a] if b == 0 else f"{TENS[a]} {ONES[b]}"


def read_group(ds, rng, zero_word, allow_pairs):
    """Read one group of digits: runs as double/triple, sometimes as pairs."""
    if allow_pairs and len(ds) in (2, 4) and ds[0] != 0 and rng.random() < 0.25:
        return " ".join(pair_words(ds[i], ds[i + 1], zero_word) for i in range(0, len(ds), 2))
    words, i = [], 0
    while i < len(ds):
        run = 1
        while i + run < len(ds) and ds[i + run] == ds[i] and run < 3:
            run += 1
        w = zero_word if ds[i] == 0 else ONES[ds[i]]
        if run == 3 and rng.random() < 0.8:
            words.append(f"triple {w}")
        elif run >= 2 and rng.random() < 0.7:
            words.append(f"double {w}")
            run = 2
        else:
            words.append(w)
            run = 1
        i += run
    return " ".join(words)


def digits_with_runs(rng, n, first_nonzero=False):
    ds = []
    while len(ds) < n:
        d = rng.randrange(10)
        if first_nonzero and not ds and d < 2:
            continue
        k = rng.choices([1, 2, 3], weights=[80, 15, 5])[0]
        ds.extend([d] * min(k, n - len(ds)))
    return ds


def split(ds, sizes):
    out, i = [], 0
    for s in sizes:
        out.append(ds[i:i + s])
        i += s
    return out


ORDER_WRAP = [
    "{}.", "My order number is {}.", "It's {}.", "Um, {}.", "Yeah, it's {}.",
    "The order number is {}.", "Okay, it's {}, I think.", "Sure, {}.",
    "Let me see, {}.", "The number on the email is {}.", "{}, that's the order number.",
]
ZIP_WRAP = ["{}.", "My zip code is {}.", "It's {}.", "Zip is {}.", "Um, {}.", "Yeah, {}.",
            "The zip code's {}."]
PHONE_WRAP = ["{}.", "My number is {}.", "It's {}.", "You can reach me on {}.",
              "My phone number is {}.", "Um, {}.", "Call me on {}.", "Sure, it's {}."]


# A request that names its order number in the same breath: the opening turn, heard with
# nothing expected.
OPENING_WRAP = [
    "Hello, I need to check on order {}.", "Has my order shipped yet? The number is {}.",
    "I'd like to cancel order number {}.", "Can you tell me when order {} will arrive?",
    "I want to return something from order {}, please.",
    "Morning. My parcel hasn't come, order number {}.", "Where is my delivery? It's order {}.",
    "Could you look up order {} for me?", "I'm ringing about my order, it's {}.",
    "Hi, order number {}, I'd like to change the address.",
]


def spoken_number(ds, sizes, rng, allow_pairs):
    zero_word = "oh" if rng.random() < 0.7 else "zero"
    groups = [read_group(g, rng, zero_word, allow_pairs) for g in split(ds, sizes)]
    return ", ".join(groups)


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent.parent / "tests/data/spoken/texts.jsonl"
    rng = random.Random(20261202)
    items = []
    n = 0
    for intent, sentences in INTENTS.items():
        for s in sentences:
            n += 1
            items.append({"id": f"int-{n:03d}", "kind": "intent", "text": s, "intent": intent})
    for i, s in enumerate(OUT_OF_SCOPE, 1):
        items.append({"id": f"oos-{i:03d}", "kind": "intent", "text": s, "intent": "OutOfScope"})

    order_layouts = [[4, 5, 4], [4, 5, 4], [3, 3, 3, 4], [4, 4, 5], [3, 4, 3, 3], [5, 4, 4]]
    for i in range(1, 45):
        ds = digits_with_runs(rng, 13, first_nonzero=True)
        text = spoken_number(ds, rng.choice(order_layouts), rng, allow_pairs=True)
        wrap = ORDER_WRAP[0] if i % 4 == 1 else rng.choice(ORDER_WRAP)
        text = wrap.format(text)
        items.append({"id": f"ord-{i:03d}", "kind": "order_number", "text": text[0].upper() + text[1:],
                      "digits": "".join(map(str, ds)), "expect": "digits"})
    for i in range(1, 25):
        ds = digits_with_runs(rng, 5)
        sizes = rng.choice([[5], [5], [3, 2], [2, 3]])
        text = spoken_number(ds, sizes, rng, allow_pairs=False)
        wrap = ZIP_WRAP[0] if i % 4 == 1 else rng.choice(ZIP_WRAP)
        text = wrap.format(text)
        items.append({"id": f"zip-{i:03d}", "kind": "zip", "text": text[0].upper() + text[1:],
                      "digits": "".join(map(str, ds)), "expect": "digits"})
    for i in range(1, 25):
        ds = digits_with_runs(rng, 10, first_nonzero=True)
        # US: area code and exchange do not start with 0 or 1
        if ds[3] < 2:
            ds[3] = rng.randrange(2, 10)
        text = spoken_number(ds, [3, 3, 4], rng, allow_pairs=True)
        wrap = PHONE_WRAP[0] if i % 4 == 1 else rng.choice(PHONE_WRAP)
        text = wrap.format(text)
        items.append({"id": f"ph-{i:03d}", "kind": "phone", "text": text[0].upper() + text[1:],
                      "digits": "".join(map(str, ds)), "expect": "digits"})
    for i, (text, intent, expect) in enumerate(SHORT, 1):
        items.append({"id": f"short-{i:03d}", "kind": "short", "text": text, "intent": intent,
                      "expect": expect})

    # Its own generator, so the items above stay as they were.
    orng = random.Random(20261207)
    for i in range(1, 41):
        ds = digits_with_runs(orng, 13, first_nonzero=True)
        number = spoken_number(ds, orng.choice(order_layouts), orng, allow_pairs=True)
        text = OPENING_WRAP[(i - 1) % len(OPENING_WRAP)].format(number)
        items.append({"id": f"open-{i:03d}", "kind": "opening", "text": text,
                      "digits": "".join(map(str, ds)), "expect": "anything"})

    with open(out, "w", encoding="utf-8") as f:
        for it in items:
            f.write(json.dumps(it, ensure_ascii=False) + "\n")
    kinds = {}
    for it in items:
        kinds[it["kind"]] = kinds.get(it["kind"], 0) + 1
    print(out, len(items), kinds)


if __name__ == "__main__":
    main()
