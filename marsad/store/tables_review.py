"""Users, keys, decisions, audit log, referrals, outcomes, tips, evidence (issue: act on findings).
Defined on store.metadata."""
