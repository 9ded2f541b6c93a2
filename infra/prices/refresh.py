"""Rewrites functions/core/prices/snapshot.json from AWS's public price list files.

    python3 infra/prices/refresh.py                 # downloads (needs the internet)
    python3 infra/prices/refresh.py --from DIR      # reads saved files instead

Per region it reads the EC2 offer file (on-demand Linux, shared tenancy, no pre-installed
software: EC2's part of an EMR instance), the Elastic MapReduce offer file (EMR's
per-instance price) and the public spot price feed (a recent spot price), and keeps the
instance types listed in TYPES. The EC2 offer file of a region is large (hundreds of MB):
the download takes minutes. With --from DIR, the files are DIR/ec2-<region>.json,
DIR/emr-<region>.json and DIR/spot.js.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SNAPSHOT = REPO / "functions" / "core" / "prices" / "snapshot.json"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
# The instance families the examples and common pipelines use.
TYPES = [
    "m5.large", "m5.xlarge", "m5.2xlarge", "m5.4xlarge", "m5.8xlarge",
    "c5.xlarge", "c5.2xlarge", "c5.4xlarge",
    "r5.xlarge", "r5.2xlarge", "r5.4xlarge",
    "m6g.xlarge", "m6g.2xlarge", "r6g.xlarge", "r6g.2xlarge",
    "m7g.xlarge", "m7g.2xlarge",
]
OFFERS = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}/index.json"
SPOT_FEED = "https://website.spot.ec2.aws.a2z.com/spot.js"
# The spot feed's region names.
SPOT_REGIONS = {"us-east-1": "us-east", "us-west-2": "us-west-2", "eu-west-1": "eu-ireland"}


def _on_demand_prices(offer: dict, wanted) -> dict[str, float]:
    """instance type → USD per hour of the products `wanted(attributes)` accepts."""
    prices: dict[str, float] = {}
    on_demand = offer.get("terms", {}).get("OnDemand", {})
    for sku, product in offer.get("products", {}).items():
        attributes = product.get("attributes", {})
        instance_type = attributes.get("instanceType")
        if instance_type not in TYPES or not wanted(product.get("productFamily"), attributes):
            continue
        for term in on_demand.get(sku, {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                if dimension.get("unit") == "Hrs":
                    usd = float(dimension.get("pricePerUnit", {}).get("USD", "0"))
                    if usd > 0:
                        prices[instance_type] = usd
    return prices


def ec2_prices(offer: dict) -> dict[str, float]:
    """EC2 on-demand Linux, shared tenancy, nothing pre-installed, capacity used."""
    def wanted(family, a):
        return (family == "Compute Instance" and a.get("tenancy") == "Shared"
                and a.get("operatingSystem") == "Linux" and a.get("preInstalledSw") == "NA"
                and a.get("capacitystatus") == "Used" and a.get("operation") == "RunInstances")
    return _on_demand_prices(offer, wanted)


def emr_prices(offer: dict) -> dict[str, float]:
    """EMR's per-instance price (EMR on EC2, not EKS or Serverless)."""
    def wanted(family, a):
        return family == "Elastic Map Reduce Instance" and a.get("softwareType") == "EMR"
    return _on_demand_prices(offer, wanted)


def spot_prices(feed: str, region: str) -> dict[str, float]:
    """The spot feed (JSONP: callback({...});) → instance type → Linux USD per hour."""
    body = json.loads(feed[feed.index("(") + 1: feed.rindex(")")])
    prices: dict[str, float] = {}
    for entry in body.get("config", {}).get("regions", []):
        if entry.get("region") != SPOT_REGIONS.get(region, region):
            continue
        for family in entry.get("instanceTypes", []):
            for size in family.get("sizes", []):
                for column in size.get("valueColumns", []):
                    usd = column.get("prices", {}).get("USD", "N/A")
                    if column.get("name") == "linux" and size.get("size") in TYPES:
                        try:
                            prices[size["size"]] = float(usd)
                        except ValueError:
                            pass
    return prices


def region_entries(ec2: dict[str, float], emr: dict[str, float], spot: dict[str, float]) -> dict:
    """The snapshot's entries of one region: a type priced by both EC2 and EMR."""
    entries = {}
    for instance_type in TYPES:
        if instance_type in ec2 and instance_type in emr:
            entry = {"Ec2": ec2[instance_type], "Emr": emr[instance_type]}
            if instance_type in spot:
                entry["Spot"] = spot[instance_type]
            entries[instance_type] = entry
    return entries


def snapshot(date: str, regions: dict[str, dict]) -> dict:
    return {
        "Date": date,
        "Source": "AWS's public price list files (offers/v1.0/aws/AmazonEC2 and ElasticMapReduce, "
                  "on-demand Linux, shared tenancy) and the public spot price feed, by "
                  "infra/prices/refresh.py",
        "Regions": regions,
    }


def _read(source: Path | None, name: str, url: str) -> str:
    if source is not None:
        return (source / name).read_text(encoding="utf-8")
    print(f"downloading {url}", file=sys.stderr)
    with urllib.request.urlopen(url, timeout=600) as response:  # noqa: S310 (AWS's own files)
        return response.read().decode("utf-8")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="saved files instead of downloads")
    parser.add_argument("--out", type=Path, default=SNAPSHOT)
    parser.add_argument("--date", default=datetime.date.today().isoformat())
    args = parser.parse_args(argv)
    try:
        feed = _read(args.source, "spot.js", SPOT_FEED)
        regions = {}
        for region in REGIONS:
            ec2 = json.loads(_read(args.source, f"ec2-{region}.json",
                                   OFFERS.format(offer="AmazonEC2", region=region)))
            emr = json.loads(_read(args.source, f"emr-{region}.json",
                                   OFFERS.format(offer="ElasticMapReduce", region=region)))
            regions[region] = region_entries(ec2_prices(ec2), emr_prices(emr),
                                             spot_prices(feed, region))
    except OSError as error:
        print(f"cannot read AWS's price list files ({error}); this needs the internet, "
              "or --from a folder of saved files", file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(snapshot(args.date, regions), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
