#!/usr/bin/env python3
"""Cuts the bundled example data out of the Complete Journey files.

Keeps the 801 households that have demographics, with all of their sampled
purchase lines, campaign contacts and coupon redemptions; the products those
lines reference; the coupons of those products; and every campaign. The
full files hold coupons of products missing from the catalog, which the
loader rejects; the cut leaves them out. Rows keep
their original order and bytes, so the quirks of the source files stay.

Usage: scripts/make-example-data.py SOURCE_DIR TARGET_DIR
"""
import csv
import os
import sys


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        lines = handle.read().splitlines(keepends=True)
    return lines[0], lines[1:]


def column(header, name):
    return header.rstrip("\r\n").split(",").index(name)


def keep(source, target, name, predicate):
    header, rows = read_rows(os.path.join(source, name))
    kept = [row for row in rows if predicate(header, row.rstrip("\r\n").split(","))]
    with open(os.path.join(target, name), "w", newline="", encoding="utf-8") as handle:
        handle.write(header)
        handle.writelines(kept)
    return header, kept


def main():
    source, target = sys.argv[1], sys.argv[2]
    os.makedirs(target, exist_ok=True)
    header, demographics = keep(source, target, "demographics.csv", lambda h, r: True)
    households = {row.split(",")[0] for row in demographics}

    def of_households(h, r):
        return r[column(h, "household_id")] in households

    header, lines = keep(source, target, "transactions_sample.csv", of_households)
    product_index = column(header, "product_id")
    products = {row.split(",")[product_index] for row in lines}
    header, catalog = keep(source, target, "products.csv",
                           lambda h, r: r[column(h, "product_id")] in products)
    # Coupons hang under catalog rows; a product missing from the catalog
    # (1093587 is one) keeps its purchase line but gets no coupons.
    listed = {row.split(",")[column(header, "product_id")] for row in catalog}
    keep(source, target, "coupons.csv", lambda h, r: r[column(h, "product_id")] in listed)
    keep(source, target, "campaigns.csv", of_households)
    keep(source, target, "coupon_redemptions.csv", of_households)
    keep(source, target, "campaign_descriptions.csv", lambda h, r: True)


if __name__ == "__main__":
    main()
