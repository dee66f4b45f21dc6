"""How the importer reads cells of the real inventories (vendor and product lists, stages,
dates, booleans). The examples are cells of ../shared/data."""

import datetime
from decimal import Decimal

import pytest

from registry.importers.values import (
    band_lower_bound,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_kind,
    parse_stage,
    parse_url,
    product_names,
    vendor_for_product,
    vendor_names,
)


@pytest.mark.parametrize(
    ("cell", "vendors"),
    [
        ("Microsoft", ["Microsoft"]),
        ("Not available", []),
        ("N/A", []),
        ("  ", []),
        ("Accenture Federal Services, Google", ["Accenture Federal Services", "Google"]),
        ("Deloitte Consulting, LLC", ["Deloitte Consulting, LLC"]),
        (
            "OpenAI; Anthropic; Google; xAI; Perplexity; Microsoft",
            ["OpenAI", "Anthropic", "Google", "xAI", "Perplexity", "Microsoft"],
        ),
        ("Microsoft / OpenAI", ["Microsoft", "OpenAI"]),
        ("AWS, aws, Azure", ["AWS", "Azure"]),
    ],
)
def test_vendor_cells(cell, vendors):
    assert vendor_names(cell) == vendors


@pytest.mark.parametrize(
    ("cell", "products"),
    [
        ("ChatGPT, Claude, Copilot, Perplexity", ["ChatGPT", "Claude", "Copilot", "Perplexity"]),
        ("Synthesia; Microsoft Copilot & Copilot Chat", ["Synthesia", "Microsoft Copilot", "Copilot Chat"]),
        (
            "Microsoft Copilot, Microsoft 365 suite (Teams, SharePoint, Excel, PowerPoint, Word), Apple iOS",
            [
                "Microsoft Copilot",
                "Microsoft 365 suite (Teams, SharePoint, Excel, PowerPoint, Word)",
                "Apple iOS",
            ],
        ),
        ("Microsoft Defender\nCrowdstrike Falcon", ["Microsoft Defender", "Crowdstrike Falcon"]),
        ("Microsoft Copilot 365, Vyond\nfor Government", ["Microsoft Copilot 365", "Vyond for Government"]),
        ("Various", []),
        ("N/A", []),
    ],
)
def test_cots_product_cells(cell, products):
    assert product_names(cell) == products


@pytest.mark.parametrize(
    ("product", "vendor"),
    [
        ("Microsoft 365 Copilot GCC", "Microsoft"),
        ("M365 Copilot", "Microsoft"),
        ("Azure OpenAI", "Microsoft"),
        ("GitHub Copilot", "GitHub"),
        ("Gemini for Google Workspace", "Google"),
        ("Apple iPhone", "Apple"),
        ("ChatGPT Enterprise", "OpenAI"),
        ("Zoom", "Zoom"),
        ("Sprout Social", "Sprout Social"),
        ("Ask Hamilton", None),
    ],
)
def test_product_vendors(product, vendor):
    assert vendor_for_product(product) == vendor


def test_stages_kinds_booleans_numbers_dates_and_links():
    assert [parse_stage(v) for v in ("Deployed", "pilot", "Pre-deployment", "In production", "")] == [
        "production",
        "pilot",
        "building",
        "production",
        "",
    ]
    assert [parse_kind(v) for v in ("Custom GPT / assistant", "agent", "workflow", "ML model")] == [
        "custom_gpt",
        "agent",
        "automation",
        "ml_model",
    ]
    assert [parse_bool(v) for v in ("Yes", "n", "TRUE", "0", "")] == [True, False, True, False, False]
    with pytest.raises(ValueError, match="'maybe' is not yes or no"):
        parse_bool("maybe")
    assert parse_decimal("$1,200.456", places=2, digits=12) == Decimal("1200.46")
    assert [band_lower_bound(b) for b in ("1-100", "10,000-50,000", "50,000+", "")] == [1, 10000, 50000, None]
    assert [parse_date(v) for v in ("2024-10-01 00:00:00", "01/2024", "Jul-25", "10/1/2023", "2025")] == [
        datetime.date(2024, 10, 1),
        datetime.date(2024, 1, 1),
        datetime.date(2025, 7, 1),
        datetime.date(2023, 10, 1),
        datetime.date(2025, 1, 1),
    ]
    with pytest.raises(ValueError):
        parse_date("7/16/1905")  # Excel's day zero, not a real date
    assert parse_url("https://github.com/USFWS/example") == "https://github.com/USFWS/example"
    with pytest.raises(ValueError):
        parse_url("Not publicly available")
