"""medmask.utils: helpers of medmask 0.1.x."""

from .utils import match_allowed_values

__all__ = ["match_allowed_values"]
