#!/usr/bin/env python3
"""Derives the bundled store example data from the REES46 October 2019 sample.

Reads events_2019-Oct_head.csv from the data folder ($CRM_DATA_DIR, default
../shared/data beside the checkout) and writes examples/data/store/:

- events.csv: every complete event row, with an event id (`e` and the row
  number) so that triggers can name the event they handle, the ` UTC`
  suffix dropped from the time, and the user id as the customer key;
- products.csv: one row per product, with its universe and category (the
  first two parts of the dotted category code, `other` when it is empty),
  brand and last price;
- users.csv: one row per user. The data has no contact details, so these
  are synthetic: derived from a hash of the user id, the same on every run,
  with example.test addresses and 555 numbers that reach nobody.
"""
import csv
import hashlib
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
data = os.environ.get("CRM_DATA_DIR", os.path.join(root, "..", "shared", "data"))
source = os.path.join(data, "rees46_ecommerce_events", "events_2019-Oct_head.csv")
out = os.path.join(root, "examples", "data", "store")
os.makedirs(out, exist_ok=True)

with open(source, newline="") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
# The last row of the sample is cut off in the middle.
rows = [r for r in rows if len(r) == len(header) and r[-1].count("-") == 4 and len(r[-1]) == 36]

products = {}
users = []
seen = set()
with open(os.path.join(out, "events.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["event_id", "user_id", "kind", "product_id", "price", "session", "at"])
    for i, r in enumerate(rows, 1):
        time, kind, product, _, code, brand, price, user, session = r
        w.writerow([f"e{i}", user, kind, product, price, session, time.removesuffix(" UTC")])
        parts = code.split(".") if code else []
        products[product] = [product, parts[0] if parts else "other",
                             ".".join(parts[:2]) if parts else "other", brand, price]
        if user not in seen:
            seen.add(user)
            users.append(user)

with open(os.path.join(out, "products.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["product_id", "universe", "category", "brand", "price"])
    for p in sorted(products):
        w.writerow(products[p])

zones = ["Europe/Moscow"] * 6 + ["Europe/Berlin"] * 2 + ["Asia/Yekaterinburg", ""]
with open(os.path.join(out, "users.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["user_id", "email", "phone", "push_token", "time_zone",
                "email_opt_in", "sms_opt_in", "push_opt_in"])
    for user in users:
        h = int(hashlib.sha256(user.encode()).hexdigest(), 16)
        email = f"user{user}@example.test" if h % 10 < 7 else ""
        phone = f"+1555{h % 10_000_000:07d}" if (h >> 8) % 10 < 4 else ""
        push = f"token-{h % 1_000_000_007:x}" if (h >> 16) % 10 < 3 else ""
        w.writerow([user, email, phone, push, zones[(h >> 24) % len(zones)],
                    "true" if email and (h >> 32) % 10 < 8 else "false",
                    "true" if phone and (h >> 40) % 10 < 6 else "false",
                    "true" if push and (h >> 48) % 10 < 9 else "false"])
print(f"{len(rows)} events, {len(products)} products, {len(users)} users in {out}",
      file=sys.stderr)
