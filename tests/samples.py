"""Sample code shared by the end-to-end suites (LSP, faults, real clients): a cart whose
`total` divides a percentage by 10, and the fix the model is scripted to give."""

CART = """\
import math


class Cart:
    def __init__(self):
        self.items = []

    def total(self, discount):
        subtotal = sum(item.price for item in self.items)
        return subtotal - subtotal * discount / 10


def round_up(value):
    return math.ceil(value)
"""

# The model's fenced answer for `total`, dedented as models often answer.
FIXED_TOTAL_DEDENTED = """\
def total(self, discount):
    subtotal = sum(item.price for item in self.items)
    return subtotal - subtotal * discount / 100"""

EXPECTED_AFTER_FIX = CART.replace("discount / 10\n", "discount / 100\n")
