"""GIVEN / WHEN / THEN tests of infra/prices/refresh.py on a small saved excerpt of AWS's
price list files (infra/tests/prices/): which products count, and the snapshot written."""

from __future__ import annotations

import json
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
EXCERPT = Path(__file__).resolve().parent / "prices"
sys.path.insert(0, str(INFRA / "prices"))

import refresh  # noqa: E402


def test_ec2_keeps_on_demand_linux_shared_tenancy_only():
    # GIVEN the EC2 excerpt: m5.xlarge Linux, Windows, Dedicated, an unused reservation
    offer = json.loads((EXCERPT / "ec2-us-east-1.json").read_text())
    # WHEN its prices are read THEN Linux shared wins, types outside TYPES are left out
    assert refresh.ec2_prices(offer) == {"m5.xlarge": 0.192, "c5.4xlarge": 0.68}


def test_emr_keeps_emr_on_ec2_only():
    # GIVEN the EMR excerpt with an EMR on EKS product WHEN read THEN only EMR on EC2
    offer = json.loads((EXCERPT / "emr-us-east-1.json").read_text())
    assert refresh.emr_prices(offer) == {"m5.xlarge": 0.048, "c5.4xlarge": 0.17}


def test_spot_reads_the_region_under_its_feed_name_and_skips_missing_prices():
    # GIVEN the spot feed (us-east-1 is "us-east" there; c5.4xlarge has no price)
    feed = (EXCERPT / "spot.js").read_text()
    # WHEN read THEN linux prices of the region only
    assert refresh.spot_prices(feed, "us-east-1") == {"m5.xlarge": 0.0741}
    assert refresh.spot_prices(feed, "eu-west-1") == {"m5.xlarge": 0.0833}


def test_the_snapshot_is_written_dated_from_saved_files(tmp_path, monkeypatch):
    # GIVEN the saved files of one region
    monkeypatch.setattr(refresh, "REGIONS", ["us-east-1"])
    out = tmp_path / "snapshot.json"
    # WHEN the refresh runs from them
    code = refresh.main(["--from", str(EXCERPT), "--out", str(out), "--date", "2026-12-01"])
    # THEN the snapshot has the date and the types both EC2 and EMR price
    assert code == 0
    written = json.loads(out.read_text())
    assert written["Date"] == "2026-12-01"
    assert written["Regions"] == {"us-east-1": {
        "m5.xlarge": {"Ec2": 0.192, "Emr": 0.048, "Spot": 0.0741},
        "c5.4xlarge": {"Ec2": 0.68, "Emr": 0.17},
    }}


def test_without_the_files_it_says_it_needs_the_internet(tmp_path, capsys):
    # GIVEN an empty folder WHEN the refresh runs from it THEN it fails saying why
    code = refresh.main(["--from", str(tmp_path), "--out", str(tmp_path / "s.json")])
    assert code == 1
    assert "needs the internet" in capsys.readouterr().err
