"""The claim checker: public claims about Stargate recomputed, each with a verdict and its assumptions."""

from stargate.claims.checks import ClaimResult, check_claim, check_claims
from stargate.claims.model import claims_from_dict, load_claims

__all__ = ["ClaimResult", "check_claim", "check_claims", "claims_from_dict", "load_claims"]
