"""The maturity assessment: five levels per capability area."""
