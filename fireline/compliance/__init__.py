"""The compliance report: incidents of a period as audit evidence, mapped to ISO/IEC 27001 controls."""
