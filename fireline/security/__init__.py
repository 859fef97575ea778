"""Security incident response: classification, evidence, observables and
regulatory notification obligations."""
